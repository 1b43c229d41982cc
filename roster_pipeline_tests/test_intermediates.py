"""The values the import's steps hand each other come back exactly as saved, from a local folder and
from S3, stored as Parquet + JSON (never pickled)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dagster import AssetKey, AssetsDefinition, DagsterInstance, build_input_context
from sqlalchemy import Engine

from roster_pipeline.apply.runs import find_run
from roster_pipeline.defs.import_assets import (
    ImportDecision,
    RawUpload,
    UploadRef,
    import_commit,
    merge_review_queue,
    upload_results,
)
from roster_pipeline.defs.io_manager import RosterIOManager
from roster_pipeline.defs.partitions import tenants
from roster_pipeline.folders import Folder, S3Folder, open_folder
from roster_pipeline.import_run import load_snapshot, load_tenant, settle_run, validate_for_roster
from roster_pipeline.intermediates import field_path, load_value, save_value
from roster_pipeline.matching.roster_matches import match_roster
from roster_pipeline.plan.actions import CHANGING
from roster_pipeline.plan.staged_plan import PlanActions, PlanCandidates, plan_from_matches
from roster_pipeline.plan.storage import StoredPlan, save_plan
from roster_pipeline.reports.actions import row_actions
from roster_pipeline.upload.sources import read_upload
from roster_pipeline.validation.validate import ValidatedFile
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD

TENANT = "district-0042"


@pytest.fixture(params=["folder", "s3"])
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> Folder:
    if request.param == "folder":
        return tmp_path / "stored"
    s3_client = request.getfixturevalue("s3_client")
    bucket = f"io-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    return open_folder(f"s3://{bucket}/io/step", s3_client=s3_client)


def stored_names(folder: Folder) -> list[str]:
    if isinstance(folder, S3Folder):
        return [key.removeprefix(folder.key + "/") for key in folder.object_keys()]
    return [str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()]


def assert_same(saved: Any, loaded: Any, where: str = "value") -> None:
    """Equal all the way down: frames with the same dtypes and index, dataclasses field by field."""
    if isinstance(saved, pd.DataFrame):
        pd.testing.assert_frame_equal(loaded, saved, check_dtype=True, obj=where)
    elif isinstance(saved, pd.Series):
        pd.testing.assert_series_equal(loaded, saved, check_dtype=True, obj=where)
    elif isinstance(saved, dict):
        assert list(loaded) == list(saved), where
        for key in saved:
            assert_same(saved[key], loaded[key], f"{where}[{key!r}]")
    elif isinstance(saved, list | tuple):
        assert type(loaded) is type(saved) and len(loaded) == len(saved), where
        for index, (one, other) in enumerate(zip(saved, loaded, strict=True)):
            assert_same(one, other, f"{where}[{index}]")
    elif dataclasses.is_dataclass(saved):
        assert type(loaded) is type(saved), where
        for item in dataclasses.fields(saved):
            assert_same(getattr(saved, item.name), getattr(loaded, item.name), f"{where}.{item.name}")
    else:
        assert type(loaded) is type(saved) and loaded == saved, (where, saved, loaded)


def sample_values(engine: Engine) -> dict[str, Any]:
    """What the import's steps produce for the sample upload against the demo tenant."""
    files = read_upload(str(SAMPLE_UPLOAD))
    snapshot = load_snapshot(engine, TENANT)
    validated = validate_for_roster(files, snapshot)
    matches = match_roster(validated, snapshot)
    return {
        "raw_upload": RawUpload(TENANT, "u1", str(SAMPLE_UPLOAD), files),
        "validated_roster": validated,
        "roster_matches": matches,
        "staged_plan": plan_from_matches(matches),
        "import_commit": ImportDecision("DRY_RUN", "dry run: not applied"),
        "upload_results": {"status": "DRY_RUN", "results": ["s3://b/results/users_results.csv"]},
        "nothing": None,
    }


@pytest.mark.parametrize(
    "step", ["raw_upload", "validated_roster", "roster_matches", "import_commit", "upload_results", "nothing"]
)
def test_each_step_value_comes_back_equal(demo_roster: Engine, folder: Folder, step: str) -> None:
    value = sample_values(demo_roster)[step]
    save_value(value, folder)
    assert_same(value, load_value(folder))
    names = stored_names(folder)
    assert "value.json" in names
    assert all(name.endswith((".json", ".parquet", ".bin")) for name in names), names


