"""The one exception the upload layer raises: the upload cannot be read at all."""

from __future__ import annotations


class UploadUnreadable(Exception):
    """Raised when nothing in the upload can be checked; ``code`` is a stable issue code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
