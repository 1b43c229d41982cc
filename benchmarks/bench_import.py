"""Benchmark: the import path (dry run, first commit, no-change re-import, 5% changes) on a generated upload.

    .venv/bin/python benchmarks/bench_import.py --students 100000 --json benchmarks/results/import.json
    .venv/bin/python benchmarks/bench_import.py --students 10000 \\
        --database-url sqlite:///benchmarks/generated/bench.db
    .venv/bin/python benchmarks/bench_import.py --students 100000 --profile benchmarks/results/profiles
    .venv/bin/python benchmarks/bench_import.py --students 100000 --scenarios first_commit --rounds 5

Scenarios, in order (the roster database is DROPPED and recreated for 1 and 2; its name must contain
"bench"):

1. ``dry_run``: dry run into an empty roster (tenant + the upload's schools only);
2. ``first_commit``: ``commit=True`` on a fresh empty roster (``apply`` is the commit part);
3. ``no_change``: dry run of the same upload after 2; its plan must be empty;
4. ``changes_5pct``: dry run of a copy whose users.csv has 5% of familyName values changed, then
   ``apply_reviewed_run`` of that dry run; every changed row must be UPDATED.

Each scenario runs ``run_import`` itself in its own process, so the peak memory is per scenario; stage
times come from timers wrapped around the functions ``run_import`` calls (the library is not changed).
Peak memory is the process's VmHWM (Linux): ``ru_maxrss`` of a child started by ``subprocess`` also
counts the parent's peak (the kernel carries it over ``exec``), so this parent imports no pandas, and both
are reported. ``--profile DIR`` runs the scenarios under cProfile instead (one profile per top-level
stage, timings then include the profiler's overhead) and prints each slow stage's hotspots.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import functools
import json
import os
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from generated_uploads import GENERATED, ensure_upload

HERE = Path(__file__).resolve().parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_import"
TENANT = "district-001"
SCENARIOS = ("dry_run", "first_commit", "no_change", "changes_5pct", "archived_30pct")
FRESH = {"dry_run", "first_commit"}  # these start from a new, empty roster
CHANGE_SHARE = 0.05
ARCHIVE_SHARE = 0.30
# What run_import (and apply_reviewed_run) call, as (module, attribute, label); row_actions and
# write_tables (Arrow writing each results file) together are the results stage.
TOP_STAGES = (
    ("roster_pipeline.import_run", "read_snapshot", "read_snapshot"),
    ("roster_pipeline.import_run", "read_upload", "read_upload"),
    ("roster_pipeline.import_run", "upload_context", "upload_context"),
    ("roster_pipeline.import_run", "validate_upload", "validate_upload"),
    ("roster_pipeline.import_run", "build_plan", "build_plan"),
    ("roster_pipeline.import_run", "save_plan", "save_plan"),
    ("roster_pipeline.import_run", "load_plan", "load_plan"),
    ("roster_pipeline.import_run", "_record", "record_run"),
    ("roster_pipeline.import_run", "apply_plan", "apply_plan"),
    ("roster_pipeline.import_run", "row_actions", "row_actions"),
    ("roster_pipeline.import_run", "write_tables", "write_results"),
)
# Inside build_plan and apply_plan: timed, never profiled on their own. A name a module does not have
# (after a refactoring) is skipped and listed under "unwrapped" in the JSON.
_MATCHING = ("incoming_roster", "existing_records", "match_by_contact", "existing_links")
SUB_STAGES = (
    *(("roster_pipeline.matching.roster_matches", name, f"build_plan.{name}") for name in _MATCHING),
    ("roster_pipeline.plan.staged_plan", "match_roster", "build_plan.match_roster"),
    ("roster_pipeline.plan.staged_plan", "diff_entity", "build_plan.diff_entity"),
    ("roster_pipeline.plan.staged_plan", "merge_candidates", "build_plan.merge_candidates"),
    ("roster_pipeline.plan.staged_plan", "find_rekeys", "build_plan.find_rekeys"),
    ("roster_pipeline.apply.commit", "lock_tenant", "apply_plan.lock"),
    ("roster_pipeline.apply.commit", "current_fingerprint", "apply_plan.fingerprint"),
    ("roster_pipeline.apply.commit", "_write_records", "apply_plan.write_records"),
    ("roster_pipeline.apply.commit", "_ids_by_key", "apply_plan.ids_by_key"),
    ("roster_pipeline.apply.commit", "_write_links", "apply_plan.write_links"),
    ("roster_pipeline.apply.commit", "change_log_rows", "apply_plan.change_log_rows"),
    ("roster_pipeline.apply.commit", "insert_rows", "apply_plan.insert_rows"),
    ("roster_pipeline.apply.commit", "update_rows", "apply_plan.update_rows"),
    ("roster_pipeline.apply.commit", "delete_rows", "apply_plan.delete_rows"),
)
# Labels also timed per table or entity: the position of the argument whose name (``.name``, or the
# argument itself when it is a string) is added, e.g. apply_plan.insert_rows[students].
BY_NAME = {
    "build_plan.diff_entity": 0,
    "apply_plan.write_records": 2,
    "apply_plan.write_links": 2,
    "apply_plan.change_log_rows": 2,
    "apply_plan.insert_rows": 1,
    "apply_plan.update_rows": 1,
    "apply_plan.delete_rows": 1,
}
STAGE_COLUMNS = ("snapshot", "read", "validate", "match", "plan", "commit", "results")
HOTSPOTS = 10


# --- the parent: generate once, one process per scenario, table and JSON (no pandas here) ---


def git_state() -> dict[str, Any]:
    """The commit and the library files changed since (figures depend on the working tree)."""

    def git(*command: str) -> str:
        done = subprocess.run(["git", *command], cwd=HERE.parent, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    changed = [line for line in git("status", "--porcelain", "--", "roster_pipeline").splitlines() if line]
    return {"commit": git("rev-parse", "--short", "HEAD"), "library_changes": changed}


def count_rows(folder: Path) -> dict[str, int]:
    rows = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open("rb") as handle:
            rows[path.name] = sum(1 for _ in handle) - 1
    return rows


def run_scenarios(args: argparse.Namespace) -> dict[str, Any]:
    upload = ensure_upload(args.students, args.seed)
    if args.data_dir:
        data_dir = Path(args.data_dir)  # the caller's folder: added to, never emptied
    else:
        data_dir = GENERATED / f"bench-runs-{args.students}"
        shutil.rmtree(data_dir, ignore_errors=True)  # ours, under benchmarks/generated/
    data_dir.mkdir(parents=True, exist_ok=True)
    profile_dir = Path(args.profile) if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "students": args.students,
        "seed": args.seed,
        "database": _redacted(args.database_url),
        "backend": "sqlite" if args.database_url.startswith("sqlite") else "postgresql",
        "upload": str(upload),
        "upload_mb": round(sum(p.stat().st_size for p in upload.glob("*.csv")) / 1e6, 1),
        "rows": count_rows(upload),
        "profiled": bool(profile_dir),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "git": git_state(),
        "scenarios": {},
    }
    for scenario in ("floor", *args.scenarios):
        print(f"-- {scenario} ...", file=sys.stderr, flush=True)
        command = ["--upload", str(upload), "--database-url", args.database_url, "--seed", str(args.seed)]
        command += ["--data-dir", str(data_dir), *(["--profile", str(profile_dir)] if profile_dir else [])]
        result = run_child(scenario, command)
        if scenario == "floor":
            report["floor"] = result
        else:
            report["scenarios"][scenario] = result
        if "error" in result:
            print(f"!! {scenario} failed ({result['error']}); stopping", file=sys.stderr)
            break
    report["targets"] = check_targets(report)
    return report


def run_child(scenario: str, options: list[str]) -> dict[str, Any]:
    """One scenario in a fresh process (its own peak memory); its figures come back as JSON."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--child", scenario, "--child-out", str(out), *options], check=False
        )
        wall = round(time.perf_counter() - started, 2)
        if done.returncode != 0 or not out.exists():
            return {"error": f"exit code {done.returncode}", "process_s": wall}
        return {**json.loads(out.read_text()), "process_s": wall}


