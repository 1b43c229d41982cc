"""The S3 drop folder: ``<drop-prefix>/<tenant>/<upload-id>/<files>``, and which uploads are complete.

An upload is complete when its ``manifest.csv`` or a ``_READY`` marker is present: SIS exports write
the manifest last, and tools that do not can write ``_READY`` after the files. The marker may hold
``mode=commit`` to ask for a commit instead of the default dry run. An upload's run key is a digest of
its prefix and every object's ETag, so listing it again never starts a second run, while uploading
changed files to the same prefix does. Timestamps play no part, so objects written in the same second
cannot be missed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from roster_pipeline.upload.s3 import list_upload_objects

READY_MARKER = "_READY"
MANIFEST = "manifest.csv"
TENANT_PATTERN = re.compile(r"(district|school)-[0-9A-Za-z._\-]{1,64}")
UPLOAD_ID_PATTERN = re.compile(r"[0-9A-Za-z._\-]{1,128}")
MAX_MARKER_BYTES = 1024


@dataclass(frozen=True)
class DropUpload:
    tenant: str
    upload_id: str
    location: str  # s3://bucket/<drop-prefix>/<tenant>/<upload-id>/
    run_key: str
    commit: bool


def complete_uploads(client: Any, bucket: str, drop_prefix: str) -> tuple[list[DropUpload], list[str]]:
    """Complete uploads under the prefix, and the keys that were ignored (not tenant/upload-id/file, or
    names that are not safe), for the log."""
    base = f"{drop_prefix.strip('/')}/" if drop_prefix.strip("/") else ""
    uploads: dict[tuple[str, str], list[dict[str, Any]]] = {}
    ignored = []
    for item in list_upload_objects(client, bucket, base):
        parts = item["Key"][len(base) :].split("/")
        if (
            len(parts) < 3
            or not TENANT_PATTERN.fullmatch(parts[0])
            or not UPLOAD_ID_PATTERN.fullmatch(parts[1])
        ):
            ignored.append(item["Key"])
            continue
        uploads.setdefault((parts[0], parts[1]), []).append(item)
    complete = []
    for (tenant, upload_id), items in sorted(uploads.items()):
        prefix = f"{base}{tenant}/{upload_id}/"
        names = {item["Key"][len(prefix) :] for item in items}
        if READY_MARKER not in names and not any(name.lower() == MANIFEST for name in names):
            continue
        digest = hashlib.sha256(prefix.encode())
        for item in sorted(items, key=lambda entry: entry["Key"]):
            digest.update(f"{item['Key']}\0{item.get('ETag', '')}\0{item.get('Size', 0)}\n".encode())
        marker = next((item for item in items if item["Key"] == prefix + READY_MARKER), None)
        commit = (
            marker is not None
            and marker.get("Size", 0) > 0
            and _marker_says_commit(client, bucket, marker["Key"])
        )
        complete.append(
            DropUpload(
                tenant,
                upload_id,
                f"s3://{bucket}/{prefix}",
                f"{tenant}/{upload_id}/{digest.hexdigest()[:16]}",
                commit,
            )
        )
    return complete, ignored


def _marker_says_commit(client: Any, bucket: str, key: str) -> bool:
    body = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{MAX_MARKER_BYTES - 1}")["Body"].read()
    settings = dict(
        line.split("=", 1) for line in body.decode("utf-8", "replace").splitlines() if "=" in line
    )
    return settings.get("mode", "").strip().lower() == "commit"
