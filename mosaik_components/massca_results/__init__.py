"""Results of massca scenarios: a tidy time-series recorder for mosaik, the summary, plots."""
