"""Permission policy, rules and (later) shell analysis, sandbox and hooks."""
