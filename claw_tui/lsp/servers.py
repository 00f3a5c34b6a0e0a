"""Which language server serves which file.

Python files get ``pyright-langserver --stdio`` when it is on PATH, else ``pylsp``.
Every other language comes from settings, as a mapping of file extension to the
command that starts its server over stdio::

    {"lsp": {"servers": {".rs": ["rust-analyzer"],
                         ".go": ["gopls"],
                         ".ts": ["typescript-language-server", "--stdio"],
                         ".py": ["basedpyright-langserver", "--stdio"]}}}

A configured extension wins over the built-in choice (so ``.py`` can be pointed at
another server). :class:`ServerRegistry` takes the ``servers`` mapping as it is;
reading it out of the settings files is the settings loader's job.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The languageId servers expect in didOpen, by extension.
LANGUAGE_IDS: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".rs": "rust", ".go": "go",
    ".ts": "typescript", ".tsx": "typescriptreact", ".mts": "typescript", ".cts": "typescript",
    ".js": "javascript", ".jsx": "javascriptreact", ".mjs": "javascript", ".cjs": "javascript",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp",
    ".java": "java", ".kt": "kotlin", ".kts": "kotlin", ".scala": "scala", ".cs": "csharp",
    ".rb": "ruby", ".php": "php", ".swift": "swift", ".lua": "lua", ".zig": "zig",
    ".ex": "elixir", ".exs": "elixir", ".erl": "erlang", ".hs": "haskell", ".ml": "ocaml",
    ".dart": "dart", ".sh": "shellscript", ".bash": "shellscript",
    ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml",
    ".html": "html", ".css": "css", ".scss": "scss", ".vue": "vue", ".svelte": "svelte",
}

PYTHON_EXTENSIONS = (".py", ".pyi")

# Files that mark the root of a project, looked for from a file's folder upwards.
ROOT_MARKERS = (
    "pyproject.toml", "setup.py", "setup.cfg", "pyrightconfig.json",
    "Cargo.toml", "go.mod", "package.json", "tsconfig.json", "deno.json",
    "pom.xml", "build.gradle", "build.gradle.kts", "Gemfile", "composer.json", "mix.exs",
    "compile_commands.json", ".git",
)


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """A server to start: its command (the first word resolved on the search path)."""

    command: tuple[str, ...]
    language_id: str

    @property
    def name(self) -> str:
        return Path(self.command[0]).name


class ServerRegistry:
    """Chooses the server for a file from the built-in default and configured servers.

    ``servers`` maps an extension (".rs", with or without the dot) to a command list.
    ``search_path`` is where commands are looked for (PATH's format); None reads
    PATH at each lookup, so a server installed mid-session is found.
    """

    def __init__(
        self, servers: Mapping[str, Sequence[str]] | None = None, *, search_path: str | None = None
    ) -> None:
        self.configured: dict[str, tuple[str, ...]] = {}
        for ext, command in (servers or {}).items():
            if isinstance(command, str) or not command or not all(isinstance(w, str) and w for w in command):
                raise ValueError(
                    f"lsp.servers[{ext!r}] must be a non-empty list of strings (the command and its "
                    f"arguments), e.g. [\"rust-analyzer\"]; got {command!r}"
                )
            self.configured[_normal_ext(ext)] = tuple(command)
        self.search_path = search_path

    def which(self, program: str) -> str | None:
        path = self.search_path if self.search_path is not None else os.environ.get("PATH", "")
        if os.sep in program:
            return program if os.access(program, os.X_OK) and os.path.isfile(program) else None
        return shutil.which(program, path=path) if path else None

    def language_id(self, path: Path) -> str:
        ext = path.suffix.lower()
        return LANGUAGE_IDS.get(ext, ext.lstrip(".") or "plaintext")

    def knows(self, path: Path) -> bool:
        """Whether any server is meant for this kind of file (installed or not)."""
        ext = path.suffix.lower()
        return ext in self.configured or ext in PYTHON_EXTENSIONS

    def spec_for(self, path: Path) -> ServerSpec | None:
        """The server for ``path`` if one is configured or built in AND installed."""
        ext = path.suffix.lower()
        language_id = self.language_id(path)
        if ext in self.configured:
            command = self.configured[ext]
            exe = self.which(command[0])
            return ServerSpec((exe, *command[1:]), language_id) if exe else None
        if ext in PYTHON_EXTENSIONS:
            for command in (("pyright-langserver", "--stdio"), ("pylsp",)):
                exe = self.which(command[0])
                if exe:
                    return ServerSpec((exe, *command[1:]), language_id)
        return None

    def missing_message(self, path: Path) -> str:
        """Why there is no server for ``path``, and what to install or configure."""
        ext = path.suffix.lower()
        example = '{"lsp": {"servers": {"%s": ["<server command>", "<args>"]}}}' % (ext or ".ext")
        if ext in self.configured:
            command = " ".join(self.configured[ext])
            return (
                f"The language server configured for {ext} files ({command}) is not installed: "
                f"{self.configured[ext][0]!r} was not found on PATH. Install it, or change lsp.servers in settings."
            )
        if ext in PYTHON_EXTENSIONS:
            return (
                "No language server for Python is installed: neither pyright-langserver nor pylsp is on PATH. "
                "Install one (`npm install -g pyright`, or `pip install 'python-lsp-server[pyflakes]'`), "
                f"or configure another in settings: {example}."
            )
        kind = f"{ext} files" if ext else f"{path.name} (a file without an extension)"
        return f"No language server is configured for {kind}. Configure one in settings: {example}."


def servers_from_settings(settings: Any) -> tuple[dict[str, list[str]], list[str]]:
    """The ``lsp.servers`` mapping merged over settings layers (a later layer wins per
    extension), and a problem line for each entry that is not a command list.

    Reads the layers duck-typed (``settings.layers[i].data`` with the file's unknown
    keys kept in ``model_extra``), so a settings model without an ``lsp`` field works.
    """
    merged: dict[str, list[str]] = {}
    problems: list[str] = []
    for layer in getattr(settings, "layers", None) or []:
        data = getattr(layer, "data", None)
        if data is None:
            continue
        lsp = getattr(data, "lsp", None)
        if lsp is None:
            lsp = (getattr(data, "model_extra", None) or {}).get("lsp")
        if lsp is None:
            continue
        servers = lsp.get("servers") if isinstance(lsp, dict) else None
        if not isinstance(servers, dict):
            problems.append(f"{getattr(layer, 'path', 'settings')}: lsp.servers must be an object of "
                            "extension → command list; ignored")
            continue
        for ext, command in servers.items():
            if isinstance(command, list) and command and all(isinstance(w, str) and w for w in command):
                merged[_normal_ext(str(ext))] = list(command)
            else:
                problems.append(f"{getattr(layer, 'path', 'settings')}: lsp.servers[{ext!r}] must be a "
                                f"non-empty list of strings (the command and its arguments); ignored")
    return merged, problems


def _normal_ext(ext: str) -> str:
    ext = ext.strip().lower()
    return ext if ext.startswith(".") else "." + ext


def find_root(path: Path, workspace: Path) -> Path:
    """The project root for ``path``: the nearest folder holding a project marker,
    looked for upwards from the file but not above ``workspace`` when the file is in
    it; ``workspace`` itself when none is found there. Outside the workspace the
    search goes up to /, and falls back to the file's own folder."""
    folder = path.parent
    inside = is_within(folder, workspace)
    current = folder
    while True:
        if any((current / marker).exists() for marker in ROOT_MARKERS):
            return current
        if inside and current == workspace:
            return workspace
        if current.parent == current:
            return folder
        current = current.parent


def is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False
