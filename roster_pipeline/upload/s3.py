"""Reading an upload from an S3 prefix with boto3, exactly as from AWS (an endpoint URL for local servers),
and the one S3 retry policy of the project.

S3 fails transiently (500/503, ``SlowDown``, dropped connections, stalled reads), so every request here
(each page of a listing, each object fetched *and its body read*, each object written) is retried with
exponential backoff and jitter, within a bounded number of attempts and a total deadline per request
(``S3Retry``). Our loop does the retrying, not botocore's: botocore does not retry a body that fails
mid-read, and its backoff cannot be shortened for tests. Then a clear failure names the S3 address and
what failed. The saved artefacts (``roster_pipeline.folders``: plans, results, step values) use the
same policy and clients, so there is one retry layer for every S3 request, never botocore's *and* ours.
"""

from __future__ import annotations

import random
import re
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.upload.members import Member, UploadFiles, collect_members

T = TypeVar("T")
PARALLEL_PUTS = 4
# What one PUT writes: bytes, or a local file streamed, and its content type.
StoredObject = tuple[bytes | Path, str | None]
_UNSAFE_IN_KEY = re.compile(r"[\\\x00-\x1f\x7f]")  # backslashes and control characters

# Error codes S3 (and S3-compatible servers) answer with when trying again later may work.
TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestThrottled",
        "TooManyRequests",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "ServiceUnavailable",
        "PriorRequestNotComplete",
    }
)


@dataclass(frozen=True)
class S3Retry:
    """How hard to try each S3 request before the upload counts as unreadable.

    A request gets at most ``max_attempts`` tries; between tries it waits a random time between half
    and all of ``base_delay_s * 2**n`` (capped at ``max_delay_s``: never zero, so a throttled server
    is given room, and random, so many readers do not retry in step); no new try starts once
    ``deadline_s`` would be passed since the first. One try is bounded by the connect and read
    timeouts, so a stalled server costs at most ``read_timeout_s`` per try.
    """

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    deadline_s: float = 120.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0


DEFAULT_RETRY = S3Retry()
# The policy each client was made with (make_s3_client), so the code that reads through a client
# passed around as it is tries as hard as the client was configured for.
_POLICIES: weakref.WeakKeyDictionary[Any, S3Retry] = weakref.WeakKeyDictionary()


class S3RequestFailed(Exception):
    """A request still failed after its retries (or failed for good, e.g. access denied)."""

    def __init__(self, what: str, attempts: int, elapsed_s: float, error: BaseException) -> None:
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''} over {elapsed_s:.1f} s"
        super().__init__(f"{what} failed ({tries}; last error: {error})")
        self.attempts = attempts
        self.error = error


def parse_s3_url(url: str) -> tuple[str, str]:
    """Split `s3://bucket/prefix` into bucket and a prefix that ends with '/' (or is empty)."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise UploadUnreadable("upload_unreadable", f"{url}: no bucket in the S3 address")
    prefix = prefix.strip("/")
    segments = prefix.split("/") if prefix else []
    if any(part in ("", ".", "..") for part in segments) or _UNSAFE_IN_KEY.search(prefix):
        # S3 takes such a key literally, but S3-compatible servers and proxies may resolve it.
        raise UploadUnreadable(
            "unsafe_path",
            f"{url}: the S3 prefix has an empty, '.' or '..' part, a backslash or a control character",
        )
    return bucket, f"{prefix}/" if prefix else ""


def make_s3_client(
    endpoint_url: str | None = None, region_name: str | None = None, retry: S3Retry | None = None
) -> Any:
    """A boto3 S3 client with the policy's timeouts. Botocore's own retries are off (see above), so
    calls through it go through ``with_retries`` (as everything in this module does)."""
    import boto3
    from botocore.config import Config

    policy = retry or DEFAULT_RETRY
    config = Config(
        connect_timeout=policy.connect_timeout_s,
        read_timeout=policy.read_timeout_s,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region_name, config=config)
    _POLICIES[client] = policy
    return client


def retry_policy(client: Any) -> S3Retry:
    """The policy a client was made with; for a client made elsewhere, the default, or one try
    when botocore already retries that client's requests (ours would multiply its attempts)."""
    try:
        policy = _POLICIES.get(client)
    except TypeError:  # not weak-referenceable: a stand-in client
        policy = None
    if policy is not None:
        return policy
    return replace(DEFAULT_RETRY, max_attempts=1) if botocore_attempts(client) > 1 else DEFAULT_RETRY


