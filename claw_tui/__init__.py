"""claw: a full-screen terminal workspace for an AI coding agent."""

__version__ = "0.1.0"
