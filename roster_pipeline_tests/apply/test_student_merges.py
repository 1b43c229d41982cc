"""Merging a hand-made duplicate into the SIS student the import created: links move (a union), the SIS
ID stays, the duplicate is archived, and rollback puts everything back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, insert

from roster_pipeline.apply.rollback import RollbackRefused, rollback_run
from roster_pipeline.cli.main import main
from roster_pipeline.import_run import apply_reviewed_run, merge_candidates_of, run_student_merges
from roster_pipeline.plan.student_merges import MergeRefused
from roster_pipeline.roster.models import StudentAttribute, StudentGuardian
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import (
    DEMO,
    import_upload,
    linked_again_after_a_merge,
    roster_state,
    roster_table,
)


@pytest.fixture
def duplicated(demo_roster: Engine, tmp_path: Path) -> tuple[Engine, str]:
    """The first upload created 0001004 Noah Ng; both Noahs have a class and a guardian, and the
    hand-made one two attributes (one of which the SIS student has too)."""
    first = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    students = roster_table(demo_roster, "students")
    manual = int(students.loc[students["sis_id"] == "", "id"].iloc[0])
    survivor = int(students.set_index("sis_id").loc["0001004", "id"])
    guardians = roster_table(demo_roster, "guardians").set_index("sis_id")["id"]
    with demo_roster.begin() as connection:
        district = int(students["district_id"].iloc[0])
        connection.execute(
            insert(StudentGuardian),
            [  # both have a guardian: the survivor's own, and one only the hand-made record knew
                {"district_id": district, "student_id": manual, "guardian_id": int(guardians["g-5001"])},
                {"district_id": district, "student_id": survivor, "guardian_id": int(guardians["g-5002"])},
            ],
        )
        connection.execute(
            insert(StudentAttribute),
            [
                {"district_id": district, "student_id": manual, "attribute": "ell", "value": "true"},
                {
                    "district_id": district,
                    "student_id": manual,
                    "attribute": "birthDate",
                    "value": "2016-11-20",
                },
            ],
        )
    return demo_roster, first.run_id


def links_of(engine: Engine, student_id: int) -> dict[str, set]:
    enrollments = roster_table(engine, "enrollments")
    guardians = roster_table(engine, "student_guardians")
    attributes = roster_table(engine, "student_attributes")
    return {
        "classrooms": set(enrollments.loc[enrollments["student_id"] == student_id, "classroom_id"]),
        "guardians": set(guardians.loc[guardians["student_id"] == student_id, "guardian_id"]),
        "attributes": set(
            attributes.loc[attributes["student_id"] == student_id, ["attribute", "value"]].itertuples(
                index=False, name=None
            )
        ),
    }


def test_merging_keeps_every_link_and_rolls_back(duplicated: tuple[Engine, str], tmp_path: Path) -> None:
    engine, first_run = duplicated
    candidates = merge_candidates_of(engine, first_run)
    assert candidates[["student_key", "existing_id"]].values.tolist() == [["0001004", 1]]
    students = roster_table(engine, "students").set_index("sis_id")
    survivor, manual = int(students.loc["0001004", "id"]), 1
    before_survivor, before_manual = links_of(engine, survivor), links_of(engine, manual)
    before = roster_state(engine)

    run_id, status, _, _ = run_student_merges(engine, DEMO, tmp_path, candidates)
    assert status == "DRY_RUN" and roster_state(engine) == before
    assert apply_reviewed_run(engine, run_id, tmp_path)[0] == "COMMITTED"

    assert before_survivor["guardians"] and before_manual["guardians"]
    assert before_survivor["classrooms"] and before_manual["classrooms"]
    merged = links_of(engine, survivor)
    assert merged["classrooms"] == before_survivor["classrooms"] | before_manual["classrooms"]
    assert merged["guardians"] == before_survivor["guardians"] | before_manual["guardians"]
    # Attributes: the union, the survivor's own value winning where both had one.
    assert merged["attributes"] == before_survivor["attributes"] | {("ell", "true")}
    assert links_of(engine, manual) == {"classrooms": set(), "guardians": set(), "attributes": set()}
    students = roster_table(engine, "students").set_index("id")
    assert students.loc[survivor, "sis_id"] == "0001004" and students.loc[manual, "archived_at"] is not None

    rollback_run(engine, run_id)
    assert roster_state(engine) == before


def test_only_hand_made_students_merge_into_sis_students(
    duplicated: tuple[Engine, str], tmp_path: Path
) -> None:
    engine, _ = duplicated
    with pytest.raises(MergeRefused, match="not active students without an SIS ID"):
        run_student_merges(
            engine, DEMO, tmp_path, pd.DataFrame({"student_key": ["0001004"], "existing_id": [2]})
        )
    with pytest.raises(MergeRefused, match="no student with SIS ID 9999"):
        run_student_merges(
            engine, DEMO, tmp_path, pd.DataFrame({"student_key": ["9999"], "existing_id": [1]})
        )


def test_the_merge_commands(tmp_path: Path, capsys) -> None:
    flags = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}", "--data-dir", str(tmp_path / "data")]
    main(["db", "seed-demo", *flags])
    main(["import", str(SAMPLE_UPLOAD), "--tenant", DEMO, "--commit", *flags])
    run_id = capsys.readouterr().out.split("Run ")[1].split(" ")[0]
    queue = tmp_path / "candidates.csv"
    assert main(["students", "candidates", run_id, "--out", str(queue), *flags]) == 0
    assert main(["students", "merge", str(queue), "--tenant", DEMO, "--commit", *flags]) == 0
    assert "applied:" in capsys.readouterr().out


def test_an_edited_candidates_file_is_refused_cell_by_cell(tmp_path: Path, capsys) -> None:
    flags = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}", "--data-dir", str(tmp_path / "data")]
    queue = tmp_path / "candidates.csv"
    queue.write_text("student_key,existing_id,score\n,1,90\n0001001,one,90\n0001002,2,\n")
    assert main(["students", "merge", str(queue), "--tenant", DEMO, *flags]) == 1
    err = capsys.readouterr().err
    for said in (
        "line 2, student_key: '' is not an SIS ID",
        "line 3, existing_id: 'one' is not a roster id (a whole number)",
        "line 4, score: '' is not a number",
    ):
        assert said in err
    queue.write_text("student_key,score\n0001001,90\n")
    assert main(["students", "merge", str(queue), "--tenant", DEMO, *flags]) == 1
    assert "no column existing_id" in capsys.readouterr().err


@pytest.mark.parametrize("put_back", ["guardian", "enrollment"])
def test_a_refused_rollback_names_the_records_made_by_hand_in_the_links_it_means(
    demo_roster: Engine, tmp_path: Path, put_back: str
) -> None:
    """A merge moves the hand-made Noah Ng's links (to a hand-made guardian, to the hand-made Art
    Club) onto 0001004; the district's own app then links Noah again. The rollback, which would put
    the moved links back, is refused, naming both ends as the district knows them: no SIS IDs, so
    by name (and email, for the guardian), never by internal id. What Dagster shows every UI user
    names the people by id instead, their names hidden."""
    merge_id = linked_again_after_a_merge(demo_roster, tmp_path, put_back)
    state = roster_state(demo_roster)
    noah = int(roster_table(demo_roster, "students").set_index("sis_id").loc["", "id"])
    mary = int(roster_table(demo_roster, "guardians").set_index("given_name").loc["Mary", "id"])

    named, public = {
        "guardian": (
            "guardian Mary Roe <mary.roe@mail.example.com> of student Noah Ng",
            f"guardian (name hidden, id {mary}) of student (name hidden, id {noah})",
        ),
        "enrollment": (
            "enrollment of student Noah Ng in classroom Art Club",
            f"enrollment of student (name hidden, id {noah}) in classroom Art Club",
        ),
    }[put_back]
    with pytest.raises(RollbackRefused) as refused:
        rollback_run(demo_roster, merge_id)
    end = "; roll back what made them first, or use --force (the newer ones are kept)"
    assert refused.value.reason == f"1 link this run removed was made again since ({named}){end}"
    assert refused.value.public_reason == f"1 link this run removed was made again since ({public}){end}"
    assert roster_state(demo_roster) == state