def targets_for(students: int, backend: str) -> list[tuple[str, str, float]]:
    """The issue's targets that apply to this size and database: (what, figure, limit)."""
    if students == 100_000:
        targets = [
            ("dry run s", "dry_run.total_s", 10.0),
            ("dry run / read floor", "dry_run.read_floor_ratio", 5.0),
            ("no-change re-import s", "no_change.total_s", 10.0),
        ]
        if backend == "postgresql":
            targets.append(("first commit's commit / COPY floor", "first_commit.copy_floor_ratio", 3.0))
        return targets
    if students == 1_000_000:
        targets = [("dry run s", "dry_run.total_s", 120.0), ("dry run peak MB", "dry_run.peak_mb", 8 * 1024)]
        if backend == "postgresql":
            targets.append(("first commit s", "first_commit.total_s", 300.0))
        return targets
    return []


def figure(report: dict[str, Any], path: str) -> float | None:
    scenario, name = path.split(".")
    result = report["scenarios"].get(scenario, {})
    if name == "peak_mb":
        return result.get("peak_mb")
    phase = result.get("phases", {}).get("import")
    return None if phase is None else phase.get(name)


def add_floor_ratios(report: dict[str, Any]) -> None:
    """Each import's total against the read floor, and its commit against the COPY floor."""
    floor = report.get("floor", {})
    for result in report["scenarios"].values():
        for phase in result.get("phases", {}).values():
            if floor.get("read_s"):
                phase["read_floor_ratio"] = round(phase["total_s"] / floor["read_s"], 1)
            if floor.get("read_s") and floor.get("outputs_s") and "apply_plan" not in phase["stages"]:
                both = floor["read_s"] + floor["outputs_s"]
                phase["read_write_floor_ratio"] = round(phase["total_s"] / both, 1)
            commit = phase["stages"].get("apply_plan")
            if commit and floor.get("copy_s"):
                phase["copy_floor_ratio"] = round(commit / floor["copy_s"], 1)


