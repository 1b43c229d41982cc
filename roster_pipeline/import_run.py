"""One import, start to finish, as plain functions the CLI and Dagster both call: read, validate,
match, plan (saved for review), then commit or stop as a dry run, and write the results.

A run's artefacts live under ``<data_dir>/runs/<run_id>/``: ``plan/`` (Parquet + summary.json) and
``results/`` (the per-file results CSVs). ``data_dir`` is a local folder or an S3 prefix (``Folder``).
``results/`` appears only once the run is recorded: results name a run, and one that is not in the
runs table cannot be listed, applied or rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from roster_pipeline.apply.commit import PlanRefused, applied_counts, apply_plan
from roster_pipeline.apply.runs import (
    ARCHIVE_STUDENTS,
    CLASSROOM_IDS,
    COMMITTED,
    DRY_RUN,
    IMPORT,
    MERGE_STUDENTS,
    REJECTED,
    find_run,
    mark_run,
    new_run_id,
    record_run,
)
from roster_pipeline.folders import Folder, folder_near, remove_folder
from roster_pipeline.issues import Issue, issues_from
from roster_pipeline.matching.classroom_suggestions import SUGGESTION_COLUMNS, suggest_classrooms
from roster_pipeline.matching.incoming import SKIP_CODES, incoming_roster
from roster_pipeline.matching.schools import SchoolMatcher
from roster_pipeline.plan.actions import NOT_IMPORTED
from roster_pipeline.plan.archive_students import archive_students_plan
from roster_pipeline.plan.classroom_ids import classroom_ids_plan
from roster_pipeline.plan.staged_plan import PlanActions, StagedPlan, build_plan
from roster_pipeline.plan.storage import SUMMARY, load_plan, load_plan_candidates, save_plan
from roster_pipeline.plan.student_merges import merge_plan
from roster_pipeline.plan.thresholds import ThresholdSettings, rejection_reason
from roster_pipeline.reports.actions import row_actions
from roster_pipeline.reports.summary import upload_summary
from roster_pipeline.reports.writer import (
    iter_not_imported_tables,
    iter_results_tables,
    with_issues,
    write_tables,
)
from roster_pipeline.roster.snapshot import (
    CONTEXT_TABLES,
    SNAPSHOT_TABLES,
    RosterSnapshot,
    read_snapshot,
    read_table,
)
from roster_pipeline.roster.tenants import Tenant, find_tenant
from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.members import UPLOAD, UploadFiles
from roster_pipeline.upload.sources import read_upload, unreadable_upload
from roster_pipeline.validation.scope import UploadContext
from roster_pipeline.validation.settings import ReaderSettings
from roster_pipeline.validation.validate import ValidatedUpload, validate_upload

COMMIT_STARTED = "commit started: nothing is applied unless this run becomes COMMITTED"
# Where an import writes its results before its run is recorded; renamed to ``results`` once it is.
PENDING_RESULTS = "results.pending"
REJECTED_PREFIX = "rejected: "  # every REJECTED run's message starts so; the reason follows
THRESHOLD_STOP = "change_threshold_exceeded"  # the code of each threshold that stopped a plan


class CommitFailed(RuntimeError):
    """The commit broke off (connection lost, database down): nothing was applied (the message says
    so only once the run record confirms it), and the run stays a dry run that can be applied again."""


@dataclass
class NotImported:
    """Why a valid upload's plan was not imported, as its results say it: ``reason`` ends every
    row's message, ``issues`` (upload-level errors, every threshold in full) go to errors.csv and
    the summary."""

    reason: str
    issues: pd.DataFrame

    @property
    def by_thresholds(self) -> bool:
        """Whether change thresholds stopped it (not a refused commit)."""
        return bool((self.issues["code"] == THRESHOLD_STOP).any())


@dataclass
class ImportOutcome:
    run_id: str
    tenant: str
    status: str  # DRY_RUN, COMMITTED or REJECTED
    message: str
    validated: ValidatedUpload  # its rows as written and issues, without the normalised frames
    plan: StagedPlan | None
    run_folder: Path
    results: list[Path] = field(default_factory=list)
    unreadable: UploadUnreadable | None = None  # why nothing of the upload could be read (then REJECTED)
    not_imported: NotImported | None = None  # a plan stopped before the commit (then REJECTED)

    @property
    def rejected(self) -> bool:
        return self.status == REJECTED

    def summary(self) -> pd.DataFrame:
        """The per-file summary as summary.csv has it."""
        return import_summary(self.validated, self.not_imported)


def run_folder(data_dir: Folder, run_id: str) -> Folder:
    return data_dir / "runs" / run_id


def upload_context(snapshot: RosterSnapshot) -> UploadContext:
    """What validation needs from the roster: the tenant's School IDs and the SIS IDs it already has
    (so a delta file may refer to them)."""
    return _context(snapshot.tenant, snapshot.tables())


def load_upload_context(engine: Engine, tenant_key: str) -> UploadContext:
    """``upload_context`` from the few tables it needs, for a step that validates but does not match
    (the Dagster import reads the whole snapshot once, in the matching step)."""
    with engine.connect() as connection:
        tenant = find_tenant(connection, tenant_key)
        tables = {name: read_table(connection, SNAPSHOT_TABLES[name], tenant.id) for name in CONTEXT_TABLES}
    return _context(tenant, tables)


def load_tenant(engine: Engine, tenant_key: str) -> Tenant:
    with engine.connect() as connection:
        return find_tenant(connection, tenant_key)


def _context(tenant: Tenant, tables: dict[str, pd.DataFrame]) -> UploadContext:
    schools = SchoolMatcher(tables["schools"], tenant.scope)

    def ids(frame: pd.DataFrame) -> frozenset[str]:
        return frozenset(frame.loc[frame["sis_id"] != "", "sis_id"])

    students = ids(tables["students"])
    known = tables["schools"]
    return UploadContext(
        scope=tenant.scope,
        school_ids=schools.known_school_ids,
        # The users an enrollment may name: guardians are never enrolled (were they here, an enrollment
        # of one would be committed with nobody in it).
        existing_user_ids=students | ids(tables["staff"]),
        existing_student_ids=students,
        existing_class_ids=ids(tables["classrooms"]),
        school_ids_from_roster=True,
        schools_without_id=tuple(known.loc[(known["school_id"] == "") & known["archived_at"].isna(), "name"]),
    )


# Plans up to this many rows are saved while the results are written (a 100k-student district's has
# 1.4M, a million-student one's 13.7M).
SAVE_ALONGSIDE_RESULTS_ROWS = 5_000_000


def plan_rows(plan: StagedPlan) -> int:
    return sum(len(frame) for frame in plan.entities.values())


def run_import(
    engine: Engine,
    location: str,
    tenant_key: str,
    data_dir: Path,
    *,
    commit: bool = False,
    allow_large_changes: bool = False,
    reader: ReaderSettings | None = None,
    thresholds: ThresholdSettings | None = None,
    s3_client=None,  # type: ignore[no-untyped-def]
    run_id: str | None = None,
) -> ImportOutcome:
    """The steps below, in order, as the CLI runs them (Dagster runs each as its own asset)."""
    run_id = run_id or new_run_id()
    folder = run_folder(data_dir, run_id)
    reader = reader or ReaderSettings()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot") as pool:
        reading = SnapshotReading(engine, tenant_key, pool)
        unreadable = None
        try:
            files = read_upload(location, reader.limits, s3_client=s3_client)
        except UploadUnreadable as error:
            files, unreadable = unreadable_upload(location, error), error
        # The upload's bytes are let go once parsed: at a million students they are a gigabyte.
        validated = validate_upload(files, reading.context(), reader)
        del files
        snapshot = reading.snapshot()
    plan = None if validated.has_errors else build_plan(validated, snapshot, thresholds)
    # Classroom suggestions need the normalised frames, which are let go next: saving the plan and
    # writing the results need the rows as written alone (a million students' frames cost 0.4 GB of
    # the peak memory).
    suggestions = classroom_suggestions(snapshot, validated) if plan is not None else pd.DataFrame()
    validated = validated.without_frames()
    # The results say what the plan does to each row, whatever becomes of the run: they are written
    # while the plan is saved (Parquet, mostly without the GIL). Not for the largest plans: both at
    # once are what a million-student district's memory cannot hold. The run's record points at its
    # plan, so the plan is saved first; the results, which name the run, are written aside and take
    # their place once the run is recorded (a failed record, or a crash before it, leaves none).
    alongside = plan is not None and plan_rows(plan) <= SAVE_ALONGSIDE_RESULTS_ROWS
    if plan is not None and not alongside:
        save_plan(plan, folder / "plan")
    pending = folder / PENDING_RESULTS
    remove_folder(pending)  # left by an attempt that died under this run id
    # A plan over its thresholds is known to be stopped before anything is recorded: its results say so.
    stopped = not_imported(plan, *staged_decision(plan, allow_large_changes)) if plan is not None else None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan") as pool:
        saving = pool.submit(save_plan, plan, folder / "plan") if alongside else None
        tables = iter_import_tables(validated, plan, stopped)
        if len(suggestions):
            tables = chain(tables, [("classroom_suggestions.csv", suggestions)])
        written = write_tables(pending, tables)
        if saving is not None:
            saving.result()
    results: list[Path] = []
    try:
        status, message = settle_run(
            engine,
            snapshot.tenant,
            run_id,
            location,
            plan,
            folder,
            commit,
            allow_large_changes,
            on_recorded=lambda: results.extend(_publish_results(pending, folder / "results", written)),
        )
    finally:
        remove_folder(pending)  # still there only if the run could not be recorded
    if stopped is None:
        stopped = not_imported(plan, status, message)
        if stopped is not None:
            # The commit was refused (the roster changed since the snapshot): the results written
            # above say what the plan does; they are rewritten to say it was not (a rare second pass).
            written = write_tables(pending, iter_import_tables(validated, plan, stopped))
            results = _publish_results(pending, folder / "results", written)
    return ImportOutcome(
        run_id, snapshot.tenant.key, status, message, validated, plan, folder, results, unreadable, stopped
    )


def load_snapshot(
    engine: Engine,
    tenant_key: str,
    on_context: Callable[[Tenant, dict[str, pd.DataFrame]], None] | None = None,
) -> RosterSnapshot:
    """The tenant's roster as one consistent state (REPEATABLE READ where the database has it)."""
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        return read_snapshot(connection, find_tenant(connection, tenant_key), on_context)


