"""Matching: an upload's rows against the roster snapshot, as vectorised joins."""
