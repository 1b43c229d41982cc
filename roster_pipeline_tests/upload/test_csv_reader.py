"""The reader on the messiness real SIS exports contain."""

from __future__ import annotations

import pandas as pd
import pytest

from roster_pipeline.upload.csv_reader import read_csv_table
from roster_pipeline.upload.limits import UploadLimits


def rows(table) -> list[tuple]:
    return [
        (line, *values)
        for line, values in zip(table.frame.index, table.frame.to_numpy().tolist(), strict=True)
    ]


def codes(table) -> list[tuple]:
    return list(zip(table.issues["line"].tolist(), table.issues["code"], strict=True))


def test_bom_and_crlf_are_invisible():
    table = read_csv_table("users.csv", b"\xef\xbb\xbfsourcedId,givenName\r\n001,Ann\r\n002,Bob\r\n")
    assert table.header == ["sourcedId", "givenName"]
    assert rows(table) == [(2, "001", "Ann"), (3, "002", "Bob")]
    assert table.issues.empty


def test_values_stay_strings_with_leading_zeros_and_are_trimmed():
    table = read_csv_table("users.csv", b"sourcedId,grades\n  000123 , 01\n")
    assert rows(table) == [(2, "000123", "01")]
    assert isinstance(table.frame["sourcedId"].dtype, pd.StringDtype)


def test_quoted_commas_newlines_and_escaped_quotes():
    data = b'id,note,title\n1,"a, b","one"\n2,"line one\nline two\nline three",x\n3,"say ""hi""",y\n'
    table = read_csv_table("classes.csv", data)
    assert rows(table) == [
        (2, "1", "a, b", "one"),
        (3, "2", "line one\nline two\nline three", "x"),
        (6, "3", 'say "hi"', "y"),
    ]


def test_quote_in_the_middle_of_a_field_is_read_literally_with_right_lines():
    data = b'id,name\n1,Dwayne "The Rock" Johnson\n2,"multi\nline"\n3,ok\n'
    table = read_csv_table("users.csv", data)
    assert rows(table) == [
        (2, "1", 'Dwayne "The Rock" Johnson'),
        (3, "2", "multi\nline"),
        (5, "3", "ok"),
    ]


def test_a_stray_quote_file_without_a_final_newline_keeps_its_last_row():
    table = read_csv_table("users.csv", b'id,name\n1,Dwayne "The Rock"\n2,"quoted, fine"')
    assert rows(table) == [(2, "1", 'Dwayne "The Rock"'), (3, "2", "quoted, fine")]
    assert table.issues.empty


def test_cp1252_file_is_read_with_a_warning():
    table = read_csv_table("users.csv", "id,name\n1,Zoë D’Arcy\n".encode("cp1252"))
    assert rows(table) == [(2, "1", "Zoë D’Arcy")]
    assert table.issues["code"].tolist() == ["encoding_fallback"]


def test_a_utf8_file_with_one_windows_1252_byte_keeps_its_utf8_names():
    # One name pasted from an older system; reading the whole file as Windows-1252 garbled the rest.
    data = "id,name\n1,Zoë Müller\n2,José\n3,Łucja Nowak\n".encode().replace("José".encode(), b"Jos\xe9")
    table = read_csv_table("users.csv", data)
    assert rows(table) == [(2, "1", "Zoë Müller"), (3, "2", "José"), (4, "3", "Łucja Nowak")]
    assert table.issues["code"].tolist() == ["encoding_fallback"]
    assert "the first on line 3" in table.issues["message"].iloc[0]


def test_a_doubled_bom_is_ignored():
    table = read_csv_table("users.csv", b"\xef\xbb\xbf\xef\xbb\xbfsourcedId,givenName\n001,Ann\n")
    assert table.header == ["sourcedId", "givenName"]
    assert rows(table) == [(2, "001", "Ann")]
    assert table.issues.empty


def test_a_byte_windows_1252_does_not_define_is_not_text():
    table = read_csv_table("users.csv", "id,name\n1,Zoë\n2,Zo\x81\n".encode().replace(b"\xc2\x81", b"\x81"))
    assert table.issues["code"].tolist() == ["not_text"]
    assert "byte 20" in table.issues["message"].iloc[0]


def test_blank_lines_are_skipped_and_later_lines_keep_their_numbers():
    table = read_csv_table("users.csv", b"id,name\n\n1,a\n\r\n2,b\n")
    assert rows(table) == [(3, "1", "a"), (5, "2", "b")]


def test_ragged_rows_are_reported_with_their_line_and_the_rest_is_read():
    table = read_csv_table("users.csv", b'id,name\n1,a\n2\n3,"x\ny",extra\n4,d\n')
    assert rows(table) == [(2, "1", "a"), (6, "4", "d")]
    assert codes(table) == [(3, "ragged_row"), (4, "ragged_row")]
    assert table.issues["message"].iloc[1] == "the row has 3 fields; the header has 2"


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        (b"", "empty_file", None),
        (b"\r\n\n  \n", "empty_file", None),
        (b"id,name\n", "no_rows", 1),
        (b"id,name,ID\n1,a,b\n", "duplicate_column", 1),
        (b'id,name\n1,"never closed\n2,b\n', "unterminated_quote", 2),
        (b'id,name\n1,Dwayne "Rock"\n2,"never closed\n3,b\n', "unterminated_quote", 3),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_text", None),
    ],
)
def test_unreadable_files_say_why(data: bytes, code: str, line: int | None):
    table = read_csv_table("users.csv", data)
    assert table.frame is None
    assert table.issues["code"].tolist() == [code]
    assert (pd.isna(table.issues["line"].iloc[0]) and line is None) or table.issues["line"].iloc[0] == line


def test_field_longer_than_the_limit_is_an_error_on_its_cell():
    table = read_csv_table("users.csv", b"id,name\n1," + b"x" * 50 + b"\n", UploadLimits(max_field_chars=20))
    issue = table.issues.iloc[0]
    assert (issue["code"], issue["line"], issue["column"]) == ("field_too_long", 2, "name")


def test_a_utf16_file_is_named_as_such_with_what_to_do():
    # It was reported only as "the file contains NUL bytes".
    table = read_csv_table("users.csv", "sourcedId,role\r\ns1,student\r\n".encode("utf-16"))
    assert table.issues["code"].tolist() == ["not_text"]
    assert "UTF-16" in table.issues["message"].item() and "CSV UTF-8" in table.issues["message"].item()


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_a_line_of_only_spaces_is_skipped_like_a_blank_line(newline: bytes):
    # It was reported as a ragged row (ERROR) in a file a person sees as having a blank line.
    data = newline.join([b"id,name", b"1,Ann", b"  \t ", b"2,Bo", b""])
    table = read_csv_table("users.csv", data)
    assert table.issues.empty
    assert rows(table) == [(2, "1", "Ann"), (4, "2", "Bo")]
