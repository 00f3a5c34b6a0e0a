"""The line that says the conversation was compacted, with the summary behind it."""

from __future__ import annotations

from rich.markdown import Markdown as RichMarkdown
from textual.widgets import Collapsible, Static


class CompactionNotice(Collapsible):
    """⟳ what was summarised and what was kept; expands to the summary the model now works from."""

    def __init__(self, summary: str, title: str = "⟳ Earlier conversation compacted: the model continues from "
                                                   "this summary") -> None:
        self.summary = summary
        self.title_text = title
        super().__init__(Static(RichMarkdown(summary or "(empty summary)"), classes="compaction-summary"),
                         title=title, collapsed=True, classes="compaction-notice")
