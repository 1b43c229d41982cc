"""Reading an upload from an S3 prefix with boto3, exactly as from AWS (an endpoint URL for local servers)."""

from __future__ import annotations

from typing import Any

from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.upload.members import Member, UploadFiles, collect_members


def parse_s3_url(url: str) -> tuple[str, str]:
    """Split `s3://bucket/prefix` into bucket and a prefix that ends with '/' (or is empty)."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise UploadUnreadable("upload_unreadable", f"{url}: no bucket in the S3 address")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def make_s3_client(endpoint_url: str | None = None, region_name: str | None = None) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region_name)


def list_upload_objects(client: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    """Every object under the prefix, following pagination past 1,000 keys."""
    paginator = client.get_paginator("list_objects_v2")
    objects: list[dict[str, Any]] = []
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        objects.extend(page.get("Contents", []))
    return objects


def read_s3_upload(location: str, limits: UploadLimits, s3_client: Any | None = None) -> UploadFiles:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = parse_s3_url(location)
    client = s3_client or make_s3_client()
    try:
        objects = list_upload_objects(client, bucket, prefix)
    except (BotoCoreError, ClientError) as error:
        raise UploadUnreadable("upload_unreadable", f"{location}: cannot list ({error})") from None
    if not objects:
        raise UploadUnreadable("upload_not_found", f"{location}: no objects under this prefix")
    members = [
        Member(obj["Key"][len(prefix) :], int(obj.get("Size", 0)))
        for obj in objects
        if not obj["Key"].endswith("/")
    ]

    def read_object(member: Member, max_bytes: int) -> bytes:
        try:
            response = client.get_object(
                Bucket=bucket, Key=prefix + member.path, Range=f"bytes=0-{max_bytes}"
            )
            return response["Body"].read(max_bytes + 1)
        except (BotoCoreError, ClientError) as error:
            raise UploadUnreadable(
                "upload_unreadable", f"{location}: cannot read {member.path!r} ({error})"
            ) from None

    return collect_members(location, members, limits, read_object)
