"""Benchmark: what Dagster adds to an import. The same generated upload, dropped into a local S3 server
(moto, a separate process on 127.0.0.1), imported as a dry run by:

- ``library``: ``run_import`` alone, as the CLI runs it;
- ``dagster``: the ``import_upload`` assets materialized in process, step values in a local folder;
- ``dagster_s3``: the same with step values and run artefacts in S3 (as on Celery or Kubernetes);
- ``dagster_cli``: ``dagster job execute -m roster_pipeline.defs -j import_upload`` as a process of its
  own, like a launched run, with the job's default executor (its steps in the run's process);
- ``dagster_cli_multiprocess``: the same with Dagster's multiprocess executor (a process per step).

    .venv/bin/python benchmarks/bench_dagster.py --students 10000
    .venv/bin/python benchmarks/bench_dagster.py --students 100000 --scenarios dry_run no_change \\
        --json benchmarks/results/dagster.json

Scenarios: ``dry_run`` into an empty roster (the tenant and its schools), ``no_change``: the same upload
again after the library committed it (every step reads a full roster). The roster is a SQLite file made
once per scenario and copied for each run, so every run starts from the same state.

Each run is a process of its own. Reported per run: the total (the call, or the whole ``dagster``
process), each step's time, and the IO manager's time to store each step's value and load each input
(from the metadata it records); then what Dagster adds over the library: importing the code location,
the IO manager, and the rest (the run's and the steps' processes, events, the engine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from generated_uploads import ensure_upload

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TENANT = "district-001"
BUCKET = "bench-dagster"
MODES = ("library", "dagster", "dagster_s3", "dagster_cli", "dagster_cli_multiprocess")
SCENARIOS = ("dry_run", "no_change")
S3_ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


# --- the parent: S3 server, rosters, one process per run, table and JSON ---


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=["dry_run"])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-args", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_child(args.child, json.loads(args.child_args))
    report = run_benchmark(args)
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    upload = ensure_upload(args.students, args.seed)
    work = Path(tempfile.mkdtemp(prefix="bench-dagster-"))
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {**os.environ, **S3_ENV}
    server = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for_http(f"{endpoint}/moto-api/")
        location = child("drop", {"upload": str(upload), "endpoint": endpoint}, env)["location"]
        report: dict[str, Any] = {
            "students": args.students,
            "upload_mb": round(sum(p.stat().st_size for p in upload.glob("*.csv")) / 1e6, 1),
            "database": "sqlite (a copy of a prepared file per run)",
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg()[0],
            "imports": {
                "library_s": _import_time("roster_pipeline.import_run"),
                "code_location_s": _import_time("roster_pipeline.defs"),
            },
            "scenarios": {},
        }
        for scenario in args.scenarios:
            base = work / f"{scenario}.db"
            child("prepare", {"scenario": scenario, "upload": str(upload), "db": str(base)}, env)
            results: dict[str, Any] = {}
            for mode in args.modes:
                print(f"-- {scenario}: {mode}", file=sys.stderr, flush=True)
                folder = work / f"{scenario}-{mode}"
                folder.mkdir()
                shutil.copy(base, folder / "roster.db")
                options = {"location": location, "endpoint": endpoint, "folder": str(folder), "mode": mode}
                results[mode] = child(mode, options | {"run": f"{scenario}-{mode}"}, env)
            report["scenarios"][scenario] = results
        report["overhead"] = overhead(report)
        return report
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def child(mode: str, options: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--child-args", json.dumps(options)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return {
        **json.loads(done.stdout.strip().splitlines()[-1]),
        "process_s": _round(time.perf_counter() - started),
    }


def overhead(report: dict[str, Any]) -> dict[str, Any]:
    """Per scenario and Dagster mode: seconds over the library's call, and what they are."""
    out: dict[str, Any] = {}
    for scenario, results in report["scenarios"].items():
        library = results.get("library")
        if not library:
            continue
        for mode, result in results.items():
            if mode == "library":
                continue
            io = result["io_store_s"] + result["io_load_s"]
            # In process both are calls in a warm process; a CLI run is compared as a whole process.
            whole = mode.startswith("dagster_cli")
            base = library["process_s"] if whole else library["total_s"]
            total = result["process_s"] if whole else result["total_s"]
            out[f"{scenario}.{mode}"] = {
                "added_s": _round(total - base),
                "added_pct": round(100 * (total - base) / base, 1),
                "io_manager_s": _round(io),
                "other_s": _round(total - base - io),
            }
    return out


