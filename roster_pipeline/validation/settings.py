"""Reader and validation settings a district can change: size limits and header aliases (TOML file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from roster_pipeline.schemas.aliases import HeaderAliases, default_aliases, merge_aliases
from roster_pipeline.settings_file import read_settings_file
from roster_pipeline.upload.limits import MIB, UploadLimits


@dataclass(frozen=True)
class ReaderSettings:
    limits: UploadLimits = field(default_factory=UploadLimits)
    header_aliases: HeaderAliases = field(default_factory=default_aliases)


def load_reader_settings(path: Path | str | None) -> ReaderSettings:
    """Defaults, overridden by a TOML file's `[limits]` and `[header_aliases.<file>]` tables."""
    if path is None:
        return ReaderSettings()
    data = read_settings_file(path)
    limits = data.get("limits", {})
    defaults = UploadLimits()
    return ReaderSettings(
        limits=UploadLimits(
            max_file_bytes=int(limits.get("max_file_mb", defaults.max_file_bytes / MIB) * MIB),
            max_upload_bytes=int(limits.get("max_upload_mb", defaults.max_upload_bytes / MIB) * MIB),
            max_field_chars=int(limits.get("max_field_chars", defaults.max_field_chars)),
        ),
        header_aliases=merge_aliases(default_aliases(), data.get("header_aliases", {})),
    )
