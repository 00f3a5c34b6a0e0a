"""Grep: search file contents with a regular expression.

ripgrep does the searching when it is installed; otherwise a Python fallback
walks the same files and the two are formatted by the same code, so the model
sees the same answer either way. ripgrep's behaviour is the reference, and the
fallback copies it:

- ignore files: .gitignore (also outside a git repo, and from the directories
  above the search path), .git/info/exclude, .ignore and .rgignore (walk.py);
- ``glob`` is an rg ``--glob``: gitignore syntax plus braces, relative to the
  searched directory; '!' excludes; it beats the ignore files for the paths it names;
- symlinks met while walking are not followed (a symlink named as ``path`` is);
- a file with a NUL byte is binary and skipped while walking, but searched when
  named as ``path`` (a person asked for that file);
- a BOM selects UTF-8/UTF-16 decoding; other bytes are read as UTF-8;
- lines end at \n: '$' does not match before the \r of a CRLF line (no --crlf).
"""

from __future__ import annotations

import asyncio
import codecs
import json
import os
import re
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from wcmatch import glob as wc

from claw_tui.tools.base import Tool, ToolContext, ToolInput, ToolResult
from claw_tui.tools.walk import walk_files

MAX_LINE_CHARS = 500
MAX_FILE_BYTES = 20 * 1024 * 1024

# File types by name, for both backends (rg gets them as globs so both agree).
FILE_TYPES: dict[str, list[str]] = {
    "py": ["*.py", "*.pyi"],
    "python": ["*.py", "*.pyi"],
    "js": ["*.js", "*.jsx", "*.mjs", "*.cjs"],
    "ts": ["*.ts", "*.tsx", "*.mts", "*.cts"],
    "typescript": ["*.ts", "*.tsx", "*.mts", "*.cts"],
    "rust": ["*.rs"],
    "go": ["*.go"],
    "java": ["*.java"],
    "kotlin": ["*.kt", "*.kts"],
    "c": ["*.c", "*.h"],
    "cpp": ["*.cpp", "*.cc", "*.cxx", "*.hpp", "*.hh", "*.hxx", "*.h"],
    "cs": ["*.cs"],
    "rb": ["*.rb"],
    "ruby": ["*.rb"],
    "php": ["*.php"],
    "swift": ["*.swift"],
    "sh": ["*.sh", "*.bash", "*.zsh"],
    "html": ["*.html", "*.htm"],
    "css": ["*.css", "*.scss", "*.sass", "*.less"],
    "json": ["*.json"],
    "yaml": ["*.yaml", "*.yml"],
    "toml": ["*.toml"],
    "md": ["*.md", "*.markdown"],
    "markdown": ["*.md", "*.markdown"],
    "sql": ["*.sql"],
    "txt": ["*.txt"],
    "xml": ["*.xml"],
}


class GrepInput(ToolInput):
    pattern: str = Field(description="The regular expression pattern to search for in file contents")
    path: str | None = Field(default=None, description="File or directory to search in. Defaults to the cwd.")
    glob: str | None = Field(default=None, description='Glob pattern to filter files (e.g. "*.js", "*.{ts,tsx}")')
    type: str | None = Field(default=None, description="File type to search (e.g. py, js, rust, go, java)")
    output_mode: Literal["content", "files_with_matches", "count"] = Field(
        default="files_with_matches",
        description='"content" shows matching lines, "files_with_matches" (default) file paths, "count" match counts',
    )
    case_insensitive: bool = Field(default=False, alias="-i", description="Case insensitive search")
    line_numbers: bool = Field(default=True, alias="-n", description="Show line numbers (content mode)")
    after: int | None = Field(default=None, ge=0, alias="-A", description="Lines to show after each match")
    before: int | None = Field(default=None, ge=0, alias="-B", description="Lines to show before each match")
    context: int | None = Field(default=None, ge=0, alias="-C", description="Lines to show before and after")
    multiline: bool = Field(default=False, description="Let patterns span lines; . matches newlines")
    head_limit: int | None = Field(default=None, ge=1, description="Only the first N lines/entries of output")


@dataclass
class FileHits:
    path: Path
    # (line number, text, is_match) in line order; context lines have is_match False
    lines: list[tuple[int, str, bool]] = field(default_factory=list)
    count: int = 0


