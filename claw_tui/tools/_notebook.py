"""Jupyter notebooks for NotebookRead and NotebookEdit: parse, find cells, show them as text.

nbformat is imported lazily: it pulls in a JSON-schema validator that sessions which
never touch a notebook need not load.
"""

from __future__ import annotations

import base64
import binascii
import re
import warnings
from pathlib import Path
from typing import Any

# Notebooks carry images inline; past this the file is refused rather than parsed.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
# One output's text is cut past this (long logs, big reprs); the whole reading past MAX_RENDER_CHARS.
MAX_OUTPUT_CHARS = 8_000
MAX_RENDER_CHARS = 120_000

# Terminal escape sequences in tracebacks and coloured logs: CSI (colours, cursor), OSC
# (titles, hyperlinks) and the two-byte ones. Hand-written: it is one regular expression,
# and the rich/textual ANSI decoders must not be imported into tools/.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_INDEX_ID = re.compile(r"^cell-(\d+)$")
TEXT_MIMES = ("text/plain", "text/markdown", "text/latex")


class NotebookError(Exception):
    """A notebook cannot be read or edited as asked; the message says why."""


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def joined(value: Any) -> str:
    """Notebook text fields are a string or a list of lines."""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return "" if value is None else str(value)


def check_notebook_path(path: Path) -> None:
    if path.suffix.lower() != ".ipynb":
        raise NotebookError(f"{path} is not a Jupyter notebook (.ipynb file). Use Read or Edit for other files.")
    if path.is_dir():
        raise NotebookError(f"{path} is a directory.")
    if not path.exists():
        raise NotebookError(f"Notebook does not exist: {path}")


def read_notebook_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(
                f"{path} is {size // (1024 * 1024)} MB, more than the {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB "
                "a notebook may have here. Clear its outputs in Jupyter first."
            )
        return path.read_bytes()
    except OSError as exc:
        raise NotebookError(f"Cannot read {path}: {exc.strerror}") from None


def parse_notebook(text: str, path: Path) -> tuple[Any, int | None]:
    """The notebook as an nbformat v4 NotebookNode, and the major format it was converted
    from (None: it was v4 already).

    Not validated: a notebook with small schema errors can still be read.
    """
    import nbformat
    from nbformat import reader
    from nbformat.reader import NotJSONError

    try:
        nb = reader.reads(text)
        original = nb.get("nbformat")
        nb = nbformat.convert(nb, 4)
    except NotJSONError:
        raise NotebookError(f"{path} is not a notebook: its content is not JSON.") from None
    except Exception as exc:  # nbformat raises many kinds for a malformed notebook
        raise NotebookError(f"{path} is not a readable notebook: {type(exc).__name__}: {exc}") from None
    if not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{path} is not a readable notebook: it has no list of cells.")
    return nb, (original if original != 4 else None)


def cell_label(nb: Any, index: int) -> str:
    """The id the model should use for a cell: its own id, or ``cell-N`` when it has none
    (notebooks older than format 4.5 have no cell ids)."""
    cell_id = nb.cells[index].get("id")
    return str(cell_id) if cell_id else f"cell-{index}"


def find_cell(nb: Any, cell_id: str) -> int:
    """The index of the cell named ``cell_id``: its id, or ``cell-N`` / ``N`` for the N-th (0-based)."""
    for i, cell in enumerate(nb.cells):
        if cell.get("id") == cell_id:
            return i
    m = _INDEX_ID.match(cell_id)
    digits = m.group(1) if m else cell_id if cell_id.isdigit() else None
    if digits is not None:
        index = int(digits)
        if index < len(nb.cells):
            return index
        raise NotebookError(f"Cell {cell_id} does not exist: the notebook has {len(nb.cells)} cells "
                            f"(cell-0 to cell-{len(nb.cells) - 1}).")
    ids = [cell_label(nb, i) for i in range(min(len(nb.cells), 30))]
    more = ", …" if len(nb.cells) > 30 else ""
    listed = ", ".join(ids) + more if ids else "none: the notebook is empty"
    raise NotebookError(f'Cell "{cell_id}" not found. The cell ids are: {listed}.')


def validate(nb: Any) -> str | None:
    """Why ``nb`` is not a valid notebook, or None. May repair missing or duplicate cell ids
    in place, as Jupyter does when it saves."""
    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns when it repairs cell ids
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as exc:
            message = getattr(exc, "message", None) or str(exc)
            return str(message).split("\n\n", 1)[0].strip()
    return None


