"""Shared fixtures: a real S3-compatible HTTP server on 127.0.0.1 (moto's server mode) and roster
databases (SQLite, plus PostgreSQL when configured)."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from sqlalchemy import Engine, create_engine

from roster_pipeline.roster.database import make_engine
from roster_pipeline.roster.fixtures import load_fixture_file
from roster_pipeline.roster.migrate import upgrade
from roster_pipeline.samples import demo_tenant_path

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


# --- The roster database: SQLite always, PostgreSQL too when ROSTER_TEST_POSTGRES_URL is set (CI). ---

POSTGRES_URL = os.environ.get("ROSTER_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@contextmanager
def migrated_engine(backend: str, folder: Path) -> Iterator[Engine]:
    """A migrated, empty roster database of its own (a SQLite file in ``folder``, or a fresh
    PostgreSQL schema), dropped afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{folder / 'roster.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def roster_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty roster database of its own, per test."""
    with migrated_engine(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture
def demo_roster(roster_engine: Engine) -> Engine:
    """The demo tenant (district-0042) loaded, before its first upload."""
    with roster_engine.begin() as connection:
        load_fixture_file(connection, demo_tenant_path())
    return roster_engine


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A copy of the sample upload a test may edit."""
    folder = tmp_path / "upload"
    shutil.copytree(SAMPLE_UPLOAD, folder)
    return folder
