"""The one exception the upload layer raises: the upload cannot be read at all."""

from __future__ import annotations

from roster_pipeline.redaction import hide_password


class UploadUnreadable(Exception):
    """Raised when nothing in the upload can be checked; ``code`` is a stable issue code."""

    def __init__(self, code: str, reason: str) -> None:
        # Reasons quote addresses (an S3 endpoint) that may carry credentials; results and logs show them.
        reason = hide_password(reason)
        super().__init__(reason)
        self.code = code
        self.reason = reason
