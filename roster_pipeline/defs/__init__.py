"""Dagster code location: thin wrappers over the library. Loaded by workspace.yaml."""

from roster_pipeline.defs.definitions import defs

__all__ = ["defs"]
