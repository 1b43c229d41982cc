"""Run folders in S3: a folder removed is empty, or the removal fails with the key it could not delete."""

from __future__ import annotations

import pytest

from roster_pipeline.folders import open_folder, remove_folder, written_locally
from roster_pipeline.upload.s3 import S3RequestFailed, make_s3_client
from roster_pipeline_tests.upload.test_sources import RecordingClient


class RefusingDeletes:
    """The real client, except that DeleteObjects keeps ``refused`` and names it in ``Errors`` (as S3
    answers 200 for a batch of which some keys failed) the first ``times`` times."""

    def __init__(self, client, refused: str, code: str, times: int) -> None:  # type: ignore[no-untyped-def]
        self.client, self.refused, self.code, self.times = client, refused, code, times

    def delete_objects(self, Bucket: str, Delete: dict):  # type: ignore[no-untyped-def]
        if self.times == 0:
            return self.client.delete_objects(Bucket=Bucket, Delete=Delete)
        self.times -= 1
        others = [item for item in Delete["Objects"] if item["Key"] != self.refused]
        self.client.delete_objects(Bucket=Bucket, Delete={**Delete, "Objects": others})
        return {"Errors": [{"Key": self.refused, "Code": self.code, "Message": "refused"}]}

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.client, name)


def stored(s3_client, bucket: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket).get("Contents", []))


def put_run_folder(s3_client, bucket: str) -> None:  # type: ignore[no-untyped-def]
    for name in ("value.json", "files/users.parquet", "files/classes.parquet"):
        s3_client.put_object(Bucket=bucket, Key=f"io/step/{name}", Body=b"x")


def test_a_key_s3_could_not_delete_for_a_moment_is_deleted_on_a_retry(
    s3_endpoint: str, s3_client, bucket: str
) -> None:
    put_run_folder(s3_client, bucket)
    # A client as the pipeline makes them: botocore's retries off, ours on.
    client = RefusingDeletes(make_s3_client(s3_endpoint), "io/step/value.json", "InternalError", times=1)

    remove_folder(open_folder(f"s3://{bucket}/io/step", s3_client=client))

    assert stored(s3_client, bucket) == []


def test_a_key_s3_refuses_to_delete_fails_the_removal_naming_it(
    s3_endpoint: str, s3_client, bucket: str
) -> None:
    """Before, a 200 answer listing failed keys counted as done: an old value.json stayed beside
    the new value's files, and the folder was taken for emptied."""
    put_run_folder(s3_client, bucket)
    # Refused once only: were AccessDenied tried again, the retry would delete it and pass.
    client = RefusingDeletes(make_s3_client(s3_endpoint), "io/step/value.json", "AccessDenied", times=1)

    with pytest.raises(S3RequestFailed, match=r"io/step/value.json: refused") as failed:
        remove_folder(open_folder(f"s3://{bucket}/io/step", s3_client=client))

    assert "AccessDenied" in str(failed.value)
    assert stored(s3_client, bucket) == ["io/step/value.json"]


def test_files_written_locally_for_s3_go_up_with_the_named_last_one_after_the_others(
    s3_client, bucket: str
) -> None:
    """Results of a run whose artefacts are in S3: the summary is put after every other file,
    whenever it was written (it was ordered by write time, which ties within a clock tick)."""
    client = RecordingClient(s3_client)
    with written_locally(
        open_folder(f"s3://{bucket}/runs/r1/results", s3_client=client), "summary.csv"
    ) as local:
        for name in ("summary.csv", "users_results.csv", "errors.csv"):
            (local / name).write_bytes(name.encode())

    assert stored(s3_client, bucket) == [
        f"runs/r1/results/{name}" for name in ("errors.csv", "summary.csv", "users_results.csv")
    ]
    others_done = max(at for key, at in client.finished.items() if not key.endswith("summary.csv"))
    assert client.started["runs/r1/results/summary.csv"] >= others_done
