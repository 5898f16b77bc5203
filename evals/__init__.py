"""Quality measured: eval suites, metrics with intervals, tuning, the gate's training."""
