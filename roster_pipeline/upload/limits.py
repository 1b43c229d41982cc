"""Size guards, so a huge or hostile upload fails with a clear error instead of exhausting memory."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int = 1024 * MIB
    max_upload_bytes: int = 4096 * MIB
    max_field_chars: int = 4096
