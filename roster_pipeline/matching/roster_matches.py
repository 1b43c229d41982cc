"""The upload matched against the roster snapshot: what the SIS says, what the roster has, in the same
terms and keys, ready to diff. Kept apart from the plan so it can be inspected (a Dagster asset)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from roster_pipeline.frames import is_in
from roster_pipeline.matching.existing import existing_links, existing_records
from roster_pipeline.matching.incoming import IncomingRoster, incoming_roster
from roster_pipeline.matching.people import match_by_contact
from roster_pipeline.matching.schools import SchoolMatcher
from roster_pipeline.roster.snapshot import RosterSnapshot
from roster_pipeline.validation.validate import ValidatedUpload

BIRTH_DATE = "birthDate"


@dataclass
class RosterMatches:
    tenant: str
    fingerprint: str  # of the snapshot matched against
    incoming: IncomingRoster
    existing: dict[str, pd.DataFrame]
    incoming_birth_dates: pd.Series  # by student SIS ID
    existing_birth_dates: pd.Series  # by roster student id

    def merge_review_queue(self, candidates: pd.DataFrame) -> pd.DataFrame:
        """Merge candidates with what a reviewer needs beside the score: each student's school,
        grades, and how many guardians and classes each has."""
        if candidates.empty:
            return candidates.assign(guardians=0, classes=0, existing_guardians=0, existing_classes=0)
        incoming = self.incoming.entities
        existing = self.existing

        def per(frame: pd.DataFrame, column: str, keys: pd.Series) -> pd.Series:
            counts = frame[column].value_counts()
            return pd.Series(
                counts.reindex(keys.to_numpy()).fillna(0).astype(int).to_numpy(), index=keys.index
            )

        ids = candidates["existing_id"].astype("Int64")
        return candidates.assign(
            guardians=per(incoming["guardian_links"], "student_key", candidates["student_key"]),
            classes=per(incoming["student_enrollments"], "user_key", candidates["student_key"]),
            existing_guardians=per(existing["guardian_links"], "student_id", ids),
            existing_classes=per(existing["student_enrollments"], "student_id", ids),
        )

    def matched_counts(self) -> pd.DataFrame:
        """Per record entity: rows in the upload, matched by SIS ID, by email or sms, and new."""
        rows = []
        for name in ("classrooms", "students", "staff", "guardians"):
            keys = self.incoming.entities[name]["key"]
            existing = self.existing[name]
            found = existing[is_in(existing["key"], keys)]
            by_contact = int((found["matched_by"] != "").sum())
            rows.append(
                {
                    "entity": name,
                    "in_upload": len(keys),
                    "matched_by_sis_id": len(found) - by_contact,
                    "matched_by_contact": by_contact,
                    "new": len(keys) - len(found),
                }
            )
        return pd.DataFrame(rows)


def match_roster(upload: ValidatedUpload, snapshot: RosterSnapshot) -> RosterMatches:
    schools = SchoolMatcher(snapshot.schools, snapshot.tenant.scope)
    incoming = incoming_roster(upload, schools)
    records = existing_records(snapshot, incoming.covered_schools)
    records["staff"] = match_by_contact(incoming.entities["staff"], records["staff"], ("email",))
    records["guardians"] = match_by_contact(
        incoming.entities["guardians"], records["guardians"], ("email", "sms")
    )
    attributes = incoming.entities["student_attributes"]
    births = attributes[attributes["attribute"] == BIRTH_DATE]
    stored = snapshot.student_attributes
    stored = stored[stored["attribute"] == BIRTH_DATE]
    return RosterMatches(
        tenant=snapshot.tenant.key,
        fingerprint=snapshot.fingerprint,
        incoming=incoming,
        existing={**records, **existing_links(snapshot, records)},
        incoming_birth_dates=pd.Series(births["value"].to_numpy(), index=births["student_key"].to_numpy()),
        existing_birth_dates=pd.Series(stored["value"].to_numpy(), index=stored["student_id"].to_numpy()),
    )