def check_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    add_floor_ratios(report)
    checks = []
    for what, path, limit in targets_for(report["students"], report["backend"]):
        value = figure(report, path)
        if value is not None:
            checks.append({"what": what, "value": value, "limit": limit, "ok": value < limit})
    for scenario in report["scenarios"].values():
        checks.extend(scenario.get("checks", []))
    return checks


def median_targets(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The targets judged on each figure's median over the rounds (each round's ratios against the
    floor measured in that round), since one run against one floor moves with the machine; every
    round's outcome checks must hold."""
    values: dict[str, list[float]] = {}
    limits: dict[str, float] = {}
    outcomes = []
    for number, report in enumerate(reports, start=1):
        for check in report["targets"]:
            if "limit" in check:
                values.setdefault(check["what"], []).append(check["value"])
                limits[check["what"]] = check["limit"]
            else:
                outcomes.append({**check, "what": f"round {number}: {check['what']}"})
    medians = []
    for what, figures in values.items():
        median = float(np.median(figures))
        medians.append(
            {
                "what": what,
                "value": median,
                "rounds": figures,
                "limit": limits[what],
                "ok": median < limits[what],
            }
        )
    return medians + outcomes


def print_rounds(targets: list[dict[str, Any]]) -> None:
    print("\nover the rounds (median; each round's figure in brackets)")
    for check in targets:
        mark = "ok  " if check["ok"] else "FAIL"
        if "rounds" in check:
            each = ", ".join(f"{value:g}" for value in check["rounds"])
            print(f"  {mark} {check['what']}: {check['value']:g} [{each}] (< {check['limit']:,})")
        elif not check["ok"]:
            print(f"  {mark} {check['what']}: {check['value']} (wanted {check['wanted']})")


