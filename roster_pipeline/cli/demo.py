"""`roster-pipeline demo`: the product on embedded defaults, nothing to set up by hand.

Starts a local S3-compatible server on 127.0.0.1 (moto's server mode), creates the drop bucket, loads
the demo tenant into a fresh SQLite roster under ``<data-dir>/demo/``, drops the sample upload (with a
``_READY`` marker asking for a commit), then:

- by default, starts ``dagster dev`` so the drop sensor imports it and the run shows in the UI at
  http://127.0.0.1:3000 (Ctrl-C stops everything);
- with ``--once``, runs the sensor tick and the import in this process, prints the results table and
  exits 0 when every run succeeded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3

from roster_pipeline.cli.options import add_runtime_options, data_dir_for
from roster_pipeline.cli.table import render_table
from roster_pipeline.roster.database import make_engine
from roster_pipeline.roster.fixtures import load_fixture_file
from roster_pipeline.roster.migrate import upgrade
from roster_pipeline.samples import demo_tenant_path, sample_upload_path

DEMO_TENANT = "district-0042"
DEMO_BUCKET = "roster-drop"
DEMO_UPLOAD = "sample-upload"
UI_PORT = 3000
# The local server accepts any keys; these keep the demo from needing (or touching) real credentials.
DEMO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class DemoSite:
    """Everything the demo (and the end-to-end script) runs against, all local."""

    folder: Path
    endpoint: str

    @property
    def database_url(self) -> str:
        return f"sqlite:///{(self.folder / 'roster.db').as_posix()}"

    def env(self) -> dict[str, str]:
        return {
            **DEMO_CREDENTIALS,
            "ROSTER_S3_BUCKET": DEMO_BUCKET,
            "ROSTER_S3_ENDPOINT_URL": self.endpoint,
            "ROSTER_DATABASE_URL": self.database_url,
            "ROSTER_DATA_DIR": str(self.folder / "artefacts"),
            "DAGSTER_HOME": str(self.folder / "dagster_home"),
        }

    def client(self):  # type: ignore[no-untyped-def]
        keys = {"aws_access_key_id": "demo", "aws_secret_access_key": "demo", "region_name": "us-east-1"}
        return boto3.client("s3", endpoint_url=self.endpoint, **keys)


def prepare_site(folder: Path, endpoint: str, instance_config: Path | None = None) -> DemoSite:
    """A fresh roster with the demo tenant, a Dagster home, and an empty drop bucket. The folder is
    made absolute: Dagster refuses a relative ``DAGSTER_HOME`` (the default data folder is ``data``)."""
    folder = folder.resolve()
    shutil.rmtree(folder, ignore_errors=True)
    site = DemoSite(folder, endpoint)
    engine = make_engine(site.database_url)
    upgrade(engine)
    with engine.begin() as connection:
        load_fixture_file(connection, demo_tenant_path())
    engine.dispose()
    home = Path(site.env()["DAGSTER_HOME"])
    home.mkdir(parents=True)
    if instance_config is not None and instance_config.exists():
        shutil.copy(instance_config, home / "dagster.yaml")
    site.client().create_bucket(Bucket=DEMO_BUCKET)
    return site


def drop_sample(site: DemoSite, upload_id: str = DEMO_UPLOAD, commit: bool = True) -> str:
    """Put the sample upload under drop/<tenant>/<upload_id>/, the ``_READY`` marker last."""
    prefix = f"drop/{DEMO_TENANT}/{upload_id}/"
    client = site.client()
    for path in sorted(sample_upload_path().glob("*.csv")):
        client.put_object(Bucket=DEMO_BUCKET, Key=prefix + path.name, Body=path.read_bytes())
    client.put_object(Bucket=DEMO_BUCKET, Key=prefix + "_READY", Body=b"mode=commit\n" if commit else b"")
    return f"s3://{DEMO_BUCKET}/{prefix}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def add_demo_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="the sample upload through a local S3 server and Dagster")
    parser.add_argument("--once", action="store_true", help="no UI: one sensor tick and its runs, in process")
    add_runtime_options(parser)
    parser.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        print("the demo needs the dev extras (moto[server]): run `make demo`", file=sys.stderr)
        return 2
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        site = prepare_site(data_dir_for(args) / "demo", endpoint, Path("dagster.yaml"))
        location = drop_sample(site)
        print(f"Sample upload dropped at {location} (local S3 server {endpoint})")
        return _run_once(site) if args.once else _run_dagster_dev(site)
    finally:
        server.stop()


def _run_dagster_dev(site: DemoSite) -> int:
    command = [str(Path(sys.executable).parent / "dagster"), "dev", "-m", "roster_pipeline.defs"]
    command += ["-h", "127.0.0.1", "-p", str(UI_PORT)]
    print(f"Starting Dagster: open http://127.0.0.1:{UI_PORT} (Ctrl-C to stop)")
    dagster = subprocess.Popen(command, env={**os.environ, **site.env()})
    try:
        return dagster.wait()
    except KeyboardInterrupt:
        dagster.terminate()
        return dagster.wait()


def _run_once(site: DemoSite) -> int:
    from roster_pipeline.defs.headless import run_sensor_once

    os.environ.update({key: value for key, value in site.env().items() if key.startswith("AWS_")})
    outcomes = run_sensor_once(DEMO_BUCKET, site.endpoint, site.database_url, site.env()["ROSTER_DATA_DIR"])
    for outcome in outcomes:
        print(f"\nRun {outcome.run_id} for {outcome.tenant}: {outcome.message}\n")
        if outcome.files is not None:
            print(render_table(outcome.files))
            print("\nResults: " + "\n         ".join(outcome.results))
    return 0 if outcomes and all(outcome.succeeded for outcome in outcomes) else 1
