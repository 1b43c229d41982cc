"""Fixtures for the fault tests: the fault-injecting S3 proxy in front of the moto server, and an S3
retry policy short enough that a test gives up in seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from roster_pipeline.upload.s3 import S3Retry
from roster_pipeline_tests.faults.s3_proxy import FaultyS3Proxy

# Four tries a request, tiny backoff, timeouts well under a second: a stalled read costs 0.5 s.
FAST_RETRY = S3Retry(
    max_attempts=4,
    base_delay_s=0.02,
    max_delay_s=0.1,
    deadline_s=20.0,
    connect_timeout_s=1.0,
    read_timeout_s=0.5,
)


@pytest.fixture
def faulty_s3(s3_endpoint: str, s3_env: None) -> Iterator[FaultyS3Proxy]:
    proxy = FaultyS3Proxy(s3_endpoint, stall_s=3.0).start()
    yield proxy
    proxy.stop()