class SnapshotReading:
    """The snapshot read on a thread of its own while the upload is read and validated, so the
    database works on the other core meanwhile (about a second of a 100k-student re-import).
    Validation needs only some records' SIS IDs (CONTEXT_TABLES), which are read first; the rest
    follows in the same transaction, so the context and the snapshot describe one state."""

    def __init__(self, engine: Engine, tenant_key: str, pool: ThreadPoolExecutor) -> None:
        self._context: Future[UploadContext] = Future()
        self._snapshot = pool.submit(load_snapshot, engine, tenant_key, self._context_read)

    def _context_read(self, tenant: Tenant, tables: dict[str, pd.DataFrame]) -> None:
        self._context.set_result(_context(tenant, tables))

    def context(self) -> UploadContext:
        wait([self._context, self._snapshot], return_when=FIRST_COMPLETED)
        if not self._context.done():
            self._snapshot.result()  # raises what stopped the read (an unknown tenant, a lost database)
        return self._context.result()

    def snapshot(self) -> RosterSnapshot:
        return self._snapshot.result()


def validate_for_roster(
    files: UploadFiles, snapshot: RosterSnapshot, reader: ReaderSettings | None = None
) -> ValidatedUpload:
    return validate_upload(files, upload_context(snapshot), reader or ReaderSettings())


