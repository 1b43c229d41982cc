"""Imports at the same time, each the real ``roster-pipeline import --commit`` in its own process.

One tenant: both plans are built on the same roster, their commits serialise on the tenant's lock, and
the second is re-checked against the first's result: refused as stale, with a message naming the run
that changed the roster; nothing duplicated, and the roster is what importing the winner alone gives;
run again, the refused upload commits on the new roster, as if the two had been imported in turn.

Two tenants: both commit, each tenant's rows exactly those of importing its upload alone. On SQLite
the two writers serialise on the database's write lock and wait for it (busy timeout) rather than fail
with "database is locked".

Both kinds start the imports while the commits are held back (``commits_held``) and let go only once
every process has saved its plan, so the commits really do meet, whatever the machine's load.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from sqlalchemy import Engine

from roster_pipeline.apply.runs import COMMITTED, REJECTED
from roster_pipeline.roster.fixtures import load_fixture, load_fixture_file
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline.samples import demo_tenant_path
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.faults.commands import import_command, outcome_of, start_import
from roster_pipeline_tests.faults.database import (
    commits_held,
    duplicate_sis_ids,
    fresh_roster_like,
    roster_content,
    wait_for_files,
)
from roster_pipeline_tests.importing import DEMO, edit_csv, import_upload

OTHER = "district-0077"
PLAN_SAVED = "runs/*/plan/summary.json"


def imports_at_once(engine: Engine, uploads: list[tuple[Path, str]], data_dir: Path) -> list[dict]:
    """Start one import process per (upload, tenant) with every commit held back, let the commits go
    once every plan is saved, and return each process's outcome (in the order given)."""
    with commits_held(engine, sorted({tenant for _, tenant in uploads})):
        children = [
            start_import(import_command(engine, upload, tenant, data_dir / f"import-{n}"))
            for n, (upload, tenant) in enumerate(uploads)
        ]
        for n in range(len(uploads)):
            wait_for_files(data_dir / f"import-{n}", PLAN_SAVED, 1)
    return [outcome_of(child) for child in children]


def sequential(engine: Engine, uploads: list[Path], tenant: str, data_dir: Path) -> dict[str, list[tuple]]:
    """The tenant's roster after importing the uploads one after the other into a fresh database."""
    with fresh_roster_like(engine, data_dir) as reference:
        _load_demo_tenant(reference, tenant)
        for upload in uploads:
            assert import_upload(reference, upload, data_dir, tenant=tenant, commit=True).status == COMMITTED
        return roster_content(reference, tenant)


def no_duplicates(engine: Engine, tenant: str) -> bool:
    with engine.connect() as connection:
        return set(duplicate_sis_ids(connection, find_tenant(connection, tenant).id).values()) == {0}


def test_two_imports_for_one_tenant_at_once_serialise_and_the_second_is_rechecked(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    edit_csv(sample_copy, "users.csv", lambda users: users.assign(familyName=users["familyName"] + "-2"))
    uploads = [SAMPLE_UPLOAD, sample_copy]
    outcomes = imports_at_once(demo_roster, [(upload, DEMO) for upload in uploads], tmp_path / "at-once")

    assert sorted(outcome["status"] for outcome in outcomes) == [COMMITTED, REJECTED]
    winner = next(n for n, outcome in enumerate(outcomes) if outcome["status"] == COMMITTED)
    refused = outcomes[1 - winner]
    assert refused["message"].startswith("rejected: stale plan: the roster changed since this plan was made")
    assert f"run {outcomes[winner]['run_id']} committed" in refused["message"]
    # Its results, written before the commit was tried, are rewritten to say nothing was imported.
    results = Path(refused["run_folder"]) / "results"
    users = pd.read_csv(results / "users_results.csv", dtype=str, keep_default_na=False)
    assert set(users["action"]) == {"NOT_IMPORTED"}
    assert users["message"].str.contains("; not imported: stale plan: the roster changed", regex=False).all()
    assert pd.read_csv(results / "errors.csv")["code"].tolist() == ["commit_refused"]
    assert {"file": "(upload)", "status": "ERROR", "rows": 0, "errors": 1, "warnings": 0} in refused["files"]
    assert no_duplicates(demo_roster, DEMO)
    assert roster_content(demo_roster, DEMO) == sequential(
        demo_roster, [uploads[winner]], DEMO, tmp_path / "reference-1"
    )

    # Run again, the refused upload is planned on the winner's result and commits.
    again = import_upload(demo_roster, uploads[1 - winner], tmp_path / "again", commit=True)
    assert again.status == COMMITTED, again.message
    assert no_duplicates(demo_roster, DEMO)
    assert roster_content(demo_roster, DEMO) == sequential(
        demo_roster, [uploads[winner], uploads[1 - winner]], DEMO, tmp_path / "reference-2"
    )


def test_imports_for_two_tenants_at_once_both_commit_each_to_its_own_rows(
    demo_roster: Engine, tmp_path: Path
) -> None:
    _load_demo_tenant(demo_roster, OTHER)
    outcomes = imports_at_once(
        demo_roster, [(SAMPLE_UPLOAD, DEMO), (SAMPLE_UPLOAD, OTHER)], tmp_path / "at-once"
    )

    assert [(outcome["tenant"], outcome["status"]) for outcome in outcomes] == [
        (DEMO, COMMITTED),
        (OTHER, COMMITTED),
    ], [outcome["message"] for outcome in outcomes]
    alone = sequential(demo_roster, [SAMPLE_UPLOAD], DEMO, tmp_path / "reference")
    assert roster_content(demo_roster, DEMO) == alone
    assert roster_content(demo_roster, OTHER) == alone
    assert no_duplicates(demo_roster, DEMO) and no_duplicates(demo_roster, OTHER)


def _load_demo_tenant(engine: Engine, tenant: str) -> None:
    """The demo tenant's roster before its first upload, under the given tenant key."""
    with engine.begin() as connection:
        if tenant == DEMO:
            load_fixture_file(connection, demo_tenant_path())
            return
        fixture = yaml.safe_load(demo_tenant_path().read_text(encoding="utf-8"))
        load_fixture(connection, {**fixture, "tenant": tenant})