def botocore_attempts(client: Any) -> int:
    """How many times botocore itself tries each request of this client (1 for a stand-in)."""
    config = getattr(getattr(client, "meta", None), "config", None)
    retries = getattr(config, "retries", None)
    if config is None or not isinstance(retries, dict):
        return 1
    if retries.get("total_max_attempts") is not None:  # botocore turns max_attempts into this
        return int(retries["total_max_attempts"])
    return 5 if retries.get("mode", "legacy") == "legacy" else 3  # botocore's defaults per mode


def is_transient(error: BaseException) -> bool:
    """Worth another try: throttling, a server error, a dropped or stalled connection."""
    from botocore.exceptions import ClientError, HTTPClientError, IncompleteReadError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(error, BotoConnectionError | HTTPClientError | IncompleteReadError):
        return True
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = error.response.get("Error", {}).get("Code", "")
        return status >= 500 or status == 429 or code in TRANSIENT_CODES
    return False


def with_retries(
    what: str,
    call: Callable[[], T],
    policy: S3Retry,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    jitter: Callable[[], float] = random.random,
) -> T:
    """``call()``, tried again on transient S3 errors; raises S3RequestFailed when it gives up."""
    from botocore.exceptions import BotoCoreError, ClientError

    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except (BotoCoreError, ClientError) as error:
            elapsed = clock() - started
            delay = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1)) * (1 + jitter()) / 2
            if (
                not is_transient(error)
                or attempt >= policy.max_attempts
                or elapsed + delay >= policy.deadline_s
            ):
                raise S3RequestFailed(what, attempt, elapsed, error) from error
            sleep(delay)


def list_pages(
    client: Any, bucket: str, prefix: str, delimiter: str | None = None, retry: S3Retry | None = None
) -> Iterator[dict[str, Any]]:
    """Each ListObjectsV2 page under the prefix, following pagination past 1,000 keys; each page is
    retried on its own (from its continuation token), so a failure on page 7 does not start over."""
    policy = retry or retry_policy(client)
    token: str | None = None
    page = 0
    while True:
        page += 1
        arguments = {
            "Bucket": bucket,
            "Prefix": prefix,
            **({"Delimiter": delimiter} if delimiter else {}),
            **({"ContinuationToken": token} if token else {}),
        }
        response = with_retries(
            f"listing s3://{bucket}/{prefix} (page {page})",
            lambda arguments=arguments: client.list_objects_v2(**arguments),
            policy,
        )
        yield response
        token = response.get("NextContinuationToken")
        if not response.get("IsTruncated") or not token:
            return


def list_upload_objects(
    client: Any, bucket: str, prefix: str, retry: S3Retry | None = None
) -> list[dict[str, Any]]:
    """Every object under the prefix, at any depth (see ``list_pages``)."""
    return [
        item for page in list_pages(client, bucket, prefix, retry=retry) for item in page.get("Contents", [])
    ]


def get_object_bytes(
    client: Any, bucket: str, key: str, max_bytes: int | None, retry: S3Retry | None = None
) -> bytes:
    """At most ``max_bytes + 1`` bytes of the object (one past the limit, to tell it is over; all of
    it for None), the request and the body read retried together: a body that stalls or breaks
    mid-read is fetched again."""
    policy = retry or retry_policy(client)
    ranged = {} if max_bytes is None else {"Range": f"bytes=0-{max_bytes}"}

    def fetch() -> bytes:
        body = client.get_object(Bucket=bucket, Key=key, **ranged)["Body"]
        try:  # not ``with body``: that yields urllib3's raw stream, whose errors botocore does not wrap
            return body.read() if max_bytes is None else body.read(max_bytes + 1)
        finally:
            body.close()

    return with_retries(f"reading s3://{bucket}/{key}", fetch, policy)


def put_object_bytes(
    client: Any,
    bucket: str,
    key: str,
    data: bytes | Path,
    content_type: str | None = None,
    retry: S3Retry | None = None,
) -> None:
    """Write one object from bytes or from a local file (streamed, never held whole: a million
    students' results are gigabytes), retried like a read (a repeated PUT of the same bytes is
    harmless; a file is read again from its start)."""
    typed = {"ContentType": content_type} if content_type else {}

    def put() -> Any:
        if isinstance(data, Path):
            with data.open("rb") as body:
                return client.put_object(Bucket=bucket, Key=key, Body=body, **typed)
        return client.put_object(Bucket=bucket, Key=key, Body=data, **typed)

    with_retries(f"writing s3://{bucket}/{key}", put, retry or retry_policy(client))