def _publish_results(pending: Path, results: Path, written: list[Path]) -> list[Path]:
    """The results written aside, put where the run's results live by one rename (never half)."""
    remove_folder(results)  # an earlier attempt's under this run id, written before it was recorded
    pending.rename(results)
    return [results / path.name for path in written]


def settle_run(
    engine: Engine,
    tenant: Tenant,
    run_id: str,
    location: str,
    plan: PlanActions | None,
    folder: Folder,
    commit: bool,
    allow_large_changes: bool,
    on_recorded: Callable[[], object] = lambda: None,
) -> tuple[str, str]:
    """Record the run and decide it: rejected (errors, thresholds: no plan means the upload had
    errors), a dry run, or committed. ``on_recorded`` runs between the record and the commit: the
    CLI puts its results in place there, once the run they name exists and whatever the commit
    does. The commit re-checks the roster's fingerprint against the plan's, so a plan built on an
    older state is refused, however long ago it was staged. A dry run is decided on the plan's
    actions and thresholds; Dagster's ``StoredPlan`` is read whole only to be committed or copied."""
    if plan is None:
        message = REJECTED_PREFIX + "the upload has errors; nothing was imported"
        _record(engine, tenant, run_id, REJECTED, location, None, None, message, allow_large_changes)
        on_recorded()
        return REJECTED, message
    status, message = staged_decision(plan, allow_large_changes)
    committing = commit and status == DRY_RUN
    staged = (folder / "plan" / SUMMARY).exists()
    whole = plan.whole() if committing or not staged else None
    if not staged:
        # A Dagster run re-executed from failure did not stage its plan: it loaded the one an earlier
        # attempt staged under that run's folder. The run record points at its own folder: copy it there.
        save_plan(whole, folder / "plan")
    # What the record says if the process dies mid-commit (the commit itself marks it COMMITTED).
    recorded = COMMIT_STARTED if committing else message
    _record(engine, tenant, run_id, status, location, plan, folder / "plan", recorded, allow_large_changes)
    on_recorded()
    if committing:
        status, message = _commit(engine, whole, run_id, allow_large_changes)
    return status, message


