"""Benchmarks of issue 5, "Fast at scale": ``make bench`` (``python -m bench``).

Scripts, not tests: pytest's testpaths is ``tests/``, and no timing assertion
lives there. Every benchmark runs against its own baseline in the same run on
the same machine, so the ratios, not the raw seconds, are what is budgeted.
"""
