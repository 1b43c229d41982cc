"""Synthetic district uploads for benchmarks and tests."""