def staged_decision(plan: PlanActions, allow_large_changes: bool) -> tuple[str, str]:
    """What becomes of a staged plan before any commit is tried: REJECTED when it goes past its
    thresholds and the run does not allow that, otherwise a DRY_RUN (which a commit may then apply)."""
    if len(plan.exceeded) and not allow_large_changes:
        return REJECTED, REJECTED_PREFIX + rejection_reason(plan.exceeded)
    return DRY_RUN, "dry run: not applied"


def not_imported(plan: PlanActions | None, status: str, message: str) -> NotImported | None:
    """Why a run's results must say NOT_IMPORTED although it has a plan: it was REJECTED, by its
    change thresholds or by a refused commit (a stale plan). None for a dry run (its results show
    the plan's actions, for review), a commit (they happened) and an upload with errors (no plan:
    validation's results say why). ``status`` and ``message`` are the run's, as ``settle_run``
    returns them, so the CLI and Dagster word it alike."""
    if plan is None or status != REJECTED:
        return None
    reason = message.removeprefix(REJECTED_PREFIX)
    exceeded = plan.exceeded
    if not (len(exceeded) and reason == rejection_reason(exceeded)):
        return NotImported(reason, issues_from([Issue(UPLOAD, "commit_refused", message=reason)]))
    found = [
        Issue(UPLOAD, THRESHOLD_STOP, value=entity, message=why)
        for entity, why in zip(exceeded["entity"], exceeded["reason"], strict=True)
    ]
    # Every row carries the reason: the first threshold in full, the others in errors.csv (all of
    # them on each of a million students' 14M rows would be gigabytes of the same words).
    more = len(exceeded) - 1
    first = exceeded["reason"].iloc[0]
    return NotImported(
        first
        + (f" (and {more} more change threshold{'s' if more > 1 else ''}: see errors.csv)" if more else ""),
        issues_from(found),
    )


def iter_import_tables(
    validated: ValidatedUpload, plan: PlanActions | None, stopped: NotImported | None = None
) -> Iterator[tuple[str, pd.DataFrame]]:
    """The results files as tables, one at a time (the row actions are worked out first): each row's
    action from the plan, or NOT_IMPORTED when there is none or it was ``stopped`` (``not_imported``)."""
    if plan is None:
        return iter_results_tables(validated, None, NOT_IMPORTED)
    actions = row_actions(plan, _skipped(validated))
    if stopped is None:
        return iter_results_tables(validated, actions)
    return iter_not_imported_tables(validated, actions, stopped.reason, stopped.issues)


