"""The benchmarks behind `make bench` and the figures in docs/: run each from the
repository's root as `python -m bench.NAME` (they import harness/, never tests/)."""
