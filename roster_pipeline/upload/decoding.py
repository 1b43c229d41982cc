"""Text decoding per the upload format: UTF-8 with or without a BOM, else Windows-1252 with a warning.

The fallback is per byte sequence, not per file: a UTF-8 export that picked up one Windows-1252 byte
(a name pasted from an older system) keeps every UTF-8 name as written, where reading the whole file
as Windows-1252 would garble them all (Müller as MÃ¼ller) with only a warning to say so.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import pyarrow as pa

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CP1252_FALLBACK = "roster-pipeline-cp1252"


@dataclass(frozen=True)
class DecodedBytes:
    """UTF-8 bytes without a BOM, ready for the CSV parser. ``fallback_line``: the line of the first
    byte that was not UTF-8 and was read as Windows-1252 (None when there was none)."""

    data: bytes
    fallback_line: int | None = None

    @property
    def fallback(self) -> bool:
        return self.fallback_line is not None


class NotText(ValueError):
    """The bytes are not a text file in any encoding we accept."""


def decode_to_utf8(raw: bytes) -> DecodedBytes:
    boms = 0
    while raw.startswith(BOM, boms * len(BOM)):  # some tools add a BOM to a file that has one
        boms += 1
    data = raw[boms * len(BOM) :] if boms else raw
    if data.startswith(UTF16_BOMS):
        raise NotText(
            "the file is UTF-16 (Excel's 'Unicode Text'): save it as 'CSV UTF-8' and upload it again"
        )
    if b"\x00" in data:
        raise NotText("the file contains NUL bytes")
    first_bad = _first_non_utf8(data)
    if first_bad is None:
        return DecodedBytes(data)
    try:
        text = data.decode("utf-8", errors=_CP1252_FALLBACK)
    except UnicodeDecodeError as error:
        raise NotText(f"neither UTF-8 nor Windows-1252 (byte {error.start + 1})") from None
    return DecodedBytes(text.encode("utf-8"), fallback_line=data.count(b"\n", 0, first_bad) + 1)


def _first_non_utf8(data: bytes, slice_size: int = 1 << 24) -> int | None:
    """Where the first byte that is not UTF-8 sits, or None. Arrow tells whether there is one (a
    hundred times faster); the decoder finds it, a slice at a time: decoding a large file whole makes
    a string up to four times its size."""
    if _is_utf8(data):
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    fed = 0
    try:
        for start in range(0, len(data), slice_size):
            fed = min(start + slice_size, len(data))
            decoder.decode(view[start:fed])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        # error.object is what the decoder held: the bytes fed last, after any it kept from before.
        return fed - len(error.object) + error.start
    return None


def _is_utf8(data: bytes) -> bool:
    """Arrow's check of the bytes as one string value; it refuses what Python's decoder refuses
    (surrogates, overlong forms, code points past U+10FFFF)."""
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """The codec error handler: the bytes UTF-8 refused, read as Windows-1252."""
    assert isinstance(error, UnicodeDecodeError)
    refused = error.object[error.start : error.end]
    try:
        return bytes(refused).decode("cp1252"), error.end
    except UnicodeDecodeError as undefined:
        position = error.start + undefined.start
        raise UnicodeDecodeError("cp1252", error.object, position, position + 1, "undefined") from None


codecs.register_error(_CP1252_FALLBACK, _as_cp1252)
