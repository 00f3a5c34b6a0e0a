"""No secret reaches any file claw writes: transcripts, meta, checkpoints, exports."""

from __future__ import annotations

import os
from pathlib import Path

from claw_tui.export import export_conversation
from claw_tui.testing import scenario as sc
from tests.conftest import make_session

SECRETS = {
    "prompt key": "sk-ant-api03-PROMPTSECRET0123456789",
    "env token": "tok-live-5f3e1c2b9a77",
    "file password": "hunter2-the-great",
    "bearer": "eyJhbGciOiJIUzI1NiJ9.PAYLOADpayload",
    "github": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
}


async def test_no_file_written_holds_a_secret(server, workspace, monkeypatch):
    monkeypatch.setenv("ACME_API_TOKEN", SECRETS["env token"])
    env_file = workspace / ".env"
    env_file.write_text(f"DB_PASSWORD={SECRETS['file password']}\nDEBUG=1\n")
    server.add(
        sc.tool("Bash", command="echo token is $ACME_API_TOKEN"),
        sc.tool("Read", file_path=str(env_file)),
        sc.tool("Edit", file_path=str(env_file), old_string="DEBUG=1", new_string="DEBUG=0"),
        sc.text(f"Use the header Authorization: Bearer {SECRETS['bearer']} and {SECRETS['github']}"),
    )
    s = make_session(server, workspace, permission_mode="acceptEdits", allowed_tools=["Bash"])
    await s.run(f"my key is {SECRETS['prompt key']}; set DEBUG=0 in .env")
    # The tool really saw the secret (the redaction is in what is written, not in the work).
    assert SECRETS["env token"] in str(s.agent.messages)
    md = export_conversation(s, "out/conversation.md")
    js = export_conversation(s, "out/conversation.json")
    # Rewinding the .env edit still works in this process: its content was kept in memory.
    s.persistence.rewind(1, conversation=False)
    assert env_file.read_text().endswith("DEBUG=1\n")
    await s.close()

    data_dir = Path(os.environ["CLAW_DATA_DIR"])
    written = [p for p in data_dir.rglob("*") if p.is_file()] + [md, js]
    assert len(written) >= 4  # transcript, meta, exports (and no blob of .env)
    for path in written:
        body = path.read_bytes()
        for name, secret in SECRETS.items():
            assert secret.encode() not in body, f"{name} found in {path}"
    transcript = s.persistence.path.read_text()
    assert "[REDACTED]" in transcript and "set DEBUG=0 in .env" in transcript


def test_the_needle_check_never_skips_a_secret():
    """redact() runs a pattern only when its literal text is present; it must redact exactly
    what running every pattern over the whole text does."""
    import json
    import random

    from claw_tui.redact import redact, redact_slow

    pieces = [
        "plain prose about keys and tokens", "export OPENAI_API_KEY=sk-proj-abcdefghijklmnop1234",
        "Authorization: Bearer abcdefgh12345678", "basic   dXNlcjpwYXNzd29yZA==", "x-api-key: 0123456789abcdef",
        "ghp_" + "a" * 30, "github_pat_" + "b" * 30, "xoxb-1234567890-abcdef", "AKIAABCDEFGHIJKLMNOP",
        "AIza" + "c" * 35, "sk_live_" + "d" * 20, "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.signature12",
        '{"DB_PASSWORD": "hunter22"}', "url?api_key=abcdef123&x=1", "PASSWORD='s3cr3t value'",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "GITHUB_TOKEN: tok_1234",
        "sk-ant-api03-" + "e" * 20, "client_secret=abcdefgh", "\tAPI_KEY=zzz", "refresh_token=12345678",
    ]
    rng = random.Random(7)
    for _ in range(300):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        for form in (text, json.dumps(text)):
            assert redact(form) == redact_slow(form), form