def import_summary(validated: ValidatedUpload, stopped: NotImported | None = None) -> pd.DataFrame:
    """The per-file summary as the results' summary.csv has it: with an ``(upload)`` row when the
    plan was stopped."""
    return upload_summary(validated if stopped is None else with_issues(validated, stopped.issues))


def classroom_suggestions(snapshot: RosterSnapshot, validated: ValidatedUpload) -> pd.DataFrame:
    """Before a first upload duplicates them: the tenant's classrooms made by hand paired with the
    upload's classes (empty when there are no such classrooms)."""
    classrooms = snapshot.classrooms
    if not ((classrooms["sis_id"] == "") & classrooms["archived_at"].isna()).any():
        return pd.DataFrame(columns=SUGGESTION_COLUMNS)
    schools = SchoolMatcher(snapshot.schools, snapshot.tenant.scope)
    return suggest_classrooms(snapshot, incoming_roster(validated, schools))


def run_archive_students(
    engine: Engine,
    tenant_key: str,
    data_dir: Folder,
    school_ids: list[str] | None = None,
    *,
    commit: bool = False,
) -> tuple[str, str, str, StagedPlan]:
    """Stage archiving the tenant's existing students (of the given School IDs, or all)."""
    snapshot = load_snapshot(engine, tenant_key)
    plan = archive_students_plan(snapshot, school_ids)
    scope = "schools " + ", ".join(school_ids) if school_ids else "every school"
    return run_operation(
        engine, snapshot, plan, data_dir, ARCHIVE_STUDENTS, f"archive students: {scope}", commit
    )


def suggest_classroom_ids(engine: Engine, tenant_key: str, location: str, s3_client=None) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Suggestions pairing the tenant's manual classrooms with an upload's classes."""
    snapshot = load_snapshot(engine, tenant_key)
    validated = validate_for_roster(read_upload(location, s3_client=s3_client), snapshot)
    if validated.has_errors:
        raise PlanRefused("the upload has errors: check it first (roster-pipeline check)")
    return classroom_suggestions(snapshot, validated)


def run_classroom_ids(
    engine: Engine,
    tenant_key: str,
    data_dir: Folder,
    accepted: pd.DataFrame,
    *,
    archive_unmatched: bool = False,
    commit: bool = False,
) -> tuple[str, str, str, StagedPlan]:
    """Stage giving manual classrooms their accepted SIS IDs (and archiving the unmatched ones)."""
    snapshot = load_snapshot(engine, tenant_key)
    plan = classroom_ids_plan(snapshot, accepted, archive_unmatched)
    return run_operation(engine, snapshot, plan, data_dir, CLASSROOM_IDS, "classroom SIS IDs", commit)


def run_student_merges(
    engine: Engine, tenant_key: str, data_dir: Folder, pairs: pd.DataFrame, *, commit: bool = False
) -> tuple[str, str, str, StagedPlan]:
    """Stage merging each hand-made duplicate into its SIS student (reviewed merge candidates)."""
    snapshot = load_snapshot(engine, tenant_key)
    plan = merge_plan(snapshot, pairs)
    return run_operation(engine, snapshot, plan, data_dir, MERGE_STUDENTS, "merge students", commit)


def merge_candidates_of(
    engine: Engine, run_id: str, data_dir: Folder | None = None, tenant_key: str | None = None
) -> pd.DataFrame:
    """The review queue a run's plan found: both students, score and reasons (a plan in S3 is read
    with ``data_dir``'s S3 client). With ``tenant_key``, only that tenant's runs: a merge job for one
    tenant never reads another's candidates (their students' names and birth dates)."""
    with engine.connect() as connection:
        run = find_run(connection, run_id)
    if tenant_key is not None and run["tenant"] != tenant_key:
        raise PlanRefused(f"run {run_id} is not a run of {tenant_key}")
    if not run["plan_location"]:
        raise PlanRefused(f"run {run_id} has no saved plan")
    return load_plan_candidates(folder_near(run["plan_location"], data_dir)).merge_candidates


def run_operation(
    engine: Engine,
    snapshot: RosterSnapshot,
    plan: StagedPlan,
    data_dir: Folder,
    kind: str,
    description: str,
    commit: bool,
) -> tuple[str, str, str, StagedPlan]:
    """An explicit operation's plan as a run: saved and recorded as a dry run (``apply RUN_ID``
    commits it), or committed at once; ``rollback`` undoes it either way."""
    run_id = new_run_id()
    plan_folder = save_plan(plan, run_folder(data_dir, run_id) / "plan")
    status, message = DRY_RUN, "dry run: not applied"
    _record(
        engine, snapshot.tenant, run_id, status, description, plan, plan_folder, message, False, kind=kind
    )
    if commit:
        status, message = _commit(engine, plan, run_id, allow_large_changes=False)
    return run_id, status, message, plan


def apply_reviewed_run(
    engine: Engine, run_id: str, data_dir: Folder, *, allow_large_changes: bool = False
) -> tuple[str, str, StagedPlan]:
    """Commit a dry run's saved plan exactly as reviewed (refused if the roster changed since); a plan
    saved in S3 is read with ``data_dir``'s S3 client."""
    with engine.connect() as connection:
        run = find_run(connection, run_id)
    if run["status"] not in (DRY_RUN, REJECTED) or not run["plan_location"]:
        raise PlanRefused(f"run {run_id} is {run['status']}: only a dry run with a saved plan can be applied")
    plan = load_plan(folder_near(run["plan_location"], data_dir))
    if plan.tenant != run["tenant"]:
        raise PlanRefused(f"run {run_id} is a run of {run['tenant']}, its saved plan is not")
    status, message = _commit(engine, plan, run_id, allow_large_changes)
    return status, message, plan