def test_a_staged_plan_is_stored_as_a_reviewable_plan(demo_roster: Engine, folder: Folder) -> None:
    plan = sample_values(demo_roster)["staged_plan"]
    save_value(plan, folder)
    loaded = load_value(folder)
    assert {"plan/summary.json", "plan/students.parquet"} <= set(stored_names(folder))  # a saved plan's
    assert (loaded.tenant, loaded.fingerprint) == (plan.tenant, plan.fingerprint)
    pd.testing.assert_frame_equal(loaded.counts(), plan.counts())
    for name, frame in plan.entities.items():
        pd.testing.assert_frame_equal(loaded.entities[name], frame.reset_index(drop=True), obj=name)


def test_a_value_saved_again_replaces_the_old_one(tmp_path: Path) -> None:
    folder = tmp_path / "stored"
    save_value({"frame": pd.DataFrame({"a": [1, 2]})}, folder)
    save_value(ImportDecision("COMMITTED", "applied: 3 changes"), folder)
    assert load_value(folder) == ImportDecision("COMMITTED", "applied: 3 changes")
    assert stored_names(folder) == ["value.json"]


def test_the_upload_address_loads_without_the_upload_files(demo_roster: Engine, tmp_path: Path) -> None:
    raw = sample_values(demo_roster)["raw_upload"]
    folder = tmp_path / "raw_upload"
    save_value(raw, folder)
    for part in folder.rglob("*.bin"):  # as if the files were too big to fetch: they are not read
        part.unlink()
    assert load_value(folder, as_type=UploadRef) == UploadRef(TENANT, "u1", str(SAMPLE_UPLOAD))
    with pytest.raises(FileNotFoundError):
        load_value(folder)


def test_what_cannot_be_stored_plainly_is_refused_not_pickled(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="no pickles"):
        save_value({"engine": object()}, tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "value.json").write_text(
        '{"format": 1, "value": {"$": "dataclass", "type": "os:PathLike", "fields": {}}}'
    )
    with pytest.raises(TypeError, match="not a roster_pipeline class"):
        load_value(tmp_path / "b")


def stored_plan_as_input_of(step: AssetsDefinition, location: Path) -> Any:
    """The stored ``staged_plan`` as the IO manager hands it to ``step`` (by its input's type)."""
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenants.name, [TENANT])
    context = build_input_context(
        instance=instance,
        asset_key=AssetKey("staged_plan"),
        partition_key=TENANT,
        asset_partitions_def=tenants,
        dagster_type=step.op.ins["staged_plan"].dagster_type,
    )
    return RosterIOManager(location=str(location)).load_input(context)


def test_the_merge_review_loads_a_plans_candidates_without_its_entities(demo_roster: Engine, tmp_path: Path):
    """merge_review_queue takes ``staged_plan: PlanCandidates | None``: the IO manager reads only the
    candidates of the stored plan (its entity frames, 1.4M rows at 100k students, are not read)."""
    plan = sample_values(demo_roster)["staged_plan"]
    save_value(plan, tmp_path / "io" / "staged_plan" / TENANT)
    plan_files = (tmp_path / "io").rglob("*.parquet")
    for part in [path for path in plan_files if path.name != "merge_candidates.parquet"]:
        part.unlink()  # as if they were too big to fetch: they are not read
    loaded = stored_plan_as_input_of(merge_review_queue, tmp_path / "io")
    assert type(loaded) is PlanCandidates
    assert (loaded.tenant, loaded.fingerprint) == (plan.tenant, plan.fingerprint)
    pd.testing.assert_frame_equal(loaded.merge_candidates, plan.merge_candidates)
    assert {"guardians", "classes", "existing_guardians", "existing_classes"} <= set(loaded.merge_candidates)


def test_a_field_left_out_is_not_read_and_loads_as_none(demo_roster: Engine, tmp_path: Path) -> None:
    validated = sample_values(demo_roster)["validated_roster"]
    folder = tmp_path / "validated"
    save_value(validated, folder)
    for part in folder.rglob("*/rows.parquet"):  # the rows as written are gone: they are not read
        part.unlink()
    loaded = load_value(folder, leave_out=[field_path(ValidatedFile, "rows")])
    assert all(item.rows is None for item in loaded.files.values())
    for name, item in validated.files.items():
        assert_same(item.frame, loaded.files[name].frame, name)
    assert_same(validated.issues, loaded.issues)
    with pytest.raises(FileNotFoundError):
        load_value(folder)


