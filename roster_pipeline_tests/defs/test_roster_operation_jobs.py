"""The jobs around an import, per tenant partition, on a SQLite roster and a moto S3 server."""

from __future__ import annotations

from roster_pipeline.defs.roster_operations import archive_students_job, classroom_ids_job, merge_students_job
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.dagster_site import import_on
from roster_pipeline_tests.defs.test_import_assets import TENANT, drop, setup  # noqa: F401
from roster_pipeline_tests.importing import roster_table


def execute(job, setup_, op: str, config: dict):  # type: ignore[no-untyped-def]
    _, instance, resources = setup_
    return job.execute_in_process(
        run_config={"ops": {op: {"config": config}}},
        partition_key=TENANT,
        instance=instance,
        resources=resources,
    )


def outcome(result, op: str) -> dict:  # type: ignore[no-untyped-def]
    event = next(e for e in result.all_events if e.step_key == op and e.event_type_value == "STEP_OUTPUT")
    return {key: value.value for key, value in event.event_specific_data.metadata.items()}


def test_archive_students_dry_run_then_commit(setup) -> None:  # noqa: F811
    dry = execute(archive_students_job, setup, "archive_existing_students", {"school_ids": ["sch-0101"]})
    assert outcome(dry, "archive_existing_students")["outcome"] == "dry run: not applied"
    assert roster_table(setup[0], "students")["archived_at"].isna().all()
    execute(archive_students_job, setup, "archive_existing_students", {"dry_run": False})
    assert roster_table(setup[0], "students")["archived_at"].notna().all()


def test_classroom_ids_job_matches_the_art_club_to_nothing_and_archives_it(setup) -> None:  # noqa: F811
    result = execute(
        classroom_ids_job,
        setup,
        "assign_classroom_ids",
        {"upload": str(SAMPLE_UPLOAD), "archive_unmatched": True, "dry_run": False},
    )
    assert outcome(result, "assign_classroom_ids")["status"] == "COMMITTED"
    classrooms = roster_table(setup[0], "classrooms").set_index("title")
    assert classrooms["archived_at"].notna().all()  # Art Club and Robotics Club match no class


def test_merge_students_job_merges_the_reviewed_candidates(setup, s3_client, bucket) -> None:  # noqa: F811
    first = import_on(setup, drop(s3_client, bucket, "u1"), dry_run=False)
    result = execute(
        merge_students_job,
        setup,
        "merge_duplicated_students",
        {"run_id": first.run_id, "min_score": 0.7, "dry_run": False},
    )
    assert outcome(result, "merge_duplicated_students")["status"] == "COMMITTED"
    students = roster_table(setup[0], "students").set_index("id")
    assert students.loc[1, "archived_at"] is not None  # the hand-made Noah Ng, merged into 0001004
