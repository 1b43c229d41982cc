"""The import assets materialized against a moto S3 server on 127.0.0.1 and a SQLite roster."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from roster_pipeline.defs.io_manager import RosterIOManager
from roster_pipeline.defs.jobs import commit_reviewed_dry_run, rollback_import_run
from roster_pipeline.defs.resources import DropBucket
from roster_pipeline.intermediates import load_value
from roster_pipeline.matching.entities import ENTITIES
from roster_pipeline.plan import storage
from roster_pipeline.plan.storage import load_plan
from roster_pipeline.reports import writer
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.dagster_site import dagster_site, import_on
from roster_pipeline_tests.importing import (
    archive_half_the_students,
    import_upload,
    roster_state,
    roster_table,
)

TENANT = "district-0042"


@pytest.fixture
def setup(tmp_path: Path, s3_client, s3_endpoint: str, bucket: str):
    drop_bucket = DropBucket(bucket=bucket, endpoint_url=s3_endpoint)
    return dagster_site(tmp_path, drop_bucket, io_manager=RosterIOManager(location=str(tmp_path / "io")))


def drop(s3_client, bucket: str, upload_id: str, folder: Path = SAMPLE_UPLOAD) -> str:
    for path in sorted(folder.glob("*.csv")):
        s3_client.put_object(
            Bucket=bucket, Key=f"drop/{TENANT}/{upload_id}/{path.name}", Body=path.read_bytes()
        )
    return f"s3://{bucket}/drop/{TENANT}/{upload_id}/"


def metadata(result, asset: str) -> dict:
    return {
        key: value.value for key, value in result.asset_materializations_for_node(asset)[0].metadata.items()
    }


def test_the_staged_plan_is_encoded_once_for_the_reviewer_and_the_next_step(
    setup, s3_client, bucket, tmp_path: Path, monkeypatch
) -> None:
    encoded: list[int] = []
    original = storage.parquet_bytes
    monkeypatch.setattr(storage, "parquet_bytes", lambda *a, **k: encoded.append(1) or original(*a, **k))
    result = import_on(setup, drop(s3_client, bucket, "u1"))
    assert result.success
    assert len(encoded) == len(ENTITIES) + len(storage.TABLES)
    stored = load_value(tmp_path / "io" / "staged_plan" / TENANT)  # what import_commit is handed
    reviewed = load_plan(tmp_path / "data" / "runs" / result.run_id / "plan")
    for name, frame in reviewed.entities.items():
        pd.testing.assert_frame_equal(stored.entities[name], frame)


def test_a_dry_run_stages_the_plan_writes_results_and_leaves_the_roster(setup, s3_client, bucket) -> None:
    engine = setup[0]
    before = roster_state(engine)
    result = import_on(setup, drop(s3_client, bucket, "u1"))
    assert result.success
    assert metadata(result, "import_commit")["outcome"] == "dry run: not applied"
    counts = {row.data["entity"]: row.data for row in metadata(result, "staged_plan")["counts"].records}
    assert counts["students"]["CREATED"] == 8
    assert "### students (8 changes)" in metadata(result, "staged_plan")["sample_changes"]
    assert roster_state(engine) == before
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix=f"results/{TENANT}/u1/plan/")["Contents"]
    assert {"changes.parquet", "students.parquet", "summary.json"} <= {
        o["Key"].rsplit("/", 1)[1] for o in listed
    }
    results = s3_client.get_object(Bucket=bucket, Key=f"results/{TENANT}/u1/users_results.csv")["Body"].read()
    assert b"CREATED" in results
    assert metadata(result, "upload_results")["status"] == "DRY_RUN"
    checks = {event.check_name: event.passed for event in result.get_asset_check_evaluations()}
    assert checks == {"no_validation_errors": True, "within_change_thresholds": True}
    queue = metadata(result, "merge_review_queue")
    assert queue["candidates"] == 1
    row = queue["queue"].records[0].data
    assert (row["student_key"], row["existing_classes"], row["classes"]) == ("0001004", "1", "1")
    assert s3_client.head_object(Bucket=bucket, Key=f"results/{TENANT}/u1/merge_candidates.csv")


def test_the_results_are_written_as_files_and_sent_to_s3_as_the_cli_writes_them(
    setup, s3_client, bucket, tmp_path: Path, monkeypatch
) -> None:
    """Arrow writes each results file straight to the run's folder and S3 gets those files: no
    results file is built whole in memory (at a million students they are gigabytes)."""
    built: list[int] = []
    original = writer.csv_bytes
    monkeypatch.setattr(writer, "csv_bytes", lambda *a, **k: built.append(1) or original(*a, **k))
    result = import_on(setup, drop(s3_client, bucket, "u1"))
    assert result.success and built == []

    local = tmp_path / "data" / "runs" / result.run_id / "results"
    names = sorted(path.name for path in local.iterdir())
    assert {"users_results.csv", "enrollments_results.csv", "errors.csv", "summary.csv"} <= set(names)
    cli = import_upload(setup[0], SAMPLE_UPLOAD, tmp_path / "cli")
    for name in names:
        in_s3 = s3_client.get_object(Bucket=bucket, Key=f"results/{TENANT}/u1/{name}")["Body"].read()
        assert in_s3 == (local / name).read_bytes() == (cli.run_folder / "results" / name).read_bytes(), name


def test_results_being_replaced_are_never_vouched_for_by_the_last_runs_summary(
    s3_client, s3_endpoint: str, bucket: str
) -> None:
    """A second run of an upload puts its results where the first run's are. The old summary.csv is
    gone before the first new file is put: had the new run failed part-way, its files would sit
    beside the old ones with no summary saying the set is whole."""
    drop_bucket = DropBucket(bucket=bucket, endpoint_url=s3_endpoint)
    drop_bucket.write_results(TENANT, "u1", {"users_results.csv": b"old", "summary.csv": b"old"})

    def written_then_failing():  # type: ignore[no-untyped-def]
        yield "users_results.csv", b"new"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        drop_bucket.write_results(TENANT, "u1", written_then_failing(), last="summary.csv")
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix=f"results/{TENANT}/u1/")
    assert [item["Key"] for item in listed["Contents"]] == [f"results/{TENANT}/u1/users_results.csv"]


def test_a_rejected_upload_still_gets_its_results(setup, s3_client, bucket, tmp_path: Path) -> None:
    engine = setup[0]
    before = roster_state(engine)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "users.csv").write_text(
        "sourcedId,role,givenName,familyName,orgSourcedIds\n1,pupil,A,B,sch-0101\n"
    )
    result = import_on(setup, drop(s3_client, bucket, "bad", broken), dry_run=False)
    assert result.success  # a rejection is an outcome, not a crash
    assert metadata(result, "upload_results")["status"] == "REJECTED"
    assert roster_state(engine) == before
    rows = s3_client.get_object(Bucket=bucket, Key=f"results/{TENANT}/bad/users_results.csv")["Body"].read()
    assert b"NOT_IMPORTED" in rows and b"ERROR" in rows
    checks = {event.check_name: event.passed for event in result.get_asset_check_evaluations()}
    assert checks["no_validation_errors"] is False


def test_a_threshold_rejected_run_reports_nothing_imported_as_the_cli_does(
    setup, s3_client, bucket, tmp_path: Path
) -> None:
    engine = setup[0]
    assert import_on(setup, drop(s3_client, bucket, "first"), dry_run=False).success
    state = roster_state(engine)
    upload = tmp_path / "half"
    shutil.copytree(SAMPLE_UPLOAD, upload)
    archive_half_the_students(upload)

    result = import_on(setup, drop(s3_client, bucket, "half", upload), dry_run=False)

    assert result.success
    assert roster_state(engine) == state
    shown = metadata(result, "upload_results")
    assert shown["status"] == "REJECTED"
    files = {row.data["file"]: row.data for row in shown["files"].records}
    assert (files["(upload)"]["status"], files["(upload)"]["errors"]) == ("ERROR", 5)
    key = f"results/{TENANT}/half/users_results.csv"
    in_s3 = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    users = pd.read_csv(io.BytesIO(in_s3), dtype=str, keep_default_na=False).set_index("line")
    assert set(users["action"]) == {"NOT_IMPORTED"}
    assert users.loc["4", "message"].startswith(
        "would be archived (student archived; guardian link removed); not imported: "
        "students: 4 of 8 would be archived or removed (50%); the limit is 10%"
    )
    # The CLI's import of the same upload against the same roster writes the same results.
    cli = import_upload(engine, upload, tmp_path / "cli", commit=True)
    assert cli.status == "REJECTED"
    for name in ("users_results.csv", "enrollments_results.csv", "errors.csv", "summary.csv"):
        dagster = s3_client.get_object(Bucket=bucket, Key=f"results/{TENANT}/half/{name}")["Body"].read()
        assert (cli.run_folder / "results" / name).read_bytes() == dagster, name


def test_an_unreadable_upload_is_rejected_with_results(setup, s3_client, bucket) -> None:
    result = import_on(setup, f"s3://{bucket}/drop/{TENANT}/nothing-here/")
    assert result.success
    assert metadata(result, "upload_results")["status"] == "REJECTED"


def test_commit_a_reviewed_dry_run_applies_exactly_the_saved_plan(setup, s3_client, bucket, tmp_path) -> None:
    engine, instance, resources = setup
    dry = import_on(setup, drop(s3_client, bucket, "u2"))
    saved = load_plan(tmp_path / "data" / "runs" / dry.run_id / "plan")
    result = commit_reviewed_dry_run.execute_in_process(
        run_config={"ops": {"apply_reviewed_dry_run": {"config": {"run_id": dry.run_id}}}},
        resources=resources,
        instance=instance,
    )
    assert result.success
    assert (
        len(roster_table(engine, "students"))
        == 1 + saved.counts().set_index("entity").loc["students", "CREATED"]
    )

    undone = rollback_import_run.execute_in_process(
        run_config={"ops": {"rollback_import": {"config": {"run_id": dry.run_id}}}},
        resources=resources,
        instance=instance,
    )
    assert undone.success
    assert len(roster_table(engine, "students")) == 1


def test_a_commit_run_changes_the_roster(setup, s3_client, bucket) -> None:
    result = import_on(setup, drop(s3_client, bucket, "u3"), dry_run=False)
    assert metadata(result, "upload_results")["status"] == "COMMITTED"
    assert len(roster_table(setup[0], "students")) == 9


def test_matching_and_the_results_each_read_only_their_half_of_the_validated_upload(
    setup, s3_client, bucket
) -> None:
    result = import_on(setup, drop(s3_client, bucket, "u5"))
    assert result.success
    left_out = {
        event.step_key: event.event_specific_data.metadata.get("left_out")
        for event in result.all_events
        if event.event_type_value == "LOADED_INPUT"
        and event.event_specific_data.input_name == "validated_roster"
    }
    assert {step: value.value for step, value in left_out.items()} == {
        "roster_matches": "roster_pipeline.validation.validate:ValidatedFile.rows",
        "upload_results": "roster_pipeline.validation.validate:ValidatedFile.frame",
    }
