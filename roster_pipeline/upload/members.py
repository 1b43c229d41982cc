"""Rules every upload source shares: which members are read, safe names, size limits."""

from __future__ import annotations

import posixpath
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote

import pandas as pd

from roster_pipeline.issues import Issue, issues_from
from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.limits import UploadLimits

UPLOAD = "(upload)"
# Files a sender's tools leave behind (macOS resource forks, dotfiles); skipped without a word.
_NOISE_FOLDER = "__MACOSX"
_MARKERS = {"_READY", "_SUCCESS"}


@dataclass
class UploadFiles:
    """The CSV files of one upload, by file name, and what was said while collecting them."""

    location: str
    files: dict[str, bytes] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def issues_frame(self) -> pd.DataFrame:
        return issues_from(self.issues)


@dataclass(frozen=True)
class Member:
    """A file of the upload as its source lists it: path relative to the upload, declared size."""

    path: str
    size: int


MemberReader = Callable[[Member, int], bytes]


def collect_members(
    location: str, members: list[Member], limits: UploadLimits, read: MemberReader
) -> UploadFiles:
    """Apply the naming and size rules shared by every source, then read what passes."""
    upload = UploadFiles(location)
    wanted: list[Member] = []
    seen: dict[str, str] = {}
    for member in members:
        name = PurePosixPath(member.path).name
        if not is_safe_member_path(member.path):
            upload.issues.append(Issue(UPLOAD, "unsafe_path", value=member.path))
            continue
        if not name or name in _MARKERS or _is_noise(member.path):
            continue
        lowered = name.lower()
        if lowered.endswith((".zip", ".gz", ".tar", ".7z", ".rar")):
            upload.issues.append(Issue(name, "nested_archive", value=member.path))
            continue
        if not lowered.endswith(".csv"):
            upload.issues.append(Issue(name, "unknown_file", value=member.path))
            continue
        if lowered in seen:
            upload.issues.append(
                Issue(name, "duplicate_file", value=member.path, message=_duplicate(seen[lowered]))
            )
            continue
        seen[lowered] = member.path
        if member.size > limits.max_file_bytes:
            upload.issues.append(_too_large(name, member.size, limits.max_file_bytes))
            continue
        wanted.append(member)
    declared = sum(member.size for member in wanted)
    if declared > limits.max_upload_bytes:
        raise UploadUnreadable(
            "upload_too_large",
            f"{location}: {declared:,} bytes of files, over the maximum of {limits.max_upload_bytes:,}",
        )
    total = 0
    for member in wanted:
        name = PurePosixPath(member.path).name
        data = read(member, limits.max_file_bytes)
        if len(data) > limits.max_file_bytes:
            upload.issues.append(_too_large(name, len(data), limits.max_file_bytes))
            continue
        total += len(data)
        if total > limits.max_upload_bytes:
            raise UploadUnreadable(
                "upload_too_large",
                f"{location}: more than the maximum of {limits.max_upload_bytes:,} bytes",
            )
        upload.files[name] = data
    return upload


def _is_noise(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return _NOISE_FOLDER in parts or any(part.startswith(".") for part in parts)


def is_safe_member_path(path: str) -> bool:
    """A member path is safe when it stays inside the upload: relative, no '..', no drive letters,
    and no control characters (a NUL or a newline in a name would reach results, logs and S3 keys).
    It must stay safe as another tool may read it: URL-decoded ("%2e%2e") and with look-alike
    characters folded (NFKC: "．．／" is "../")."""
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in path):
        return False
    return all(_stays_inside(form) for form in {path, unquote(path), unicodedata.normalize("NFKC", path)})


def _stays_inside(path: str) -> bool:
    if not path or path.startswith(("/", "\\")) or "\\" in path or ":" in path.split("/")[0]:
        return False
    normal = posixpath.normpath(path)
    return not (normal.startswith("..") or "/../" in f"/{path}/")


def _too_large(name: str, size: int, limit: int) -> Issue:
    return Issue(
        name,
        "file_too_large",
        value=str(size),
        message=f"the file has more than {limit:,} bytes (the configured maximum)",
    )


def _duplicate(first: str) -> str:
    return f"the same file name appears more than once in the upload (first: {first})"