def dumps(nb: Any) -> str:
    """The notebook's JSON text as Jupyter writes it (one-space indent, sorted keys, final newline)."""
    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


# -- showing a notebook as text -----------------------------------------------------


def _cut(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [output truncated: {len(text) - limit:,} more characters]"


def _size(mime: str, value: Any) -> str:
    raw = joined(value)
    if mime == "image/svg+xml" or not mime.startswith("image/"):
        return f"{len(raw.encode('utf-8')):,} bytes"
    try:
        n = len(base64.b64decode("".join(raw.split()), validate=False))
    except (binascii.Error, ValueError):
        n = len(raw)
    return f"{n:,} bytes"


def render_mime_bundle(data: dict[str, Any]) -> list[str]:
    """A display_data / execute_result bundle: its text, and a one-line placeholder per image."""
    parts: list[str] = []
    text_mime = next((m for m in TEXT_MIMES if m in data), None)
    if text_mime is not None:
        parts.append(_cut(strip_ansi(joined(data[text_mime])).rstrip("\n")))
    for mime, value in data.items():
        if mime in TEXT_MIMES:
            continue
        if mime.startswith("image/"):
            parts.append(f"[{mime}, {_size(mime, value)}]")
        elif text_mime is None:
            # Only shown when there is no plain text version of the same result.
            parts.append(f"[{mime} output, {_size(mime, value)}]")
    return parts


def render_output(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        text = _cut(strip_ansi(joined(output.get("text"))).rstrip("\n"))
        return f"[stderr]\n{text}" if output.get("name") == "stderr" else text
    if kind == "error":
        head = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ")
        traceback = strip_ansi("\n".join(joined(line) for line in output.get("traceback") or []))
        return _cut(f"{head}\n{traceback}".rstrip("\n")) if traceback else head
    if kind in ("execute_result", "display_data"):
        parts = render_mime_bundle(output.get("data") or {})
        if kind == "execute_result" and output.get("execution_count") is not None and parts:
            parts[0] = f"Out[{output['execution_count']}]: {parts[0]}"
        return "\n".join(parts)
    return f"[{kind or 'unknown'} output]"


def render_cell(nb: Any, index: int) -> str:
    cell = nb.cells[index]
    kind = cell.get("cell_type", "?")
    attrs = f'index="{index}" id="{cell_label(nb, index)}" type="{kind}"'
    if kind == "code" and cell.get("execution_count") is not None:
        attrs += f' execution_count="{cell["execution_count"]}"'
    lines = [f"<cell {attrs}>", joined(cell.get("source")).rstrip("\n")]
    outputs = [o for o in (render_output(o) for o in cell.get("outputs") or []) if o]
    if outputs:
        lines.append("<outputs>")
        lines.extend(outputs)
        lines.append("</outputs>")
    lines.append("</cell>")
    return "\n".join(lines)


def notebook_header(nb: Any, shown_path: str) -> str:
    meta = nb.get("metadata") or {}
    kernel = (meta.get("kernelspec") or {}).get("name")
    language = (meta.get("language_info") or {}).get("name") or (meta.get("kernelspec") or {}).get("language")
    about = ", ".join(x for x in (f"kernel {kernel}" if kernel else "", language or "") if x)
    version = f"nbformat {nb.get('nbformat', 4)}.{nb.get('nbformat_minor', 0)}"
    count = len(nb.cells)
    return f"Notebook {shown_path}: {count} cell{'s' if count != 1 else ''}" + (f", {about}" if about else "") + \
        f" ({version})"


def render_notebook(nb: Any, shown_path: str, only: int | None = None) -> tuple[str, bool]:
    """The notebook (or one cell of it) as text the model reads; True if it was cut short."""
    parts = [notebook_header(nb, shown_path)]
    indices = [only] if only is not None else range(len(nb.cells))
    used = len(parts[0])
    for i in indices:
        block = render_cell(nb, i)
        if used + len(block) > MAX_RENDER_CHARS and only is None:
            parts.append(f"… [{len(nb.cells) - i} more cells not shown: the notebook is too long to show at once. "
                         f"Read them one by one with cell_id, starting at {cell_label(nb, i)}.]")
            return "\n\n".join(parts), True
        parts.append(block)
        used += len(block) + 2
    if only is None and not nb.cells:
        parts.append("(the notebook has no cells)")
    return "\n\n".join(parts), False
