"""The `roster-pipeline` command: the library's functions without Dagster."""
