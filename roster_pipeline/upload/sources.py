"""Where an upload comes from: a local folder, a `.zip`, or an S3 prefix.

Each source yields the raw bytes of the CSV files it holds, named by their file name, plus issues about
members it would not read (unsafe paths, nested archives, files over the size limit). Nothing here parses
CSV; that is `csv_reader`.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from pathlib import Path
from typing import Any

from roster_pipeline.issues import Issue
from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.upload.members import UPLOAD, Member, UploadFiles, collect_members
from roster_pipeline.upload.s3 import read_s3_upload

_LINK = "a symbolic link: links are not followed, the file was not read"
# What zipfile and its decompressors raise on a damaged archive or one using what it does not support
# (a bad deflate stream is a zlib.error, an unknown method NotImplementedError).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    zlib.error,
    lzma.LZMAError,
)


def read_upload(
    location: str,
    limits: UploadLimits | None = None,
    s3_client: Any | None = None,
) -> UploadFiles:
    """Collect the files of an upload at ``location`` (a folder, a `.zip`, or `s3://bucket/prefix`)."""
    limits = limits or UploadLimits()
    if location.startswith("s3://"):
        return read_s3_upload(location, limits, s3_client)
    path = Path(location)
    if not path.exists():
        raise UploadUnreadable("upload_not_found", f"{location}: no such file or folder")
    if path.is_dir():
        return _read_folder(path, limits)
    if zipfile.is_zipfile(path) or path.suffix.lower() == ".zip":
        return _read_zip(path, limits)  # a broken .zip is said to be one
    if path.suffix.lower() == ".csv":
        return collect_members(
            str(path),
            [Member(path.name, path.stat().st_size)],
            limits,
            lambda m, n: _read_file(path, n),
        )
    raise UploadUnreadable("upload_unreadable", f"{location}: not a folder, a .zip or an s3:// prefix")


def unreadable_upload(location: str, error: UploadUnreadable) -> UploadFiles:
    """An upload nothing could be read from, as an upload holding only that issue: it is rejected like
    any other, with a run and results that say why."""
    return UploadFiles(location, issues=[Issue(UPLOAD, error.code, message=error.reason)])


def _read_folder(folder: Path, limits: UploadLimits) -> UploadFiles:
    items = sorted(folder.rglob("*"))
    members = [
        Member(item.relative_to(folder).as_posix(), item.stat().st_size)
        for item in items
        if item.is_file() and not item.is_symlink()
    ]
    upload = collect_members(str(folder), members, limits, lambda m, n: _read_file(folder / m.path, n))
    # A link may point anywhere (/etc/passwd): never followed, and said so.
    upload.issues += [
        Issue(UPLOAD, "unsafe_path", value=item.relative_to(folder).as_posix(), message=_LINK)
        for item in items
        if item.is_symlink()
    ]
    return upload


def _read_file(path: Path, max_bytes: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


def _read_zip(path: Path, limits: UploadLimits) -> UploadFiles:
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as error:
        raise UploadUnreadable("upload_unreadable", f"{path}: not a readable zip ({error})") from None
    with archive:
        listed = [info for info in archive.infolist() if not info.is_dir()]
        if any(info.flag_bits & 0x1 for info in listed):
            raise UploadUnreadable("upload_unreadable", f"{path}: encrypted zips are not supported")
        # Every member is listed, so one name given twice is a duplicate_file; the first is the one read.
        members = [Member(info.filename, info.file_size) for info in listed]
        infos: dict[str, zipfile.ZipInfo] = {}
        for info in listed:
            infos.setdefault(info.filename, info)

        def read_member(member: Member, max_bytes: int) -> bytes:
            # The declared size may lie (zip bombs): read at most one byte past the limit.
            try:
                with archive.open(infos[member.path]) as handle:
                    return handle.read(max_bytes + 1)
            except _ZIP_ERRORS as error:
                raise UploadUnreadable(
                    "upload_unreadable", f"{path}: member {member.path!r} cannot be read ({error})"
                ) from None

        return collect_members(str(path), members, limits, read_member)
