"""The ``claw`` command: the workspace UI, or headless with ``-p``.

Only argparse is imported at start: ``claw --version`` must answer in well under
150 ms, and no provider SDK is imported until a request is about to go out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from claw_tui import __version__

OUTPUT_FORMATS = ("text", "json", "stream-json")
# permissions/policy.py MODES and MODE_ALIASES, written out: importing the policy here would
# slow `claw --version` down (tests/security/test_policy_modes.py keeps the two in step).
PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions", "allowlist", "denylist", "dontAsk")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="claw",
        description="claw: a terminal workspace for an AI coding agent.",
        epilog='Examples: claw -p "explain this repo" --output-format json;  claw --demo;  '
               'claw mcp add time -- uvx mcp-server-time (claw mcp --help for MCP servers)',
    )
    p.add_argument("prompt", nargs="?", help="the first prompt (with -p: the task to run headless)")
    p.add_argument("-p", "--print", dest="headless", action="store_true",
                   help="run headless: do the task, print the result, exit")
    p.add_argument("--output-format", choices=OUTPUT_FORMATS, default="text", help="headless output format")
    p.add_argument("--model", help="model id or alias (default: claude-sonnet-5-5)")
    p.add_argument("--provider", choices=("anthropic", "openai", "compatible"),
                   help="model provider (default: from the model name)")
    p.add_argument("--base-url", help="provider base URL (an OpenAI-compatible server for --provider compatible)")
    p.add_argument("--max-turns", type=int, help="stop after this many model responses")
    p.add_argument("--max-budget-usd", type=float, help="stop once the session has cost this much")
    p.add_argument("--permission-mode", choices=PERMISSION_MODES, default=None,
                   help="default: the settings' permissions.defaultMode, a resumed session's mode, else default. "
                        "allowlist (alias dontAsk): only what allow rules name runs, the rest is refused; "
                        "denylist: everything runs except what deny rules name")
    p.add_argument("--trust", action="store_true",
                   help="trust this folder for this run: its own settings (allow rules, hooks, env, modes) and "
                        "MCP servers apply without the trust dialog (not remembered)")
    p.add_argument("-r", "--resume", nargs="?", const="", default=None, metavar="ID",
                   help="continue a stored session of this directory (without ID: pick one from a list)")
    p.add_argument("-c", "--continue", dest="continue_session", action="store_true",
                   help="continue the most recent session of this directory")
    p.add_argument("--fork-session", action="store_true",
                   help="with --resume or --continue: continue in a new session, leaving the stored one as it was")
    p.add_argument("--allowedTools", "--allowed-tools", dest="allowed_tools", nargs="+", action="extend", default=[],
                   metavar="RULE", help='rules to allow, e.g. "Bash(git status:*)" Edit "Read(./src/**)"')
    p.add_argument("--disallowedTools", "--disallowed-tools", dest="disallowed_tools", nargs="+", action="extend",
                   default=[], metavar="RULE", help="rules to deny")
    p.add_argument("--append-system-prompt", help="text added to the end of the system prompt")
    p.add_argument("--system-prompt", help="replace the system prompt")
    p.add_argument("--cwd", help="the project directory (default: the current directory)")
    p.add_argument("--mcp-config", dest="mcp_config", nargs="+", action="extend", default=[],
                   metavar="FILE_OR_JSON", help="MCP servers from these files or JSON strings ({\"mcpServers\": ...})")
    p.add_argument("--strict-mcp-config", action="store_true",
                   help="use only the --mcp-config servers, not .mcp.json or your own")
    p.add_argument("--add-dir", dest="add_dirs", nargs="+", action="extend", default=[], metavar="DIR",
                   help="more directories the agent may work in")
    p.add_argument("--verbose", action="store_true", help="headless: print the live transcript as well")
    p.add_argument("--demo", action="store_true", help="run the built-in demo against a local scripted model")
    p.add_argument("-v", "--version", action="version", version=f"claw {__version__}")
    return p


def _config(args: argparse.Namespace):  # -> RunConfig
    return make_config(_config_values(args))


def make_config(values: dict):  # -> RunConfig
    """A RunConfig from the command line's values; bad options end claw with a clear message."""
    from pydantic import ValidationError

    from claw_tui.config import RunConfig

    try:
        return RunConfig(**values)
    except ValidationError as exc:
        lines = [f"  {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise SystemExit("claw: invalid options:\n" + "\n".join(lines)) from None


def _config_values(args: argparse.Namespace) -> dict:
    """What the command line says, as RunConfig's fields (no pydantic yet: the workspace's
    first frame is drawn before it is imported)."""
    values = {
        "allowed_tools": args.allowed_tools,
        "disallowed_tools": args.disallowed_tools,
        "add_dirs": args.add_dirs,
        "mcp_config": args.mcp_config,
        "strict_mcp_config": args.strict_mcp_config,
    }
    if args.resume:  # "" (no id): the TUI shows the session picker instead
        values["resume"] = args.resume
    if args.continue_session:
        values["continue_session"] = True
    if args.trust:
        values["trust"] = True
    if args.fork_session:
        if args.resume is None and not args.continue_session:
            raise SystemExit("claw: --fork-session goes with --resume ID or --continue")
        values["fork_session"] = True
    for key in ("model", "provider", "base_url", "max_turns", "max_budget_usd", "append_system_prompt",
                "system_prompt", "cwd", "permission_mode"):
        value = getattr(args, key)
        if value is not None:
            values[key] = value
    import os

    _first_run_defaults(values, args)
    # Tests and the scripted server want fast retries; users never need this.
    if os.environ.get("CLAW_RETRY_BASE_DELAY"):
        values["retry_base_delay"] = float(os.environ["CLAW_RETRY_BASE_DELAY"])
    return values


def _first_run_defaults(values: dict, args: argparse.Namespace) -> None:
    """The provider chosen at first-run setup applies when neither the command line
    nor a settings file names a model or provider."""
    if args.model or args.provider or args.base_url:
        return
    from pathlib import Path

    from claw_tui.credentials import load_credentials
    from claw_tui.settings_files import read_setting

    if read_setting(Path(args.cwd or ".").expanduser(), "model"):
        return
    creds = load_credentials()
    if creds.provider and creds.model:
        values["model"] = creds.model
        values["provider"] = creds.provider
        if creds.base_url:
            values["base_url"] = creds.base_url


def needs_setup(config) -> str | None:  # noqa: ANN001 - RunConfig or its values
    """Why the first-run setup must be shown, or None when claw can start."""
    from claw_tui.credentials import has_key
    from claw_tui.providers import catalogue
    from claw_tui.providers.catalogue import DEFAULT_MODEL

    values = config if isinstance(config, dict) else {"provider": config.provider, "model": config.model}
    model = values.get("model") or DEFAULT_MODEL
    provider = values.get("provider") or catalogue.guess_provider(catalogue.resolve(model))
    if provider == "compatible" or has_key(provider):
        return None
    var = "ANTHROPIC_API_KEY" if provider == "anthropic" else "OPENAI_API_KEY"
    return f"claw would use {model} ({provider}), but {var} is not set and no key is stored."


def _run_setup(reason: str) -> str | None:
    """The setup screen. Returns "demo", "configured", or None when the person quit."""
    from claw_tui.ui.setup import SetupApp

    result = SetupApp(reason).run()
    return None if result is None else ("demo" if result.choice == "demo" else "configured")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["mcp"]:  # claw mcp add|add-json|list|get|remove|logout
        from claw_tui.mcp.cli import main as mcp_main

        return mcp_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.demo:
        from claw_tui.demo import run_demo

        return run_demo(args)
    if not args.headless:
        values = _config_values(args)
        cwd = Path(values.get("cwd") or ".").expanduser()
        if not cwd.is_dir():
            sys.stderr.write(f"claw: invalid options:\n  cwd: working directory does not exist: {cwd}\n")
            return 2
        reason = needs_setup(values)
        if reason:
            outcome = _run_setup(reason)
            if outcome is None:
                sys.stderr.write("claw: no provider set up. Set ANTHROPIC_API_KEY or OPENAI_API_KEY, or run "
                                 "claw --demo.\n")
                return 1
            if outcome == "demo":
                from claw_tui.demo import run_demo

                return run_demo(args)
            values = _config_values(args)  # now with the provider just set up
        from claw_tui.ui import gc_policy

        gc_policy.hold()  # until the engine has loaded behind the first frame (gc_policy.py)
        from claw_tui.ui.app import ClawApp, StartView

        try:
            # The first frame comes before the engine is loaded (it loads in a thread; a resumed
            # conversation is drawn as soon as it has: measured both ways in benchmarks/RESULTS.md).
            from claw_tui.providers.catalogue import DEFAULT_MODEL
            from claw_tui.settings_files import read_setting

            model = values.get("model") or read_setting(cwd, "model") or DEFAULT_MODEL
            start = StartView(cwd=cwd.resolve(), model=str(model),
                              permission_mode=values.get("permission_mode") or "default")
            app = ClawApp(None, start=start, make_config=lambda: make_config(values), first_prompt=args.prompt,
                          pick_session=args.resume == "", defer_engine=True, tune_gc=True)
        except ValueError as exc:  # a bad rule, mode or provider setting
            sys.stderr.write(f"claw: {exc}\n")
            return 2
        result = app.run()
        if app.startup_error:  # the same words claw -p would print for a bad setting
            sys.stderr.write(f"claw: {app.startup_error}\n")
        return int(result or 0)
    if args.resume == "":
        sys.stderr.write("claw: -p --resume needs a session id (claw -p -c continues the most recent session)\n")
        return 2
    prompt = args.prompt or ""
    if not sys.stdin.isatty():
        piped = sys.stdin.read()
        prompt = f"{prompt}\n\n{piped}".strip() if prompt else piped.strip()
    if not prompt:
        sys.stderr.write('claw: -p needs a prompt: claw -p "what to do" (or pipe it on stdin)\n')
        return 2
    config = _config(args)
    import asyncio

    from claw_tui.headless import run_headless

    try:
        return asyncio.run(run_headless(config, prompt, output_format=args.output_format, verbose=args.verbose))
    except ValueError as exc:  # a bad rule, mode or provider setting
        sys.stderr.write(f"claw: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
