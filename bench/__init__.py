"""Benchmarks for autodiff: ``python -m bench`` runs them all and prints one table."""