def print_report(report: dict[str, Any]) -> None:
    rows = report["rows"]
    print(
        f"\n{report['students']:,} students, {sum(rows.values()):,} rows, {report['upload_mb']} MB upload, "
        f"{report['database']}"
        + ("  [PROFILED: times include cProfile overhead]" if report["profiled"] else "")
    )
    git = report.get("git") or {}
    if git.get("library_changes"):
        print(f"library: {git['commit']} + uncommitted: {', '.join(git['library_changes'])}")
    floor = report.get("floor", {})
    if "read_s" in floor:
        copy = f"{floor['copy_s']:.2f} s" if floor.get("copy_s") else "n/a"
        print(f"floor: pyarrow reads the CSVs in {floor['read_s']:.2f} s; {floor['copy_kind']}: {copy}")
        if floor.get("outputs_s"):
            print(
                f"       pyarrow writes each row back as a results CSV and as Parquet in "
                f"{floor['outputs_s']:.2f} s (x read+write: an import without a commit against both)"
            )
    header = ["scenario", "status", "total", *STAGE_COLUMNS, "other", "x read", "x read+write", "x COPY"]
    header.append("peak MB")
    lines = [header]
    for scenario, result in report["scenarios"].items():
        if "error" in result:
            lines.append([scenario, result["error"]])
            continue
        for phase, figures in result["phases"].items():
            columns = stage_columns(figures["stages"])
            lines.append(
                [
                    f"{scenario}:{phase}",
                    figures["status"],
                    f"{figures['total_s']:.2f}",
                    *(_seconds(columns.get(name)) for name in STAGE_COLUMNS),
                    f"{figures['total_s'] - sum(columns.values()):.2f}",
                    _ratio(figures.get("read_floor_ratio")),
                    _ratio(figures.get("read_write_floor_ratio")),
                    _ratio(figures.get("copy_floor_ratio")),
                    f"{result['peak_mb']:,}",
                ]
            )
    _print_table(lines)

    print("\nbreakdown (seconds; build_plan.* and apply_plan.* are parts of build_plan and apply_plan)")
    for scenario, result in report["scenarios"].items():
        for phase, figures in result.get("phases", {}).items():
            parts = {k: v for k, v in figures["stages"].items() if "." in k and v >= 0.05}
            if parts:
                text = ", ".join(f"{k.split('.', 1)[1]} {v:.2f}" for k, v in parts.items())
                print(f"  {scenario}:{phase}: {text}")
            detail = {k: v for k, v in figures.get("detail", {}).items() if v >= 0.5}
            if detail:
                text = ", ".join(f"{k.split('.', 1)[1]} {v:.2f}" for k, v in detail.items())
                print(f"    per table or entity (>= 0.5 s): {text}")
            peaks = figures.get("peak_mb_after") or {}
            if peaks:
                text = ", ".join(f"{stage} {mb:,}" for stage, mb in peaks.items())
                print(f"    peak MB when each stage ended: {text}")

    print("\ncounts")
    for scenario, result in report["scenarios"].items():
        for phase, figures in result.get("phases", {}).items():
            counts = figures.get("counts") or {}
            text = "; ".join(
                f"{entity} " + " ".join(f"{action}={n}" for action, n in actions.items() if n)
                for entity, actions in counts.items()
                if any(n for action, n in actions.items() if action != "UNCHANGED")
            )
            print(f"  {scenario}:{phase}: {text or 'no changes'}")

    print("\nchecks")
    for check in report["targets"]:
        mark = "ok  " if check["ok"] else "FAIL"
        limit = f" (< {check['limit']:,})" if "limit" in check else ""
        print(f"  {mark} {check['what']}: {check['value']}{limit}")

    for scenario, result in report["scenarios"].items():
        for phase, figures in result.get("phases", {}).items():
            for stage, spots in figures.get("hotspots", {}).items():
                print(f"\nhotspots {scenario}:{phase} {stage} ({figures['stages'][stage]:.2f} s profiled)")
                print(f"  {'cumulative':>10} {'own':>8} {'calls':>9}  function")
                for spot in spots:
                    print(
                        f"  {spot['cumulative_s']:>10.3f} {spot['own_s']:>8.3f} {spot['calls']:>9}  "
                        f"{spot['function']}"
                    )


def stage_columns(stages: dict[str, float]) -> dict[str, float]:
    """The issue's stages from the timed functions: matching is timed inside build_plan; planning is
    the rest of build_plan plus saving (or loading) the plan; results are the row actions and files."""
    match = stages.get("build_plan.match_roster", 0.0)
    columns = {
        "snapshot": stages.get("read_snapshot"),
        "read": stages.get("read_upload"),
        "validate": _sum(stages, "upload_context", "validate_upload"),
        "match": match or None,
        "plan": _sum(stages, "build_plan", "save_plan", "load_plan", "record_run", less=match),
        "commit": stages.get("apply_plan"),
        "results": _sum(stages, "row_actions", "write_results"),
    }
    return {name: seconds for name, seconds in columns.items() if seconds is not None}


def _sum(stages: dict[str, float], *labels: str, less: float = 0.0) -> float | None:
    found = [stages[label] for label in labels if label in stages]
    return sum(found) - less if found else None


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}x"


def _print_table(lines: list[list[str]]) -> None:
    widths = [max(len(line[i]) for line in lines if i < len(line)) for i in range(len(lines[0]))]
    for number, line in enumerate(lines):
        cells = [
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=False))
        ]
        print("  ".join(cells).rstrip())
        if number == 0:
            print("  ".join("-" * w for w in widths))


