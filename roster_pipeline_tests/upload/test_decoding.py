"""Which bytes are UTF-8 is decided as Python's decoder decides it, whatever the bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from roster_pipeline.upload.decoding import NotText, decode_to_utf8

# Lead and continuation bytes around every edge UTF-8 draws: overlong forms (C0, E0 9F, F0 8F),
# surrogates (ED A0), past U+10FFFF (F4 90, F5), truncated sequences.
EDGE_BYTES = [0x41, 0x0A, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0]
EDGE_BYTES += [0xF4, 0xF5, 0xFF]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(EDGE_BYTES), max_size=12).map(bytes))
def test_bytes_are_utf8_exactly_when_python_decodes_them(raw: bytes) -> None:
    try:
        raw.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    try:
        decoded = decode_to_utf8(raw)
    except NotText:
        assert not utf8
        return
    assert decoded.fallback is not utf8
    if utf8:
        assert decoded.data == raw


def test_the_first_byte_that_is_not_utf8_is_found_on_its_line() -> None:
    raw = "id,name\n1,Zoë\n".encode() * 3 + b"4,Zo\xeb\n"
    assert decode_to_utf8(raw).fallback_line == 7
