"""End to end through real Dagster processes, all on loopback.

Starts a moto S3 server, `dagster-webserver` and `dagster-daemon` (each a separate process), loads the
demo tenant into a SQLite roster, drops the sample upload into the bucket, and waits (bounded) for the
drop sensor's run to finish, asking the webserver's GraphQL API. Then checks that the run succeeded,
the results CSVs are in S3 and the roster changed, and stops every process by its PID.

    .venv/bin/python scripts/e2e_dagster.py [--timeout 300] [--keep FOLDER]

Exit code 0 when every check holds.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from roster_pipeline.cli.demo import DEMO_BUCKET, DEMO_TENANT, drop_sample, free_port, prepare_site
from roster_pipeline.roster.database import make_engine
from roster_pipeline.roster.snapshot import SNAPSHOT_TABLES, read_table
from roster_pipeline.roster.tenants import find_tenant

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
UPLOAD_ID = "e2e-upload"
RUNS_QUERY = """
query Runs($tenant: String!) {
  runsOrError(filter: {tags: [{key: "roster/tenant", value: $tenant}]}) {
    ... on Runs { results { runId status jobName } }
  }
}
"""


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("wb")
    return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(what: str, check, timeout: float, every: float = 1.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def alive(processes: list[subprocess.Popen]) -> bool:
    for process in processes:
        if process.poll() is not None:
            raise TimeoutError(f"{Path(process.args[0]).name} exited with code {process.returncode}")
    return True


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def graphql(url: str, query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def finished_run(url: str) -> dict | None:
    try:
        runs = graphql(url, RUNS_QUERY, {"tenant": DEMO_TENANT})["data"]["runsOrError"]["results"]
    except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError):
        return None
    done = [run for run in runs if run["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
    return done[0] if done else None


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (logs, roster)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="roster-e2e-"))
    folder.mkdir(parents=True, exist_ok=True)
    s3_port, ui_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{s3_port}"
    processes: list[subprocess.Popen] = []
    try:
        processes.append(
            start(
                [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
                dict(os.environ),
                folder / "moto.log",
            )
        )
        wait_for("the S3 server", lambda: http_ok(f"{endpoint}/moto-api/"), 60)
        site = prepare_site(folder / "site", endpoint, REPO / "dagster.yaml")
        env = {**os.environ, **site.env()}
        location = ["-m", "roster_pipeline.defs"]
        processes.append(
            start(
                [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(ui_port), *location],
                env,
                folder / "webserver.log",
            )
        )
        ui = f"http://127.0.0.1:{ui_port}"
        wait_for("the Dagster webserver", lambda: alive(processes) and http_ok(f"{ui}/server_info"), 120)
        # After the webserver has created the instance's storage: two processes creating it race.
        processes.append(start([str(BIN / "dagster-daemon"), "run", *location], env, folder / "daemon.log"))
        print(f"webserver up at {ui}; dropping the sample upload", flush=True)
        drop_sample(site, UPLOAD_ID, commit=True)
        run = wait_for(
            "the sensor's run to finish",
            lambda: alive(processes) and finished_run(f"{ui}/graphql"),
            args.timeout,
            2,
        )
        print(f"run {run['runId']} ({run['jobName']}): {run['status']}", flush=True)

        failures = []
        if run["status"] != "SUCCESS":
            failures.append(f"the run ended {run['status']}")
        listing = site.client().list_objects_v2(
            Bucket=DEMO_BUCKET, Prefix=f"results/{DEMO_TENANT}/{UPLOAD_ID}/"
        )
        keys = [item["Key"] for item in listing.get("Contents", [])]
        names = {key.rsplit("/", 1)[-1] for key in keys if "/plan/" not in key}
        if "users_results.csv" not in names:
            failures.append(f"no users_results.csv in S3 (found {sorted(names)})")
        if not any(key.endswith("/plan/changes.parquet") for key in keys):
            failures.append("no staged plan (plan/changes.parquet) next to the results in S3")
        engine = make_engine(site.database_url)
        with engine.connect() as connection:
            students = read_table(
                connection, SNAPSHOT_TABLES["students"], find_tenant(connection, DEMO_TENANT).id
            )
        if len(students) != 9:
            failures.append(f"the roster has {len(students)} students, expected 9 after the import")
        for failure in failures:
            print(f"FAILED: {failure}", file=sys.stderr)
        if not failures:
            print(f"OK: run succeeded, {len(names)} results files in S3, roster has {len(students)} students")
        return 1 if failures else 0
    except TimeoutError as error:
        print(f"FAILED: {error}; logs in {folder}", file=sys.stderr)
        for log in sorted(folder.glob("*.log")):
            print(
                f"--- {log.name} (last lines)\n"
                + "\n".join(log.read_text(errors="replace").splitlines()[-15:]),
                file=sys.stderr,
            )
        return 1
    finally:
        stop(processes)


if __name__ == "__main__":
    raise SystemExit(main())
