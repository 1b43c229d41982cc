"""Small vectorised helpers over pyarrow-backed string columns that pandas makes slow."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STRING = pd.StringDtype("pyarrow")


def is_in(values: pd.Series, allowed: pd.Series | pd.Index | Iterable[str]) -> pd.Series:
    """``values.isin(allowed)`` computed by Arrow: pandas converts a large ``allowed`` value by value."""
    if not isinstance(allowed, pd.Series | pd.Index):
        allowed = pd.Series(list(allowed), dtype=STRING)
    value_set = _arrow(pd.Series(allowed)).drop_null()
    found = pc.is_in(_arrow(values), value_set=value_set.cast(pa.large_string()))
    return pd.Series(found.fill_null(False).to_numpy(zero_copy_only=False), index=values.index)


def spelled_with(values: pd.Series, characters: str, max_length: int) -> pd.Series:
    """True where a value is 1 to ``max_length`` of the given ASCII characters (a missing value is
    False): one look at each byte of the column's buffer, where a regular expression runs per value."""
    allowed = np.zeros(256, dtype=bool)
    allowed[list(characters.encode("ascii"))] = True
    text = _arrow(values)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + len(text) + 1]
    first, last = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(text.buffers()[2] or b"", dtype=np.uint8)[first:last]
    lengths = np.diff(offsets)
    spelled = (lengths >= 1) & (lengths <= max_length)
    strays = np.flatnonzero(~allowed[data])
    if len(strays):
        spelled[np.searchsorted(offsets, strays + first, side="right") - 1] = False
    spelled &= ~text.is_null().to_numpy(zero_copy_only=False)
    return pd.Series(spelled, index=values.index)


def looked_up(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``keys.map(table)`` for a text ``table`` indexed by unique text, <NA> where a key is not there:
    one Arrow hash lookup, where pandas builds an index over Arrow strings a Python object at a time."""
    positions = pc.index_in(_arrow(keys), value_set=_arrow(table.index.to_series()))
    found = _arrow(table).take(positions)
    return pd.Series(pd.array(found.cast(pa.string()), dtype=STRING), index=keys.index)


def as_text(values: pd.Series) -> pd.Series:
    """``values.astype(STRING)``; a categorical is expanded by Arrow from its codes (pandas goes
    through a Python object per row)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(STRING)
    categories = values.cat.categories.astype(str)
    return from_codes(values.cat.codes.to_numpy(), list(categories), values.index)


def from_codes(codes: np.ndarray, labels: Sequence[str], index: pd.Index) -> pd.Series:
    """Each row's label picked by number (-1: missing), built by Arrow in one take; a NumPy array of
    str becomes a string column one Python object at a time."""
    taken = pa.array(list(labels), pa.string()).take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(taken, dtype=STRING), index=index)


def row_keys(*columns: pd.Series) -> pd.Series:
    """One integer per row, equal exactly where every column is equal (a missing value equals only a
    missing one): duplicates and groups over text columns without joining them into one long string
    per row, whose hashing is most of the cost."""
    keys = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        encoded = pc.dictionary_encode(_arrow(column), null_encoding="encode")
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        keys = pd.factorize(keys * len(encoded.dictionary) + codes)[0]
    return pd.Series(keys, index=columns[0].index)


def _arrow(values: pd.Series) -> pa.Array:
    if values.dtype != STRING:
        values = values.astype(STRING)
    array = pa.array(values.array).cast(pa.large_string())
    # A column pandas put together from several (a concat, a melt) comes as chunks.
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
