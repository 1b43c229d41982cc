"""Validation: runs each file's schema lazily, then the rules that span files; returns an issues table."""
