"""School IDs: set, change, clear; never shared; suggested when an upload names unknown ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from roster_pipeline.apply.rollback import RollbackRefused, rollback_run
from roster_pipeline.apply.school_ids import SchoolIdRefused, plan_school_id, set_school_id
from roster_pipeline.cli.main import main
from roster_pipeline_tests.importing import DEMO, edit_csv, import_upload, roster_state, roster_table


def school_ids(engine: Engine) -> dict[str, str]:
    return dict(roster_table(engine, "schools")[["name", "school_id"]].values.tolist())


def test_set_change_clear_and_roll_back(demo_roster: Engine) -> None:
    before = roster_state(demo_roster)
    with demo_roster.connect() as connection:
        preview = plan_school_id(connection, DEMO, "Birch Adult Learning Center", "sch-0103")
    assert preview.describe() == "Birch Adult Learning Center: School ID (none) -> sch-0103"
    assert roster_state(demo_roster) == before  # a preview changes nothing

    run_id, _ = set_school_id(demo_roster, DEMO, "Birch Adult Learning Center", "sch-0103")
    set_school_id(demo_roster, DEMO, "sch-0101", "sch-0111")  # named by its current School ID
    set_school_id(demo_roster, DEMO, "sch-0111", "")  # cleared
    assert school_ids(demo_roster)["Birch Adult Learning Center"] == "sch-0103"
    assert school_ids(demo_roster)["Maple Elementary School"] == ""

    rollback_run(demo_roster, run_id)
    assert school_ids(demo_roster)["Birch Adult Learning Center"] == ""


def test_a_school_id_changed_again_is_named_by_the_school(demo_roster: Engine) -> None:
    """Refused, naming the school as the district knows it (the change log names it by its id)."""
    first, _ = set_school_id(demo_roster, DEMO, "Birch Adult Learning Center", "sch-0103")
    set_school_id(demo_roster, DEMO, "sch-0103", "sch-0104")
    with pytest.raises(RollbackRefused) as refused:
        rollback_run(demo_roster, first)
    assert refused.value.reason == (
        "1 row was changed again by later runs (school Birch Adult Learning Center); "
        "roll those back first, or use --force"
    )
    assert school_ids(demo_roster)["Birch Adult Learning Center"] == "sch-0104"


def test_no_two_schools_share_a_school_id(demo_roster: Engine) -> None:
    with pytest.raises(SchoolIdRefused, match="School ID sch-0102 already belongs to Cedar Middle School"):
        set_school_id(demo_roster, DEMO, "sch-0101", "sch-0102")
    with pytest.raises(SchoolIdRefused, match="is not a valid School ID"):
        set_school_id(demo_roster, DEMO, "sch-0101", "sch 0101")
    with pytest.raises(SchoolIdRefused, match="no school 'Oak' in district-0042"):
        set_school_id(demo_roster, DEMO, "Oak", "sch-7")


def test_unknown_school_ids_suggest_the_schools_without_one(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    edit_csv(
        sample_copy,
        "classes.csv",
        lambda rows: rows.assign(schoolSourcedId=rows["schoolSourcedId"].str.replace("sch-0102", "sch-0103")),
    )
    outcome = import_upload(demo_roster, sample_copy, tmp_path)
    unknown = outcome.validated.issues.query("code == 'unknown_school' and file == 'classes.csv'")
    assert unknown["message"].iloc[0] == (
        "School ID sch-0103 is not a school of this district (schools without a School ID yet: "
        "Birch Adult Learning Center; set one with `roster-pipeline schools set-id`)"
    )


def test_the_schools_commands(tmp_path: Path, capsys) -> None:
    flags = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}", "--data-dir", str(tmp_path / "data")]
    main(["db", "seed-demo", *flags])
    assert (
        main(["schools", "set-id", "--tenant", DEMO, "Birch Adult Learning Center", "sch-0103", *flags]) == 0
    )
    assert "Preview: Birch Adult Learning Center: School ID (none) -> sch-0103" in capsys.readouterr().out
    assert main(["schools", "set-id", "--tenant", DEMO, "sch-0101", "sch-0102", "--commit", *flags]) == 1
    assert main(["schools", "clear-id", "--tenant", DEMO, "sch-0101", "--commit", *flags]) == 0
    assert main(["schools", "list", "--tenant", DEMO, *flags]) == 0
    assert "Maple Elementary School" in capsys.readouterr().out


def test_an_empty_or_unchanged_school_id_is_refused_and_records_no_run(tmp_path: Path, capsys) -> None:
    """set-id "" cleared the School ID, and a change to the same value was committed as a run."""
    flags = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}", "--data-dir", str(tmp_path / "data")]
    main(["db", "seed-demo", *flags])
    capsys.readouterr()
    assert main(["schools", "set-id", "--tenant", DEMO, "sch-0101", " ", "--commit", *flags]) == 1
    assert "set-id needs the new School ID" in capsys.readouterr().err
    assert main(["schools", "set-id", "--tenant", DEMO, "sch-0101", "sch-0101", "--commit", *flags]) == 1
    assert "already has School ID sch-0101: nothing to change" in capsys.readouterr().err
    assert (
        main(["schools", "clear-id", "--tenant", DEMO, "Birch Adult Learning Center", "--commit", *flags])
        == 1
    )
    assert "Birch Adult Learning Center already has no School ID" in capsys.readouterr().err
    assert main(["runs", *flags]) == 0
    assert capsys.readouterr().out.strip() == "no runs yet"
