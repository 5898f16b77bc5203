"""The benchmarks behind the figures in docs/: `python -m bench.NAME` from the repository root."""
