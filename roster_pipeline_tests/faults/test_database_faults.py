"""The database connection lost in the middle of a commit (PostgreSQL: the commit's backend terminated
by an administrator while it writes): the roster is exactly as before, the run says the commit failed
and stays a dry run that can still be applied, and the same import then commits correctly."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine

from roster_pipeline.apply.runs import COMMITTED, DRY_RUN, find_run, list_runs
from roster_pipeline.cli.main import main
from roster_pipeline.import_run import CommitFailed, apply_reviewed_run
from roster_pipeline.roster.arrow_reads import APPLICATION_NAME
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.faults.commands import database_url
from roster_pipeline_tests.faults.database import (
    duplicate_sis_ids,
    on_postgresql,
    refused_writes,
    table_locked,
    terminate_backend,
    wait_for_backend,
)
from roster_pipeline_tests.importing import DEMO, import_upload, roster_state, roster_table


class Background(threading.Thread):
    """A call in a thread that keeps what it returned or raised."""

    def __init__(self, call) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.call, self.result, self.error = call, None, None

    def run(self) -> None:
        try:
            self.result = self.call()
        except BaseException as error:
            self.error = error


@on_postgresql
@pytest.mark.parametrize("blocked_at", ["students", "change_log"])
def test_a_connection_dropped_mid_commit_leaves_the_roster_as_before(
    demo_roster: Engine, tmp_path: Path, blocked_at: str
) -> None:
    before = roster_state(demo_roster)
    # The commit writes classrooms, students, ... links, then the change log: it stops at the locked
    # table with everything before it sent, and its backend is terminated there.
    with table_locked(demo_roster, blocked_at) as blocker:
        commit = Background(
            lambda: import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True, run_id="run-dropped")
        )
        commit.start()
        waiting = wait_for_backend(demo_roster, ":blocker = ANY(pg_blocking_pids(pid))", {"blocker": blocker})
        terminate_backend(demo_roster, waiting)
    commit.join(timeout=120)
    assert not commit.is_alive()

    assert isinstance(commit.error, CommitFailed), commit.error
    assert "run run-dropped: the commit failed" in str(commit.error)
    assert "nothing was applied" in str(commit.error)
    assert "connection" in str(commit.error)  # the driver's words for what happened
    assert roster_state(demo_roster) == before
    with demo_roster.connect() as connection:
        run = find_run(connection, "run-dropped")
    assert run["status"] == DRY_RUN
    assert run["message"].startswith("commit failed: ")

    # The dry run it stayed is applied exactly as staged; importing the same upload again is a no-op.
    status, _, _ = apply_reviewed_run(demo_roster, "run-dropped", tmp_path)
    assert status == COMMITTED
    assert len(roster_table(demo_roster, "students")) == 9
    again = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    assert again.status == COMMITTED and again.plan is not None and again.plan.is_empty
    with demo_roster.connect() as connection:
        assert duplicate_sis_ids(connection, find_tenant(connection, DEMO).id) == dict.fromkeys(
            ("classrooms", "students", "staff", "guardians"), 0
        )


def test_the_command_reports_a_failed_commit_and_the_dry_run_it_left_can_be_applied(
    demo_roster: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The database refusing a write mid-commit (on PostgreSQL inside a COPY, whose errors are the
    driver's, not SQLAlchemy's) is a clear "cannot run", never a traceback."""
    before = roster_state(demo_roster)
    where = ["--database-url", database_url(demo_roster), "--data-dir", str(tmp_path)]
    with refused_writes(demo_roster, "students"):
        code = main(["import", str(SAMPLE_UPLOAD), "--tenant", DEMO, "--commit", *where])
    error = capsys.readouterr().err
    assert code == 2, error
    assert error.startswith("cannot run: run ") and "the commit failed (" in error
    assert "injected failure: the database refused the write" in error and "nothing was applied" in error
    assert roster_state(demo_roster) == before
    with demo_roster.connect() as connection:
        runs = list_runs(connection, DEMO)
    assert runs["status"].tolist() == [DRY_RUN] and runs["message"].item().startswith("commit failed: ")

    assert main(["apply", runs["id"].item(), *where]) == 0
    assert len(roster_table(demo_roster, "students")) == 9


def test_a_connection_lost_just_after_the_commit_landed_reports_it_committed(
    demo_roster: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the connection fails as COMMIT returns, the client cannot know whether it landed; the run
    record, marked COMMITTED inside the commit's own transaction, tells (no real server can be made to
    fail at exactly that instant, so the error is raised after a real commit)."""
    from sqlalchemy.exc import OperationalError

    from roster_pipeline import import_run

    real_apply = import_run.apply_plan

    def apply_then_lose_the_connection(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_apply(*args, **kwargs)
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(import_run, "apply_plan", apply_then_lose_the_connection)
    outcome = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    assert outcome.status == COMMITTED
    assert outcome.message.startswith("applied: ") and "the connection then failed" in outcome.message
    assert len(roster_table(demo_roster, "students")) == 9


@on_postgresql
def test_a_snapshot_read_cut_off_stops_the_import_with_a_clear_reason_and_records_nothing(
    demo_roster: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The snapshot's rows come through a second connection (ADBC, in the first one's transaction
    snapshot); when it is terminated mid-read the command says why in one line, as for any database
    failure, and no run is recorded."""
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    before = roster_state(demo_roster)
    where = ["--database-url", database_url(demo_roster), "--data-dir", str(tmp_path / "again")]
    command = Background(lambda: main(["import", str(SAMPLE_UPLOAD), "--tenant", DEMO, *where]))
    with table_locked(demo_roster, "guardians", mode="ACCESS EXCLUSIVE") as blocker:
        command.start()
        reader = wait_for_backend(
            demo_roster,
            "application_name = :name AND :blocker = ANY(pg_blocking_pids(pid))",
            {"name": APPLICATION_NAME, "blocker": blocker},
        )
        terminate_backend(demo_roster, reader)
    command.join(timeout=120)
    assert not command.is_alive() and command.error is None, command.error

    error = capsys.readouterr().err
    assert command.result == 2, error
    assert error.startswith("cannot run: ") and "terminat" in error and len(error.splitlines()) == 1
    assert roster_state(demo_roster) == before
    with demo_roster.connect() as connection:
        assert len(list_runs(connection, DEMO)) == 1  # the first import's only