def _redacted(url: str) -> str:
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


# --- a child: one scenario in its own process ---


class StageClock:
    """Wraps module attributes with timers (seconds summed per label); with ``profile_dir``, each
    top-level stage also runs under its own cProfile.Profile (never nested)."""

    def __init__(self, profile_dir: Path | None, tag: str) -> None:
        self.profile_dir = profile_dir
        self.tag = tag
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.hotspots: dict[str, list[dict[str, Any]]] = {}
        self.unwrapped: list[str] = []
        self.detail: dict[str, float] = {}
        self.peak_after: dict[str, int] = {}  # the process's peak MB when each top-level stage ended
        self._stats: dict[str, pstats.Stats] = {}
        self._profiling = False
        self._patched: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> StageClock:
        import importlib

        for stages, top in ((TOP_STAGES, True), (SUB_STAGES, False)):
            for module_name, attribute, label in stages:
                try:
                    module = importlib.import_module(module_name)
                    original = getattr(module, attribute)
                except (ImportError, AttributeError):
                    self.unwrapped.append(f"{module_name}.{attribute}")
                    continue
                setattr(module, attribute, self._timed(original, label, top))
                self._patched.append((module, attribute, original))
        return self

    def __exit__(self, *exc: object) -> None:
        for module, attribute, original in reversed(self._patched):
            setattr(module, attribute, original)

    def _timed(self, original: Callable[..., Any], label: str, top: bool) -> Callable[..., Any]:
        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            profiler = None
            if top and self.profile_dir is not None and not self._profiling:
                self._profiling = True
                profiler = cProfile.Profile()
                profiler.enable()
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                if profiler is not None:
                    profiler.disable()
                    self._profiling = False
                    self._keep_profile(profiler, label)
                self.seconds[label] = self.seconds.get(label, 0.0) + elapsed
                self.calls[label] = self.calls.get(label, 0) + 1
                if top:
                    self.peak_after[label] = peak_memory_mb()["peak_mb"]
                if label in BY_NAME and len(args) > BY_NAME[label]:
                    named = args[BY_NAME[label]]
                    detail = f"{label}[{named if isinstance(named, str) else getattr(named, 'name', '?')}]"
                    self.detail[detail] = self.detail.get(detail, 0.0) + elapsed

        return timed

    def _keep_profile(self, profiler: cProfile.Profile, label: str) -> None:
        if label in self._stats:
            self._stats[label].add(profiler)
        else:
            self._stats[label] = pstats.Stats(profiler)

    def figures(self) -> dict[str, float]:
        """Seconds per label; with profiles, also writes DIR/<tag>.<label>.prof and keeps the hotspots."""
        for label, stats in self._stats.items():
            assert self.profile_dir is not None
            stats.dump_stats(str(self.profile_dir / f"{self.tag}.{label}.prof"))
            self.hotspots[label] = package_hotspots(stats)
        return {label: round(seconds, 3) for label, seconds in self.seconds.items()}


def package_hotspots(
    stats: pstats.Stats, package: str = "roster_pipeline", top: int = HOTSPOTS
) -> list[dict]:
    """The ``top`` functions of ``package`` by cumulative time (the benchmark's own wrappers left out)."""
    marker = f"{os.sep}{package}{os.sep}"
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if marker not in filename or "benchmarks" in filename:
            continue
        where = filename[filename.index(marker) + 1 :]
        rows.append(
            {
                "function": f"{where}:{line}({name})",
                "cumulative_s": round(cumulative, 3),
                "own_s": round(own, 3),
                "calls": calls,
            }
        )
    rows.sort(key=lambda row: -row["cumulative_s"])
    return rows[:top]


