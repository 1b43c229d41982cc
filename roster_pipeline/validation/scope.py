"""What the caller knows about the upload before reading it: its scope and the roster it lands in."""

from __future__ import annotations

from dataclasses import dataclass, field

DISTRICT = "district"
SCHOOL = "school"
SCOPES = (DISTRICT, SCHOOL)


@dataclass(frozen=True)
class UploadContext:
    """``school_ids`` are the district's School IDs the caller knows (later: from the roster database);
    the ``existing_*`` sets let references point at records already in the roster (delta files)."""

    scope: str = DISTRICT
    school_ids: frozenset[str] = field(default_factory=frozenset)
    existing_user_ids: frozenset[str] = field(default_factory=frozenset)
    existing_student_ids: frozenset[str] = field(default_factory=frozenset)
    existing_class_ids: frozenset[str] = field(default_factory=frozenset)
    # True when ``school_ids`` come from the roster: then they are the only School IDs an upload may
    # name (an orgs.csv cannot add schools the roster does not have).
    school_ids_from_roster: bool = False
    # The roster's schools that have no School ID yet: offered when an upload names unknown ones.
    schools_without_id: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {self.scope!r}")
