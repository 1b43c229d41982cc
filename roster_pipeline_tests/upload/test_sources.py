"""Reading uploads from a folder, a zip (nested folders, hostile members) and an S3 prefix."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.upload.s3 import S3RequestFailed, S3Retry, put_objects
from roster_pipeline.upload.sources import read_upload
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD

SAMPLE_FILES = sorted(path.name for path in SAMPLE_UPLOAD.glob("*.csv"))


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def codes(upload) -> list[tuple[str, str]]:
    return [(issue.code, issue.value) for issue in upload.issues]


def test_folder_upload_reads_every_csv():
    upload = read_upload(str(SAMPLE_UPLOAD))
    assert sorted(upload.files) == SAMPLE_FILES
    assert upload.files["users.csv"] == (SAMPLE_UPLOAD / "users.csv").read_bytes()


def test_zip_with_a_nested_folder_is_read_by_file_name(tmp_path: Path):
    members = {f"export-2026/roster/{name}": (SAMPLE_UPLOAD / name).read_bytes() for name in SAMPLE_FILES}
    members["__MACOSX/export-2026/._users.csv"] = b"junk"
    upload = read_upload(str(make_zip(tmp_path / "upload.zip", members)))
    assert sorted(upload.files) == SAMPLE_FILES
    assert upload.issues == []


def test_zip_members_that_escape_or_nest_are_refused(tmp_path: Path):
    members = {
        "../../etc/users.csv": b"sourcedId\n1\n",
        "/abs/classes.csv": b"sourcedId\n1\n",
        "inner.zip": b"PK",
        "notes.txt": b"hello",
        "a/users.csv": b"sourcedId,role\n1,student\n",
        "b/users.csv": b"sourcedId,role\n2,student\n",
    }
    upload = read_upload(str(make_zip(tmp_path / "upload.zip", members)))
    assert list(upload.files) == ["users.csv"]
    assert sorted(codes(upload)) == [
        ("duplicate_file", "b/users.csv"),
        ("nested_archive", "inner.zip"),
        ("unknown_file", "notes.txt"),
        ("unsafe_path", "../../etc/users.csv"),
        ("unsafe_path", "/abs/classes.csv"),
    ]


def test_zip_bomb_fails_fast_on_the_file_limit(tmp_path: Path):
    bomb = make_zip(tmp_path / "bomb.zip", {"users.csv": b"a" * 5_000_000})
    upload = read_upload(str(bomb), UploadLimits(max_file_bytes=1_000_000))
    assert upload.files == {}
    assert codes(upload) == [("file_too_large", "5000000")]


def test_zip_that_lies_about_its_size_is_still_cut_off(tmp_path: Path):
    path = make_zip(tmp_path / "liar.zip", {"users.csv": b"a" * 3_000_000})
    data = bytearray(path.read_bytes())
    # Patch the declared uncompressed size (central directory) down to 10 bytes.
    directory = data.rfind(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    try:
        upload = read_upload(str(path), UploadLimits(max_file_bytes=1_000_000))
    except UploadUnreadable as error:
        assert error.code == "upload_unreadable"
    else:
        assert upload.files == {}
        assert codes(upload)[0][0] == "file_too_large"


def test_upload_larger_than_the_upload_limit_is_unreadable(tmp_path: Path):
    (tmp_path / "users.csv").write_bytes(b"x" * 600)
    (tmp_path / "classes.csv").write_bytes(b"x" * 600)
    with pytest.raises(UploadUnreadable) as raised:
        read_upload(str(tmp_path), UploadLimits(max_upload_bytes=1000))
    assert raised.value.code == "upload_too_large"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda tmp: tmp / "missing", "upload_not_found"),
        (
            lambda tmp: (tmp / "bad.zip").write_bytes(b"PK\x03\x04garbage") and tmp / "bad.zip",
            "upload_unreadable",
        ),
        (lambda tmp: (tmp / "notes.txt").write_text("hi") and tmp / "notes.txt", "upload_unreadable"),
    ],
)
def test_unreadable_uploads_name_their_reason(tmp_path: Path, make, code: str):
    with pytest.raises(UploadUnreadable) as raised:
        read_upload(str(make(tmp_path)))
    assert raised.value.code == code


def test_s3_prefix_on_a_local_s3_server_pages_past_1000_keys(s3_client, bucket: str):
    prefix = "drop/district-42/upload-7"
    for name in SAMPLE_FILES:
        s3_client.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=(SAMPLE_UPLOAD / name).read_bytes())
    for index in range(1_100):
        s3_client.put_object(Bucket=bucket, Key=f"{prefix}/attachments/note-{index:04d}.txt", Body=b"")
    s3_client.put_object(Bucket=bucket, Key=f"{prefix}/zz-late/extra.csv", Body=b"a,b\n1,2\n")
    s3_client.put_object(Bucket=bucket, Key="drop/district-42/upload-70/users.csv", Body=b"other")

    upload = read_upload(f"s3://{bucket}/{prefix}", s3_client=s3_client)

    assert sorted(upload.files) == sorted([*SAMPLE_FILES, "extra.csv"])
    assert upload.files["users.csv"] == (SAMPLE_UPLOAD / "users.csv").read_bytes()
    assert sum(1 for issue in upload.issues if issue.code == "unknown_file") == 1_100


def test_s3_prefix_with_no_objects_is_not_found(s3_client, bucket: str):
    with pytest.raises(UploadUnreadable) as raised:
        read_upload(f"s3://{bucket}/nothing-here", s3_client=s3_client)
    assert raised.value.code == "upload_not_found"


def test_s3_object_over_the_limit_is_not_downloaded_whole(s3_client, bucket: str):
    s3_client.put_object(Bucket=bucket, Key="up/users.csv", Body=io.BytesIO(b"z" * 200_000))
    upload = read_upload(f"s3://{bucket}/up", UploadLimits(max_file_bytes=1_000), s3_client=s3_client)
    assert upload.files == {}
    assert codes(upload) == [("file_too_large", "200000")]


class RecordingClient:
    """The real client, noting when each PUT started and finished."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client, self.started, self.finished = client, {}, {}

    def delete_objects(self, **request):  # type: ignore[no-untyped-def]
        return self.client.delete_objects(**request)

    def put_object(self, **request):  # type: ignore[no-untyped-def]
        self.started[request["Key"]] = time.monotonic()
        response = self.client.put_object(**request)
        self.finished[request["Key"]] = time.monotonic()
        return response


