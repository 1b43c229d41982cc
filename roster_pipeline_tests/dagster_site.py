"""The Dagster side of a test: a SQLite roster holding the demo tenant, an ephemeral instance with the
tenants' partitions, and the import's resources."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, ExecuteInProcessResult, materialize
from sqlalchemy import Engine

from roster_pipeline.defs.import_assets import IMPORT_ASSETS, import_run_config
from roster_pipeline.defs.partitions import tenants
from roster_pipeline.defs.resources import ArtefactStore, DropBucket, RosterDatabase
from roster_pipeline.roster.database import make_engine
from roster_pipeline.roster.fixtures import load_fixture, load_fixture_file
from roster_pipeline.roster.migrate import upgrade
from roster_pipeline.samples import demo_tenant_path
from roster_pipeline_tests.importing import DEMO

Site = tuple[Engine, DagsterInstance, dict[str, Any]]


def dagster_site(
    tmp_path: Path,
    drop_bucket: DropBucket,
    *,
    more_tenants: Iterable[dict] = (),
    **resources: Any,
) -> Site:
    """(roster engine, instance, resources): the demo tenant and the ``more_tenants`` fixtures,
    artefacts under ``tmp_path/data``; ``resources`` adds to or replaces the import's."""
    engine = make_engine(f"sqlite:///{tmp_path / 'roster.db'}")
    upgrade(engine)
    more = list(more_tenants)
    with engine.begin() as connection:
        load_fixture_file(connection, demo_tenant_path())
        for fixture in more:
            load_fixture(connection, fixture)
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenants.name, [DEMO, *(fixture["tenant"] for fixture in more)])
    site_resources = {
        "drop_bucket": drop_bucket,
        "roster_database": RosterDatabase(url=str(engine.url)),
        "artefacts": ArtefactStore(data_dir=str(tmp_path / "data")),
    }
    return engine, instance, {**site_resources, **resources}


def import_on(
    site: Site, location: str, dry_run: bool = True, tenant: str = DEMO, **options: Any
) -> ExecuteInProcessResult:
    """The import's assets materialized on the site for the upload at ``location``."""
    _, instance, resources = site
    return materialize(
        IMPORT_ASSETS,
        partition_key=tenant,
        instance=instance,
        resources=resources,
        run_config=import_run_config(location, dry_run),
        **options,
    )