@dataclass
class Search:
    pattern: str
    root: Path
    globs: list[str]
    mode: str
    ignore_case: bool
    before: int
    after: int
    multiline: bool


def find_rg() -> str | None:
    exe = shutil.which("rg")
    if exe:
        return exe
    local = Path(sys.prefix) / "bin" / "rg"
    return str(local) if local.exists() else None


# rg globs are case-sensitive on every OS (wcmatch's default follows the OS).
_GLOB_FLAGS = wc.GLOBSTAR | wc.BRACE | wc.DOTGLOB | wc.CASE


@dataclass(frozen=True)
class _Glob:
    pattern: str
    exclude: bool  # written with a leading '!'
    anchored: bool  # has a '/' before its end: matched against the path, else the name
    dirs_only: bool  # ends in '/'


class GlobOverrides:
    """ripgrep's ``--glob`` rules, for the fallback: each glob is a gitignore line
    whose meaning is flipped (a plain glob includes, '!glob' excludes), matched
    relative to the searched directory; the last glob that matches a path decides;
    when any glob includes, a file no glob matches is left out (directories are
    still entered). wcmatch does the matching because gitignore libraries have no
    braces ('*.{ts,tsx}'), which rg globs allow."""

    def __init__(self, globs: list[str]) -> None:
        self.globs: list[_Glob] = []
        for raw in globs:
            exclude = raw.startswith("!")
            body = raw[1:] if exclude else raw
            dirs_only = body.endswith("/")
            body = body.rstrip("/")
            if not body:
                continue
            anchored = "/" in body
            self.globs.append(_Glob(body.lstrip("/"), exclude, anchored, dirs_only))
        self.any_include = any(not g.exclude for g in self.globs)

    def __call__(self, rel: str, is_dir: bool) -> bool | None:
        verdict: bool | None = None
        name = rel.rsplit("/", 1)[-1]
        for g in self.globs:
            if g.dirs_only and not is_dir:
                continue
            if wc.globmatch(rel if g.anchored else name, g.pattern, flags=_GLOB_FLAGS):
                verdict = not g.exclude
        if verdict is None and self.any_include and not is_dir:
            return False
        return verdict

    def __bool__(self) -> bool:
        return bool(self.globs)


# -- ripgrep backend -----------------------------------------------------------


async def search_rg(rg: str, s: Search) -> list[FileHits]:
    # .ignore and .rgignore are honoured as plain rg (and so Claude Code's Grep) does;
    # the global gitignore is not: it is this machine's, not the project's.
    args = [rg, "--no-config", "--hidden", "--no-require-git", "--no-ignore-global",
            "--glob", "!.git", "--no-messages"]
    if s.ignore_case:
        args.append("-i")
    if s.multiline:
        args += ["-U", "--multiline-dotall"]
    for g in s.globs:
        args += ["--glob", g]
    if s.mode == "files_with_matches":
        args += ["--files-with-matches"]
    elif s.mode == "count":
        args += ["--count-matches", "--with-filename", "--null"]
    else:
        args += ["--json"]
        if s.before:
            args += ["-B", str(s.before)]
        if s.after:
            args += ["-A", str(s.after)]
    args += ["--regexp", s.pattern, "--", str(s.root)]
    # rg matches a glob that has a '/' ('src/*.py') relative to its working directory,
    # and matches nothing when the searched path lies elsewhere: run it in the
    # searched directory so globs are relative to it, as the fallback's are.
    cwd = s.root if s.root.is_dir() else s.root.parent
    try:
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
            cwd=cwd,
        )
    except OSError as exc:
        raise ValueError(f"cannot search {s.root}: {exc.strerror or exc}") from exc
    try:
        out, err = await proc.communicate()
    except BaseException:
        if proc.returncode is None:
            proc.kill()
        raise
    if proc.returncode not in (0, 1):
        raise ValueError(err.decode(errors="replace").strip() or f"rg exited with {proc.returncode}")
    text = out.decode("utf-8", errors="replace")
    if s.mode == "files_with_matches":
        return [FileHits(Path(line)) for line in text.splitlines() if line]
    if s.mode == "count":
        hits = []
        for line in text.splitlines():
            path, _, count = line.partition("\0")
            hits.append(FileHits(Path(path), count=int(count or 0)))
        return hits
    by_path: dict[str, FileHits] = {}
    for line in text.splitlines():
        ev = json.loads(line)
        kind = ev["type"]
        if kind not in ("match", "context"):
            continue
        data = ev["data"]
        path = _rg_text(data["path"])
        hits = by_path.setdefault(path, FileHits(Path(path)))
        body = _rg_text(data["lines"])
        parts = body.split("\n")
        if parts and parts[-1] == "":
            parts.pop()
        for i, part in enumerate(parts):
            hits.lines.append((data["line_number"] + i, part.rstrip("\r"), kind == "match"))
        if kind == "match":
            hits.count += 1
    return list(by_path.values())