def peak_memory_mb() -> dict[str, int]:
    """VmHWM: this process's own peak; ru_maxrss: the same, but carried over exec from the parent."""
    peaks = {"ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks["vmhwm_mb"] = round(int(line.split()[1]) / 1024)
    peaks["peak_mb"] = peaks.get("vmhwm_mb", peaks["ru_maxrss_mb"])
    return peaks


def reset_database(url: str) -> None:
    """Drop and recreate the benchmark database (a PostgreSQL database or a SQLite file)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database or ""
    if "bench" not in Path(name).name:
        raise SystemExit(f"refusing to drop {name!r}: the benchmark database's name must contain 'bench'")
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)
        return
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL benchmark database if this machine has never had it (a fresh one has not)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        query = text("SELECT 1 FROM pg_database WHERE datname = :name")
        if connection.execute(query, {"name": parsed.database}).first() is None:
            reset_database(url)
    server.dispose()


def set_up_roster(engine: Any, upload: Path) -> int:
    """The tenant and the upload's schools (orgs.csv rows of type school), nothing else."""
    from roster_pipeline.roster.fixtures import load_fixture
    from roster_pipeline.roster.migrate import upgrade

    upgrade(engine)
    with (upload / "orgs.csv").open(encoding="utf-8", newline="") as handle:
        orgs = [row for row in csv.DictReader(handle) if row["type"] == "school"]
    schools = [{"name": row["name"], "school_id": row["sourcedId"]} for row in orgs]
    with engine.begin() as connection:
        load_fixture(connection, {"tenant": TENANT, "name": "Benchmark district", "schools": schools})
    return len(schools)


def changed_copy(upload: Path, folder: Path, seed: int) -> int:
    """Copy the upload into ``folder`` with ``-x`` appended to the familyName of 5% of users.csv rows
    (picked at random, vectorised); returns how many rows changed."""
    import numpy as np
    import pandas as pd

    for path in upload.glob("*.csv"):
        if path.name != "users.csv":
            shutil.copy2(path, folder / path.name)
    users = pd.read_csv(upload / "users.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    picked = np.zeros(len(users), dtype=bool)
    picked[rng.choice(len(users), size=round(len(users) * CHANGE_SHARE), replace=False)] = True
    users["familyName"] = users["familyName"].where(~picked, users["familyName"] + "-x")
    users.to_csv(folder / "users.csv", index=False)
    return int(picked.sum())


def archived_copy(upload: Path, folder: Path, seed: int) -> int:
    """Copy the upload into ``folder`` without 30% of its students (picked at random) and every row
    that names them, so the upload is valid and its plan archives them; returns how many."""
    import numpy as np
    import pandas as pd

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(upload / name, dtype=str, keep_default_na=False)

    users = read("users.csv")
    students = users.loc[users["role"] == "student", "sourcedId"]
    rng = np.random.default_rng(seed)
    gone = set(rng.choice(students.to_numpy(), size=round(len(students) * ARCHIVE_SHARE), replace=False))
    users[~users["sourcedId"].isin(gone)].to_csv(folder / "users.csv", index=False)
    by_student = {"enrollments.csv": "userSourcedId", "guardians.csv": "studentSourcedId"}
    by_student["student_attributes.csv"] = "studentSourcedId"
    for path in upload.glob("*.csv"):
        if path.name in by_student:
            rows = read(path.name)
            rows[~rows[by_student[path.name]].isin(gone)].to_csv(folder / path.name, index=False)
        elif path.name != "users.csv":
            shutil.copy2(path, folder / path.name)
    return len(gone)


def roster_counts(engine: Any) -> dict[str, int]:
    """Rows per roster table: what a stopped import must leave as it found it."""
    from sqlalchemy import text

    tables = ("students", "staff", "guardians", "classrooms", "enrollments", "student_guardians")
    with engine.connect() as connection:
        return {
            name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in tables
        }


def measure_floors(upload: Path, database_url: str) -> dict[str, Any]:
    """The floor this machine sets: pyarrow reading the CSVs (every column a string, best of three,
    the page cache warm as for every scenario) and the database taking the same rows into empty
    tables of text columns in one transaction (PostgreSQL: COPY; SQLite: executemany)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    paths = sorted(upload.glob("*.csv"))

    def read_all() -> dict[str, pa.Table]:
        tables = {}
        for path in paths:
            with path.open(encoding="utf-8") as handle:
                names = next(csv.reader(handle))
            types = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
            tables[path.stem] = pacsv.read_csv(path, convert_options=types)
        return tables

    read_all()
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        tables = read_all()
        timings.append(time.perf_counter() - started)
    floors: dict[str, Any] = {
        "read_s": round(min(timings), 3),
        "rows": sum(t.num_rows for t in tables.values()),
        "outputs_s": round(_outputs_floor(tables), 3),
    }
    if database_url.startswith("sqlite"):
        floors["copy_kind"] = "SQLite executemany into empty tables"
        floors["copy_s"] = round(_sqlite_insert_floor(tables, database_url), 3)
    else:
        floors["copy_kind"] = "PostgreSQL COPY into empty tables"
        ensure_database(database_url)
        floors["copy_s"] = round(_postgres_copy_floor(paths, database_url), 3)
    return floors


def _outputs_floor(tables: dict[str, Any]) -> float:
    """What a dry run must write, at Arrow's speed: every input row again as a results CSV (the row
    plus its line, result, action and message) and as Parquet (a plan's entity files hold about as
    many rows). Best of three, into a scratch folder."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    def constant(text: str, rows: int) -> pa.Array:
        return pa.array([text]).take(pa.array(np.zeros(rows, dtype="int64")))

    timings = []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(3):
            started = time.perf_counter()
            for name, table in tables.items():
                rows = table.num_rows
                results = table.add_column(0, "line", pa.array(np.arange(2, rows + 2)))
                for column, text in (("result", "SUCCESS"), ("action", "CREATED"), ("message", "")):
                    results = results.append_column(column, constant(text, rows))
                pacsv.write_csv(results, Path(scratch) / f"{name}_results.csv")
                pq.write_table(table, Path(scratch) / f"{name}.parquet", use_dictionary=False)
            timings.append(time.perf_counter() - started)
    return min(timings)


def _postgres_copy_floor(paths: list[Path], database_url: str) -> float:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS bench_floor CASCADE")
        connection.execute("CREATE SCHEMA bench_floor")
        try:
            started = time.perf_counter()
            with connection.transaction():
                for path in paths:
                    with path.open(encoding="utf-8") as handle:
                        names = next(csv.reader(handle))
                    columns = ", ".join(f'"{name}" text' for name in names)
                    connection.execute(f'CREATE TABLE bench_floor."{path.stem}" ({columns})')
                    sql = f'COPY bench_floor."{path.stem}" FROM STDIN (FORMAT csv, HEADER true)'
                    with connection.cursor().copy(sql) as copy, path.open("rb") as data:
                        while chunk := data.read(1 << 20):
                            copy.write(chunk)
            return time.perf_counter() - started
        finally:
            connection.execute("DROP SCHEMA bench_floor CASCADE")


def _sqlite_insert_floor(tables: dict[str, Any], database_url: str) -> float:
    import sqlite3

    from sqlalchemy.engine import make_url

    scratch = Path(make_url(database_url).database or "bench.db").with_suffix(".floor.db")
    scratch.unlink(missing_ok=True)
    connection = sqlite3.connect(scratch)
    try:
        started = time.perf_counter()
        with connection:
            for name, table in tables.items():
                columns = ", ".join(f'"{column}" TEXT' for column in table.column_names)
                connection.execute(f'CREATE TABLE "{name}" ({columns})')
                marks = ", ".join("?" * table.num_columns)
                rows = zip(*(column.to_pylist() for column in table.columns), strict=True)
                connection.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
        return time.perf_counter() - started
    finally:
        connection.close()
        scratch.unlink(missing_ok=True)


def child_main(args: argparse.Namespace) -> int:
    from roster_pipeline.import_run import apply_reviewed_run, run_import
    from roster_pipeline.roster.database import make_engine

    scenario, upload = args.child, Path(args.upload)
    if scenario == "floor":
        Path(args.child_out).write_text(json.dumps(measure_floors(upload, args.database_url), indent=2))
        return 0
    data_dir = Path(args.data_dir)
    profile_dir = Path(args.profile) if args.profile else None
    result: dict[str, Any] = {"phases": {}, "checks": []}
    if scenario in FRESH:
        reset_database(args.database_url)
    engine = make_engine(args.database_url)
    if scenario in FRESH:
        result["schools"] = set_up_roster(engine, upload)

    def timed_import(phase: str, location: Path, commit: bool) -> Any:
        with StageClock(profile_dir, f"{scenario}.{phase}") as clock:
            started = time.perf_counter()
            outcome = run_import(engine, str(location), TENANT, data_dir, commit=commit)
            total = time.perf_counter() - started
        result["phases"][phase] = describe(outcome.status, outcome.plan, total, clock, outcome.run_id)
        result["phases"][phase]["message"] = outcome.message
        # A stage whose function was renamed is timed by nobody: its seconds would go missing.
        expect(result, f"{scenario} {phase}: every stage timed (not found)", clock.unwrapped, [])
        return outcome

    if scenario == "dry_run":
        outcome = timed_import("import", upload, commit=False)
        expect(result, f"{scenario} status", outcome.status, "DRY_RUN")
    elif scenario == "first_commit":
        outcome = timed_import("import", upload, commit=True)
        expect(result, f"{scenario} status", outcome.status, "COMMITTED")
    elif scenario == "no_change":
        outcome = timed_import("import", upload, commit=False)
        expect(result, f"{scenario} status", outcome.status, "DRY_RUN")
        expect(result, f"{scenario} plan.is_empty", outcome.plan is not None and outcome.plan.is_empty, True)
    elif scenario == "archived_30pct":
        before = roster_counts(engine)
        with tempfile.TemporaryDirectory(prefix="bench-archived-") as scratch:
            result["archived_students"] = archived_copy(upload, Path(scratch), args.seed)
            outcome = timed_import("import", Path(scratch), commit=True)
        expect(result, f"{scenario} status (threshold stop)", outcome.status, "REJECTED")
        expect(result, f"{scenario} stopped by a threshold", "allow-large-changes" in outcome.message, True)
        expect(result, f"{scenario} roster unchanged", roster_counts(engine), before)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-changed-") as scratch:
            changed = changed_copy(upload, Path(scratch), args.seed)
            result["changed_rows"] = changed
            outcome = timed_import("dry_run", Path(scratch), commit=False)
        expect(result, f"{scenario} dry-run status", outcome.status, "DRY_RUN")
        with StageClock(profile_dir, f"{scenario}.apply") as clock:
            started = time.perf_counter()
            status, message, plan = apply_reviewed_run(engine, outcome.run_id, data_dir)
            total = time.perf_counter() - started
        result["phases"]["apply"] = describe(status, plan, total, clock, outcome.run_id)
        result["phases"]["apply"]["message"] = message
        expect(result, f"{scenario} apply status", status, "COMMITTED")
        updated = sum(counts.get("UPDATED", 0) for counts in result["phases"]["dry_run"]["counts"].values())
        expect(result, f"{scenario} UPDATED rows = changed users.csv rows", updated, changed)
    engine.dispose()
    result.update(peak_memory_mb())
    Path(args.child_out).write_text(json.dumps(result, indent=2))
    return 0


def describe(status: str, plan: Any, total: float, clock: StageClock, run_id: str) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "run_id": run_id,
        "status": status,
        "total_s": round(total, 3),
        "stages": clock.figures(),
        "calls": clock.calls,
        "unwrapped": clock.unwrapped,
        "detail": {label: round(seconds, 3) for label, seconds in clock.detail.items()},
        "peak_mb_after": clock.peak_after,
    }
    if plan is not None:
        table = plan.counts().set_index("entity")
        figures["counts"] = {entity: {k: int(v) for k, v in row.items()} for entity, row in table.iterrows()}
    if clock.hotspots:
        figures["hotspots"] = clock.hotspots
    return figures


