"""Benchmarks, run from the repository root (`python -m bench.ledger_post --help`)."""