def _rg_text(obj: dict[str, Any]) -> str:
    if "text" in obj:
        return obj["text"]
    import base64

    return base64.b64decode(obj.get("bytes", "")).decode("utf-8", errors="replace")


# -- Python backend ------------------------------------------------------------


def search_python(s: Search) -> list[FileHits]:
    flags = re.IGNORECASE if s.ignore_case else 0
    if s.multiline:
        flags |= re.MULTILINE | re.DOTALL
    try:
        regex = re.compile(s.pattern, flags)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from exc
    # A path named explicitly is searched whatever it is (globs, ignore files and
    # binary detection are for what the walk finds), as rg does.
    explicit = not s.root.is_dir()
    if explicit:
        files: Iterable[Path] = [s.root]
    else:
        overrides = GlobOverrides(s.globs)
        files = walk_files(s.root, include_symlinks=False, overrides=overrides or None)
    results: list[FileHits] = []
    for path in files:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        text = decode_like_rg(data)
        if not explicit and "\0" in text:
            # As rg: a NUL byte makes a file binary, and binary files met while walking
            # are skipped. (rg decides per buffer, so in a file of many megabytes a
            # match before the first NUL can still show there; not here.)
            continue
        hits = _search_text(regex, text, s)
        if hits is not None:
            hits.path = path
            results.append(hits)
    return results


