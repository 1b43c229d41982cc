"""The self-check asset materializes with its per-file table, from a folder and from S3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dagster import materialize

from roster_pipeline.defs.definitions import defs
from roster_pipeline.defs.resources import UploadStorage
from roster_pipeline.defs.upload_check import upload_check
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD

REPO = Path(__file__).parents[2]


def metadata_of(result):
    return result.asset_materializations_for_node("upload_check")[0].metadata


def test_sample_upload_materializes_success():
    result = materialize([upload_check], resources={"upload_storage": UploadStorage()})
    assert result.success
    metadata = metadata_of(result)
    assert metadata["status"].value == "SUCCESS"
    files = {record.data["file"]: record.data for record in metadata["files"].value.records}
    assert files["users.csv"] == {
        "file": "users.csv",
        "status": "SUCCESS",
        "rows": 13,
        "errors": 0,
        "warnings": 0,
    }


def test_broken_upload_in_s3_materializes_with_error_status(s3_client, s3_endpoint: str, bucket: str):
    s3_client.put_object(
        Bucket=bucket, Key="drop/u1/users.csv", Body=b"sourcedId,role,givenName\n1,student,A\n"
    )
    result = materialize(
        [upload_check],
        resources={"upload_storage": UploadStorage(s3_endpoint_url=s3_endpoint)},
        run_config={
            "ops": {"upload_check": {"config": {"location": f"s3://{bucket}/drop/u1", "scope": "school"}}}
        },
    )
    metadata = metadata_of(result)
    assert metadata["status"].value == "ERROR"
    assert metadata["errors"].value == 1


def test_definitions_load_and_validate_from_workspace_yaml():
    assert defs.resolve_job_def("check_upload") is not None
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert SAMPLE_UPLOAD.exists()
