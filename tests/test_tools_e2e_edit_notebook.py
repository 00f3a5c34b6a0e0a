"""MultiEdit and NotebookEdit called by the model through the real SDKs (scripted server),
under acceptEdits: edits inside the workspace run without asking."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from claw_tui.events import ApprovalRequested, FileChanged, PermissionDecided, ToolCallFinished
from claw_tui.testing import scenario as sc
from tests.conftest import PROVIDERS, Recorder, make_session, transcript_is_valid

APP = "def greet(name):\n    return 'helo ' + name\n\n\nprint(greet('world'))\n"


def make_notebook(path: Path) -> None:
    nb = v4.new_notebook()
    intro = v4.new_markdown_cell("# Greeting")
    intro["id"] = "intro"
    calc = v4.new_code_cell("greet('nb')", execution_count=1,
                            outputs=[v4.new_output("execute_result", execution_count=1,
                                                   data={"text/plain": "'helo nb'"})])
    calc["id"] = "calc"
    nb.cells = [intro, calc]
    nbformat.write(nb, str(path))


def script(ws: Path) -> list[dict]:
    app, nb = str(ws / "app.py"), str(ws / "greet.ipynb")
    return [
        sc.tool("Read", "Reading the code.", file_path=app),
        # A first try whose second edit does not match: nothing may be applied.
        sc.tool("MultiEdit", "Fixing the typo and the name.", file_path=app, edits=[
            {"old_string": "'helo '", "new_string": "'hello '"},
            {"old_string": "print(greet('World'))", "new_string": "print(greet('there'))"},
        ]),
        sc.tool("MultiEdit", "Again, matching the case.", file_path=app, edits=[
            {"old_string": "'helo '", "new_string": "'hello '"},
            {"old_string": "print(greet('world'))", "new_string": "print(greet('there'))"},
            {"old_string": "name", "new_string": "who", "replace_all": True},
        ]),
        sc.tool("NotebookRead", "Now the notebook.", notebook_path=nb),
        sc.tool("NotebookEdit", notebook_path=nb, cell_id="calc", new_source="greet('notebook')"),
        sc.tool("NotebookEdit", notebook_path=nb, cell_id="calc", new_source="## Done", cell_type="markdown",
                edit_mode="insert"),
        sc.text("Fixed the greeting in app.py and the notebook."),
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_model_multiedits_a_file_and_edits_a_notebook(server, workspace, provider):
    (workspace / "app.py").write_text(APP)
    make_notebook(workspace / "greet.ipynb")
    server.add(*script(workspace))
    session = make_session(server, workspace, provider, permission_mode="acceptEdits")
    rec = Recorder(session.bus)
    result = await session.run("fix the greeting everywhere")
    await session.close()

    assert result.outcome == "success", result
    assert result.result == "Fixed the greeting in app.py and the notebook."
    assert rec.of(ApprovalRequested) == []
    decided = {(e.tool, e.behavior) for e in rec.of(PermissionDecided)}
    assert ("MultiEdit", "allow") in decided and ("NotebookEdit", "allow") in decided

    # The file: the failed try changed nothing, the second applied all three edits.
    fixed = "def greet(who):\n    return 'hello ' + who\n\n\nprint(greet('there'))\n"
    assert (workspace / "app.py").read_text() == fixed
    finished = rec.of(ToolCallFinished)
    assert [e.tool for e in finished] == ["Read", "MultiEdit", "MultiEdit", "NotebookRead", "NotebookEdit",
                                          "NotebookEdit"]
    failed = finished[1]
    assert failed.is_error and "Edit 2 of 2 failed" in failed.content
    assert [e.is_error for e in finished[2:]] == [False] * 4
    # The model was sent the failure and could act on it.
    assert "Edit 2 of 2 failed" in server.received[2].last_user_text

    # The notebook: the code cell replaced (its stale output gone), a markdown cell after it, still valid.
    nb = nbformat.read(str(workspace / "greet.ipynb"), as_version=4)
    nbformat.validate(nb)
    assert [(c.id if c.id != nb.cells[2].id else "new", c.cell_type, c.source) for c in nb.cells] == [
        ("intro", "markdown", "# Greeting"), ("calc", "code", "greet('notebook')"), ("new", "markdown", "## Done")
    ]
    assert nb.cells[1].outputs == [] and nb.cells[1].execution_count is None
    assert "'helo nb'" in finished[3].content  # NotebookRead showed the output before it was cleared

    # Each change reached the bus for the diff pane; the failed MultiEdit published none.
    changes = [(Path(e.path).name, e.tool) for e in rec.of(FileChanged)]
    assert changes == [("app.py", "MultiEdit"), ("greet.ipynb", "NotebookEdit"), ("greet.ipynb", "NotebookEdit")]
    assert transcript_is_valid(session.agent.messages)
    assert "Inserted a new markdown cell" in server.received[-1].last_user_text
