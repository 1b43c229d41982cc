"""roster_pipeline: import OneRoster-compatible SIS roster uploads safely."""

__version__ = "0.1.0"
