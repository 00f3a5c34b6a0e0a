"""The scripted model server and scenarios used by tests, the demo and benchmarks."""
