"""Apply: commit a staged plan in one transaction under a per-tenant lock, and roll it back."""