def test_objects_are_written_whole_and_the_last_after_all_the_others(s3_client, bucket: str):
    objects = {
        f"results/plan/{name}.parquet": (name.encode() * 100_000, "application/octet-stream")
        for name in "abcdef"
    }
    objects["results/plan/summary.json"] = (b"{}", "application/json")
    recording = RecordingClient(s3_client)

    put_objects(recording, bucket, objects, S3Retry())

    for key, (data, kind) in objects.items():
        stored = s3_client.get_object(Bucket=bucket, Key=key)
        assert (stored["Body"].read(), stored["ContentType"]) == (data, kind)
    others_done = max(at for key, at in recording.finished.items() if not key.endswith("summary.json"))
    assert recording.started["results/plan/summary.json"] >= others_done


def wait_for(condition, seconds: float = 30) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


RESULTS = ["users_results.csv", "classes_results.csv", "enrollments_results.csv", "summary.csv"]


@pytest.mark.parametrize("last_key", ["results/summary.csv", None])
def test_objects_made_one_after_another_are_put_as_they_come_and_the_last_after_all(
    s3_client, bucket: str, last_key: str | None
) -> None:
    """Results files are uploaded while the next ones are written: each as soon as it is made when
    the caller names the one that goes last, else once the next one is made (the last is only known
    at the end). The summary is put after all the others either way."""
    recording = RecordingClient(s3_client)
    waits_for = 1 if last_key else 2  # how many files are made before the first is in S3

    def made_one_by_one():  # type: ignore[no-untyped-def]
        for index, name in enumerate(RESULTS):
            if index == waits_for:
                put = wait_for(lambda: "results/users_results.csv" in recording.finished)
                assert put, "nothing was put while writing"
            yield f"results/{name}", (name.encode() * 10_000, "text/csv")

    put_objects(recording, bucket, made_one_by_one(), S3Retry(), last_key=last_key)

    for name in RESULTS:
        stored = s3_client.get_object(Bucket=bucket, Key=f"results/{name}")["Body"].read()
        assert stored == name.encode() * 10_000
    others_done = max(at for key, at in recording.finished.items() if not key.endswith("summary.csv"))
    assert recording.started["results/summary.csv"] >= others_done


class RefusingPuts:
    """A client whose every PUT is refused (access denied), noting when the first was."""

    def __init__(self) -> None:
        self.refused = 0

    def delete_objects(self, **request):  # type: ignore[no-untyped-def]
        return {}  # nothing stored: nothing to delete

    def put_object(self, **request):  # type: ignore[no-untyped-def]
        from botocore.exceptions import ClientError

        self.refused += 1
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject")


def test_a_put_that_fails_stops_the_writing_of_the_files_after_it() -> None:
    """A refused PUT is raised while the results are still being written, not after every file of
    a million students' results has been made."""
    client, made = RefusingPuts(), []

    def made_one_by_one():  # type: ignore[no-untyped-def]
        for index, name in enumerate(RESULTS):
            if index == 2:  # the first PUT has been refused by now
                assert wait_for(lambda: client.refused > 0)
                time.sleep(0.2)
            made.append(name)
            yield f"results/{name}", (b"x", "text/csv")

    with pytest.raises(S3RequestFailed, match=r"users_results\.csv"):
        put_objects(client, "bucket", made_one_by_one(), S3Retry(), last_key="results/summary.csv")
    assert "summary.csv" not in made
