"""CSV bytes -> a string DataFrame indexed by each record's starting line number.

pyarrow parses; numpy finds where each record starts (newlines outside quotes) so every row keeps the
line a person sees in a text editor, even when quoted fields span lines. Nearly every file has one
record per line: that is tried first, from the newlines alone, and kept when the parse bears it out.
Files whose quoting the fast path cannot follow exactly (a quote in the middle of a field) are read by
Python's csv module instead, which is slower but agrees with pyarrow on what such a file means.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from roster_pipeline.codes import describe
from roster_pipeline.issues import Issue, concat_issues, issues_from, row_issues
from roster_pipeline.upload.decoding import NotText, decode_to_utf8
from roster_pipeline.upload.limits import UploadLimits

STRING = pd.StringDtype("pyarrow")
LINE = "line"
_NL, _CR, _QUOTE, _COMMA = 10, 13, 34, 44
# A last line appended for the csv module: it comes back as its own row unless a quote never closed.
_END_OF_FILE = "\ue000end of file\ue000"
_HEADER_QUOTE = "a quote opened in the header is not closed on the header's line"
_SCAN_SLICE = 1 << 25  # bytes of the file looked at together when finding quotes


@dataclass
class CsvTable:
    """One parsed file. ``frame`` is None when the file could not be parsed at all."""

    file: str
    header: list[str]
    frame: pd.DataFrame | None
    issues: pd.DataFrame

    @property
    def readable(self) -> bool:
        return self.frame is not None


@dataclass(frozen=True)
class _Records:
    """Where each record sits in the buffer and on which line it starts."""

    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    quotes_inside: bool  # the file ends inside a quoted field


def read_csv_table(file: str, raw: bytes, limits: UploadLimits | None = None) -> CsvTable:
    limits = limits or UploadLimits()
    notes: list[Issue] = []
    try:
        decoded = decode_to_utf8(raw)
    except NotText as error:
        return _unreadable(file, [Issue(file, "not_text", message=f"not a text CSV file: {error}")])
    if decoded.fallback:
        message = f"{describe('encoding_fallback')} (the first on line {decoded.fallback_line})"
        notes.append(Issue(file, "encoding_fallback", message=message))
    data = decoded.data
    if not data or data.isspace():
        return _unreadable(file, [*notes, Issue(file, "empty_file")])
    carriage_returns = data.count(b"\r")
    if carriage_returns and carriage_returns != data.count(b"\r\n"):
        # A lone CR ends a line (old Mac exports) for a person, pyarrow and the csv module, but not for
        # the newline scan below: the csv module reads the file, with the lines an editor shows.
        return _read_with_csv_module(file, data, limits, notes)
    buffer = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == _NL)
    if data.count(b'"') % 2 == 0:
        # Most files hold no line break inside a quoted field, so each line is a record: read so, and
        # kept when the parse agrees, without finding every quote (a file's quotes outnumber its rows
        # by ten or more).
        table = _read_records(file, data, buffer, _line_records(buffer, newlines), limits, notes, True)
        if table is not None:
            return table
    records = _scan_records(buffer, newlines)
    if records is None:
        return _read_with_csv_module(file, data, limits, notes)
    table = _read_records(file, data, buffer, records, limits, notes, False)
    assert table is not None  # only a guess at one line per record is ever given up on
    return table


def _read_records(
    file: str,
    data: bytes,
    buffer: np.ndarray,
    records: _Records,
    limits: UploadLimits,
    notes: list[Issue],
    one_line_each: bool,
) -> CsvTable | None:
    """The table, given where its records are; None when ``one_line_each`` (the records are the
    file's lines, a guess) turns out wrong."""
    if len(records.starts) == 0:
        return _unreadable(file, [*notes, Issue(file, "empty_file")])
    if records.quotes_inside:
        line = int(records.lines[-1])
        notes.append(Issue(file, "unterminated_quote", line=line))
        return _unreadable(file, notes)
    header_start, header_end = int(records.starts[0]), int(records.ends[0])
    header = _parse_header(data[header_start:header_end])
    lines = records.lines[1:]
    if one_line_each:  # the guess is checked before anything is reported from it
        table, skipped = _parse_body(data, header_end + 1, len(header)) if len(lines) else (None, 0)
        if not _one_record_per_line(buffer, records, table, skipped, len(header)):
            return None
    header_issue = _check_header(file, header, int(records.lines[0]))
    if header_issue:
        return _unreadable(file, [*notes, header_issue], header)
    if len(lines) == 0:
        return _unreadable(file, [*notes, Issue(file, "no_rows", line=int(records.lines[0]))], header)
    if not one_line_each:
        table, skipped = _parse_body(data, header_end + 1, len(header))

    good = np.ones(len(lines), dtype=bool)
    if skipped:
        fields = _field_counts(buffer, records)
        good = fields[1:] == len(header)
    bad = np.flatnonzero(~good) + 1
    texts = [data[records.starts[i] : records.ends[i]].decode("utf-8") for i in bad]
    # A line of only spaces is a blank line to a person: skipped like one, not a ragged row.
    shown = np.array([bool(text.strip()) for text in texts], dtype=bool)
    ragged = _ragged_issues(
        file,
        records.lines[bad][shown],
        fields[bad][shown] if skipped else np.array([], dtype=np.int64),
        [text for text, kept in zip(texts, shown, strict=True) if kept],
        len(header),
    )
    if table is None or table.num_rows != int(good.sum()) or len(bad) != skipped:
        return _read_with_csv_module(file, data, limits, notes)
    frame = _to_frame(table, header, lines[good])
    return _finish(file, header, frame, limits, issues_from(notes), ragged)


def _one_record_per_line(
    buffer: np.ndarray, records: _Records, table: pa.Table | None, skipped: int, width: int
) -> bool:
    """Whether the parse bears out reading each line as a record: it found one whole record on every
    line after the header (a record over several lines would take two or more), and the header and
    last lines' quotes are plain (pyarrow ends a quote left open on the last line there, where the
    scan reports it). With one column a line of spaces is a row to pyarrow, a blank line to the csv
    module: such files keep the full scan's reading."""
    first_line = buffer[int(records.starts[0]) : int(records.ends[0])]
    last_line = buffer[int(records.starts[-1]) : int(records.ends[-1])]
    return (
        table is not None
        and (table.num_rows, skipped) == (len(records.starts) - 1, 0)
        and width > 1
        and _plainly_quoted(first_line)
        and _plainly_quoted(last_line)
    )


def _line_records(buffer: np.ndarray, newlines: np.ndarray) -> _Records:
    """Every non-blank line as a record."""
    return _records_ending_at(buffer, newlines, newlines, quotes_inside=False)


def _plainly_quoted(line: np.ndarray) -> bool:
    """The line's quotes open and close whole fields, in pairs: it is one record, read alike by
    pyarrow and the csv module."""
    quotes = np.flatnonzero(line == _QUOTE)
    return len(quotes) % 2 == 0 and (not len(quotes) or _quotes_are_clean(line, quotes, True))


def _scan_records(buffer: np.ndarray, newlines: np.ndarray) -> _Records | None:
    """Record boundaries, or None when a quote sits mid-field and only a real parser can tell.

    Quote positions are found a slice at a time (a quote's parity carried across slices): a file of
    a million students holds over a hundred million quotes, too many to keep at once."""
    terminators = []
    quotes_before = 0
    for start in range(0, len(buffer), _SCAN_SLICE):
        stop = min(start + _SCAN_SLICE, len(buffer))
        quotes = np.flatnonzero(buffer[start:stop] == _QUOTE) + start
        if len(quotes) and not _quotes_are_clean(buffer, quotes, quotes_before % 2 == 0):
            return None
        in_slice = newlines[np.searchsorted(newlines, start) : np.searchsorted(newlines, stop)]
        # A newline ends a record when an even number of quotes came before it.
        terminators.append(in_slice[(np.searchsorted(quotes, in_slice) + quotes_before) % 2 == 0])
        quotes_before += len(quotes)
    terminators = np.concatenate([np.array([], dtype=np.int64), *terminators])
    return _records_ending_at(buffer, terminators, newlines, quotes_before % 2 == 1)


def _records_ending_at(
    buffer: np.ndarray, terminators: np.ndarray, newlines: np.ndarray, quotes_inside: bool
) -> _Records:
    starts = np.concatenate([[0], terminators + 1])
    ends = np.concatenate([terminators, [len(buffer)]])
    content_end = ends.copy()
    has_cr = (ends > starts) & (buffer[np.maximum(ends - 1, 0)] == _CR)
    content_end[has_cr] -= 1
    nonempty = content_end > starts
    lines = np.searchsorted(newlines, starts) + 1
    return _Records(
        starts=starts[nonempty],
        ends=content_end[nonempty],
        lines=lines[nonempty],
        quotes_inside=quotes_inside,
    )


def _field_counts(buffer: np.ndarray, records: _Records) -> np.ndarray:
    """Fields per record (commas outside quotes, plus one); only needed when some row is ragged."""
    commas = np.flatnonzero(buffer == _COMMA)
    quotes = np.flatnonzero(buffer == _QUOTE)
    if len(quotes):
        commas = commas[np.searchsorted(quotes, commas) % 2 == 0]
    owner = np.searchsorted(records.starts, commas, side="right") - 1
    inside = records.ends[np.maximum(owner, 0)] > commas
    return np.bincount(owner[inside & (owner >= 0)], minlength=len(records.starts)) + 1


def _quotes_are_clean(buffer: np.ndarray, quotes: np.ndarray, first_opens: bool) -> bool:
    """True when every quote opens at a field start and closes at a field end (RFC 4180 quoting).
    ``first_opens``: the first of ``quotes`` opens a field (an even number came before it). An escaped
    pair passes on its own: its second quote follows a closing one, and the first precedes an opening."""
    opening = quotes[0::2] if first_opens else quotes[1::2]
    closing = quotes[1::2] if first_opens else quotes[0::2]
    before = buffer[np.maximum(opening - 1, 0)]
    opens_ok = (opening == 0) | _one_of(before, _COMMA, _NL, _QUOTE)
    after = buffer[np.minimum(closing + 1, len(buffer) - 1)]
    closes_ok = (closing == len(buffer) - 1) | _one_of(after, _COMMA, _NL, _CR, _QUOTE)
    return bool(opens_ok.all() and closes_ok.all())


def _one_of(characters: np.ndarray, *wanted: int) -> np.ndarray:
    """``np.isin`` for a few byte values, which it would sort and search for (ten times slower)."""
    return np.logical_or.reduce([characters == value for value in wanted])


def _parse_header(raw_header: bytes) -> list[str]:
    try:
        row = next(csv.reader(io.StringIO(raw_header.decode("utf-8"), newline="")), [])
    except csv.Error:
        row = raw_header.decode("utf-8").split(",")
    return [name.strip() for name in row]


def _check_header(file: str, header: list[str], line: int) -> Issue | None:
    seen: set[str] = set()
    for name in header:
        if "\n" in name or "\r" in name:
            # Column names never hold a line break: a quote opened in the header took in the rows
            # below it, up to some later quote (else the file would read as a header with no rows).
            return Issue(file, "unterminated_quote", line=line, value=_clip(name), message=_HEADER_QUOTE)
        key = name.lower()
        if key and key in seen:
            return Issue(file, "duplicate_column", line=line, column=name, value=name)
        seen.add(key)
    return None


def _ragged_issues(
    file: str, lines: np.ndarray, counts: np.ndarray, texts: list[str], expected: int
) -> pd.DataFrame:
    """Only rows that are wrong pass through here, so a Python loop over them is fine."""
    messages = pd.Series(
        [f"the row has {count} fields; the header has {expected}" for count in counts], dtype=STRING
    )
    values = pd.Series([_clip(text) for text in texts], dtype=STRING)
    return row_issues(file, pd.Series(lines), "", values, "ragged_row", messages)


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _parse_body(data: bytes, body_start: int, width: int) -> tuple[pa.Table | None, int]:
    """The rows after the header, and how many pyarrow skipped for having the wrong field count."""
    names = [f"f{i}" for i in range(width)]
    body = pa.py_buffer(data)[body_start:] if body_start < len(data) else pa.py_buffer(b"")
    skipped = 0

    def skip(row) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None, skipped
    return table, skipped


def _to_frame(table: pa.Table, header: list[str], lines: np.ndarray) -> pd.DataFrame:
    frame = table.rename_columns(_unique_names(header)).to_pandas(types_mapper=_as_string)
    frame.index = pd.Index(lines, name=LINE, dtype="int64")
    for name in frame.columns:
        frame[name] = frame[name].str.strip()
    return frame


def _as_string(arrow_type: pa.DataType):
    return STRING if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) else None


