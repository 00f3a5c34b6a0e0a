"""The floor for claw's launch: a bare Textual app with a prompt and a footer, nothing of claw's.

bench_ui.py launches it in the same pseudo-terminal, in turn with claw, so that the launch
figure comes with what this machine, in that moment, takes to start Python and Textual at all
(it varies by half from hour to hour here: see RESULTS.md).
"""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Static, TextArea


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("bare")
        yield TextArea(placeholder="Ask the bare app  (/ for commands)")  # _pty.PROMPT_MARKER in it
        yield Footer()


if __name__ == "__main__":  # run as a file: nothing of claw's (or of the benchmarks) is imported
    BareApp().run()
