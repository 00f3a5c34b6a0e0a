"""The background shells list, driven by bus events in a tiny host app."""

from __future__ import annotations

import time

from textual.app import App, ComposeResult

from claw_tui.events import BackgroundShellFinished, BackgroundShellStarted, TextDelta
from claw_tui.ui.widgets.shells import BackgroundShells

LONG = "npm run dev -- --port 3000 --host 0.0.0.0 --open"


class Host(App):
    CSS = "BackgroundShells { width: 44; }"

    def compose(self) -> ComposeResult:
        yield BackgroundShells()


def lines(widget: BackgroundShells) -> list[str]:
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


async def test_lists_shells_with_command_cut_to_fit_state_and_elapsed():
    app = Host()
    async with app.run_test(size=(80, 12)) as pilot:
        shells = app.query_one(BackgroundShells)
        assert lines(shells) == ["No background shells."]

        now = time.time()
        shells.handle(BackgroundShellStarted(shell_id="bash_1", command=LONG, ts=now - 65))
        shells.handle(BackgroundShellStarted(shell_id="bash_2", command="pytest -x\n  -q", ts=now - 3))
        shells.handle(TextDelta(text="not a shell event"))
        await pilot.pause()
        first, second = lines(shells)
        assert len(first) <= 44
        assert first.startswith("bash_1 npm run dev") and "…" in first and LONG not in first
        assert first.split()[-2:] in (["running", "1m05s"], ["running", "1m06s"])
        assert second.startswith("bash_2 pytest -x -q") and second.split()[-2] == "running"
        assert shells.running == 2

        shells.handle(BackgroundShellFinished(shell_id="bash_1", status="killed", exit_code=-15, ts=now - 5))
        shells.handle(BackgroundShellFinished(shell_id="bash_2", status="failed", exit_code=1, ts=now))
        await pilot.pause()
        first, second = lines(shells)
        assert first.split()[-2:] == ["killed", "1m00s"]  # frozen at the finish
        assert second.split()[-3:] == ["failed", "(1)", "3s"]
        assert shells.running == 0


async def test_a_wider_pane_shows_more_of_the_command():
    app = Host()
    async with app.run_test(size=(100, 8)) as pilot:
        shells = app.query_one(BackgroundShells)
        shells.shell_started(BackgroundShellStarted(shell_id="bash_1", command=LONG, ts=time.time()))
        await pilot.pause()
        narrow = lines(shells)[0]
        shells.styles.width = 90
        await pilot.pause()
        wide = lines(shells)[0]
        assert LONG in wide and "…" not in wide
        assert len(narrow) < len(wide)


async def test_running_elapsed_time_keeps_moving():
    app = Host()
    async with app.run_test(size=(80, 8)) as pilot:
        shells = app.query_one(BackgroundShells)
        shells.shell_started(BackgroundShellStarted(shell_id="bash_1", command="sleep 9", ts=time.time() - 0.5))
        await pilot.pause()
        assert lines(shells)[0].endswith("0s")
        await pilot.pause(1.2)  # the once-a-second tick redraws without any new event
        assert lines(shells)[0].endswith("1s")
