"""Builders for the bad input corpus: each turns the clean sample upload (or the tiny fixture district of
roster_pipeline_tests/fixtures/bad_uploads/) into one malformed upload, a folder or a zip, so that every
case of the corpus is one readable line in test_bad_input_corpus.py.

An edit checks that the text it changes is in the file exactly once: if the sample changes, the case
fails loudly instead of quietly testing nothing.
"""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import io
import shutil
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

from roster_pipeline_tests.conftest import FIXTURES, SAMPLE_UPLOAD

BAD_UPLOADS = FIXTURES / "bad_uploads"
CLEAN = BAD_UPLOADS / "_clean"
FIXTURE_ONLY = ("expected.csv", "context.toml")

# A builder gets a folder that does not exist yet and returns the upload's location (folder or file).
Build = Callable[[Path], Path]
Edit = Callable[[bytes], bytes]
# What becomes of one file: new text, new bytes, an edit of the current bytes, or None (left out).
Content = str | bytes | Edit | None

GIB = 1024**3
BOM = b"\xef\xbb\xbf"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
ZIP_TIME = (2026, 8, 1, 0, 0, 0)  # fixed, so the same members always make the same bytes


def csv_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}


SAMPLE = csv_files(SAMPLE_UPLOAD)
CLEAN_FILES = csv_files(CLEAN)


# --- edits of one file ----------------------------------------------------------------------------------


def replace(old: str, new: str) -> Edit:
    return replace_bytes(old, new.encode("utf-8"))


def replace_bytes(old: str, new: bytes) -> Edit:
    def edit(data: bytes) -> bytes:
        found = data.count(old.encode("utf-8"))
        assert found == 1, f"{old!r} is in the file {found} times, not once"
        return data.replace(old.encode("utf-8"), new)

    return edit


def append(*rows: str) -> Edit:
    return lambda data: data + "".join(f"{row}\n" for row in rows).encode("utf-8")


def encoded(codec: str) -> Edit:
    return lambda data: data.decode("utf-8").encode(codec)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def then(*edits: Edit) -> Edit:
    return lambda data: functools.reduce(lambda current, edit: edit(current), edits, data)


def drop_column(name: str) -> Edit:
    def edit(data: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        index = rows[0].index(name)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(row[:index] + row[index + 1 :] for row in rows)
        return out.getvalue().encode("utf-8")

    return edit


def changed(files: Mapping[str, bytes], changes: Mapping[str, Content]) -> dict[str, bytes]:
    result = dict(files)
    for name, content in changes.items():
        if content is None:
            del result[name]
        elif isinstance(content, str):
            result[name] = content.encode("utf-8")
        elif isinstance(content, bytes):
            result[name] = content
        else:
            result[name] = content(result[name])
    return result


# --- whole uploads --------------------------------------------------------------------------------------


def write_folder(folder: Path, files: Mapping[str, bytes]) -> Path:
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def sample_with(changes: Mapping[str, Content]) -> Build:
    """The demo district's sample upload (already committed to its roster) with some files changed."""
    return lambda where: write_folder(where, changed(SAMPLE, changes))


def sample_part(changes: Mapping[str, Content]) -> Build:
    """Only the sample's orgs.csv and the files changed: enough for a defect that rejects a file on its
    own (bad bytes, broken quoting, a bad header), at a third of the cost of the whole upload."""
    kept = {name: data for name, data in SAMPLE.items() if name == "orgs.csv" or name in changes}
    return lambda where: write_folder(where, changed(kept, changes))


def clean_with(changes: Mapping[str, Content]) -> Build:
    """The fixture district's `_clean` upload (already committed to its roster) with some files changed."""
    return lambda where: write_folder(where, changed(CLEAN_FILES, changes))


def only(files: Mapping[str, str]) -> Build:
    return lambda where: write_folder(where, {name: text.encode("utf-8") for name, text in files.items()})


def fixture_folder(code: str) -> Build:
    """A folder of the issue-code fixture corpus, without its expected.csv and context.toml."""

    def build(where: Path) -> Path:
        shutil.copytree(BAD_UPLOADS / code, where, ignore=shutil.ignore_patterns(*FIXTURE_ONLY))
        return where

    return build


def zip_bytes(
    members: Mapping[str, str | bytes],
    claims: Mapping[str, int] | None = None,
    encrypted: bool = False,
    stored: bool = False,
) -> bytes:
    """A zip of ``members``; ``claims`` are sizes the central directory states instead of the real ones
    (a zip bomb's lie), ``encrypted`` sets the encryption flag."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        # The central directory is written on close, from these records: what they say is what a
        # reader is told (sizes above 4 GiB get ZIP64 fields).
        for info in archive.infolist():
            info.file_size = (claims or {}).get(info.filename, info.file_size)
            if encrypted:
                info.flag_bits |= 0x1
    return buffer.getvalue()


def zipped(
    members: Mapping[str, str | bytes],
    claims: Mapping[str, int] | None = None,
    encrypted: bool = False,
    corrupt: Edit | None = None,
) -> Build:
    """An upload that is one `.zip`; ``corrupt`` changes the archive's bytes after it is written."""

    def build(where: Path) -> Path:
        data = zip_bytes(members, claims, encrypted, stored=corrupt is not None)
        return single_file("upload.zip", corrupt(data) if corrupt else data)(where)

    return build


def single_file(name: str, data: bytes) -> Build:
    def build(where: Path) -> Path:
        where.mkdir(parents=True)
        (where / name).write_bytes(data)
        return where / name

    return build


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def sample_with_symlink(name: str) -> Build:
    """The sample with one file replaced by a symlink to a copy outside the upload folder."""

    def build(where: Path) -> Path:
        folder = write_folder(where, changed(SAMPLE, {name: None}))
        outside = write_folder(where.parent / "outside", {name: SAMPLE[name]})
        (folder / name).symlink_to(outside / name)
        return folder

    return build


def input_digest(location: Path) -> str:
    """What the import reads: every file's path and bytes (a symlink by its target's name)."""
    digest = hashlib.sha256()
    paths = sorted(location.rglob("*")) if location.is_dir() else [location]
    for path in paths:
        digest.update(str(path.relative_to(location) if location.is_dir() else path.name).encode())
        if path.is_symlink():
            digest.update(b"->" + path.resolve().name.encode())
        elif path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
