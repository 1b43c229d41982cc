"""With step values and run artefacts configured for S3, the import and the later commit of its
reviewed dry run need no local disk: everything a step hands on lands in S3 (moto on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, materialize

from roster_pipeline.defs.import_assets import IMPORT_ASSETS
from roster_pipeline.defs.io_manager import RosterIOManager
from roster_pipeline.defs.jobs import commit_reviewed_dry_run
from roster_pipeline.defs.partitions import tenants
from roster_pipeline.defs.resources import ArtefactStore, DropBucket, RosterDatabase
from roster_pipeline.roster.database import make_engine
from roster_pipeline.roster.fixtures import load_fixture_file
from roster_pipeline.roster.migrate import upgrade
from roster_pipeline.samples import demo_tenant_path
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import roster_table

TENANT = "district-0042"


def test_a_dry_run_and_its_reviewed_commit_keep_everything_in_s3(
    tmp_path: Path, s3_client, s3_endpoint: str, bucket: str
) -> None:
    (tmp_path / "db").mkdir()
    engine = make_engine(f"sqlite:///{tmp_path / 'db' / 'roster.db'}")
    upgrade(engine)
    with engine.begin() as connection:
        load_fixture_file(connection, demo_tenant_path())
    for path in sorted(SAMPLE_UPLOAD.glob("*.csv")):
        s3_client.put_object(Bucket=bucket, Key=f"drop/{TENANT}/u1/{path.name}", Body=path.read_bytes())
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenants.name, [TENANT])
    resources = {
        "drop_bucket": DropBucket(bucket=bucket, endpoint_url=s3_endpoint),
        "roster_database": RosterDatabase(url=str(engine.url)),
        # data_dir is where a local artefact would go: nothing may appear there.
        "artefacts": ArtefactStore(
            data_dir=str(tmp_path / "local"), location=f"s3://{bucket}/artefacts", s3_endpoint_url=s3_endpoint
        ),
        "io_manager": RosterIOManager(location=f"s3://{bucket}/dagster-io", s3_endpoint_url=s3_endpoint),
    }

    dry = materialize(
        IMPORT_ASSETS,
        partition_key=TENANT,
        instance=instance,
        resources=resources,
        run_config={"ops": {"raw_upload": {"config": {"upload": f"s3://{bucket}/drop/{TENANT}/u1/"}}}},
    )
    assert dry.success
    keys = {item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket)["Contents"]}
    for step in ("raw_upload", "validated_roster", "roster_matches", "staged_plan", "import_commit"):
        assert f"dagster-io/{step}/{TENANT}/value.json" in keys, step
    assert f"artefacts/runs/{dry.run_id}/plan/summary.json" in keys
    assert f"artefacts/runs/{dry.run_id}/results/users_results.csv" in keys
    assert not any(key.endswith(".pkl") or "pickle" in key for key in keys)
    assert [path.name for path in tmp_path.iterdir()] == ["db"]
    assert len(roster_table(engine, "students")) == 1  # a dry run

    commit = commit_reviewed_dry_run.execute_in_process(
        run_config={"ops": {"apply_reviewed_dry_run": {"config": {"run_id": dry.run_id}}}},
        resources=resources,
        instance=instance,
    )
    assert commit.success
    assert len(roster_table(engine, "students")) == 9
    assert [path.name for path in tmp_path.iterdir()] == ["db"]
