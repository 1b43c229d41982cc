"""Spreadsheet-safe cells: a value starting with = + - @ (or tab / carriage return) would run as a
formula when a district opens the results in Excel, so it gets a leading apostrophe."""

from __future__ import annotations

import pandas as pd

FORMULA_START = r"^[=+\-@\t\r]"


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    escaped = frame.copy()
    for column in escaped.columns:
        values = escaped[column]
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        values = values.astype("string")
        risky = values.str.contains(FORMULA_START, regex=True).fillna(False).astype(bool)
        if risky.any():
            escaped[column] = values.where(~risky, "'" + values)
    return escaped
