"""The ``claw`` command: the workspace UI, or headless with ``-p``.

Only argparse is imported at start: ``claw --version`` must answer in well under
150 ms, and no provider SDK is imported until a request is about to go out.
"""

from __future__ import annotations

import argparse
import sys

from claw_tui import __version__

OUTPUT_FORMATS = ("text", "json", "stream-json")
PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="claw",
        description="claw: a terminal workspace for an AI coding agent.",
        epilog='Examples: claw -p "explain this repo" --output-format json;  claw --demo',
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
    p.add_argument("--permission-mode", choices=PERMISSION_MODES, default="default")
    p.add_argument("--allowedTools", "--allowed-tools", dest="allowed_tools", nargs="+", action="extend", default=[],
                   metavar="RULE", help='rules to allow, e.g. "Bash(git status:*)" Edit "Read(./src/**)"')
    p.add_argument("--disallowedTools", "--disallowed-tools", dest="disallowed_tools", nargs="+", action="extend",
                   default=[], metavar="RULE", help="rules to deny")
    p.add_argument("--append-system-prompt", help="text added to the end of the system prompt")
    p.add_argument("--system-prompt", help="replace the system prompt")
    p.add_argument("--cwd", help="the project directory (default: the current directory)")
    p.add_argument("--add-dir", dest="add_dirs", nargs="+", action="extend", default=[], metavar="DIR",
                   help="more directories the agent may work in")
    p.add_argument("--verbose", action="store_true", help="headless: print the live transcript as well")
    p.add_argument("--demo", action="store_true", help="run the built-in demo against a local scripted model")
    p.add_argument("-v", "--version", action="version", version=f"claw {__version__}")
    return p


def _config(args: argparse.Namespace):  # -> RunConfig
    from pydantic import ValidationError

    from claw_tui.config import RunConfig

    values = {
        "allowed_tools": args.allowed_tools,
        "disallowed_tools": args.disallowed_tools,
        "permission_mode": args.permission_mode,
        "add_dirs": args.add_dirs,
    }
    for key in ("model", "provider", "base_url", "max_turns", "max_budget_usd", "append_system_prompt",
                "system_prompt", "cwd"):
        value = getattr(args, key)
        if value is not None:
            values[key] = value
    import os

    # Tests and the scripted server want fast retries; users never need this.
    if os.environ.get("CLAW_RETRY_BASE_DELAY"):
        values["retry_base_delay"] = float(os.environ["CLAW_RETRY_BASE_DELAY"])
    try:
        return RunConfig(**values)
    except ValidationError as exc:
        lines = [f"  {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise SystemExit("claw: invalid options:\n" + "\n".join(lines)) from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.demo:
        from claw_tui.demo import run_demo

        return run_demo(args)
    if not args.headless:
        config = _config(args)
        from claw_tui.ui.app import ClawApp

        try:
            app = ClawApp(config, first_prompt=args.prompt)
        except ValueError as exc:  # a bad rule, mode or provider setting
            sys.stderr.write(f"claw: {exc}\n")
            return 2
        result = app.run()
        return int(result or 0)
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