def print_report(report: dict[str, Any]) -> None:
    imports = report["imports"]
    print(
        f"\n{report['students']:,} students ({report['upload_mb']} MB of CSV), {report['cpus']} CPUs, "
        f"load average {report['load_average']:.1f} at the start; imports: library "
        f"{imports['library_s']} s, code location {imports['code_location_s']} s"
    )
    for scenario, results in report["scenarios"].items():
        steps = sorted({step for result in results.values() for step in result.get("steps", {})}, key=_order)
        header = ["mode", "total s", "process s", "IO store s", "IO load s", "stored MB", *steps]
        rows = [header]
        for mode, result in results.items():
            rows.append(
                [
                    mode,
                    _seconds(result.get("total_s")),
                    _seconds(result.get("process_s")),
                    _seconds(result.get("io_store_s")),
                    _seconds(result.get("io_load_s")),
                    f"{result['stored_mb']:.1f}" if "stored_mb" in result else "",
                    *(_seconds(result.get("steps", {}).get(step)) for step in steps),
                ]
            )
        print(f"\n{scenario} (seconds; steps: time in each step, its IO included)")
        _print_table(rows)
    print("\nwhat Dagster adds over the library (in process: the calls; dagster_cli: whole processes)")
    rows = [["scenario.mode", "added s", "added %", "IO manager s", "other s"]]
    for name, figures in report["overhead"].items():
        rows.append(
            [name, *(str(figures[key]) for key in ("added_s", "added_pct", "io_manager_s", "other_s"))]
        )
    _print_table(rows)


# --- the children: one run each, figures printed as one JSON line ---


def run_child(mode: str, options: dict[str, Any]) -> int:
    handlers = {
        "drop": drop_upload,
        "prepare": prepare_roster,
        "library": run_library,
        "dagster": run_in_process,
        "dagster_s3": run_in_process,
        "dagster_cli": run_cli,
        "dagster_cli_multiprocess": run_cli,
    }
    print(json.dumps(handlers[mode](options)))
    return 0


def drop_upload(options: dict[str, Any]) -> dict[str, Any]:
    from roster_pipeline.folders import artefact_s3_client

    client = artefact_s3_client(options["endpoint"])
    client.create_bucket(Bucket=BUCKET)
    prefix = f"drop/{TENANT}/bench/"
    for path in sorted(Path(options["upload"]).glob("*.csv")):
        client.upload_file(str(path), BUCKET, prefix + path.name)
    return {"location": f"s3://{BUCKET}/{prefix}"}


def prepare_roster(options: dict[str, Any]) -> dict[str, Any]:
    """The tenant and the upload's schools; for ``no_change``, the upload committed by the library."""
    import csv

    from roster_pipeline.import_run import run_import
    from roster_pipeline.roster.database import make_engine
    from roster_pipeline.roster.fixtures import load_fixture
    from roster_pipeline.roster.migrate import upgrade

    upload = Path(options["upload"])
    engine = make_engine(f"sqlite:///{options['db']}")
    upgrade(engine)
    with (upload / "orgs.csv").open(encoding="utf-8", newline="") as handle:
        schools = [
            {"name": row["name"], "school_id": row["sourcedId"]}
            for row in csv.DictReader(handle)
            if row["type"] == "school"
        ]
    with engine.begin() as connection:
        load_fixture(connection, {"tenant": TENANT, "name": "Benchmark district", "schools": schools})
    if options["scenario"] == "no_change":
        with tempfile.TemporaryDirectory() as scratch:
            outcome = run_import(engine, str(upload), TENANT, Path(scratch), commit=True)
        assert outcome.status == "COMMITTED", outcome.message
    engine.dispose()
    return {}


def run_library(options: dict[str, Any]) -> dict[str, Any]:
    from roster_pipeline.import_run import run_import
    from roster_pipeline.roster.database import make_engine
    from roster_pipeline.upload.s3 import make_s3_client

    folder = Path(options["folder"])
    engine = make_engine(f"sqlite:///{folder / 'roster.db'}")
    client = make_s3_client(options["endpoint"])
    started = time.perf_counter()
    outcome = run_import(engine, options["location"], TENANT, folder / "data", s3_client=client)
    total = time.perf_counter() - started
    assert outcome.status == "DRY_RUN", outcome.message
    return {"total_s": _round(total), "changes": _changes(outcome.plan)}


