"""The staged plan: every change an upload would make, reviewable before it is applied."""
