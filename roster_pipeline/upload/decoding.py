"""Text decoding per the upload format: UTF-8 with or without a BOM, else Windows-1252 with a warning."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class DecodedBytes:
    """UTF-8 bytes without a BOM, ready for the CSV parser; ``fallback`` when read as Windows-1252."""

    data: bytes
    fallback: bool = False


class NotText(ValueError):
    """The bytes are not a text file in any encoding we accept."""


def decode_to_utf8(raw: bytes) -> DecodedBytes:
    data = raw.removeprefix(BOM)
    if b"\x00" in data:
        raise NotText("the file contains NUL bytes")
    if _is_utf8(data):
        return DecodedBytes(data)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise NotText(f"neither UTF-8 nor Windows-1252 (byte {error.start + 1})") from None
    return DecodedBytes(text.encode("utf-8"), fallback=True)


def _is_utf8(data: bytes, slice_size: int = 1 << 24) -> bool:
    """Checked a slice at a time: decoding a large file whole makes a string up to four times its size."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), slice_size):
            decoder.decode(view[start : start + slice_size])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
