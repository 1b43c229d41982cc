"""Crafted S3 keys and member names: the drop sensor ignores them or gives them only to the tenant
whose prefix they literally sit under, the reader refuses member names that leave the upload, and a
Dagster run for one tenant cannot be pointed at another tenant's upload.

Runs against a moto S3 server on 127.0.0.1 (S3 keys are literal there, as on AWS: "a/../b" is a key,
not a path, which is exactly why names are judged by their text and never resolved).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_sensor_context

from roster_pipeline.defs.resources import DropBucket
from roster_pipeline.defs.sensors import s3_drop_sensor
from roster_pipeline.upload.drop_folder import UploadOfAnotherTenant, check_upload_location, complete_uploads
from roster_pipeline.upload.sources import read_upload

USERS = b"sourcedId,role,givenName,familyName,orgSourcedIds\nx1,student,Ann,Lee,sch-1\n"

# Each crafted key with a completion marker, and the (tenant, upload id) it may be attributed to
# (None: ignored). Nothing here may ever be attributed to district-2 except the one key that literally
# sits under drop/district-2/.
CRAFTED_KEYS: dict[str, tuple[str, str] | None] = {
    "drop/district-1/../district-2/u1/_READY": None,  # upload id ".."
    "drop/district-1/../_READY": None,
    "drop/district-1/./_READY": None,
    "drop/./district-2/u1/_READY": None,
    "drop/../drop/district-2/u1/_READY": None,
    "drop//district-2/u1/_READY": None,
    "drop/district-1%2f..%2fdistrict-2/u1/_READY": None,
    "drop/district-1%2F..%2Fdistrict-2/u1/_READY": None,
    "drop/%2e%2e/district-2/u1/_READY": None,
    "drop/district-1\\..\\district-2\\u1\\_READY": None,
    "drop/district-1/u0\\..\\..\\district-2\\u1/_READY": None,
    "drop/dіstrict-2/u1/_READY": None,  # Cyrillic і
    "drop/district-２/u1/_READY": None,  # fullwidth 2
    "drop/DISTRICT-2/u1/_READY": None,
    "drop/district-2 /u1/_READY": None,
    "drop/district-2\u200b/u1/_READY": None,  # zero-width space
    "drop/district-1\u2215..\u2215district-2/u1/_READY": None,  # division slash
    "drop/district-1/u2\u2215..\u2215..\u2215district-2/_READY": None,
    "/drop/district-2/u1/_READY": None,  # absolute key: outside the drop prefix
    # Literally under district-1/u3 (and u4), but no marker of theirs: they do not complete them.
    "drop/district-1/u3/../../district-2/u1/_READY": None,
    "drop/district-1/u4/%2e%2e/%2e%2e/district-2/u1/_READY": None,
    "drop/district-1/u5/_READY": ("district-1", "u5"),
    "drop/district-2/u6/_READY": ("district-2", "u6"),  # the one honest district-2 upload
}


def put(s3_client, bucket: str, key: str, body: bytes = USERS) -> None:
    s3_client.put_object(Bucket=bucket, Key=key, Body=body)


def test_crafted_keys_are_ignored_or_stay_with_the_tenant_they_sit_under(
    s3_client, bucket, s3_endpoint
) -> None:
    for key in CRAFTED_KEYS:
        put(s3_client, bucket, key, b"")
        put(s3_client, bucket, key.rsplit("_READY", 1)[0] + "users.csv")
    put(s3_client, bucket, "drop/district-1/u5/../../district-2/u6/users.csv")  # rides along with u5
    uploads, _ = complete_uploads(s3_client, bucket, "drop")
    expected = {attributed for attributed in CRAFTED_KEYS.values() if attributed}
    assert {(upload.tenant, upload.upload_id) for upload in uploads} == expected
    for upload in uploads:  # every run the sensor would start passes the run's own location check
        assert upload.location == f"s3://{bucket}/drop/{upload.tenant}/{upload.upload_id}/"
        check_upload_location(upload.location, upload.tenant, bucket, "drop")

    tick = s3_drop_sensor(
        build_sensor_context(
            instance=DagsterInstance.ephemeral(),
            resources={"drop_bucket": DropBucket(bucket=bucket, endpoint_url=s3_endpoint)},
        )
    )
    assert {(r.partition_key, r.tags["roster/upload"]) for r in tick.run_requests} == expected
    assert tick.dynamic_partitions_requests[0].partition_keys == ["district-1", "district-2"]


def test_the_reader_refuses_member_names_that_leave_the_upload(s3_client, bucket) -> None:
    prefix = "drop/district-1/u1/"
    hostile = [
        "../../district-2/u1/classes.csv",
        "..%2f..%2fdistrict-2%2fu1%2fenrollments.csv",
        "%2e%2e/%2e%2e/district-2/u1/guardians.csv",
        "．．/．．/district-2/u1/student_attributes.csv",  # fullwidth full stops fold to ".."
        "a/../../orgs.csv",
        "..\\..\\district-2\\manifest.csv",
        "x/\r=cmd.csv",
    ]
    put(s3_client, bucket, prefix + "users.csv")
    for name in hostile:
        put(s3_client, bucket, prefix + name)
    put(s3_client, bucket, "drop/district-2/u1/classes.csv", b"sourcedId,title,schoolSourcedId\nc2,B,sch-2\n")
    upload = read_upload(f"s3://{bucket}/{prefix}", s3_client=s3_client)
    assert list(upload.files) == ["users.csv"]
    assert sorted(issue.value for issue in upload.issues if issue.code == "unsafe_path") == sorted(hostile)


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


def test_zip_member_names_that_escape_after_decoding_or_folding_are_refused(tmp_path: Path) -> None:
    hostile = [
        "..%2fusers.csv",
        "%2E%2E/classes.csv",
        "．．/enrollments.csv",
        "․․/guardians.csv",  # one-dot leaders fold to ".."
        "a／．．／．．／orgs.csv",
        "C:/roster/student_attributes.csv",
        "//server/share/manifest.csv",
        "report\n2026-01-01 INFO forged.csv",
    ]
    members = {name: USERS for name in hostile} | {"export/users.csv": USERS}
    upload = read_upload(str(make_zip(tmp_path / "upload.zip", members)))
    assert list(upload.files) == ["users.csv"]
    assert sorted(issue.value for issue in upload.issues if issue.code == "unsafe_path") == sorted(hostile)


@pytest.mark.parametrize(
    "location",
    [
        "s3://{bucket}/drop/district-2/u1/",  # another tenant's upload
        "s3://{bucket}/drop/district-1/../district-2/u1/",
        "s3://{bucket}/drop/district-1/u1/../../district-2/u1/",
        "s3://{bucket}/results/district-2/u1/",  # another tenant's results
        "s3://{bucket}/drop/district-1/",  # every upload of the tenant at once
        "s3://{bucket}/drop/district-1/..",
        "s3://{bucket}/drop/district-1\\..\\district-2/u1/",
        "s3://{bucket}//drop/district-1/u1/",
    ],
)
def test_a_location_outside_the_runs_own_tenant_folder_is_refused(bucket: str, location: str) -> None:
    with pytest.raises(UploadOfAnotherTenant):
        check_upload_location(location.format(bucket=bucket), "district-1", bucket, "drop")


def test_the_runs_own_uploads_and_places_outside_the_drop_bucket_pass(bucket: str) -> None:
    for location in (
        f"s3://{bucket}/drop/district-1/u1/",
        f"s3://{bucket}/drop/district-1/u1",
        "/srv/upload",
    ):
        check_upload_location(location, "district-1", bucket, "drop")
