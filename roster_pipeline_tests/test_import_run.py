"""What a district reads in the results of an import its change thresholds stopped: nothing was
imported, what the plan would have done, and which threshold stopped it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from roster_pipeline.apply.runs import DRY_RUN, REJECTED
from roster_pipeline.import_run import ImportOutcome
from roster_pipeline.plan.thresholds import Threshold, ThresholdSettings
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import (
    archive_half_the_students,
    import_upload,
    results_of,
    roster_state,
)

THRESHOLD = "students: 4 of 8 would be archived or removed (50%); the limit is 10%"


def read_results(outcome: ImportOutcome, name: str) -> pd.DataFrame:
    return pd.read_csv(outcome.run_folder / "results" / name, dtype=str, keep_default_na=False)


def test_a_threshold_rejected_import_says_no_row_was_imported_and_why(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    state = roster_state(demo_roster)
    archive_half_the_students(sample_copy)

    stopped = import_upload(demo_roster, sample_copy, tmp_path, commit=True)

    assert stopped.status == REJECTED and THRESHOLD in stopped.message
    assert roster_state(demo_roster) == state
    users = results_of(stopped, "users.csv")
    assert set(users["action"]) == {"NOT_IMPORTED"}, users["action"].value_counts()
    assert set(users["result"]) == {"SUCCESS"}  # the rows were valid; the plan was stopped
    assert users.loc["4", "message"] == (
        f"would be archived (student archived; guardian link removed); not imported: {THRESHOLD}"
        " (and 4 more change thresholds: see errors.csv)"
    )
    assert users.loc["2", "message"].startswith(f"would be left unchanged; not imported: {THRESHOLD}")
    for name in ("classes.csv", "enrollments.csv", "guardians.csv", "student_attributes.csv"):
        results = results_of(stopped, name)
        assert set(results["action"]) == {"NOT_IMPORTED"}, name
        assert results["message"].str.contains(THRESHOLD, regex=False).all(), name
    # The archives of students left out of the upload have no row: the summary and errors.csv say
    # the upload was stopped, and by what.
    errors = read_results(stopped, "errors.csv")
    assert set(errors["file"]) == {"(upload)"} and set(errors["code"]) == {"change_threshold_exceeded"}
    assert errors["value"].tolist() == [
        "students",
        "guardians",
        "student_enrollments",
        "guardian_links",
        "student_attributes",
    ]
    assert errors.loc[0, "message"] == THRESHOLD
    summary = read_results(stopped, "summary.csv").set_index("file")
    assert summary.loc["(upload)", ["status", "rows", "errors"]].tolist() == ["ERROR", "0", "5"]
    assert summary.loc["users.csv", ["status", "rows", "errors"]].tolist() == ["SUCCESS", "11", "0"]
    pd.testing.assert_frame_equal(stopped.summary().set_index("file").astype(str), summary)


def test_a_dry_run_within_the_thresholds_still_shows_what_it_would_archive(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    archive_half_the_students(sample_copy)

    dry = import_upload(
        demo_roster, sample_copy, tmp_path, thresholds=ThresholdSettings(Threshold(percent=60))
    )

    assert dry.status == DRY_RUN, dry.message
    users = results_of(dry, "users.csv")
    assert users.loc[["4", "5"], "action"].tolist() == ["ARCHIVED", "ARCHIVED"]
    assert users.loc["2", ["action", "message"]].tolist() == ["UNCHANGED", ""]
    assert "(upload)" not in set(read_results(dry, "summary.csv")["file"])
    assert read_results(dry, "errors.csv").empty
