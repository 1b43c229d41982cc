"""How the import's steps hand values to each other: saved as Parquet frames plus one small JSON
document (``roster_pipeline.intermediates``), never pickled, under a local folder or an S3 prefix.

With an S3 ``location`` no step relies on a disk another step wrote: each can run on its own machine
(Celery workers, Kubernetes pods). Asset outputs are stored per asset and partition
(``<location>/<asset>/<tenant>/``, the latest materialization, as Dagster's own IO managers do); op
outputs per run and step. An input typed with a dataclass that the stored value's class derives from
loads only that part (``raw_upload: UploadRef`` reads the upload's address, not its files), and an
input whose ``AssetIn`` metadata lists fields under ``LEAVE_OUT`` does not read those.
"""

import time
import typing
from typing import Any

from dagster import ConfigurableIOManager, InputContext, MetadataValue, OutputContext

from roster_pipeline.defs.resources import S3RetrySettings
from roster_pipeline.folders import Folder, open_folder
from roster_pipeline.intermediates import load_value, save_value

# An input's metadata key: the fields (``intermediates.field_path``) its step does not read.
LEAVE_OUT = "leave_out"


class RosterIOManager(ConfigurableIOManager, S3RetrySettings):
    """Step values as Parquet + JSON under ``location``: a folder, or ``s3://bucket/prefix``
    (``s3_endpoint_url`` for an S3-compatible server; requests retried as the ``s3_*`` settings say)."""

    location: str = "data/dagster-io"
    s3_endpoint_url: str | None = None

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        folder = self._folder(context)
        started = time.perf_counter()
        size = save_value(obj, folder)
        context.add_output_metadata(
            {
                "stored_at": MetadataValue.path(str(folder)),
                "stored_bytes": size,
                "store_seconds": round(time.perf_counter() - started, 3),
            }
        )

    def load_input(self, context: InputContext) -> Any:
        started = time.perf_counter()
        left_out = list((context.definition_metadata or {}).get(LEAVE_OUT, ()))
        wanted = _wanted_class(context.dagster_type.typing_type)
        value = load_value(self._folder(context), as_type=wanted, leave_out=left_out)
        loaded = {"load_seconds": round(time.perf_counter() - started, 3)}
        context.add_input_metadata({**loaded, **({"left_out": ", ".join(left_out)} if left_out else {})})
        return value

    def _folder(self, context: InputContext | OutputContext) -> Folder:
        """``<location>/<asset key>/<partition>``, or ``<location>/runs/<run>/<step>/<output>``."""
        if context.has_asset_key:
            parts = context.get_asset_identifier()
        else:
            parts = ["runs", *context.get_identifier()]
        root = open_folder(self.location, endpoint_url=self.s3_endpoint_url, retry=self.s3_retry())
        for part in parts:
            root = root / part
        return root


def _wanted_class(typing_type: Any) -> type | None:
    """The class an input is annotated with, ``Part`` of ``Part | None`` included (a step whose
    upstream may have produced nothing)."""
    if isinstance(typing_type, type):
        return typing_type
    classes = [item for item in typing.get_args(typing_type) if item is not type(None)]
    return classes[0] if len(classes) == 1 and isinstance(classes[0], type) else None
