"""Classroom match suggestions and accepting them: the right class among confusable titles, applied
as previewed, undone by rollback, and the next import updates instead of duplicating."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from roster_pipeline.apply.rollback import rollback_run
from roster_pipeline.cli.main import main
from roster_pipeline.import_run import apply_reviewed_run, run_classroom_ids, suggest_classroom_ids
from roster_pipeline.plan.classroom_ids import ClassroomIdsRefused
from roster_pipeline.roster.fixtures import load_fixture
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import import_upload, roster_state, roster_table

TENANT = "district-0050"
# Two schools' classrooms typed in by hand; the sample upload has "Math 7 - P1" and "Math 7 - P2"
# (periods 1 and 2) at sch-0102, and two homerooms at sch-0101.
BY_HAND = {
    "tenant": TENANT,
    "schools": [{"name": "Maple", "school_id": "sch-0101"}, {"name": "Cedar", "school_id": "sch-0102"}],
    "classrooms": [
        {"school": "sch-0102", "ref": "p2", "title": "Math 7 - P2", "periods": "2"},
        {"school": "sch-0102", "ref": "p1", "title": "MATH 7 P1", "periods": "1"},
        {"school": "sch-0101", "ref": "hr3", "title": "Grade 3 homeroom", "grades": "03"},
        {"school": "sch-0101", "ref": "chess", "title": "Chess Club"},
    ],
}


@pytest.fixture
def by_hand(roster_engine: Engine) -> Engine:
    with roster_engine.begin() as connection:
        load_fixture(connection, BY_HAND)
    return roster_engine


def suggestions_by_title(engine: Engine) -> dict[str, str]:
    suggestions = suggest_classroom_ids(engine, TENANT, str(SAMPLE_UPLOAD))
    return dict(zip(suggestions["classroom_title"], suggestions["class_sis_id"], strict=True))


def test_suggestions_pick_the_right_class_among_confusable_titles(by_hand: Engine) -> None:
    picked = suggestions_by_title(by_hand)
    assert picked["Math 7 - P2"] == "c-0102-m7p2"
    assert picked["MATH 7 P1"] == "c-0102-m7p1"
    assert picked["Grade 3 homeroom"] == "c-0101-hr3"


def test_the_dry_run_results_carry_the_suggestions(by_hand: Engine, tmp_path: Path) -> None:
    outcome = import_upload(by_hand, SAMPLE_UPLOAD, tmp_path, tenant=TENANT)
    suggestions = pd.read_csv(outcome.run_folder / "results" / "classroom_suggestions.csv")
    assert set(suggestions["class_sis_id"]) == {"c-0102-m7p1", "c-0102-m7p2", "c-0101-hr3"}


def test_accepting_suggestions_previews_applies_and_rolls_back(by_hand: Engine, tmp_path: Path) -> None:
    before = roster_state(by_hand, TENANT)
    suggestions = suggest_classroom_ids(by_hand, TENANT, str(SAMPLE_UPLOAD))
    accepted = suggestions[suggestions["score"] >= 80][["classroom_id", "class_sis_id"]]
    run_id, status, _, plan = run_classroom_ids(by_hand, TENANT, tmp_path, accepted, archive_unmatched=True)
    assert status == "DRY_RUN" and roster_state(by_hand, TENANT) == before
    actions = dict(
        zip(plan.entities["classrooms"]["title"], plan.entities["classrooms"]["action"], strict=True)
    )
    assert actions["Chess Club"] == "ARCHIVED" and actions["MATH 7 P1"] == "UPDATED"

    assert apply_reviewed_run(by_hand, run_id, tmp_path)[0] == "COMMITTED"
    classrooms = roster_table(by_hand, "classrooms", TENANT).set_index("title")
    assert classrooms.loc["MATH 7 P1", ["sis_id", "managed_by"]].tolist() == ["c-0102-m7p1", "sis"]
    assert classrooms.loc["Chess Club", "archived_at"] is not None

    # The first upload now updates those classrooms instead of creating duplicates.
    first = import_upload(by_hand, SAMPLE_UPLOAD, tmp_path, tenant=TENANT)
    created = first.plan.entities["classrooms"].query("action == 'CREATED'")["key"].tolist()
    assert created == ["c-0101-hr4"]

    rollback_run(by_hand, run_id)
    assert roster_state(by_hand, TENANT) == before


def test_an_sis_id_is_given_once(by_hand: Engine, tmp_path: Path) -> None:
    ids = roster_table(by_hand, "classrooms", TENANT)["id"].tolist()
    twice = pd.DataFrame({"classroom_id": ids[:2], "class_sis_id": ["c-0102-m7p1", "c-0102-m7p1"]})
    with pytest.raises(ClassroomIdsRefused, match="accepted once"):
        run_classroom_ids(by_hand, TENANT, tmp_path, twice)


def test_an_sis_id_the_roster_holds_is_refused(by_hand: Engine, tmp_path: Path) -> None:
    by_title = roster_table(by_hand, "classrooms", TENANT).set_index("title")["id"]
    first = pd.DataFrame({"classroom_id": [by_title["MATH 7 P1"]], "class_sis_id": ["c-0102-m7p1"]})
    run_id = run_classroom_ids(by_hand, TENANT, tmp_path, first)[0]
    assert apply_reviewed_run(by_hand, run_id, tmp_path)[0] == "COMMITTED"
    again = pd.DataFrame({"classroom_id": [by_title["Math 7 - P2"]], "class_sis_id": ["c-0102-m7p1"]})
    with pytest.raises(ClassroomIdsRefused, match=r"already in the roster: \['c-0102-m7p1'\]"):
        run_classroom_ids(by_hand, TENANT, tmp_path, again)


def test_the_classrooms_commands(tmp_path: Path, capsys) -> None:
    flags = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}", "--data-dir", str(tmp_path / "data")]
    main(["db", "seed-demo", *flags])
    out = tmp_path / "suggestions.csv"
    assert (
        main(
            [
                "classrooms",
                "suggest",
                str(SAMPLE_UPLOAD),
                "--tenant",
                "district-0042",
                "--out",
                str(out),
                *flags,
            ]
        )
        == 0
    )
    assert out.exists()
    assert (
        main(["classrooms", "accept", str(out), "--tenant", "district-0042", "--min-score", "90", *flags])
        == 0
    )
    assert "dry run: not applied" in capsys.readouterr().out


def test_an_edited_suggestions_file_is_refused_cell_by_cell(tmp_path: Path, capsys) -> None:
    """A score typed as a word, an emptied or invalid SIS ID: refused with line, column and value
    (the first two crashed the command, the last was staged)."""
    flags = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}", "--data-dir", str(tmp_path / "data")]
    main(["db", "seed-demo", *flags])
    out = tmp_path / "suggestions.csv"
    main(
        ["classrooms", "suggest", str(SAMPLE_UPLOAD), "--tenant", "district-0042", "--out", str(out), *flags]
    )
    suggestions = pd.read_csv(out, dtype=str, keep_default_na=False)
    suggestions.loc[0, "score"] = "high"
    suggestions.loc[1, "class_sis_id"] = ""
    edited = tmp_path / "edited.csv"
    suggestions.to_csv(edited, index=False)
    capsys.readouterr()
    assert main(["classrooms", "accept", str(edited), "--tenant", "district-0042", *flags]) == 1
    err = capsys.readouterr().err
    assert "line 2, score: 'high' is not a number" in err
    assert "line 3, class_sis_id: '' is not an SIS ID" in err

    suggestions.loc[0, "score"], suggestions.loc[1, "class_sis_id"] = "95", "bad id!"
    suggestions.head(2).to_csv(edited, index=False)
    assert main(["classrooms", "accept", str(edited), "--tenant", "district-0042", *flags]) == 1
    assert "line 3, class_sis_id: 'bad id!' is not an SIS ID" in capsys.readouterr().err
