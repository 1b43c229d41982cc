"""Children's and parents' personal data stays out of Dagster's logs and metadata.

The import job runs in process on the sample upload, then on a changed upload (new names, emails,
phones, birth dates, a class dropped so something is archived) and on a rejected one; the merge job
runs on the first import's candidates. Every event log record at INFO and above is searched for the
upload's names, emails, phones, usernames and birth dates, and so is every piece of metadata of every
event, whatever its level: Dagster keeps metadata for good and every UI user sees every tenant, so
metadata shows counts, IDs and field names, and personal values as "(hidden)".
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterInstance, materialize
from dagster._serdes import serialize_value

from roster_pipeline.defs.import_assets import IMPORT_ASSETS
from roster_pipeline.defs.jobs import rollback_import_run
from roster_pipeline.defs.metadata import sample_changes
from roster_pipeline.defs.resources import DropBucket
from roster_pipeline.defs.roster_operations import merge_students_job
from roster_pipeline.redaction import HIDDEN
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.dagster_site import dagster_site
from roster_pipeline_tests.importing import DEMO, edit_csv, import_upload, linked_again_after_a_merge

PERSONAL = ("givenName", "familyName", "middleName", "email", "sms", "phone", "username")
CHANGED_NAMES = {"0001001": ("Zoey", "Nunez-Ortiz"), "0002003": ("Chloe", "Dangelo-Rossi")}


def personal_values(folder: Path) -> set[str]:
    values: set[str] = set()
    for name in ("users.csv", "guardians.csv"):
        rows = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
        values |= {value for column in PERSONAL if column in rows for value in rows[column] if value}
    attributes = pd.read_csv(folder / "student_attributes.csv", dtype=str, keep_default_na=False)
    return values | set(attributes.loc[attributes["attribute"] == "birthDate", "value"])


def found(values: set[str], text: str) -> list[str]:
    return sorted(v for v in values if re.search(r"(?<![\w.@+-])" + re.escape(v) + r"(?![\w@-])", text))


def scanned(instance: DagsterInstance, run_id: str) -> tuple[str, str]:
    """(every INFO+ record's message and error, every event's metadata) of one run, as text."""
    messages, metadata = [], []
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if record.level >= logging.INFO:
            messages.append(record.user_message)
            if event is not None and getattr(event.event_specific_data, "error", None) is not None:
                messages.append(event.event_specific_data.error.to_string())
        data = event.event_specific_data if event is not None else None
        for holder in (
            data,
            getattr(data, "materialization", None),
            getattr(data, "asset_materialization", None),
        ):
            if getattr(holder, "metadata", None):
                metadata.append(serialize_value(holder.metadata))
    return "\n".join(messages), "\n".join(metadata)


def changed_upload(folder: Path) -> None:
    def users(rows: pd.DataFrame) -> pd.DataFrame:
        for key, (given, family) in CHANGED_NAMES.items():
            rows.loc[rows["sourcedId"] == key, ["givenName", "familyName"]] = [given, family]
        rows.loc[rows["sourcedId"] == "0002001", "email"] = "sofia.g@students.lakeside.example.org"
        rows.loc[rows["sourcedId"] == "p-0001003", "sms"] = "+15555550199"
        return rows

    edit_csv(folder, "users.csv", users)
    edit_csv(
        folder,
        "guardians.csv",
        lambda rows: rows.assign(phone=rows["phone"].replace("+15555550101", "+15555550111")),
    )
    edit_csv(
        folder,
        "student_attributes.csv",
        lambda rows: rows.assign(value=rows["value"].replace("2017-04-12", "2017-04-21")),
    )
    edit_csv(folder, "classes.csv", lambda rows: rows[rows["sourcedId"] != "c-0102-m7p2"])
    edit_csv(folder, "enrollments.csv", lambda rows: rows[rows["classSourcedId"] != "c-0102-m7p2"])


@pytest.fixture
def dagster_setup(tmp_path: Path, s3_client, s3_endpoint: str, bucket: str):
    return dagster_site(tmp_path, DropBucket(bucket=bucket, endpoint_url=s3_endpoint))


def run(setup, s3_client, bucket: str, upload_id: str, folder: Path, dry_run: bool):  # type: ignore[no-untyped-def]
    _, instance, resources = setup
    for path in sorted(folder.glob("*.csv")):
        s3_client.put_object(
            Bucket=bucket, Key=f"drop/{DEMO}/{upload_id}/{path.name}", Body=path.read_bytes()
        )
    return materialize(
        IMPORT_ASSETS,
        partition_key=DEMO,
        instance=instance,
        resources=resources,
        run_config={
            "ops": {
                "raw_upload": {"config": {"upload": f"s3://{bucket}/drop/{DEMO}/{upload_id}/"}},
                "import_commit": {"config": {"dry_run": dry_run}},
            }
        },
    )


def test_no_personal_data_in_dagster_logs_or_metadata(
    dagster_setup, s3_client, bucket, sample_copy: Path
) -> None:
    _, instance, resources = dagster_setup
    values = personal_values(SAMPLE_UPLOAD)
    first = run(dagster_setup, s3_client, bucket, "u1", SAMPLE_UPLOAD, dry_run=False)
    merge = merge_students_job.execute_in_process(
        run_config={
            "ops": {"merge_duplicated_students": {"config": {"run_id": first.run_id, "min_score": 0.7}}}
        },
        partition_key=DEMO,
        instance=instance,
        resources=resources,
    )
    changed_upload(sample_copy)
    values |= personal_values(sample_copy)
    second = run(dagster_setup, s3_client, bucket, "u2", sample_copy, dry_run=True)
    edit_csv(sample_copy, "users.csv", lambda rows: rows.assign(email=rows["email"].str.replace("@", " at ")))
    rejected = run(dagster_setup, s3_client, bucket, "u3", sample_copy, dry_run=True)
    assert first.success and merge.success and second.success and rejected.success
    assert len(values) > 60  # names, emails, phones, usernames, birth dates of the three uploads

    for result in (first, merge, second, rejected):
        messages, metadata = scanned(instance, result.run_id)
        assert DEMO in messages  # the steps' own INFO lines are among those searched
        assert found(values, messages) == [], result.run_id
        assert found(values, metadata) == [], result.run_id
    changes = second.asset_materializations_for_node("staged_plan")[0].metadata["sample_changes"].value
    assert "| 0001001 | UPDATED | given_name | (hidden) | (hidden) |" in changes
    assert "ARCHIVED" in changes  # the dropped class: an archive has no file or line, and renders


def test_plan_samples_name_the_record_and_field_but_hide_personal_values(
    demo_roster, sample_copy: Path, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    changed_upload(sample_copy)
    plan = import_upload(demo_roster, sample_copy, tmp_path).plan
    shown = sample_changes(plan).value
    for given, family in CHANGED_NAMES.values():
        assert given not in shown and family not in shown
    assert "2017-04-21" not in shown and "+15555550199" not in shown and "sofia.g@" not in shown
    assert f"| 0001001 | UPDATED | given_name | {HIDDEN} | {HIDDEN} |" in shown
    assert "| 0001001\\|birthDate | UPDATED | value |" in shown
    assert "| c-0102-m7p2 | ARCHIVED |" in shown  # classroom fields are not personal: shown as they are


def test_a_refused_rollback_names_people_made_by_hand_by_id_in_dagster(dagster_setup, tmp_path: Path) -> None:
    """The CLI names records made by hand by name and email (the tenant's own people read it); the
    same refusal in Dagster, which every UI user reads, names them by id."""
    engine, instance, resources = dagster_setup
    merge_id = linked_again_after_a_merge(engine, tmp_path, "guardian")
    result = rollback_import_run.execute_in_process(
        run_config={"ops": {"rollback_import": {"config": {"run_id": merge_id}}}},
        resources={"roster_database": resources["roster_database"]},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    messages, metadata = scanned(instance, result.run_id)
    assert "rejected: 1 link this run removed was made again since (guardian (name hidden, id " in messages
    people = {"Mary", "Roe", "mary.roe@mail.example.com", "Noah", "Ng"}
    assert found(people, messages) == [] and found(people, metadata) == []
