"""Memory files: the project's standing instructions, found and put into the system prompt.

Read, in this order (later, more specific files come later in the prompt):

- the user's own, from the user config dir: ``CLAW.md``, ``CLAUDE.md``, ``AGENTS.md``, ``rules/*.md``
- from the git root down to the working directory, in each directory:
  ``CLAW.md``, ``CLAUDE.md``, ``AGENTS.md``, the same names under ``.claw/`` and ``.claude/``,
  ``.claw/rules/*.md`` and ``.claude/rules/*.md``, then ``CLAW.local.md`` and ``CLAUDE.local.md``

A file may import others with ``@path`` (relative to the file, or ``~/…``), up to
five hops deep; an ``@`` inside inline code or a fenced code block is not an
import. Imports may only reach files inside the project (the git root) or the
user config dir: a memory file in a cloned repository must not be able to pull
``~/.ssh/id_rsa`` into the model's context.

Each file is cut at :data:`MAX_FILE_CHARS` and all of them together at
:data:`MAX_TOTAL_CHARS`; whatever is cut is reported in a notice.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from claw_tui.engine.session import Session

MAX_FILE_CHARS = 40_000
MAX_TOTAL_CHARS = 120_000
MAX_IMPORT_HOPS = 5
MEMORY_NAMES = ("CLAW.md", "CLAUDE.md", "AGENTS.md")
LOCAL_NAMES = ("CLAW.local.md", "CLAUDE.local.md")
RULE_DIRS = (".claw/rules", ".claude/rules")

Scope = Literal["user", "project", "local", "rule", "import"]

SCOPE_LABEL = {
    "user": "your private instructions for all projects",
    "project": "project instructions, checked into the codebase",
    "local": "your private instructions for this project",
    "rule": "a project rule",
    "import": "imported",
}

# @path: at the start or after whitespace/punctuation; not an e-mail address (word char before @).
_IMPORT = re.compile(r"(?:(?<=^)|(?<=[\s(\[{,;]))@((?:~/|\.{1,2}/|/)?[A-Za-z0-9_\-./~+]+)")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


@dataclass
class MemoryFile:
    path: Path
    scope: Scope
    text: str
    chars: int  # before any cut
    truncated: bool = False
    imported_by: Path | None = None
    depth: int = 0


@dataclass
class DiscoveredContext:
    files: list[MemoryFile] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def total_chars(self) -> int:
        return sum(len(f.text) for f in self.files)

    def render(self) -> str:
        if not self.files:
            return ""
        out = [
            "# Memory: instructions from CLAW.md / CLAUDE.md / AGENTS.md files",
            "Follow these instructions. They come from the person you work with and their project, and override "
            "the defaults above where they differ.",
        ]
        for f in self.files:
            label = SCOPE_LABEL[f.scope]
            if f.imported_by is not None:
                label = f"imported by {f.imported_by}"
            out += ["", f"Contents of {f.path} ({label}):", "", f.text.rstrip()]
        return "\n".join(out) + "\n"


def git_root(cwd: Path) -> Path | None:
    for d in (cwd, *cwd.parents):
        if (d / ".git").exists():
            return d
    return None


def _user_dir() -> Path:
    from claw_tui.settings import user_config_dir

    return user_config_dir()


def candidate_paths(cwd: Path, user_dir: Path | None = None) -> list[tuple[Path, Scope]]:
    """Every place a memory file may be, in prompt order (whether it exists or not)."""
    cwd = cwd.resolve()
    user_dir = user_dir if user_dir is not None else _user_dir()
    out: list[tuple[Path, Scope]] = [(user_dir / n, "user") for n in MEMORY_NAMES]
    out += [(p, "user") for p in _glob_md(user_dir / "rules")]
    root = git_root(cwd) or cwd
    dirs = [cwd] if root == cwd else [root, *reversed([d for d in cwd.parents if _within(d, root) and d != root]),
                                      cwd]
    for d in dirs:
        for sub in ("", ".claw", ".claude"):
            for name in MEMORY_NAMES:
                out.append(((d / sub / name) if sub else d / name, "project"))
        for rules in RULE_DIRS:
            out += [(p, "rule") for p in _glob_md(d / rules)]
        out += [(d / name, "local") for name in LOCAL_NAMES]
    return out


def _glob_md(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.glob("*.md") if p.is_file())
    except OSError:
        return []


def _within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def find_imports(text: str) -> list[str]:
    """The ``@path`` imports of a Markdown text, outside code spans and fenced blocks."""
    found: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        m = _FENCE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
            continue
        if fence is not None:
            continue
        line = _INLINE_CODE.sub(" ", line)
        for m in _IMPORT.finditer(line):
            token = m.group(1).rstrip(".,;:)]}")
            if token:
                found.append(token)
    return found


def _read_text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > limit // 2 else limit]


def discover_context(
    cwd: Path,
    *,
    user_dir: Path | None = None,
    max_file_chars: int = MAX_FILE_CHARS,
    max_total_chars: int = MAX_TOTAL_CHARS,
) -> DiscoveredContext:
    cwd = cwd.resolve()
    user_dir = (user_dir if user_dir is not None else _user_dir()).expanduser()
    root = git_root(cwd) or cwd
    allowed = [root.resolve(), user_dir.resolve() if user_dir.exists() else user_dir]
    result = DiscoveredContext()
    seen: set[str] = set()
    total = 0
    budget_hit = False

    def add(path: Path, scope: Scope, imported_by: Path | None, depth: int) -> None:
        nonlocal total, budget_hit
        real = os.path.realpath(path)
        if real in seen:
            return
        text = _read_text(path)
        if text is None:
            if imported_by is not None:
                result.notices.append(f"{imported_by} imports @{path}, which is not a readable text file; skipped")
            return
        seen.add(real)
        if not text.strip():
            return
        chars = len(text)
        entry = MemoryFile(path, scope if imported_by is None else "import", text, chars, imported_by=imported_by,
                           depth=depth)
        if chars > max_file_chars:
            entry.text = _cut(text, max_file_chars) + (
                f"\n\n[… cut here: claw reads at most {max_file_chars:,} characters of a memory file; "
                f"{chars - max_file_chars:,} more are not shown]")
            entry.truncated = True
            result.notices.append(f"{path} has {chars:,} characters; only the first {max_file_chars:,} are used")
        room = max_total_chars - total
        if room <= 0:
            budget_hit = True
            result.notices.append(f"{path} was left out: memory files may hold {max_total_chars:,} characters in "
                                  "all and that is used up")
            return
        if len(entry.text) > room:
            entry.text = _cut(entry.text, room) + "\n\n[… cut here: the memory files' total limit is reached]"
            entry.truncated = True
            result.notices.append(f"{path} was cut: memory files may hold {max_total_chars:,} characters in all")
        total += len(entry.text)
        result.files.append(entry)
        # Imports come right after the file that names them.
        for token in find_imports(text if not entry.truncated else entry.text):
            target = Path(os.path.expanduser(token))
            if not target.is_absolute():
                target = path.parent / target
            target = Path(os.path.normpath(target))
            looks_like_path = "/" in token or "." in token
            if not target.exists():
                if looks_like_path:
                    result.notices.append(f"{path} imports @{token}, which does not exist; skipped")
                continue
            if depth + 1 > MAX_IMPORT_HOPS:
                result.notices.append(f"{path} imports @{token}, but imports may go at most {MAX_IMPORT_HOPS} deep; "
                                      "skipped")
                continue
            real_target = Path(os.path.realpath(target))
            if not any(_within(real_target, a) for a in allowed):
                result.notices.append(f"{path} imports @{token}, which is outside the project and the claw config "
                                      "dir; not read")
                continue
            if not real_target.is_file():
                continue
            add(target, "import", path, depth + 1)

    for path, scope in candidate_paths(cwd, user_dir):
        if path.is_file():
            add(path, scope, None, 0)
    del budget_hit
    return result


def project_memory_file(workspace: Path) -> Path:
    """The file ``#`` notes, /memory edit and /init write: the first that exists of CLAW.md,
    CLAUDE.md, AGENTS.md (and their .claw/ and .claude/ places), else a new CLAW.md."""
    for sub in ("", ".claw", ".claude"):
        for name in MEMORY_NAMES:
            p = (workspace / sub / name) if sub else workspace / name
            if p.is_file():
                return p
    return workspace / "CLAW.md"


def memory_targets(workspace: Path) -> dict[str, Path]:
    """The files /memory edit can open, by name."""
    return {
        "project": project_memory_file(workspace),
        "local": workspace / "CLAW.local.md",
        "user": _user_dir() / "CLAW.md",
    }


def add_memory_note(path: Path, note: str) -> None:
    """Append ``note`` as a bullet to a memory file (created when missing)."""
    from claw_tui.tools._text import atomic_write

    note = " ".join(note.split())
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = ""
    if current and not current.endswith("\n"):
        current += "\n"
    if not current:
        current = "# Project memory\n\n"
    atomic_write(path, (current + f"- {note}\n").encode("utf-8"))


def refresh_system_prompt(session: Session) -> DiscoveredContext | None:
    """Read the memory files again and rebuild the main agent's system prompt from them."""
    from claw_tui.engine.system_prompt import build_system_prompt

    if session.config.system_prompt:
        return None  # --system-prompt replaces everything, memory included
    found = discover_context(session.workspace)
    session.agent.system_prompt = build_system_prompt(
        session.workspace, tool_names=session.tools.names(), model=session.model,
        append=session.config.append_system_prompt, context=found)
    session.memory_context = found  # type: ignore[attr-defined]
    return found
