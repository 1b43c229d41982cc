"""One tick of the drop sensor and the runs it requests, in this process: the headless demo
(`roster-pipeline demo --once`) and a smoke test of the whole code location without a daemon."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from dagster import DagsterInstance, build_sensor_context, materialize

from roster_pipeline.defs.import_assets import IMPORT_ASSETS
from roster_pipeline.defs.io_manager import RosterIOManager
from roster_pipeline.defs.partitions import tenants
from roster_pipeline.defs.resources import ArtefactStore, DropBucket, RosterDatabase
from roster_pipeline.defs.sensors import s3_drop_sensor


@dataclass
class RunOutcome:
    run_id: str
    tenant: str
    succeeded: bool
    message: str
    files: pd.DataFrame | None = None
    results: tuple[str, ...] = ()


def run_sensor_once(
    bucket: str, endpoint_url: str | None, database_url: str, data_dir: str
) -> list[RunOutcome]:
    drop_bucket = DropBucket(bucket=bucket, endpoint_url=endpoint_url)
    resources = {
        "drop_bucket": drop_bucket,
        "roster_database": RosterDatabase(url=database_url),
        "artefacts": ArtefactStore(data_dir=data_dir),
        "io_manager": RosterIOManager(location=str(Path(data_dir) / "dagster-io")),
    }
    instance = DagsterInstance.ephemeral()
    tick = s3_drop_sensor(build_sensor_context(instance=instance, resources={"drop_bucket": drop_bucket}))
    for request in tick.dynamic_partitions_requests:
        instance.add_dynamic_partitions(tenants.name, list(request.partition_keys))
    outcomes = []
    for request in tick.run_requests:
        result = materialize(
            IMPORT_ASSETS,
            partition_key=request.partition_key,
            run_config=request.run_config,
            instance=instance,
            resources=resources,
            tags=request.tags,
            raise_on_error=False,
        )
        materialized = result.asset_materializations_for_node("upload_results") if result.success else []
        if not materialized:
            outcomes.append(RunOutcome(result.run_id, request.partition_key, False, "the run failed"))
            continue
        metadata = materialized[0].metadata
        outcomes.append(
            RunOutcome(
                result.run_id,
                request.partition_key,
                metadata["status"].value in ("DRY_RUN", "COMMITTED"),
                metadata["outcome"].value,
                pd.DataFrame([record.data for record in metadata["files"].value.records]),
                tuple(line.removeprefix("- ") for line in metadata["results"].value.splitlines()),
            )
        )
    return outcomes
