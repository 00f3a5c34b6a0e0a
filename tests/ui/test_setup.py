"""First run without a key: the setup screen, what it stores, and what claw then uses."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from claw_tui.cli import _config, build_parser, needs_setup
from claw_tui.credentials import credentials_path, load_credentials
from claw_tui.providers import make_provider
from claw_tui.ui.setup import SetupApp


async def choose(pilot, index: int) -> None:
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()


async def test_an_anthropic_key_typed_here_is_stored_readable_only_by_the_user():
    app = SetupApp("no key")
    async with app.run_test(size=(100, 40)) as pilot:
        await choose(pilot, 0)
        assert app.focused.id == "key"
        await pilot.press("enter")  # nothing typed, nothing in the environment
        assert "Paste an API key" in str(app.query_one("#error").render())
        assert not credentials_path().exists()
        for ch in "sk-ant-test-123":
            await pilot.press(ch)
        await pilot.press("enter")
    assert app.return_value is not None and app.return_value.choice == "anthropic"
    path = credentials_path()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    data = json.loads(path.read_text())
    assert data["keys"] == {"anthropic": "sk-ant-test-123"} and data["provider"] == "anthropic"
    # The stored key is what a request would now carry.
    assert make_provider("anthropic").api_key == "sk-ant-test-123"


async def test_a_key_in_the_environment_is_used_and_never_written(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    app = SetupApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await choose(pilot, 1)
        assert "OPENAI_API_KEY is set" in str(app.query_one("#key-label").render())
        await pilot.press("enter")
    assert app.return_value.choice == "openai"
    assert load_credentials().keys == {}
    assert load_credentials().model == "gpt-6.2-sol"


async def test_a_compatible_server_needs_a_real_url_and_a_model():
    app = SetupApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await choose(pilot, 2)
        assert app.focused.id == "url"
        for ch in "localhost:11434":
            await pilot.press(ch)
        await pilot.press("enter", "enter", "enter")  # url → model → key (blank) → save
        assert "must start with http" in str(app.query_one("#error").render())
        app.query_one("#url").value = "http://127.0.0.1:11434/v1/"
        app.query_one("#model").value = "qwen3-coder"
        app.query_one("#key").focus()
        await pilot.press("enter")
    assert app.return_value.choice == "compatible"
    creds = load_credentials()
    assert (creds.provider, creds.model, creds.base_url) == ("compatible", "qwen3-coder", "http://127.0.0.1:11434/v1")
    # The next `claw` starts on that server without asking again.
    config = _config(build_parser().parse_args([]))
    assert (config.provider, config.model, config.base_url) == ("compatible", "qwen3-coder",
                                                                "http://127.0.0.1:11434/v1")
    assert needs_setup(config) is None


async def test_try_the_demo_and_escape():
    app = SetupApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await choose(pilot, 3)
    assert app.return_value.choice == "demo"
    app = SetupApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("escape")
    assert app.return_value is None


def test_setup_is_needed_only_without_any_key(monkeypatch, tmp_path: Path):
    config = _config(build_parser().parse_args(["--cwd", str(tmp_path)]))
    assert "ANTHROPIC_API_KEY is not set" in (needs_setup(config) or "")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    assert needs_setup(config) is None
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    gpt = _config(build_parser().parse_args(["--cwd", str(tmp_path), "--model", "gpt-6.2-sol"]))
    assert "OPENAI_API_KEY" in (needs_setup(gpt) or "")


def test_a_broken_credentials_file_is_reported_not_fatal():
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    creds = load_credentials()
    assert creds.problem and "is not valid" in creds.problem
    assert make_provider("anthropic").api_key is None


@pytest.mark.parametrize("flag", ["--model", "--provider"])
def test_the_command_line_beats_the_stored_choice(flag, tmp_path: Path):
    from claw_tui.credentials import Credentials, save_credentials

    save_credentials(Credentials(provider="openai", model="gpt-6.2-sol", keys={"openai": "k"}))
    value = "claude-opus-5-5" if flag == "--model" else "anthropic"
    config = _config(build_parser().parse_args(["--cwd", str(tmp_path), flag, value]))
    assert config.model != "gpt-6.2-sol"