def _unique_names(header: list[str]) -> list[str]:
    """Empty header cells get placeholder names so the frame stays addressable (one a header also
    has gets a mark more)."""
    names = []
    for index, name in enumerate(header):
        placeholder = f"(column {index + 1})"
        while not name and placeholder in header:
            placeholder += "'"
        names.append(name or placeholder)
    return names


def _finish(
    file: str,
    header: list[str],
    frame: pd.DataFrame,
    limits: UploadLimits,
    notes: pd.DataFrame,
    ragged: pd.DataFrame,
) -> CsvTable:
    too_long = []
    for name in frame.columns:
        if _longest_in_bytes(frame[name]) <= limits.max_field_chars:
            continue  # no value has more characters than bytes
        lengths = frame[name].str.len()
        mask = (lengths > limits.max_field_chars).to_numpy()
        if mask.any():
            values = frame.loc[mask, name].str.slice(0, 80) + "…"
            too_long.append(row_issues(file, frame.index[mask], name, values, "field_too_long"))
    return CsvTable(file, header, frame, concat_issues([notes, ragged, *too_long]))


def _longest_in_bytes(values: pd.Series) -> int:
    return pc.max(pc.binary_length(pa.array(values.array))).as_py() or 0


def _unreadable(file: str, notes: list[Issue], header: list[str] | None = None) -> CsvTable:
    return CsvTable(file, header or [], None, issues_from(notes))


