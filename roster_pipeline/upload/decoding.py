"""Text decoding per the upload format: UTF-8 with or without a BOM, else Windows-1252 with a warning."""

from __future__ import annotations

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
    try:
        data.decode("utf-8")
        return DecodedBytes(data)
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise NotText(f"neither UTF-8 nor Windows-1252 (byte {error.start + 1})") from None
    return DecodedBytes(text.encode("utf-8"), fallback=True)
