"""PostgreSQL: the snapshot's second connection reaches the server and schema of the first, however
the database URL names the server."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from roster_pipeline.import_run import load_snapshot
from roster_pipeline.roster.database import make_engine
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.faults.database import on_postgresql, search_path_option
from roster_pipeline_tests.importing import DEMO, import_upload


def _same_roster_through(engine: Engine, url: str) -> Engine:
    return make_engine(url, connect_args={"options": search_path_option(engine)})


def _without_host(url: URL) -> URL:
    return URL.create(url.drivername, url.username, url.password, None, None, url.database, url.query)


def _snapshot_rows(engine: Engine) -> dict[str, int]:
    return {name: len(frame) for name, frame in load_snapshot(engine, DEMO).tables().items()}


@on_postgresql
def test_a_url_without_a_host_reads_the_snapshot_through_the_default_socket(
    demo_roster: Engine, tmp_path
) -> None:
    """The first connection found the server through its driver's default socket folder; the second
    is pointed at that folder rather than its own driver's default (which may be another)."""
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    url = _without_host(make_url(demo_roster.url))
    try:
        psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False)).close()
    except psycopg.OperationalError:
        pytest.skip("psycopg does not reach this server through its default socket folder here")
    through_socket = _same_roster_through(demo_roster, url.render_as_string(hide_password=False))
    try:
        assert _snapshot_rows(through_socket) == _snapshot_rows(demo_roster)
        assert _snapshot_rows(through_socket)["students"] == 9
    finally:
        through_socket.dispose()
