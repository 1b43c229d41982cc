"""Spreadsheet-safe cells: a value starting with = + - @ (or tab / carriage return / NUL) would run as a
formula when a district opens the results in Excel, so it gets a leading apostrophe (OWASP's advice;
Excel hides the apostrophe, so "+1 555 0100" still reads as the phone number, and as text rather than
a sum). Header names are cells too: an upload's own column names are echoed in its results.

IDs may legitimately start with - or @, so a reviewed CSV read back (classroom suggestions, merge
candidates) has the apostrophe taken off its ID columns again: ``unescape_formulas``.
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = r"^[=+\-@\t\r\x00]"


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    escaped = frame.copy(deep=False)  # columns are replaced, never changed in place
    for column in escaped.columns:
        values = escaped[column]
        if _is_number_like(values):
            continue
        values = values.astype("string")
        risky = values.str.contains(FORMULA_START, regex=True).fillna(False).astype(bool)
        if risky.any():
            escaped[column] = values.where(~risky, "'" + values)
    names = pd.Series([str(name) for name in escaped.columns], dtype="string")
    risky_names = names.str.contains(FORMULA_START, regex=True).to_numpy()
    if risky_names.any():
        escaped.columns = names.where(~risky_names, "'" + names).tolist()
    return escaped


def unescape_formulas(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The inverse for text columns that cannot hold an apostrophe of their own (IDs)."""
    restored = frame.copy()
    for column in columns:
        if column in restored.columns:
            values = restored[column].astype("string")
            restored[column] = values.str.replace(r"^'(?=[=+\-@\t\r\x00])", "", regex=True)
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
