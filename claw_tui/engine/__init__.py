"""The agent engine: loop, cost, context. Never imports Textual."""
