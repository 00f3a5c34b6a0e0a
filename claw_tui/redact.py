"""Secrets out of everything claw writes to disk (session transcripts, exports).

API keys, bearer tokens, private keys and ``*_KEY=`` / ``*_TOKEN=`` style values
become ``[REDACTED]``. The values of secret-looking environment variables of this
process (``ANTHROPIC_API_KEY``…) are replaced wherever they appear, whatever
their shape.

The patterns are written so that they can run over *serialised JSON* as well
as plain text: a match never starts or ends inside an escape sequence and the
replacement holds no quote or backslash, so a redacted JSON line is still valid
JSON. The session store relies on this: it redacts each line once, after
``json.dumps``, instead of walking every string of every record.
"""

from __future__ import annotations

import json
import os
import re

REDACTED = "[REDACTED]"

# Names that mark a value as secret, for NAME=value and "NAME": "value" forms.
_SECRET_NAME = r"(?:[A-Z0-9]+_)*(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIALS?|PAT|AUTH)"

# A word boundary that also holds right after a JSON escape (the "\t" before a secret in
# serialised `cat -n` output is a backslash and a "t": a plain \b sees no boundary there).
_B = r"(?:(?<=\\[nrtbf])|(?<![A-Za-z0-9_]))"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # PEM private keys (in JSON their newlines are \n escapes; both ends are plain text).
    (re.compile(r"-----BEGIN[A-Z ]*PRIVATE KEY-----.*?-----END[A-Z ]*PRIVATE KEY-----", re.S), REDACTED),
    # Well-known token shapes.
    (re.compile(_B + r"sk-ant-[A-Za-z0-9_\-]{8,}"), REDACTED),
    (re.compile(_B + r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}"), REDACTED),
    (re.compile(_B + r"gh[pousr]_[A-Za-z0-9]{20,}"), REDACTED),
    (re.compile(_B + r"github_pat_[A-Za-z0-9_]{20,}"), REDACTED),
    (re.compile(_B + r"xox[abposr]-[A-Za-z0-9\-]{10,}"), REDACTED),
    (re.compile(_B + r"(?:AKIA|ASIA)[0-9A-Z]{16}\b"), REDACTED),
    (re.compile(_B + r"AIza[0-9A-Za-z_\-]{35}"), REDACTED),
    (re.compile(_B + r"[rs]k_(?:live|test)_[0-9A-Za-z]{16,}"), REDACTED),
    (re.compile(_B + r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), REDACTED),
    # Authorization headers: "Bearer <token>", "Basic <token>".
    (re.compile(r"(?i)" + _B + r"(bearer|basic)(\s+)[A-Za-z0-9_\-.=+/~]{8,}"), r"\1\2" + REDACTED),
    # x-api-key: value, api-key: value (headers, YAML).
    (re.compile(r"(?i)" + _B + r"((?:x-)?api[-_]?key(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?)[A-Za-z0-9_\-.=+/]{8,}"),
     r"\1" + REDACTED),
    # FOO_API_KEY=value, export GITHUB_TOKEN="value with spaces", DB_PASSWORD='value'
    # (in JSON text the double quotes are \" escapes).
    (re.compile(_B + r"(" + _SECRET_NAME + r")(\s*=\s*)(?!\[REDACTED\])"
                r"(?:\\?\"(?:(?!\\?\")[^\n])*\\?\"|'[^'\n]*'|[^\s\"'\\,;&]+)"),
     r"\1\2" + REDACTED),
    # "FOO_TOKEN": "value" (JSON, YAML, Python dicts).
    (re.compile(_B + r"(" + _SECRET_NAME + r")(\\?[\"']?\s*:\s*\\?[\"'])(?!\[REDACTED\])[^\s\"'\\]{4,}"),
     r"\1\2" + REDACTED),
    # ?api_key=…&access_token=… in URLs and lower-case assignments without spaces.
    (re.compile(r"(?i)" + _B + r"(api_?key|access_?token|auth_?token|refresh_?token|client_?secret|password|secret)="
                r"(?!\[REDACTED\])[^\s&\"'\\]{6,}"), r"\1=" + REDACTED),
]

# Literal text each pattern above cannot match without (same order; "lower": look in the
# lower-cased text). A pattern runs only when one of its needles is present: the patterns
# start with a lookbehind that makes a full scan of a long text slow (~50 ms for 100 kB),
# and the store redacts every record on the engine's path before it is written.
_UPPER_NAMES = ("KEY", "TOKEN", "SECRET", "PASS", "CREDENTIAL", "PAT", "AUTH")
_NEEDLES: list[tuple[tuple[str, ...], bool, str | None]] = [
    (("PRIVATE KEY-----",), False, None),
    (("sk-ant-",), False, None),
    (("sk-",), False, None),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), False, None),
    (("github_pat_",), False, None),
    (("xox",), False, None),
    (("AKIA", "ASIA"), False, None),
    (("AIza",), False, None),
    (("k_live_", "k_test_"), False, None),
    (("eyJ",), False, None),
    (("bearer", "basic"), True, None),
    (("api",), True, None),
    (_UPPER_NAMES, False, "="),
    (_UPPER_NAMES, False, ":"),
    (("api", "token", "secret", "password"), True, "="),
]
assert len(_NEEDLES) == len(_PATTERNS)

_ENV_SECRET_NAME = re.compile(r"(?i)(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)")
MIN_ENV_SECRET_LEN = 8


def _env_secrets() -> list[str]:
    """Values of this process's secret-looking environment variables, longest first."""
    values = {
        v for k, v in os.environ.items()
        if _ENV_SECRET_NAME.search(k) and len(v) >= MIN_ENV_SECRET_LEN and not v.isdigit()
        and v.lower() not in ("true", "false")
    }
    return sorted(values, key=len, reverse=True)


def _redact_env_values(text: str) -> str:
    for value in _env_secrets():
        # As it is, and as it looks inside a JSON string.
        for form in {value, json.dumps(value, ensure_ascii=False)[1:-1]}:
            if form in text:
                text = text.replace(form, REDACTED)
    return text


def redact(text: str) -> str:
    """``text`` with every secret it recognises replaced by ``[REDACTED]``."""
    if not text:
        return text
    text = _redact_env_values(text)
    lower = text.lower()
    for (pattern, repl), (needles, in_lower, also) in zip(_PATTERNS, _NEEDLES, strict=True):
        haystack = lower if in_lower else text
        if (also is None or also in text) and any(n in haystack for n in needles):
            new = pattern.sub(repl, text)
            if new != text:
                text, lower = new, new.lower()
    return text


def redact_slow(text: str) -> str:
    """Every pattern over the whole text, without the needle check (the tests compare)."""
    text = _redact_env_values(text)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def has_secret(text: str) -> bool:
    return redact(text) != text
