"""Paths are resolved to what the kernel would touch before any rule or workspace check
(claw_tui/permissions/paths.py), and deny rules match whatever form the model uses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from claw_tui.bus import EventBus
from claw_tui.permissions.paths import PathPattern, ProtectedPaths, lexical, resolve
from claw_tui.permissions.policy import PermissionPolicy
from claw_tui.permissions.rules import parse_rule
from claw_tui.tools.base import ShellState, ToolContext
from claw_tui.tools.filestate import FileStateRegistry
from claw_tui.tools.registry import default_registry


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path.resolve()
    monkeypatch.setenv("HOME", str(root))
    ws, out = root / "ws", root / "out"
    (ws / "sub").mkdir(parents=True)
    out.mkdir()
    (ws / ".env").write_text("SECRET=s3\n")
    (ws / "sub" / "code.py").write_text("x = 'SECRET'\n")
    (out / "target.txt").write_text("outside\n")
    (ws / "out_link").symlink_to(out)          # inside, pointing out
    (out / "in_link").symlink_to(ws)           # outside, pointing in
    (ws / "sub" / "up").symlink_to(ws.parent)  # a link to the workspace's parent
    return root, ws, out


# -- resolve ---------------------------------------------------------------------------------


def test_resolve_follows_symlinks_and_applies_dot_dot_after_them(tree):
    root, ws, out = tree
    assert resolve("out_link/target.txt", ws) == out / "target.txt"
    assert resolve(f"{out}/in_link/.env", ws) == ws / ".env"
    # The kernel applies '..' to the link's target: out_link/.. is out's parent, not ws.
    assert resolve("out_link/../ws/.env", ws) == ws / ".env"
    assert resolve("out_link/..", ws) == out.parent
    assert resolve("sub/up/out/target.txt", ws) == out / "target.txt"


def test_a_file_that_does_not_exist_yet_resolves_through_its_nearest_parent(tree):
    _, ws, out = tree
    assert resolve("out_link/new/deeper/file.txt", ws) == out / "new" / "deeper" / "file.txt"
    assert resolve("sub/new.txt", ws) == ws / "sub" / "new.txt"
    (ws / "dangling").symlink_to(out / "not-yet")
    assert resolve("dangling", ws) == out / "not-yet"


def test_relative_absolute_tilde_and_dot_dot_forms(tree):
    root, ws, out = tree
    forms = [".env", "./.env", "sub/../.env", f"{ws}/.env", f"{ws}//.env", "~/ws/.env", "../ws/.env",
             "sub/./.././.env", f"{out}/in_link/.env", "out_link/../ws/.env"]
    assert {resolve(f, ws) for f in forms} == {ws / ".env"}
    assert resolve("../../out/target.txt", ws / "sub") == out / "target.txt"
    assert lexical("out_link/../x", ws) == ws / "x"  # the form as written: only ever used to deny more
    with pytest.raises(ValueError):
        resolve("a\x00b", ws)


def test_a_symlink_loop_does_not_hang(tree):
    _, ws, _ = tree
    (ws / "loop1").symlink_to(ws / "loop2")
    (ws / "loop2").symlink_to(ws / "loop1")
    assert resolve("loop1/x", ws).name == "x"


# -- patterns --------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "path", "hit"), [
    ("./.env", ".env", True), ("./.env", "sub/.env", False), (".env", "sub/.env", True),
    ("/.env", ".env", True), ("sub/**", "sub/code.py", True), ("sub/**", "sub", False),
    ("*.py", "sub/code.py", True), ("//{ws}/sub/*.py", "sub/code.py", True), ("~/ws/.env", ".env", True),
    ("./sub/*.py", "sub/deeper/code.py", False), ("./**", "sub/code.py", True),
])
def test_rule_path_syntax(tree, spec, path, hit):
    _, ws, _ = tree
    pattern = PathPattern(spec.replace("{ws}", str(ws)), ws)
    assert pattern.matches(ws / path, is_dir=False) is hit


def test_a_rule_written_through_a_symlink_also_matches_its_target(tree):
    _, ws, out = tree
    pattern = PathPattern(f"//{out}/in_link/.env", ws)
    assert pattern.matches(ws / ".env")
    # …but an allow rule never follows its own symlinks.
    allow = PathPattern("./out_link/**", ws)
    assert allow.matches(ws / "out_link" / "target.txt")
    assert not allow.matches(out / "target.txt", through_links=False)


# -- Read(./.env) against every form, in Bash and in the file tools -----------------------------


def policy(ws: Path, *deny: str, mode: str = "default", allow: tuple[str, ...] = ()) -> PermissionPolicy:
    return PermissionPolicy(ws, mode=mode, deny=[parse_rule(d) for d in deny], allow=[parse_rule(a) for a in allow])


def ctx_for(ws: Path, p: PermissionPolicy, cwd: Path | None = None) -> ToolContext:
    return ToolContext(workspace=ws, bus=EventBus(), files=FileStateRegistry(), shell=ShellState(str(cwd or ws)),
                       read_denied=p.read_denied)


def decide(p: PermissionPolicy, ctx: ToolContext, tool: str, **raw):
    t = default_registry().get(tool)
    params = t.parse(raw)
    return p.check(t, params, t.paths(params, ctx))


@pytest.mark.parametrize("command", [
    "cat .env", "cat ./.env", "cat $PWD/.env", "cat ${PWD}/.env", "head -1 .env", "tail -n1 .env",
    "grep x .env", "rg SECRET .env", "sed -n 1p .env", "awk 1 .env", "cat sub/../.env", "cat ~/ws/.env",
    "cat $HOME/ws/.env", "cat out_link/in_link/.env", "cat .en?", "cat .e*", "cat .{env,x}", "less .env",
    "cp .env /tmp/x", "base64 .env", "xxd .env", "cd sub && cat ../.env", "grep -r SECRET .",
    "rg SECRET", "nl .env", "sort .env", "diff .env /dev/null",
])
async def test_read_deny_covers_the_file_arguments_of_reading_commands(tree, command):
    _, ws, _ = tree
    p = policy(ws, "Read(./.env)", mode="bypassPermissions", allow=("Bash",))
    v = decide(p, ctx_for(ws, p), "Bash", command=command)
    assert v.behavior in ("deny", "ask"), (command, v)
    if "?" not in command and "{" not in command and "*" not in command:
        assert v.behavior == "deny", (command, v)


async def test_relative_paths_are_relative_to_the_agents_cwd(tree):
    _, ws, _ = tree
    (ws / "sub" / ".env").write_text("other\n")
    p = policy(ws, "Read(./.env)", mode="bypassPermissions")
    in_sub = ctx_for(ws, p, cwd=ws / "sub")
    assert decide(p, in_sub, "Bash", command="cat .env").behavior == "allow"  # sub/.env: not the denied one
    assert decide(p, in_sub, "Bash", command="cat ../.env").behavior == "deny"
    assert decide(p, in_sub, "Read", file_path="../.env").behavior == "deny"
    assert decide(p, in_sub, "Read", file_path=".env").behavior == "allow"


@pytest.mark.parametrize("path", [".env", "./.env", "{ws}/.env", "sub/../.env", "~/ws/.env", "{out}/in_link/.env"])
@pytest.mark.parametrize("tool", ["Read", "NotebookRead", "Grep"])
async def test_read_deny_covers_every_form_in_the_file_tools(tree, tool, path):
    _, ws, out = tree
    p = policy(ws, "Read(./.env)")
    path = path.replace("{ws}", str(ws)).replace("{out}", str(out))
    raw = {"Read": {"file_path": path}, "NotebookRead": {"notebook_path": path},
           "Grep": {"pattern": "SECRET", "path": path}}[tool]
    assert decide(p, ctx_for(ws, p), tool, **raw).behavior == "deny"


async def test_grep_glob_and_ls_never_show_a_denied_file(tree):
    _, ws, _ = tree
    (ws / "sub" / "env_link").symlink_to(ws / ".env")
    p = policy(ws, "Read(./.env)")
    ctx = ctx_for(ws, p)
    reg = default_registry()
    grep = await reg.get("Grep").run(reg.get("Grep").parse({"pattern": "SECRET", "output_mode": "content"}), ctx)
    assert "s3" not in grep.content and ".env" not in grep.content
    assert "sub/code.py" in grep.content  # the rest is still searched
    globbed = await reg.get("Glob").run(reg.get("Glob").parse({"pattern": "**/*env*"}), ctx)
    assert ".env" not in globbed.content and "env_link" not in globbed.content
    listed = await reg.get("LS").run(reg.get("LS").parse({"path": "."}), ctx)
    assert "- .env" not in listed.content and "code.py" in listed.content
    # Without the rule the same calls do show it: the filter is what hides it.
    open_ctx = ctx_for(ws, policy(ws))
    shown = await reg.get("Grep").run(reg.get("Grep").parse({"pattern": "SECRET", "output_mode": "content"}),
                                      open_ctx)
    assert "s3" in shown.content


async def test_grep_fallback_backend_filters_too(tree):
    _, ws, _ = tree
    from claw_tui.tools.grep import GrepTool

    p = policy(ws, "Read(./.env)")
    tool = GrepTool()
    tool.use_ripgrep = False
    result = await tool.run(tool.parse({"pattern": "SECRET", "output_mode": "content"}), ctx_for(ws, p))
    assert "s3" not in result.content and "code.py" in result.content


def test_a_hard_link_to_a_denied_file_is_denied_too(tree):
    _, ws, _ = tree
    os.link(ws / ".env", ws / "sub" / "innocent.txt")
    p = policy(ws, "Read(./.env)")
    assert decide(p, ctx_for(ws, p), "Read", file_path="sub/innocent.txt").behavior == "deny"
    assert p.read_denied(ws / "sub" / "innocent.txt")


# -- workspace boundaries --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["out_link/new.txt", "out_link/sub/new.txt", "../out/new.txt", "{out}/new.txt",
                                  "~/out/new.txt", "sub/up/out/new.txt"])
def test_writes_through_an_escape_are_outside_the_workspace(tree, path):
    _, ws, out = tree
    p = policy(ws, mode="acceptEdits")
    v = decide(p, ctx_for(ws, p), "Write", file_path=path.replace("{out}", str(out)), content="x")
    assert v.behavior == "ask" and "outside the workspace" in v.reason


def test_a_symlink_outside_pointing_in_is_inside(tree):
    _, ws, out = tree
    p = policy(ws, mode="acceptEdits")
    v = decide(p, ctx_for(ws, p), "Write", file_path=f"{out}/in_link/sub/new.py", content="x")
    assert v.behavior == "allow", v


def test_additional_directories_count_as_inside(tree):
    _, ws, out = tree
    p = PermissionPolicy(ws, mode="acceptEdits", extra_dirs=(out,))
    assert decide(p, ctx_for(ws, p), "Write", file_path="out_link/new.txt", content="x").behavior == "allow"
    assert decide(p, ctx_for(ws, p), "Write", file_path=f"{out}/.git/hooks/x", content="x").behavior == "ask"


def test_protected_paths_list_their_reasons_and_follow_symlinks(tree):
    _, ws, out = tree
    (ws / ".claw").mkdir()
    (out / "elsewhere").mkdir()
    (ws / ".claude").symlink_to(out / "elsewhere")
    prot = ProtectedPaths((ws,))
    assert prot.why(ws / ".claw" / "settings.json")
    assert prot.why(out / "elsewhere" / "settings.json")  # .claude's real location
    assert prot.why(ws / "sub" / "code.py") is None
    assert prot.inside(ws) and prot.inside(ws / "sub") is None


def test_a_hooks_path_set_during_the_session_is_protected_from_then_on(tree):
    import subprocess

    _, ws, _ = tree
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    prot = ProtectedPaths((ws,))
    assert prot.why(ws / "myhooks" / "pre-commit") is None
    subprocess.run(["git", "-C", str(ws), "config", "core.hooksPath", "myhooks"], check=True)
    assert "core.hooksPath" in (prot.why(ws / "myhooks" / "pre-commit") or "")


async def test_git_diff_and_show_of_the_whole_repo_leave_out_read_denied_files(workspace):
    """Read(./.env) keeps .env out of a diff over the whole repository too, not only out of Read."""
    import subprocess

    from claw_tui.tools.git_diff import GitDiffTool
    from claw_tui.tools.git_show import GitShowTool
    from tests.conftest import make_session
    from tests.tools._helpers import call

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=workspace, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "T")
    (workspace / ".env").write_text("API_TOKEN=first\n")
    (workspace / "app.py").write_text("x = 1\n")
    git("add", "-A")
    git("commit", "-qm", "first")
    (workspace / ".env").write_text("API_TOKEN=second-secret\n")
    (workspace / "app.py").write_text("x = 2\n")
    git("commit", "-qam", "second")
    (workspace / ".env").write_text("API_TOKEN=third-secret\n")

    class NoServer:
        base_url = openai_base_url = "http://127.0.0.1:9"

    session = make_session(NoServer(), workspace, disallowed_tools=["Read(./.env)"])
    ctx = session.ctx.for_call("c1")
    diff = await call(GitDiffTool(), ctx, ref="HEAD~1")
    assert "x = 2" in diff.content and "second-secret" not in diff.content and "third-secret" not in diff.content
    assert "left out: a Read deny rule covers them (.env)" in diff.content
    shown = await call(GitShowTool(), ctx, ref="HEAD")
    assert "x = 2" in shown.content and "second-secret" not in shown.content
    assert ".env |" not in shown.content
    await session.close()
