"""The native clipboard, as the fallback to OSC 52.

OSC 52 (what Textual's ``copy_to_clipboard`` writes) reaches the clipboard of
the machine the terminal runs on, also over ssh, but some terminals ignore it
(macOS Terminal, tmux without ``set-clipboard``). So claw also hands the text
to the platform's own clipboard program when one is installed. pyperclip does
the same search, but it has no timeout (a wedged ``xclip`` waiting for an X
server would hang the copy) and blocks; this is a few lines with both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# (program, arguments), in the order they are tried.
_CANDIDATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pbcopy", ()),
    ("wl-copy", ()),
    ("xclip", ("-selection", "clipboard")),
    ("xsel", ("--clipboard", "--input")),
    ("clip.exe", ()),
    ("termux-clipboard-set", ()),
)


def native_copier() -> list[str] | None:
    """The command line that copies stdin to the clipboard here, or None."""
    for program, args in _CANDIDATES:
        if program == "pbcopy" and sys.platform != "darwin":
            continue
        if program == "wl-copy" and not os.environ.get("WAYLAND_DISPLAY"):
            continue
        if program in ("xclip", "xsel") and not os.environ.get("DISPLAY"):
            continue
        path = shutil.which(program)
        if path:
            return [path, *args]
    return None


def copy_native(text: str, timeout: float = 2.0) -> str | None:
    """Copy ``text`` with the native clipboard program. Returns its name, or None
    when there is none or it failed (OSC 52 was still sent)."""
    argv = native_copier()
    if argv is None:
        return None
    try:
        # wl-copy and xclip fork a server that keeps the selection; they must not
        # inherit our stdout, or they would hold the terminal.
        subprocess.run(argv, input=text.encode("utf-8"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=timeout, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return os.path.basename(argv[0])
