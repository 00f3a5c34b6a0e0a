"""The LSP tool against a real language server (pylsp, from the test extras), the
operations pylsp lacks against the fake server, and diagnostics after an edit."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from claw_tui.events import ToolCallFinished
from claw_tui.lsp.hook import HEADING, with_edit_diagnostics
from claw_tui.lsp.manager import LspManager
from claw_tui.lsp.servers import ServerRegistry
from claw_tui.testing import scenario as sc
from claw_tui.tools.base import ToolContext
from claw_tui.tools.edit import EditTool
from claw_tui.tools.lsp import LSPTool
from claw_tui.tools.registry import core_tools
from claw_tui.tools.write import WriteTool
from tests.conftest import Recorder, make_session
from tests.test_lsp_client import FAKE_SERVER
from tests.tools._helpers import call

UTIL = '''class Greeter:
    """Says hello."""

    def greet(self, name: str) -> str:
        return f"hello {name}"


def helper(x: int) -> int:
    """Double x."""
    return x * 2
'''

MAIN = '''from util import helper, Greeter

print(helper(3))
print(len("abc"))
g = Greeter()
'''


def pylsp_dir() -> str:
    """The folder holding pylsp: the test environment's own, else PATH's."""
    here = str(Path(sys.executable).parent)
    found = shutil.which("pylsp", path=here) or shutil.which("pylsp")
    if found is None:
        reason = "pylsp is not installed (pip install -e '.[test]' installs python-lsp-server)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    return str(Path(found).parent)


@pytest.fixture
def project(ws: Path) -> Path:
    (ws / "util.py").write_text(UTIL)
    (ws / "main.py").write_text(MAIN)
    return ws


@pytest.fixture
async def lsp_ctx(ctx: ToolContext, project: Path) -> AsyncIterator[ToolContext]:
    # Only pylsp's folder is searched, so a pyright elsewhere on PATH does not change the answers.
    ctx.lsp = LspManager(project, registry=ServerRegistry(search_path=pylsp_dir()))
    try:
        yield ctx
    finally:
        await ctx.lsp.close()


# -- the operations, with pylsp -------------------------------------------------------------


async def test_go_to_definition_in_another_file(lsp_ctx, project):
    result = await call(LSPTool(), lsp_ctx, operation="goToDefinition", filePath=str(project / "main.py"),
                        line=3, character=8)
    assert not result.is_error, result.content
    assert result.content == "Definition of helper:\nutil.py:8:5: def helper(x: int) -> int:"


async def test_find_references_across_files(lsp_ctx, project):
    result = await call(LSPTool(), lsp_ctx, operation="findReferences", file_path="util.py", line=8, character=6)
    assert not result.is_error, result.content
    assert result.content.splitlines() == [
        "3 references to helper in 2 files:",
        "main.py",
        "  1:18: from util import helper, Greeter",
        "  3:7: print(helper(3))",
        "util.py",
        "  8:5: def helper(x: int) -> int:",
    ]


async def test_hover_shows_signatures_and_docs(lsp_ctx, project):
    builtin = await call(LSPTool(), lsp_ctx, operation="hover", filePath="main.py", line=4, character=8)
    assert not builtin.is_error, builtin.content
    assert "len(obj" in builtin.content and "-> int" in builtin.content
    own = await call(LSPTool(), lsp_ctx, operation="hover", filePath="main.py", line=3, character=7)
    assert "helper(x: int) -> int" in own.content
    assert "Double x." in own.content


async def test_document_symbols(lsp_ctx, project):
    result = await call(LSPTool(), lsp_ctx, operation="documentSymbol", filePath=str(project / "util.py"))
    assert not result.is_error, result.content
    assert result.content.splitlines() == [
        "Symbols in util.py:",
        "class Greeter (1:1)",
        "  method greet (4:5) in Greeter",
        "function helper (8:1)",
    ]


async def test_diagnostics_of_undefined_names_and_syntax_errors(lsp_ctx, project):
    (project / "bad.py").write_text("import os\nprint(undefined_name)\n")
    result = await call(LSPTool(), lsp_ctx, operation="diagnostics", filePath="bad.py")
    assert not result.is_error, result.content
    assert result.content.splitlines() == [
        "1 error, 1 warning in bad.py (pylsp):",
        "bad.py:2:7: error: undefined name 'undefined_name' [pyflakes]",
        "bad.py:1:1: warning: 'os' imported but unused [pyflakes]",
    ]
    (project / "broken.py").write_text("x = 1\ndef f(:\n    pass\n")
    broken = await call(LSPTool(), lsp_ctx, operation="diagnostics", filePath="broken.py")
    assert broken.content.startswith("1 error in broken.py (pylsp):"), broken.content
    assert "broken.py:2:" in broken.content
    clean = await call(LSPTool(), lsp_ctx, operation="diagnostics", filePath="util.py")
    assert clean.content == "No problems reported in util.py (pylsp)."


async def test_answers_follow_changes_on_disk(lsp_ctx, project):
    tool = LSPTool()
    first = await call(tool, lsp_ctx, operation="goToDefinition", filePath="main.py", line=3, character=8)
    assert "util.py:8:5" in first.content
    # Someone (Bash, an editor) moves helper down two lines; the next answer knows.
    (project / "util.py").write_text("# one\n# two\n" + UTIL)
    again = await call(tool, lsp_ctx, operation="goToDefinition", filePath="main.py", line=3, character=8)
    assert "util.py:10:5: def helper" in again.content, again.content


async def test_a_library_outside_the_project_is_asked_of_the_running_server(lsp_ctx, project, tmp_path_factory):
    lib = tmp_path_factory.mktemp("site-packages") / "extlib.py"
    lib.write_text("def outside():\n    return 1\n")
    first = await call(LSPTool(), lsp_ctx, operation="documentSymbol", filePath="main.py")
    assert not first.is_error, first.content
    result = await call(LSPTool(), lsp_ctx, operation="documentSymbol", filePath=str(lib))
    assert result.content == f"Symbols in {lib}:\nfunction outside (1:1)"
    assert len(lsp_ctx.lsp.running()) == 1, "no second server for a file outside the project"


async def test_operation_the_server_lacks_is_named(lsp_ctx, project):
    result = await call(LSPTool(), lsp_ctx, operation="goToImplementation", filePath="main.py", line=3,
                        character=8)
    assert result.is_error
    assert "pylsp does not support goToImplementation" in result.content
    assert "goToDefinition" in result.content and "diagnostics" in result.content


async def test_bad_positions_and_inputs(lsp_ctx, project):
    tool = LSPTool()
    past = await call(tool, lsp_ctx, operation="hover", filePath="main.py", line=40, character=1)
    assert past.is_error and "Line 40 is past the end of the file (5 lines)" in past.content
    wide = await call(tool, lsp_ctx, operation="hover", filePath="main.py", line=3, character=99)
    assert wide.is_error and "Character 99 is past the end of line 3" in wide.content
    missing = await call(tool, lsp_ctx, operation="findReferences", filePath="main.py")
    assert missing.is_error and "needs line and character" in missing.content
    gone = await call(tool, lsp_ctx, operation="hover", filePath="nope.py", line=1, character=1)
    assert gone.is_error and "File does not exist" in gone.content
    with pytest.raises(ValueError):
        tool.parse({"operation": "rename", "filePath": "main.py"})


# -- no server ----------------------------------------------------------------------------------


async def test_no_server_installed_says_what_to_install(ctx, project, monkeypatch):
    monkeypatch.setenv("PATH", "")
    ctx.lsp = LspManager(project)  # looks on PATH, as the session's does
    try:
        result = await call(LSPTool(), ctx, operation="hover", filePath="main.py", line=3, character=8)
        assert result.is_error
        assert "No language server for Python is installed" in result.content
        assert "pyright" in result.content and "python-lsp-server" in result.content
        other = await call(LSPTool(), ctx, operation="documentSymbol", filePath=str(project / "util.py"))
        assert other.is_error
        (project / "notes.xyz").write_text("hi\n")
        unknown = await call(LSPTool(), ctx, operation="documentSymbol", filePath="notes.xyz")
        assert unknown.is_error
        assert 'No language server is configured for .xyz files' in unknown.content
        assert '{"lsp": {"servers": {".xyz"' in unknown.content
        # An edit's result is left as it is when no server is installed, and nothing starts.
        write = WriteTool()
        params = write.parse({"file_path": str(project / "new.py"), "content": "print(undefined)\n"})
        written = await write.run(params, ctx)
        assert not written.is_error
        assert await with_edit_diagnostics(write, params, ctx, written) is written
        assert not ctx.lsp.running()
    finally:
        await ctx.lsp.close()


async def test_without_a_manager_the_tool_says_so(ctx, project):
    result = await call(LSPTool(), ctx, operation="hover", filePath="main.py", line=1, character=1)
    assert result.is_error and "no language servers" in result.content


# -- the fake server: the operations pylsp does not have ------------------------------------


@pytest.fixture
async def fake_ctx(ctx: ToolContext, ws: Path) -> AsyncIterator[ToolContext]:
    script = ws.parent / "fake_lsp.py"
    script.write_text(FAKE_SERVER)
    ctx.lsp = LspManager(ws, {".fake": [sys.executable, str(script)]})
    (ws / "lib.fake").write_text("def target():\n  thing = 1\n\ndef caller():\n    target()\n")
    try:
        yield ctx
    finally:
        await ctx.lsp.close()


async def test_call_hierarchy_workspace_symbols_and_implementations(fake_ctx, ws):
    tool = LSPTool()
    incoming = await call(tool, fake_ctx, operation="incomingCalls", filePath="lib.fake", line=1, character=5)
    assert incoming.content.splitlines() == [
        "1 caller of target:",
        "function caller at lib.fake:4:5",
        "  call at lib.fake:5:5: target()",
    ]
    item = await call(tool, fake_ctx, operation="prepareCallHierarchy", filePath="lib.fake", line=1, character=5)
    assert item.content == "Call hierarchy item:\nfunction target at lib.fake:1:5 — def target()"
    symbols = await call(tool, fake_ctx, operation="workspaceSymbol", filePath="lib.fake", query="thing")
    assert symbols.content == "1 symbols matching 'thing':\nclass thing_thing in pkg — lib.fake:2:7"
    no_query = await call(tool, fake_ctx, operation="workspaceSymbol", filePath="lib.fake")
    assert no_query.is_error and "needs query" in no_query.content
    impl = await call(tool, fake_ctx, operation="goToImplementation", filePath="lib.fake", line=1, character=5)
    assert impl.content == "Implementation of target:\nlib.fake:2:3: thing = 1"


async def test_a_server_error_answer_is_reported(fake_ctx, ws):
    # The fake server has no hover: it answers with a JSON-RPC error, which the model reads.
    result = await call(LSPTool(), fake_ctx, operation="findReferences", filePath="lib.fake", line=1,
                        character=5)
    assert result.is_error
    assert result.content.startswith("LSP findReferences failed: textDocument/references failed")


# -- diagnostics after an edit ----------------------------------------------------------------


async def test_edit_hook_appends_new_diagnostics(lsp_ctx, project):
    edit = EditTool()
    (project / "util.py").read_text()
    lsp_ctx.files.record(project / "util.py", (project / "util.py").read_bytes())
    params = edit.parse({"file_path": str(project / "util.py"), "old_string": "return x * 2",
                         "new_string": "return x * factor"})
    result = await edit.run(params, lsp_ctx)
    assert not result.is_error
    began = time.monotonic()
    with_diags = await with_edit_diagnostics(edit, params, lsp_ctx, result)
    took = time.monotonic() - began
    assert with_diags.content.startswith(result.content)
    assert with_diags.content.endswith(f"\n\n{HEADING}\n10:16: error: undefined name 'factor' [pyflakes]")
    assert took < 5, f"diagnostics after the edit took {took:.1f} s"
    # A clean edit appends nothing.
    params = edit.parse({"file_path": str(project / "util.py"), "old_string": "return x * factor",
                         "new_string": "return x * 3"})
    result = await edit.run(params, lsp_ctx)
    assert (await with_edit_diagnostics(edit, params, lsp_ctx, result)).content == result.content
    # Reads and failed edits are left alone.
    failed = await edit.run(edit.parse({"file_path": str(project / "util.py"), "old_string": "nope",
                                        "new_string": "x"}), lsp_ctx)
    assert (await with_edit_diagnostics(edit, params, lsp_ctx, failed)) is failed


async def test_session_edit_result_carries_diagnostics(server, workspace, monkeypatch):
    # The session finds pylsp on PATH, as a person's installation would.
    monkeypatch.setenv("PATH", pylsp_dir() + os.pathsep + os.environ.get("PATH", ""))
    (workspace / "app.py").write_text("def main():\n    print('hi')\n")
    app = str(workspace / "app.py")
    server.add(
        sc.tool("Read", file_path=app),
        sc.tool("Edit", file_path=app, old_string="print('hi')", new_string="print(greeting)"),
        sc.tool("Write", file_path=str(workspace / "notes.txt"), content="no server for this\n"),
        sc.text("done"),
    )
    session = make_session(server, workspace, permission_mode="acceptEdits")
    rec = Recorder(session.bus)
    try:
        result = await session.run("edit app.py")
        assert result.outcome == "success", result
        finished = {e.tool: e for e in rec.of(ToolCallFinished)}
        assert f"{HEADING}\n2:11: error: undefined name 'greeting' [pyflakes]" in finished["Edit"].content
        assert HEADING not in finished["Write"].content
        running = session.ctx.lsp.running()
        assert len(running) == 1 and running[0].name == "pylsp"
        pid = running[0].pid
    finally:
        await session.close()
    assert not session.ctx.lsp.running()
    assert pid is not None and not Path(f"/proc/{pid}").exists() or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_lsp_is_a_core_read_only_tool():
    tool = next(t for t in core_tools() if t.name == "LSP")
    assert tool.read_only and tool.category == "read"
    schema = tool.spec().input_schema
    assert set(schema["required"]) == {"operation", "filePath"}
    assert "goToDefinition" in schema["properties"]["operation"]["enum"]