def test_the_results_step_loads_only_what_its_row_actions_read_of_the_plan(
    demo_roster: Engine, tmp_path: Path
) -> None:
    """upload_results takes ``staged_plan: PlanActions | None``: the IO manager reads three columns
    of each entity (10 to 31 stored), and the row actions the results show are the whole plan's."""
    plan = sample_values(demo_roster)["staged_plan"]
    save_value(plan, tmp_path / "io" / "staged_plan" / TENANT)
    loaded = stored_plan_as_input_of(upload_results, tmp_path / "io")
    assert type(loaded) is StoredPlan  # not a StagedPlan: the rest of the plan is read only if asked
    assert {name: list(frame.columns) for name, frame in loaded.entities.items()} == {
        name: ["file", "line", "action"] for name in plan.entities
    }
    assert_same(plan.thresholds, loaded.thresholds)
    assert_same(plan.merge_candidates, loaded.merge_candidates)
    assert plan.entities["students"]["action"].eq("CREATED").any()
    assert_same(row_actions(plan), row_actions(loaded))


def test_the_commit_step_decides_a_dry_run_on_the_plans_actions_and_reads_it_whole_only_to_commit(
    demo_roster: Engine, tmp_path: Path
) -> None:
    """import_commit takes ``staged_plan: PlanActions | None``: the IO manager reads three columns of
    each entity, which is all a dry run's record needs; committing reads the whole plan."""
    plan = sample_values(demo_roster)["staged_plan"]
    save_value(plan, tmp_path / "io" / "staged_plan" / TENANT)
    loaded = stored_plan_as_input_of(import_commit, tmp_path / "io")
    assert type(loaded) is StoredPlan
    assert {name: list(frame.columns) for name, frame in loaded.entities.items()} == {
        name: ["file", "line", "action"] for name in plan.entities
    }
    whole = loaded.whole()
    for name, frame in plan.entities.items():
        pd.testing.assert_frame_equal(whole.entities[name], frame.reset_index(drop=True), obj=name)

    tenant, run = load_tenant(demo_roster, TENANT), tmp_path / "runs" / "dry"
    save_plan(plan, run / "plan")  # as the staged_plan step does
    for part in (tmp_path / "io").rglob("rekeys.parquet"):  # a part only the whole plan reads
        part.unlink()
    dry = settle_run(
        demo_roster, tenant, "dry", "s3://drop/u1", loaded, run, commit=False, allow_large_changes=False
    )
    assert dry == ("DRY_RUN", "dry run: not applied")
    with demo_roster.connect() as connection:
        recorded = find_run(connection, "dry")
    assert (recorded["status"], recorded["plan_location"]) == ("DRY_RUN", str(run / "plan"))
    assert json.loads(recorded["counts"]) == plan.counts().to_dict(orient="records")

    save_value(plan, tmp_path / "io" / "staged_plan" / TENANT)
    loaded = stored_plan_as_input_of(import_commit, tmp_path / "io")
    run = tmp_path / "runs" / "commit"
    status, message = settle_run(
        demo_roster, tenant, "commit", "s3://drop/u1", loaded, run, commit=True, allow_large_changes=False
    )
    counts = plan.counts()
    changes = int(counts[[action for action in CHANGING if action in counts]].to_numpy().sum())
    assert (status, message) == ("COMMITTED", f"applied: {changes} changes")
    assert load_snapshot(demo_roster, TENANT).fingerprint != plan.fingerprint


def test_a_plans_actions_alone_are_never_committed(demo_roster: Engine, tmp_path: Path) -> None:
    plan = sample_values(demo_roster)["staged_plan"]
    actions = PlanActions(**{item.name: getattr(plan, item.name) for item in dataclasses.fields(PlanActions)})
    tenant = load_tenant(demo_roster, TENANT)
    with pytest.raises(TypeError, match="only this plan's actions"):
        settle_run(
            demo_roster,
            tenant,
            "r",
            "s3://drop/u1",
            actions,
            tmp_path,
            commit=True,
            allow_large_changes=False,
        )
    assert load_snapshot(demo_roster, TENANT).fingerprint == plan.fingerprint
