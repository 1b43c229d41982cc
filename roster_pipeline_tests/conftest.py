"""Shared fixtures: a real S3-compatible HTTP server on 127.0.0.1 (moto's server mode)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_UPLOAD = Path(__file__).parents[1] / "roster_pipeline" / "samples" / "demo_district"
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in S3_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def s3_client(s3_endpoint: str, s3_env: None):
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3_client, request: pytest.FixtureRequest) -> str:
    name = "drop-" + request.node.name.lower().replace("_", "-")[:40].strip("-[]")
    s3_client.create_bucket(Bucket=name)
    return name
