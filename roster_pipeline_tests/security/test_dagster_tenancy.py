"""The Dagster side of tenant isolation: a run's tenant is its partition, and nothing in its config
(an upload's address, a run id) can make it read or change another tenant's data. Against a moto S3
server and a SQLite roster holding the demo district and its neighbour."""

from __future__ import annotations

from pathlib import Path

import pytest

from roster_pipeline.defs.resources import DropBucket
from roster_pipeline.defs.roster_operations import classroom_ids_job, merge_students_job
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.dagster_site import dagster_site, import_on
from roster_pipeline_tests.importing import DEMO, roster_state
from roster_pipeline_tests.security.tenancy import NEIGHBOUR, NEIGHBOUR_FIXTURE, tenant_content


@pytest.fixture
def dagster_setup(tmp_path: Path, s3_client, s3_endpoint: str, bucket: str):
    drop_bucket = DropBucket(bucket=bucket, endpoint_url=s3_endpoint)
    engine, instance, resources = dagster_site(tmp_path, drop_bucket, more_tenants=[NEIGHBOUR_FIXTURE])
    for path in sorted(SAMPLE_UPLOAD.glob("*.csv")):
        for tenant in (DEMO, NEIGHBOUR):
            s3_client.put_object(Bucket=bucket, Key=f"drop/{tenant}/u1/{path.name}", Body=path.read_bytes())
    return engine, instance, resources


def import_run(setup, tenant: str, location: str, dry_run: bool = True):  # type: ignore[no-untyped-def]
    return import_on(setup, location, dry_run, tenant, raise_on_error=False)


def results_keys(s3_client, bucket: str) -> list[str]:
    return [
        item["Key"]
        for item in s3_client.list_objects_v2(Bucket=bucket, Prefix="results/").get("Contents", [])
    ]


@pytest.mark.parametrize(
    "location",
    [
        "drop/district-0099/u1/",
        "drop/district-0042/../district-0099/u1/",
        "drop/district-0042/u1/../../district-0099/u1/",
        "results/district-0099/u1/",
    ],
)
def test_an_import_run_for_one_tenant_refuses_another_tenants_upload(
    dagster_setup, s3_client, bucket: str, location: str
) -> None:
    engine = dagster_setup[0]
    before = roster_state(engine), tenant_content(engine, NEIGHBOUR)
    result = import_run(dagster_setup, DEMO, f"s3://{bucket}/{location}", dry_run=False)
    assert not result.success
    failure = next(event for event in result.all_events if event.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "raw_upload"
    assert f"is not an upload of {DEMO}" in failure.event_specific_data.error.to_string()
    assert (roster_state(engine), tenant_content(engine, NEIGHBOUR)) == before
    assert results_keys(s3_client, bucket) == []  # nothing written under anyone's results


def test_the_same_tenants_upload_is_imported(dagster_setup, s3_client, bucket: str) -> None:
    engine = dagster_setup[0]
    neighbour = tenant_content(engine, NEIGHBOUR)
    result = import_run(dagster_setup, DEMO, f"s3://{bucket}/drop/{DEMO}/u1/", dry_run=False)
    assert result.success
    assert tenant_content(engine, NEIGHBOUR) == neighbour
    assert {key.split("/")[1] for key in results_keys(s3_client, bucket)} == {DEMO}


def test_the_classroom_ids_job_refuses_another_tenants_upload(dagster_setup, bucket: str) -> None:
    engine, instance, resources = dagster_setup
    before = roster_state(engine), tenant_content(engine, NEIGHBOUR)
    result = classroom_ids_job.execute_in_process(
        run_config={
            "ops": {
                "assign_classroom_ids": {
                    "config": {"upload": f"s3://{bucket}/drop/{NEIGHBOUR}/u1/", "dry_run": False}
                }
            }
        },
        partition_key=DEMO,
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not result.success
    assert (roster_state(engine), tenant_content(engine, NEIGHBOUR)) == before


def test_the_merge_job_refuses_another_tenants_run(dagster_setup, bucket: str) -> None:
    engine, instance, resources = dagster_setup
    theirs = import_run(dagster_setup, NEIGHBOUR, f"s3://{bucket}/drop/{NEIGHBOUR}/u1/")
    assert theirs.success
    before = roster_state(engine), tenant_content(engine, NEIGHBOUR)
    result = merge_students_job.execute_in_process(
        run_config={
            "ops": {
                "merge_duplicated_students": {
                    "config": {"run_id": theirs.run_id, "min_score": 0.0, "dry_run": False}
                }
            }
        },
        partition_key=DEMO,
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not result.success
    failure = next(event for event in result.all_events if event.event_type_value == "STEP_FAILURE")
    assert f"not a run of {DEMO}" in failure.event_specific_data.error.to_string()
    assert (roster_state(engine), tenant_content(engine, NEIGHBOUR)) == before