def run_in_process(options: dict[str, Any]) -> dict[str, Any]:
    from dagster import DagsterInstance, materialize

    from roster_pipeline.defs.import_assets import IMPORT_ASSETS
    from roster_pipeline.defs.io_manager import RosterIOManager
    from roster_pipeline.defs.partitions import tenants
    from roster_pipeline.defs.resources import ArtefactStore, DropBucket, RosterDatabase

    folder, endpoint = Path(options["folder"]), options["endpoint"]
    in_s3 = options["mode"] == "dagster_s3"
    prefix = f"s3://{BUCKET}/{options['run']}"
    resources = {
        "drop_bucket": DropBucket(bucket=BUCKET, endpoint_url=endpoint),
        "roster_database": RosterDatabase(url=f"sqlite:///{folder / 'roster.db'}"),
        "artefacts": ArtefactStore(
            data_dir=str(folder / "data"),
            location=f"{prefix}/artefacts" if in_s3 else None,
            s3_endpoint_url=endpoint,
        ),
        "io_manager": RosterIOManager(
            location=f"{prefix}/io" if in_s3 else str(folder / "io"), s3_endpoint_url=endpoint
        ),
    }
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(tenants.name, [TENANT])
        started = time.perf_counter()
        result = materialize(
            IMPORT_ASSETS,
            partition_key=TENANT,
            instance=instance,
            resources=resources,
            run_config=_run_config(options["location"]),
        )
        total = time.perf_counter() - started
        assert result.success
        return {"total_s": _round(total), **_run_figures(instance, result.run_id)}


def run_cli(options: dict[str, Any]) -> dict[str, Any]:
    import yaml
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    from roster_pipeline.defs.partitions import tenants

    folder = Path(options["folder"])
    home = folder / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        instance.add_dynamic_partitions(tenants.name, [TENANT])
    run_yaml = folder / "run.yaml"
    run_config = _run_config(options["location"])
    if options["mode"] == "dagster_cli_multiprocess":
        run_config["execution"] = {"config": {"multiprocess": {}}}
    run_yaml.write_text(yaml.safe_dump(run_config))
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ROSTER_DATABASE_URL": f"sqlite:///{folder / 'roster.db'}",
        "ROSTER_DATA_DIR": str(folder / "data"),
        "ROSTER_S3_BUCKET": BUCKET,
        "ROSTER_S3_ENDPOINT_URL": options["endpoint"],
    }
    command = [str(BIN / "dagster"), "job", "execute", "-m", "roster_pipeline.defs", "-j", "import_upload"]
    command += ["-c", str(run_yaml), "--tags", json.dumps({"dagster/partition": TENANT})]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    total = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        [run] = instance.get_runs()
        return {"total_s": _round(total), **_run_figures(instance, run.run_id)}


def _run_config(location: str) -> dict[str, Any]:
    return {"ops": {"raw_upload": {"config": {"upload": location}}}}


def _run_figures(instance: Any, run_id: str) -> dict[str, Any]:
    """Step times and the IO manager's own figures, from the run's events."""
    from dagster import DagsterEventType

    steps = {
        stat.step_key: _round(stat.end_time - stat.start_time)
        for stat in instance.get_run_step_stats(run_id)
        if stat.start_time and stat.end_time
    }
    stored = {"seconds": 0.0, "bytes": 0}
    loaded = {"seconds": 0.0}
    by_step: dict[str, dict[str, float]] = {}
    for entry in instance.all_logs(
        run_id, of_type={DagsterEventType.HANDLED_OUTPUT, DagsterEventType.LOADED_INPUT}
    ):
        event = entry.dagster_event
        metadata = {key: value.value for key, value in event.event_specific_data.metadata.items()}
        figures = by_step.setdefault(event.step_key, {"store_s": 0.0, "load_s": 0.0})
        if event.event_type == DagsterEventType.HANDLED_OUTPUT and "store_seconds" in metadata:
            stored["seconds"] += metadata["store_seconds"]
            stored["bytes"] += metadata["stored_bytes"]
            figures["store_s"] += metadata["store_seconds"]
        elif "load_seconds" in metadata:
            loaded["seconds"] += metadata["load_seconds"]
            figures["load_s"] += metadata["load_seconds"]
    run = instance.get_run_stats(run_id)
    return {
        "steps": steps,
        "io_by_step": {step: {k: _round(v) for k, v in figures.items()} for step, figures in by_step.items()},
        "io_store_s": _round(stored["seconds"]),
        "io_load_s": _round(loaded["seconds"]),
        "stored_mb": round(stored["bytes"] / 1e6, 1),
        "run_span_s": _round(run.end_time - run.start_time) if run.start_time and run.end_time else None,
    }


def _changes(plan: Any) -> int:
    return int(plan.counts().drop(columns="entity").sum().sum()) if plan is not None else 0


# --- small helpers ---

STEP_ORDER = ("raw_upload", "validated_roster", "roster_matches", "staged_plan", "merge_review_queue")
STEP_ORDER += ("import_commit", "upload_results")


def _order(step: str) -> int:
    return STEP_ORDER.index(step) if step in STEP_ORDER else len(STEP_ORDER)


def _import_time(module: str) -> float:
    """Best of three: a fresh interpreter importing ``module`` (what every Dagster process pays)."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return _round(min(timings))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer")


def _round(value: float) -> float:
    return round(value, 2)


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |")
        if number == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")


if __name__ == "__main__":
    raise SystemExit(main())
