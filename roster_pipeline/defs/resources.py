"""Resources: where uploads come from and results go (S3), the roster database, and where run
artefacts (plans, results) are kept. Values come from the environment via EnvVar in definitions.py."""

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster import Config, ConfigurableResource
from sqlalchemy import Engine

from roster_pipeline.folders import Folder, open_folder
from roster_pipeline.roster.database import make_engine
from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.upload.members import UploadFiles
from roster_pipeline.upload.s3 import S3Retry, StoredObject, make_s3_client, put_objects
from roster_pipeline.upload.sources import read_upload


class S3RetrySettings(Config):
    """The ``s3_*`` settings of every resource that talks to S3, declared once: each builds its
    ``S3Retry`` from them and hands it to the plain layers (upload, folders), so uploads, results,
    plans and step values are all retried by one policy (see ``roster_pipeline.upload.s3``)."""

    s3_max_attempts: int = S3Retry.max_attempts
    s3_base_delay_s: float = S3Retry.base_delay_s
    s3_max_delay_s: float = S3Retry.max_delay_s
    s3_deadline_s: float = S3Retry.deadline_s
    s3_connect_timeout_s: float = S3Retry.connect_timeout_s
    s3_read_timeout_s: float = S3Retry.read_timeout_s

    def s3_retry(self) -> S3Retry:
        return S3Retry(
            max_attempts=self.s3_max_attempts,
            base_delay_s=self.s3_base_delay_s,
            max_delay_s=self.s3_max_delay_s,
            deadline_s=self.s3_deadline_s,
            connect_timeout_s=self.s3_connect_timeout_s,
            read_timeout_s=self.s3_read_timeout_s,
        )


class UploadStorage(ConfigurableResource, S3RetrySettings):
    """Reads uploads from a folder, a zip or S3; ``s3_endpoint_url`` points boto3 at a local server."""

    s3_endpoint_url: str | None = None

    def read(self, location: str, limits: UploadLimits | None = None) -> UploadFiles:
        client = (
            make_s3_client(self.s3_endpoint_url, retry=self.s3_retry())
            if location.startswith("s3://")
            else None
        )
        return read_upload(location, limits, s3_client=client)


class DropBucket(ConfigurableResource, S3RetrySettings):
    """The S3 bucket districts drop uploads into (``<drop_prefix>/<tenant>/<upload-id>/``) and where
    each upload's results CSVs are written (``<results_prefix>/<tenant>/<upload-id>/``). Each S3 request
    is retried with backoff (``s3_*`` settings, see ``S3Retry``) before the upload counts as unreadable
    or a results write fails."""

    bucket: str
    drop_prefix: str = "drop"
    results_prefix: str = "results"
    endpoint_url: str | None = None

    def client(self) -> Any:
        return make_s3_client(self.endpoint_url, retry=self.s3_retry())

    def read(self, location: str, limits: UploadLimits | None = None) -> UploadFiles:
        return read_upload(
            location, limits, s3_client=self.client() if location.startswith("s3://") else None
        )

    def write_results(
        self,
        tenant: str,
        upload_id: str,
        files: Mapping[str, bytes | Path] | Iterable[tuple[str, bytes | Path]],
        last: str | None = None,
    ) -> list[str]:
        """Files (bytes, or local files streamed) into ``<results_prefix>/<tenant>/<upload-id>/``
        (names may hold a subfolder), the one named ``last`` (by default the last given) after all
        the others, and an earlier run's ``last`` file deleted first; (name, file) pairs are each
        put as they come (``put_objects``)."""
        prefix = f"{self.results_prefix.strip('/')}/{tenant}/{upload_id}/"
        names: list[str] = []

        def objects() -> Iterator[tuple[str, StoredObject]]:
            for name, data in files.items() if isinstance(files, Mapping) else files:
                names.append(name)
                kind = "text/csv" if name.endswith(".csv") else "application/octet-stream"
                yield prefix + name, (data, kind)

        put_objects(self.client(), self.bucket, objects(), last_key=None if last is None else prefix + last)
        return [f"s3://{self.bucket}/{prefix}{name}" for name in names]


class RosterDatabase(ConfigurableResource):
    """The roster database (any SQLAlchemy URL)."""

    url: str

    def engine(self) -> Engine:
        return make_engine(self.url)


class ArtefactStore(ConfigurableResource, S3RetrySettings):
    """Where each run's saved plan and results go (``runs/<run_id>/``): the local ``data_dir``, or
    ``location`` when set, a folder or ``s3://bucket/prefix``. Use S3 when runs' steps execute on
    several machines: a reviewed dry run is committed later by another run, wherever that runs.
    S3 requests are retried as the ``s3_*`` settings say."""

    data_dir: str = "data"
    location: str | None = None
    s3_endpoint_url: str | None = None

    @property
    def path(self) -> Folder:
        return open_folder(
            self.location or self.data_dir, endpoint_url=self.s3_endpoint_url, retry=self.s3_retry()
        )
