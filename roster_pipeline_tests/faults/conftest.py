"""Fixtures for the fault tests: the fault-injecting S3 proxy in front of the moto server, and an S3
retry policy short enough that a test gives up in seconds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from roster_pipeline.upload.s3 import S3Retry
from roster_pipeline_tests.faults.s3_proxy import FaultyS3Proxy

# Four tries a request, tiny backoff. The read timeout is one no honest answer reaches: moto takes
# 0.5-1.3 s for a 1,000-key listing on a busy 2-core machine, so a shorter one turned slow answers
# into extra, uncounted tries (and failed tests that count tries).
FAST_RETRY = S3Retry(
    max_attempts=4,
    base_delay_s=0.02,
    max_delay_s=0.1,
    deadline_s=20.0,
    connect_timeout_s=1.0,
    read_timeout_s=10.0,
)
# For the tests that make the proxy stall: a stalled read costs 0.5 s, well under the proxy's stall
# (3 s), and only the sample upload's small objects are read through it.
STALL_RETRY = replace(FAST_RETRY, read_timeout_s=0.5)
STALLS = ("stall", "stall_body")


def retry_for(kind: str) -> S3Retry:
    """The policy for a test injecting faults of this kind."""
    return STALL_RETRY if kind in STALLS else FAST_RETRY


@pytest.fixture
def faulty_s3(s3_endpoint: str, s3_env: None) -> Iterator[FaultyS3Proxy]:
    proxy = FaultyS3Proxy(s3_endpoint, stall_s=3.0).start()
    yield proxy
    proxy.stop()
