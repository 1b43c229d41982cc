"""Spreadsheet-safe cells: a value starting with = + - @ (or tab / carriage return / NUL) would run as a
formula when a district opens the results in Excel, so it gets a leading apostrophe (OWASP's advice;
Excel hides the apostrophe, so "+1 555 0100" still reads as the phone number, and as text rather than
a sum). Header names are cells too: an upload's own column names are echoed in its results.

IDs may legitimately start with - or @, so a reviewed CSV read back (classroom suggestions, merge
candidates) has the apostrophe taken off its ID columns again: ``unescape_formulas``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from roster_pipeline.frames import STRING

FORMULA_FIRST_CHARACTERS = "=+-@\t\r\x00"  # all ASCII: one byte each in UTF-8
_FIRST_BYTES = np.frombuffer(FORMULA_FIRST_CHARACTERS.encode(), dtype=np.uint8)
_ESCAPED = re.compile(f"^'(?=[{re.escape(FORMULA_FIRST_CHARACTERS)}])")


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    escaped = frame.copy(deep=False)  # columns are replaced, never changed in place
    for column in escaped.columns:
        values = escaped[column]
        if _is_number_like(values):
            continue
        if isinstance(values.dtype, pd.CategoricalDtype):
            escaped_labels = _escaped_categories(values)
            if escaped_labels is not None:
                escaped[column] = escaped_labels
                continue
        text = pa.array(values.astype(STRING).array)
        risky = _starts_a_formula(text)
        if risky.any():
            quoted = pc.if_else(risky, pc.utf8_replace_slice(text, 0, 0, "'"), text)
            escaped[column] = pd.Series(quoted, dtype=STRING, index=values.index)
    names = pa.array([str(name) for name in escaped.columns], pa.string())
    risky_names = _starts_a_formula(names)
    if risky_names.any():
        escaped.columns = [
            f"'{name}" if risky else name for name, risky in zip(names.to_pylist(), risky_names, strict=True)
        ]
    return escaped


def _escaped_categories(values: pd.Series) -> pd.Series | None:
    """A categorical column escaped label by label (a results message: a few sentences over millions
    of rows), staying categorical; None when escaping would make two labels one."""
    labels = pa.array([str(label) for label in values.cat.categories], pa.string())
    risky = _starts_a_formula(labels)
    quoted = pc.if_else(risky, pc.utf8_replace_slice(labels, 0, 0, "'"), labels) if risky.any() else labels
    if len(pc.unique(quoted)) != len(quoted):
        return None
    categories = pd.Index(pd.array(quoted, dtype=STRING))
    return pd.Series(pd.Categorical.from_codes(values.cat.codes.to_numpy(), categories), index=values.index)


def _starts_a_formula(text: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Whether each value's first byte is one of FORMULA_FIRST_CHARACTERS, read straight from the
    Arrow buffers: a regular expression over every cell was a sixth of writing the results."""
    array = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    array = array.cast(pa.large_string())
    if len(array) == 0:
        return np.zeros(0, dtype=bool)
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    starts = offsets[:-1]
    present = offsets[1:] > starts
    if array.null_count:
        present &= array.is_valid().to_numpy(zero_copy_only=False)
    first = np.zeros(len(array), dtype=np.uint8)
    first[present] = data[starts[present]]
    return present & np.isin(first, _FIRST_BYTES)


def unescape_formulas(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The inverse for text columns that cannot hold an apostrophe of their own (IDs)."""
    restored = frame.copy()
    for column in columns:
        if column in restored.columns:
            values = restored[column].astype("string")
            restored[column] = values.str.replace(_ESCAPED, "", regex=True)
    return restored


def _is_number_like(values: pd.Series) -> bool:
    """Numbers, booleans and timestamps cannot hold a formula; everything else (text, categories,
    Arrow dictionaries, lists) is written as text and checked."""
    dtype = values.dtype
    return (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
    )
