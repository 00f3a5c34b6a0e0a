"""The agent's tools: one module per tool."""
