"""A Dagster import run that crashed in ``import_commit``, re-executed from failure: the crash leaves the
roster as it was, the re-execution re-runs only the failed steps on the stored values of the others,
commits once, writes the results once, and its run can be reviewed and applied like any other.

The job is the code location's public ``import_upload`` with its own resources and IO manager, run by a
child process per run (``dagster_runs.py``) on a persistent instance in a temporary DAGSTER_HOME. The
crash is the roster database refusing a write, inside the commit's transaction (a trigger).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._core.instance.ref import InstanceRef
from sqlalchemy import Engine

from roster_pipeline.apply.runs import COMMITTED, DRY_RUN, find_run
from roster_pipeline.import_run import apply_reviewed_run, merge_candidates_of, run_import
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline.upload.s3 import make_s3_client
from roster_pipeline_tests.conftest import S3_CREDENTIALS, SAMPLE_UPLOAD
from roster_pipeline_tests.faults.database import duplicate_sis_ids, refused_writes, search_path_option
from roster_pipeline_tests.importing import DEMO, roster_state, roster_table

REPO = Path(__file__).parents[2]


@pytest.fixture
def location(demo_roster: Engine, tmp_path: Path, s3_endpoint: str, s3_client, bucket: str) -> dict:
    """The code location's environment for this test's roster, bucket and Dagster home."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    url = demo_roster.url
    if option := search_path_option(demo_roster):
        url = url.update_query_dict({"options": option})
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ROSTER_", "DAGSTER_")) or key == "ROSTER_TEST_POSTGRES_URL"
    }
    env |= S3_CREDENTIALS | {
        "PYTHONPATH": str(REPO),
        "DAGSTER_HOME": str(home),
        "ROSTER_DATA_DIR": str(tmp_path / "data"),
        "ROSTER_DATABASE_URL": url.render_as_string(hide_password=False),
        "ROSTER_S3_BUCKET": bucket,
        "ROSTER_S3_ENDPOINT_URL": s3_endpoint,
    }
    for path in sorted(SAMPLE_UPLOAD.glob("*.csv")):
        s3_client.put_object(Bucket=bucket, Key=f"drop/{DEMO}/u1/{path.name}", Body=path.read_bytes())
    return {"env": env, "home": home, "upload": f"s3://{bucket}/drop/{DEMO}/u1/", "data": tmp_path / "data"}


def dagster_run(location: dict, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "roster_pipeline_tests.faults.dagster_runs", *args],
        env=location["env"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def instance_at(home: Path) -> Iterator[DagsterInstance]:
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        yield instance


def materialized(instance: DagsterInstance, asset: str) -> list[str]:
    """The run ids of every materialization of ``asset``, oldest first."""
    records = instance.fetch_materializations(AssetKey(asset), limit=100, ascending=True).records
    return [record.run_id for record in records]


def step_failures(instance: DagsterInstance, run_id: str) -> dict[str, str]:
    """Each failed step's error, with the errors that caused it (Dagster wraps the step's own)."""
    failures = {}
    for event in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        error, messages = event.dagster_event.step_failure_data.error, []  # type: ignore[union-attr]
        while error is not None:
            messages.append(error.message.strip())
            error = error.cause
        failures[event.step_key or ""] = "\n".join(messages)
    return failures


def test_a_commit_run_that_crashed_in_import_commit_picks_up_cleanly_when_reexecuted(
    demo_roster: Engine, location: dict, s3_client, bucket: str
) -> None:
    before = roster_state(demo_roster)
    with refused_writes(demo_roster, "students"):
        first = dagster_run(location, "run", DEMO, location["upload"], "commit")
    assert not first["success"]
    assert roster_state(demo_roster) == before
    with instance_at(location["home"]) as instance:
        failures = step_failures(instance, first["run_id"])
        assert list(failures) == ["import_commit"]
        assert "the commit failed" in failures["import_commit"]
        assert "nothing was applied" in failures["import_commit"]
        assert materialized(instance, "upload_results") == []
    with demo_roster.connect() as connection:
        crashed = find_run(connection, first["run_id"])
    assert (crashed["status"], crashed["message"][:15]) == (DRY_RUN, "commit failed: ")

    second = dagster_run(location, "reexecute-from-failure", first["run_id"])
    with instance_at(location["home"]) as instance:
        assert second["success"], step_failures(instance, second["run_id"])
    with instance_at(location["home"]) as instance:
        run = instance.get_run_by_id(second["run_id"])
        assert run is not None and run.status == DagsterRunStatus.SUCCESS
        assert run.parent_run_id == first["run_id"]
        # Only the failed step and what depends on it ran again; everything else was loaded.
        assert materialized(instance, "staged_plan") == [first["run_id"]]
        assert materialized(instance, "import_commit") == [second["run_id"]]
        assert materialized(instance, "upload_results") == [second["run_id"]]

    assert len(roster_table(demo_roster, "students")) == 9
    with demo_roster.connect() as connection:
        assert set(duplicate_sis_ids(connection, find_tenant(connection, DEMO).id).values()) == {0}
        assert find_run(connection, second["run_id"])["status"] == COMMITTED
    # The roster is what the upload says: importing it again changes nothing.
    client = make_s3_client(location["env"]["ROSTER_S3_ENDPOINT_URL"], "us-east-1")
    again = run_import(demo_roster, location["upload"], DEMO, location["data"], s3_client=client)
    assert again.plan is not None and again.plan.is_empty
    results = s3_client.get_object(Bucket=bucket, Key=f"results/{DEMO}/u1/users_results.csv")["Body"].read()
    assert b"CREATED" in results
    # The re-executed run is a run like any other: its merge review queue can be opened.
    assert len(merge_candidates_of(demo_roster, second["run_id"], location["data"])) == 1


def test_a_dry_run_that_crashed_in_import_commit_can_be_reviewed_and_applied_after_reexecution(
    demo_roster: Engine, location: dict
) -> None:
    before = roster_state(demo_roster)
    with refused_writes(demo_roster, "import_runs"):  # the run record cannot be written
        first = dagster_run(location, "run", DEMO, location["upload"], "dry-run")
    assert not first["success"]
    second = dagster_run(location, "reexecute-from-failure", first["run_id"])
    with instance_at(location["home"]) as instance:
        assert second["success"], step_failures(instance, second["run_id"])
    assert roster_state(demo_roster) == before

    status, _, _ = apply_reviewed_run(demo_roster, second["run_id"], location["data"])
    assert status == COMMITTED
    assert len(roster_table(demo_roster, "students")) == 9
