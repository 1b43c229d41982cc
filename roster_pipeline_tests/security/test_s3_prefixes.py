"""An S3 upload location whose prefix could be resolved to somewhere else (``..``, ``.``, empty parts,
backslashes, control characters) is refused before anything is listed: S3 itself takes such keys
literally, but S3-compatible servers and proxies in front of them may not."""

from __future__ import annotations

import pytest

from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.s3 import parse_s3_url


@pytest.mark.parametrize(
    "location",
    [
        "s3://drop-bucket/drop/district-1/../district-2/u1/",
        "s3://drop-bucket/drop/district-1/u1/..",
        "s3://drop-bucket/drop/./district-1/u1/",
        "s3://drop-bucket/drop//district-1/u1/",
        "s3://drop-bucket/drop/district-1\\..\\district-2/u1/",
        "s3://drop-bucket/drop/district-1/u1\n/",
        "s3://drop-bucket/drop/district-1/u1\x00/",
    ],
)
def test_prefixes_that_could_resolve_elsewhere_are_refused(location: str) -> None:
    with pytest.raises(UploadUnreadable) as refused:
        parse_s3_url(location)
    assert refused.value.code == "unsafe_path"


def test_an_ordinary_upload_prefix_is_kept_as_written() -> None:
    assert parse_s3_url("s3://drop-bucket/drop/district-1/u-2026.09.01/") == (
        "drop-bucket",
        "drop/district-1/u-2026.09.01/",
    )