def _commit(engine: Engine, plan: StagedPlan, run_id: str, allow_large_changes: bool) -> tuple[str, str]:
    try:
        counts = apply_plan(engine, plan, run_id, allow_large_changes=allow_large_changes)
    except PlanRefused as refused:
        with engine.begin() as connection:
            mark_run(connection, run_id, REJECTED, REJECTED_PREFIX + refused.reason)
        return REJECTED, REJECTED_PREFIX + refused.reason
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as error:  # COPY raises the driver's own
        return _after_failed_commit(engine, plan, run_id, error)
    return COMMITTED, _applied(counts)


def _applied(counts: dict[str, dict[str, int]]) -> str:
    return f"applied: {sum(sum(by_action.values()) for by_action in counts.values())} changes"


def _after_failed_commit(engine: Engine, plan: StagedPlan, run_id: str, error: Exception) -> tuple[str, str]:
    """The commit raised. Its transaction either committed whole or not at all, and the run record,
    marked COMMITTED inside that same transaction, says which (a connection lost while COMMIT was on
    its way may have committed). Not applied: say so on the run, which stays a dry run, and raise."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    try:
        with engine.begin() as connection:
            run = find_run(connection, run_id)
            if run["status"] == COMMITTED:
                return COMMITTED, _applied(applied_counts(plan)) + f" (the connection then failed: {reason})"
            mark_run(connection, run_id, run["status"], f"commit failed: {reason}; nothing was applied")
    except SQLAlchemyError:
        raise CommitFailed(
            f"run {run_id}: the commit failed ({reason}) and the database cannot be reached to tell "
            "whether it was applied: check the run's status before running it again"
        ) from error
    raise CommitFailed(
        f"run {run_id}: the commit failed ({reason}); nothing was applied and the roster is as before: "
        f"import again, or apply the dry run {run_id}"
    ) from error


def _record(
    engine: Engine,
    tenant: Tenant,
    run_id: str,
    status: str,
    location: str,
    plan: PlanActions | None,
    plan_folder: Folder | None,
    message: str,
    allow_large_changes: bool,
    kind: str = IMPORT,
) -> None:
    with engine.begin() as connection:
        record_run(
            connection,
            tenant,
            run_id,
            status,
            kind=kind,
            upload=location,
            fingerprint=plan.fingerprint if plan else None,
            plan_location=str(plan_folder) if plan_folder else None,
            counts=plan.counts().to_dict(orient="records") if plan else None,
            message=message,
            allow_large_changes=allow_large_changes,
        )


def _skipped(validated: ValidatedUpload) -> pd.DataFrame:
    issues = validated.issues
    return issues.loc[issues["code"].isin(SKIP_CODES), ["file", "line"]]