def expect(result: dict[str, Any], what: str, value: Any, wanted: Any) -> None:
    result["checks"].append({"what": what, "value": value, "wanted": wanted, "ok": value == wanted})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--json", metavar="PATH", help="write every figure as JSON")
    parser.add_argument(
        "--data-dir", help="run artefacts (default benchmarks/generated/bench-runs-N, emptied)"
    )
    parser.add_argument("--profile", metavar="DIR", help="profile each stage into DIR/*.prof (slower)")
    parser.add_argument(
        "--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS), help="default: all, in order"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the floor and the scenarios this many times; targets are judged on each figure's median",
    )
    parser.add_argument("--child", choices=("floor", *SCENARIOS), help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    parser.add_argument("--upload", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_main(args)

    reports = []
    for number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"== round {number} of {args.rounds}", file=sys.stderr, flush=True)
        reports.append(run_scenarios(args))
        print_report(reports[-1])
    if len(reports) == 1:
        out, targets = reports[0], reports[0]["targets"]
    else:
        targets = median_targets(reports)
        print_rounds(targets)
        out = {"rounds": reports, "targets": targets}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2))
        print(f"\nJSON: {args.json}")
    return 0 if targets and all(check["ok"] for check in targets) else 1


if __name__ == "__main__":
    raise SystemExit(main())