def put_objects(
    client: Any,
    bucket: str,
    objects: Mapping[str, StoredObject] | Iterable[tuple[str, StoredObject]],
    retry: S3Retry | None = None,
    last_key: str | None = None,
) -> None:
    """Write ``{key: (bytes or a local file, content type)}``, a few at a time (each PUT waits
    mostly on the network), the object under ``last_key`` (by default the last one given) after all
    the others: a saved plan's or a run's results' summary comes last, so a folder without it holds
    no whole set. Given (key, object) pairs as they are made (results files as they are written),
    each is put as soon as it comes, or, without ``last_key``, once the next one has come. A PUT
    that fails stops the writing at the next pair. The object an earlier set left under
    ``last_key`` is deleted before the first new one is put: while new objects replace old ones, no
    summary vouches for a set that is half one write's and half another's."""
    if last_key is not None:
        delete_objects(client, bucket, [last_key], retry)
    pairs = objects.items() if isinstance(objects, Mapping) else objects
    held: tuple[str, StoredObject] | None = None
    with ThreadPoolExecutor(max_workers=PARALLEL_PUTS, thread_name_prefix="s3-put") as pool:
        puts: list[Future] = []

        def put(pair: tuple[str, StoredObject]) -> None:
            for done in puts:
                if done.done():
                    done.result()  # a failed PUT is raised now, not after every file is made
            puts.append(pool.submit(put_object_bytes, client, bucket, pair[0], *pair[1], retry))

        for pair in pairs:
            if last_key is not None and pair[0] != last_key:
                put(pair)
                continue
            if held is not None:
                put(held)
            held = pair
        for done in puts:
            done.result()
    if held is not None:
        put_object_bytes(client, bucket, held[0], *held[1], retry)


def delete_objects(client: Any, bucket: str, keys: list[str], retry: S3Retry | None = None) -> None:
    """Delete the keys, 1,000 per request (S3's limit), each request retried (deleting keys that
    are gone already is no error, so a repeat is harmless). S3 answers 200 even when it kept some
    keys of a request and names them in ``Errors``: those fail the request like an error answer
    (retried when their code is transient), so nothing is taken for deleted that is still there."""
    from botocore.exceptions import ClientError

    def delete(batch: list[dict[str, str]]) -> None:
        response = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if errors := response.get("Errors"):
            first = errors[0]
            said = f"{len(errors)} of {len(batch)} keys not deleted, the first {first.get('Key')}"
            error = {"Code": first.get("Code", ""), "Message": f"{said}: {first.get('Message')}"}
            raise ClientError({"Error": error}, "DeleteObjects")

    policy = retry or retry_policy(client)
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        what = f"deleting {len(batch)} keys in s3://{bucket}"
        with_retries(what, lambda batch=batch: delete(batch), policy)


def read_s3_upload(
    location: str, limits: UploadLimits, s3_client: Any | None = None, retry: S3Retry | None = None
) -> UploadFiles:
    bucket, prefix = parse_s3_url(location)
    client = s3_client or make_s3_client(retry=retry)
    policy = retry or retry_policy(client)
    try:
        objects = list_upload_objects(client, bucket, prefix, policy)
    except S3RequestFailed as failed:
        raise UploadUnreadable("upload_unreadable", f"{location}: cannot list the upload: {failed}") from None
    if not objects:
        raise UploadUnreadable("upload_not_found", f"{location}: no objects under this prefix")
    members = [
        Member(obj["Key"][len(prefix) :], int(obj.get("Size", 0)))
        for obj in objects
        if not obj["Key"].endswith("/")
    ]

    def read_object(member: Member, max_bytes: int) -> bytes:
        try:
            return get_object_bytes(client, bucket, prefix + member.path, max_bytes, policy)
        except S3RequestFailed as failed:
            raise UploadUnreadable(
                "upload_unreadable", f"{location}: cannot read {member.path!r}: {failed}"
            ) from None

    return collect_members(location, members, limits, read_object)