def _read_with_csv_module(file: str, data: bytes, limits: UploadLimits, notes: list[Issue]) -> CsvTable:
    """The slow, exact path for files with unusual quoting; still yields start lines per record."""
    text = data.decode("utf-8") + "\n" + _END_OF_FILE + "\n"
    # The module refuses a field over 128 KiB (as an error this reader would report as a quote left
    # open); field_too_long reports long fields here as on the fast path. The limit is process-wide,
    # and only ever raised.
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    rows: list[list[str]] = []
    lines: list[int] = []
    last_line = 0
    try:
        for row in reader:
            start = last_line + 1
            last_line = reader.line_num
            if row and (len(row) > 1 or row[0].strip()):  # a line of only spaces is a blank one
                rows.append(row)
                lines.append(start)
    except csv.Error:
        notes.append(Issue(file, "unterminated_quote", line=last_line + 1))
        return _unreadable(file, notes)
    if rows[-1] != [_END_OF_FILE]:
        # strict=False keeps stray mid-field quotes, but also lets a quoted field swallow the rest of
        # the file, the end marker included: that record's quote never closed.
        notes.append(Issue(file, "unterminated_quote", line=lines[-1]))
        return _unreadable(file, notes)
    rows, lines = rows[:-1], lines[:-1]
    if not rows:
        return _unreadable(file, [*notes, Issue(file, "empty_file")])
    header = [name.strip() for name in rows[0]]
    header_issue = _check_header(file, header, lines[0])
    if header_issue:
        return _unreadable(file, [*notes, header_issue], header)
    if len(rows) == 1:
        return _unreadable(file, [*notes, Issue(file, "no_rows", line=lines[0])], header)
    width = len(header)
    body = list(zip(rows[1:], lines[1:], strict=True))
    good = [(row, line) for row, line in body if len(row) == width]
    bad = [(row, line) for row, line in body if len(row) != width]
    ragged = _ragged_issues(
        file,
        np.array([line for _, line in bad], dtype=np.int64),
        np.array([len(row) for row, _ in bad], dtype=np.int64),
        [",".join(row) for row, _ in bad],
        width,
    )
    names = _unique_names(header)
    frame = pd.DataFrame(
        [row for row, _ in good],
        columns=names,
        index=pd.Index([line for _, line in good], name=LINE, dtype="int64"),
        dtype=STRING,
    )
    for name in names:
        frame[name] = frame[name].str.strip()
    return _finish(file, header, frame, limits, issues_from(notes), ragged)
