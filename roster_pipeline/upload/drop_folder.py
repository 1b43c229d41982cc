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

from roster_pipeline.upload.s3 import get_object_bytes, list_upload_objects

READY_MARKER = "_READY"
MANIFEST = "manifest.csv"
TENANT_PATTERN = re.compile(r"(district|school)-[0-9A-Za-z._\-]{1,64}")
# Not "." or "..": the upload id names the results folder and the run, where either would read as a path.
UPLOAD_ID_PATTERN = re.compile(r"(?!\.+$)[0-9A-Za-z._\-]{1,128}")
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
    body = get_object_bytes(client, bucket, key, MAX_MARKER_BYTES - 1)  # at most MAX_MARKER_BYTES
    settings = dict(
        line.split("=", 1) for line in body.decode("utf-8", "replace").splitlines() if "=" in line
    )
    return settings.get("mode", "").strip().lower() == "commit"


class UploadOfAnotherTenant(ValueError):
    """A run was configured to read an upload its tenant partition may not read."""


def check_upload_location(location: str, tenant: str, bucket: str, drop_prefix: str) -> None:
    """A run for ``tenant`` reads only ``s3://<bucket>/<drop-prefix>/<tenant>/<upload-id>/`` of the drop
    bucket, whatever its config says: never another tenant's folder, the results folders, or a path
    with "." or ".." segments (S3 keys are literal, but other tools may resolve them). Locations outside
    the drop bucket (a local folder, another bucket) are the operator's explicit choice and pass."""
    if not location.startswith("s3://"):
        return
    if location != location.strip() or "\\" in location:
        raise UploadOfAnotherTenant(f"{location!r} is not a plain S3 address")
    if not location.startswith(f"s3://{bucket}/") and location != f"s3://{bucket}":
        return
    base = f"{drop_prefix.strip('/')}/" if drop_prefix.strip("/") else ""
    rest = location[len(f"s3://{bucket}/") :]
    parts = rest.removeprefix(base).removesuffix("/").split("/") if rest.startswith(base) else []
    if (
        len(parts) != 2
        or parts[0] != tenant
        or not TENANT_PATTERN.fullmatch(parts[0])
        or not UPLOAD_ID_PATTERN.fullmatch(parts[1])
    ):
        raise UploadOfAnotherTenant(
            f"{location} is not an upload of {tenant}: a run for {tenant} reads only "
            f"s3://{bucket}/{base}{tenant}/<upload-id>/"
        )
