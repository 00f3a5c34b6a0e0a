"""Helpers shared by the tools that read and write text files."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

BINARY_SNIFF = 8192
BINARY_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .webp .bmp .ico .pdf .zip .gz .tgz .bz2 .xz .7z .tar .jar .war "
    ".so .dylib .dll .exe .o .a .class .pyc .pyo .whl .wasm .mp3 .mp4 .mov .avi .ogg .wav "
    ".flac .woff .woff2 .ttf .otf .eot .sqlite .db .bin".split()
)


def looks_binary(path: Path, head: bytes) -> bool:
    return b"\0" in head[:BINARY_SNIFF] or path.suffix.lower() in BINARY_SUFFIXES


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def decode_strict(data: bytes, path: Path) -> str:
    """The text of a file that is about to be rewritten: a file that is not UTF-8 is
    refused rather than written back with its other bytes replaced."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path} is not valid UTF-8 (byte {exc.start}); editing it would damage it. "
            "Use Bash with a tool that keeps its encoding (e.g. iconv, sed) instead."
        ) from None


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` so that a crash leaves the old or the new file, never half of one.

    Through a symlink the file it points to is written and the link is kept.
    """
    path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.claw-tmp-{os.getpid()}")
    mode = None
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        pass
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def unified_diff(before: str | None, after: str | None, path: str, context: int = 3) -> str:
    a = (before or "").splitlines(keepends=True)
    b = (after or "").splitlines(keepends=True)
    lines = difflib.unified_diff(
        a, b, fromfile=f"a/{path}" if before is not None else "/dev/null", tofile=f"b/{path}", n=context
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def numbered(lines: list[str], first: int) -> str:
    """Lines in `cat -n` form, as coding models expect file contents."""
    return "\n".join(f"{n:6}\t{line}" for n, line in enumerate(lines, start=first))


def diff_stats(before: str | None, after: str | None) -> tuple[int, int]:
    """(lines added, lines removed) between two texts."""
    added = removed = 0
    for line in unified_diff(before, after, "f", context=0).splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed
