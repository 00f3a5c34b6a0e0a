"""First run without a key: pick a provider, give it a key (or a URL), or try the demo.

Shown by ``claw`` when the model it would use has no key in the environment and
none stored. A typed key is stored in the user config dir with 0600 permissions
(see :mod:`claw_tui.credentials`); a key already in the environment is used as
it is and never copied to disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from claw_tui.credentials import Credentials, env_key, load_credentials, save_credentials

DEFAULT_MODELS = {"anthropic": "claude-sonnet-5-5", "openai": "gpt-6.2-sol"}
CHOICES = (
    ("anthropic", "Anthropic (Claude)", "Needs an Anthropic API key (console.anthropic.com)."),
    ("openai", "OpenAI", "Needs an OpenAI API key (platform.openai.com)."),
    ("compatible", "OpenAI-compatible server", "Ollama, vLLM, llama.cpp server, LM Studio: a base URL and a model."),
    ("demo", "Try the demo", "A scripted model on this machine works through a small task. No key, no network."),
)


@dataclass
class SetupResult:
    choice: str  # anthropic | openai | compatible | demo
    model: str | None = None
    base_url: str | None = None


class SetupApp(App[SetupResult | None]):
    TITLE = "claw setup"
    CSS = """
    Screen { align: center middle; }
    #setup { width: 84; height: auto; border: round $accent; padding: 1 2; }
    #choices { height: auto; max-height: 12; margin: 1 0; }
    .field { margin: 1 0 0 0; }
    #error { color: $error; height: auto; }
    #save { margin: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "quit_setup", "Quit", id="setup.quit")]

    def __init__(self, reason: str = "") -> None:
        super().__init__()
        self.reason = reason
        self.choice: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="setup"):
            yield Static(Text.assemble(("Welcome to claw", "bold"), "\n", self.reason or
                                       "No API key was found for the model claw would use."))
            yield OptionList(*[Option(Text.assemble((title, "bold"), "\n  ", (desc, "dim")), id=key)
                               for key, title, desc in CHOICES], id="choices")
            yield Label("", id="key-label", classes="field")
            yield Input(password=True, id="key", placeholder="API key")
            yield Label("Base URL of the server (ends in /v1)", id="url-label", classes="field")
            yield Input(id="url", placeholder="http://localhost:11434/v1")
            yield Label("Model name on that server", id="model-label", classes="field")
            yield Input(id="model", placeholder="qwen3-coder")
            yield Static("", id="error")
            yield Button("Save and start", id="save", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self._show_fields(None)
        self.query_one("#choices", OptionList).focus()

    def _show_fields(self, choice: str | None) -> None:
        self.choice = choice
        keyed = choice in ("anthropic", "openai", "compatible")
        for wid in ("#key-label", "#key"):
            self.query_one(wid).display = keyed
        for wid in ("#url-label", "#url", "#model-label", "#model"):
            self.query_one(wid).display = choice == "compatible"
        self.query_one("#save").display = choice is not None
        self.query_one("#error", Static).update("")
        if keyed:
            var = env_key(choice or "")
            label = self.query_one("#key-label", Label)
            if choice == "compatible":
                label.update("API key, if the server wants one (leave blank for none)")
            elif var:
                label.update(f"{var} is set in the environment: leave this blank to use it")
            else:
                label.update("API key (stored in your user config dir, readable only by you)")

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id
        if choice == "demo":
            self.exit(SetupResult("demo"))
            return
        self._show_fields(choice)
        self.query_one("#url" if choice == "compatible" else "#key", Input).focus()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        order = ["#url", "#model", "#key"] if self.choice == "compatible" else ["#key"]
        current = f"#{event.input.id}"
        if current in order and order.index(current) + 1 < len(order):
            self.query_one(order[order.index(current) + 1], Input).focus()
        else:
            self._save()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self._save()

    def _fail(self, message: str) -> None:
        self.query_one("#error", Static).update(message)

    def _save(self) -> None:
        choice = self.choice
        if choice is None:
            return
        key = self.query_one("#key", Input).value.strip()
        creds = load_credentials()
        if creds.problem:
            creds = Credentials()  # a broken file is replaced, never half-merged
        if choice == "compatible":
            url = self.query_one("#url", Input).value.strip().rstrip("/")
            model = self.query_one("#model", Input).value.strip()
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                self._fail("The base URL must start with http:// or https:// and name a host.")
                return
            if not model:
                self._fail("Name the model to use on that server (as the server lists it).")
                return
            creds.provider, creds.model, creds.base_url = "compatible", model, url
            if key:
                creds.keys["compatible"] = key
            else:
                creds.keys.pop("compatible", None)
            result = SetupResult("compatible", model=model, base_url=url)
        else:
            if not key and env_key(choice) is None:
                self._fail("Paste an API key, or quit (Esc) and set "
                           f"{'ANTHROPIC_API_KEY' if choice == 'anthropic' else 'OPENAI_API_KEY'}.")
                return
            if any(c.isspace() for c in key):
                self._fail("That key has spaces in it; paste it again.")
                return
            creds.provider, creds.model, creds.base_url = choice, DEFAULT_MODELS[choice], None
            if key:
                creds.keys[choice] = key
            result = SetupResult(choice, model=DEFAULT_MODELS[choice])
        try:
            save_credentials(creds)
        except OSError as exc:
            self._fail(f"Could not save the settings: {exc}")
            return
        self.exit(result)

    def action_quit_setup(self) -> None:
        self.exit(None)