def decode_like_rg(data: bytes) -> str:
    """Text as rg reads it: a BOM picks UTF-8 or UTF-16 (and is dropped), anything
    else is UTF-8 with bad bytes replaced."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


def _search_text(regex: re.Pattern[str], text: str, s: Search) -> FileHits | None:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    matched: set[int] = set()
    count = 0
    if s.multiline:
        starts = [0]
        for ln in lines:
            starts.append(starts[-1] + len(ln) + 1)
        import bisect

        for m in regex.finditer(text):
            if m.start() == m.end() and m.start() >= len(text):
                continue
            count += 1
            first = bisect.bisect_right(starts, m.start()) - 1
            last = bisect.bisect_right(starts, max(m.start(), m.end() - 1)) - 1
            matched.update(range(first, min(last, len(lines) - 1) + 1))
    else:
        for i, ln in enumerate(lines):
            # The line keeps a CRLF's \r, as in rg: '$' does not match before it.
            found = regex.findall(ln) if s.mode == "count" else regex.search(ln)
            if found:
                matched.add(i)
                count += len(found) if s.mode == "count" else 1
    if not matched:
        return None
    hits = FileHits(Path(), count=count)
    if s.mode != "content":
        return hits
    show: dict[int, bool] = {}
    for i in sorted(matched):
        for j in range(max(0, i - s.before), min(len(lines), i + s.after + 1)):
            show.setdefault(j, False)
        show[i] = True
    hits.lines = [(i + 1, lines[i].rstrip("\r"), show[i]) for i in sorted(show)]
    return hits


# -- formatting ----------------------------------------------------------------


def _cut(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + " [... line truncated]"


def _mtime_desc(p: Path) -> tuple[float, str]:
    try:
        return (-p.stat().st_mtime, str(p))
    except OSError:
        return (0.0, str(p))


def format_results(hits: list[FileHits], s: Search, ctx: ToolContext, line_numbers: bool,
                   head_limit: int | None) -> tuple[str, str]:
    if s.mode == "files_with_matches":
        hits.sort(key=lambda h: _mtime_desc(h.path))
        rows = [ctx.display_path(h.path) for h in hits]
        total = len(rows)
        rows = rows[:head_limit] if head_limit else rows
        if not rows:
            return "No files found", "0 files"
        return f"Found {total} file{'s' if total != 1 else ''}\n" + "\n".join(rows), f"{total} files"
    hits.sort(key=lambda h: str(h.path))
    if s.mode == "count":
        rows = [f"{ctx.display_path(h.path)}:{h.count}" for h in hits]
        total = sum(h.count for h in hits)
        rows = rows[:head_limit] if head_limit else rows
        if not rows:
            return "No matches found", "0 matches"
        body = "\n".join(rows)
        return (f"{body}\n\nFound {total} total occurrence{'s' if total != 1 else ''} across "
                f"{len(hits)} file{'s' if len(hits) != 1 else ''}."), f"{total} matches"
    rows: list[str] = []
    for h in hits:
        shown = ctx.display_path(h.path)
        prev: int | None = None
        for number, text, is_match in h.lines:
            if prev is not None and number != prev + 1 and (s.before or s.after):
                rows.append("--")
            sep = ":" if is_match else "-"
            rows.append(f"{shown}{sep}{number}{sep}{_cut(text)}" if line_numbers else f"{shown}{sep}{_cut(text)}")
            prev = number
        if (s.before or s.after) and h is not hits[-1]:
            rows.append("--")
    matches = sum(h.count for h in hits)
    rows = rows[:head_limit] if head_limit else rows
    if not rows:
        return "No matches found", "0 matches"
    return "\n".join(rows), f"{matches} matches in {len(hits)} files"


class GrepTool(Tool):
    name = "Grep"
    category = "read"
    read_only = True
    Input = GrepInput
    description = (
        "A powerful search tool built on ripgrep.\n"
        "- Full regular expression syntax (e.g. \"log.*Error\", \"function\\s+\\w+\").\n"
        "- Filter files with glob (e.g. \"*.js\") or type (e.g. \"py\").\n"
        "- output_mode: \"content\" shows matching lines (with -A/-B/-C context and -n line numbers), "
        "\"files_with_matches\" (default) shows paths newest first, \"count\" shows counts.\n"
        "- Use multiline: true for patterns that span lines. Gitignored files are not searched."
    )
    # Set to False in tests to force the Python fallback.
    use_ripgrep: bool = True

    def summary(self, params: Any) -> str:
        return params.pattern + (f" in {params.path}" if params.path else "")

    async def run(self, params: GrepInput, ctx: ToolContext) -> ToolResult:
        root = ctx.resolve(params.path) if params.path else Path(ctx.cwd)
        if not root.exists():
            return ToolResult(f"Path does not exist: {root}", is_error=True, summary="not found")
        if params.type and params.type not in FILE_TYPES:
            return ToolResult(
                f"Unknown file type {params.type!r}. Known types: {', '.join(sorted(FILE_TYPES))}. "
                "Use glob for others.",
                is_error=True,
                summary="unknown type",
            )
        type_globs = FILE_TYPES[params.type] if params.type else []
        ctx_lines = params.context or 0
        s = Search(
            pattern=params.pattern,
            root=root,
            # Both given: search by the glob, then keep the files of the type.
            globs=[params.glob] if params.glob else type_globs,
            mode=params.output_mode,
            ignore_case=params.case_insensitive,
            before=params.before if params.before is not None else ctx_lines,
            after=params.after if params.after is not None else ctx_lines,
            multiline=params.multiline,
        )
        rg = find_rg() if self.use_ripgrep else None
        try:
            hits = await search_rg(rg, s) if rg else await asyncio.to_thread(search_python, s)
        except ValueError as exc:
            return ToolResult(f"Grep failed: {exc}", is_error=True, summary="error")
        if params.glob and type_globs:
            of_type = GlobOverrides(type_globs)
            hits = [h for h in hits if of_type(h.path.name, False)]
        if ctx.read_denied is not None:  # files Read deny rules cover are never searched or listed
            hits = [h for h in hits if not ctx.read_denied(h.path if h.path.is_absolute() else root / h.path)]
        text, summary = format_results(hits, s, ctx, params.line_numbers, params.head_limit)
        return ToolResult(text, summary=summary)
