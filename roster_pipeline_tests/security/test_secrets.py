"""Passwords and tokens never reach output, logs, run records, metadata or results.

A database URL with a password, an AWS secret key, an S3 endpoint with credentials and an alert
webhook token are given to the CLI and to Dagster jobs; every captured byte is then searched for them:
stdout, stderr, Python logs (DEBUG included), exceptions with their tracebacks, the roster's run
records and change log, the run artefacts on disk, the results in S3, Dagster's event log (messages,
metadata, errors), run records, job snapshots and the code location's snapshot (what the UI shows).
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_run_status_sensor_context
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster._serdes import serialize_value
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from roster_pipeline.cli.main import main
from roster_pipeline.defs.import_assets import import_run_config
from roster_pipeline.defs.partitions import tenants
from roster_pipeline.defs.sensors import AlertNotSent, AlertWebhook, import_failure_alert
from roster_pipeline.import_run import run_import
from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.validation.settings import ReaderSettings
from roster_pipeline_tests.conftest import POSTGRES_URL, SAMPLE_UPLOAD
from roster_pipeline_tests.importing import DEMO

DB_SECRET = "Db-S3cret-" + uuid.uuid4().hex[:8]
AWS_SECRET = "Aws-S3cret-" + uuid.uuid4().hex[:8]
ENDPOINT_SECRET = "Endpoint-S3cret-" + uuid.uuid4().hex[:8]
WEBHOOK_TOKEN = "HookT0ken" + uuid.uuid4().hex[:8]
SECRETS = (DB_SECRET, AWS_SECRET, ENDPOINT_SECRET, WEBHOOK_TOKEN)
UNREACHABLE = f"postgresql+psycopg://roster:{DB_SECRET}@127.0.0.1:1/roster"
MALFORMED = [
    f"postgresql+psycopg//roster:{DB_SECRET}@127.0.0.1/roster",
    f"postgresq://roster:{DB_SECRET}@127.0.0.1/roster",
    f"postgresql+psycopg://roster:{DB_SECRET}@127.0.0.1:notaport/roster",
    f"postgresql+psycopg://roster:{DB_SECRET}@127.0.0.1:1/roster?sslmode=bogus",
]


def leaks(*texts: str) -> list[str]:
    return [secret for secret in SECRETS if any(secret in text for text in texts)]


class Captured:
    """What CLI commands printed, logged (INFO and above in ``texts``; every DEBUG record too in
    ``debug``) and raised."""

    def __init__(self, capfd, caplog) -> None:  # type: ignore[no-untyped-def]
        self.capfd, self.caplog, self.texts, self.debug, self.codes = capfd, caplog, [], [], []

    def run(self, *argv: str) -> int | None:
        code = None
        self.caplog.clear()
        try:
            code = main(list(argv))
        except Exception as error:  # an uncaught error is output too (a traceback on the terminal)
            self.texts.append("".join(traceback.format_exception(error)))
        out, err = self.capfd.readouterr()
        self.last_out = out
        logged = [(record.levelno, self.caplog.handler.format(record)) for record in self.caplog.records]
        self.texts += [out, err, *(line for level, line in logged if level >= logging.INFO)]
        self.debug += [line for _, line in logged]
        self.codes.append(code)
        return code

    def debug_leaks(self) -> list[str]:
        """botocore's DEBUG records quote the endpoint URL as configured, so only the database
        password and the AWS secret key are looked for there."""
        return [secret for secret in (DB_SECRET, AWS_SECRET) if any(secret in line for line in self.debug)]


@pytest.fixture
def captured(capfd, caplog) -> Captured:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    return Captured(capfd, caplog)


@pytest.fixture
def aws_secret(monkeypatch: pytest.MonkeyPatch, s3_env: None) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)


def cli_workflow(captured: Captured, url: str, data_dir: Path, upload: str, *s3: str) -> None:
    """Every roster command that touches the database, in the order a district team runs them."""
    runtime = ["--database-url", url, "--data-dir", str(data_dir)]
    captured.run("db", "upgrade", *runtime)
    captured.run("db", "seed-demo", *runtime)
    captured.run("runs", *runtime)
    captured.run("import", upload, "--tenant", DEMO, *s3, *runtime)
    captured.run("import", upload, "--tenant", DEMO, "--json", *s3, *runtime)
    captured.run("import", upload, "--tenant", DEMO, "--commit", *s3, *runtime)
    captured.run("classrooms", "suggest", upload, "--tenant", DEMO, *s3, *runtime)
    captured.run("schools", "list", "--tenant", DEMO, *runtime)
    captured.run("students", "archive", "--tenant", DEMO, *runtime)
    captured.run("runs", *runtime)
    run_ids = sorted({word for word in captured.last_out.split() if word.startswith("run-")}) or ["run-none"]
    captured.run("students", "candidates", run_ids[0], *runtime)
    captured.run("apply", run_ids[-1], *runtime)
    captured.run("rollback", run_ids[-1], *runtime)
    captured.run("rollback", "run-that-does-not-exist", *runtime)


@pytest.mark.parametrize("url", [UNREACHABLE, *MALFORMED])
def test_the_cli_never_shows_the_password_of_an_unusable_database(
    captured: Captured, tmp_path: Path, url: str
) -> None:
    cli_workflow(captured, url, tmp_path / "data", str(SAMPLE_UPLOAD))
    assert leaks(*captured.texts) == [] and captured.debug_leaks() == []
    assert all(code != 0 for code in captured.codes)  # every command failed, and said so


@pytest.fixture
def postgres_with_password() -> Iterator[str]:
    """A fresh schema on the test server, addressed by a URL with a password (trust auth ignores it)."""
    if not POSTGRES_URL:
        pytest.skip("ROSTER_TEST_POSTGRES_URL is not set")
    schema = f"secret_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(POSTGRES_URL).set(password=DB_SECRET, query={"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def stored_text(url: str, data_dir: Path) -> list[str]:
    """The roster's run records and change log, and every artefact file, as text."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = [
            repr(row)
            for table in ("import_runs", "change_log")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        ]
    engine.dispose()
    files = [path.read_bytes().decode("utf-8", "replace") for path in data_dir.rglob("*") if path.is_file()]
    return rows + files


def test_the_cli_never_shows_the_password_of_a_working_database(
    captured: Captured,
    postgres_with_password: str,
    tmp_path: Path,
    aws_secret: None,
    s3_client,
    bucket,
    s3_endpoint,
) -> None:
    for path in sorted(SAMPLE_UPLOAD.glob("*.csv")):
        s3_client.put_object(Bucket=bucket, Key=f"drop/{DEMO}/u1/{path.name}", Body=path.read_bytes())
    upload = f"s3://{bucket}/drop/{DEMO}/u1/"
    cli_workflow(captured, postgres_with_password, tmp_path / "data", upload, "--endpoint-url", s3_endpoint)
    # It did work: the import committed, the archive's dry run was applied and rolled back.
    assert "COMMITTED" in "".join(captured.texts) and captured.codes[-3:] == [0, 0, 2]
    assert leaks(*captured.texts, *stored_text(postgres_with_password, tmp_path / "data")) == []
    assert captured.debug_leaks() == []


def test_s3_credentials_are_never_shown(
    captured: Captured, tmp_path: Path, aws_secret: None, s3_client, bucket, s3_endpoint
) -> None:
    for path in sorted(SAMPLE_UPLOAD.glob("*.csv")):
        s3_client.put_object(Bucket=bucket, Key=f"drop/{DEMO}/u1/{path.name}", Body=path.read_bytes())
    data_dir = tmp_path / "data"
    url = f"sqlite:///{tmp_path / 'roster.db'}"
    cli_workflow(captured, url, data_dir, f"s3://{bucket}/drop/{DEMO}/u1/", "--endpoint-url", s3_endpoint)
    assert "COMMITTED" in "".join(captured.texts)
    # An endpoint that carries credentials, and one that cannot be reached: the errors quote it.
    with_credentials = f"http://key:{ENDPOINT_SECRET}@127.0.0.1:1"
    for command in ("check", "import"):
        tenant = (
            ["--tenant", DEMO, "--database-url", url, "--data-dir", str(data_dir)]
            if command == "import"
            else []
        )
        captured.run(command, f"s3://{bucket}/drop/{DEMO}/u1/", "--endpoint-url", with_credentials, *tenant)
        assert captured.codes[-1] == 2
    missing = f"s3://no-such-bucket-{uuid.uuid4().hex[:6]}/x/"
    runtime = ["--database-url", url, "--data-dir", str(data_dir)]
    captured.run("import", missing, "--tenant", DEMO, "--endpoint-url", s3_endpoint, *runtime)
    assert leaks(*captured.texts, *stored_text(url, data_dir)) == []
    assert captured.debug_leaks() == []


# --- Dagster: the code location as deployed (definitions.py), its runs, their records and alerts. ---


@pytest.fixture
def deployed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, aws_secret: None, s3_client, bucket, s3_endpoint
):
    """definitions.py loaded with secret-bearing settings; reloaded as it was afterwards."""
    import roster_pipeline.defs.definitions as definitions

    for path in sorted(SAMPLE_UPLOAD.glob("*.csv")):
        s3_client.put_object(Bucket=bucket, Key=f"drop/{DEMO}/u1/{path.name}", Body=path.read_bytes())

    def load(database_url: str) -> object:
        monkeypatch.setenv("ROSTER_DATABASE_URL", database_url)
        monkeypatch.setenv("ROSTER_ALERT_WEBHOOK_URL", f"https://hooks.example.org/services/{WEBHOOK_TOKEN}")
        monkeypatch.setenv("ROSTER_S3_BUCKET", bucket)
        monkeypatch.setenv("ROSTER_S3_ENDPOINT_URL", s3_endpoint)
        monkeypatch.setenv("ROSTER_DATA_DIR", str(tmp_path / "data"))
        return importlib.reload(definitions).defs

    yield load
    monkeypatch.undo()
    importlib.reload(definitions)


def run_import_job(defs, location: str, dry_run: bool = False):  # type: ignore[no-untyped-def]
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(tenants.name, [DEMO])
    result = defs.resolve_job_def("import_upload").execute_in_process(
        instance=instance,
        partition_key=DEMO,
        raise_on_error=False,
        run_config=import_run_config(location, dry_run),
    )
    return instance, result


def everything_dagster_kept(defs, instance: DagsterInstance, run_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    run = instance.get_run_by_id(run_id)
    return [
        *(serialize_value(record) for record in instance.all_logs(run_id)),
        serialize_value(run),
        serialize_value(instance.get_job_snapshot(run.job_snapshot_id)),
        serialize_value(RepositorySnap.from_def(defs.get_repository_def())),
    ]


def test_a_dagster_run_against_an_unreachable_database_keeps_no_secret(deployed, bucket: str) -> None:
    defs = deployed(UNREACHABLE)
    instance, result = run_import_job(defs, f"s3://{bucket}/drop/{DEMO}/u1/")
    assert not result.success  # the database cannot be reached: a crash, reported with its error
    kept = everything_dagster_kept(defs, instance, result.run_id)
    assert "Connection refused" in "".join(kept)
    assert leaks(*kept) == []


def test_a_dagster_run_keeps_no_secret(deployed, bucket: str, s3_client, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roster.db'}"
    assert main(["db", "seed-demo", "--database-url", url, "--data-dir", str(tmp_path / "data")]) == 0
    defs = deployed(url)
    instance, result = run_import_job(defs, f"s3://{bucket}/drop/{DEMO}/u1/")
    assert result.success
    kept = everything_dagster_kept(defs, instance, result.run_id)
    results = [
        s3_client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode("utf-8", "replace")
        for item in s3_client.list_objects_v2(Bucket=bucket, Prefix="results/")["Contents"]
    ]
    files = [p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert leaks(*kept, *results, *files) == []


def test_a_dagster_run_against_postgres_with_a_password_keeps_no_secret(
    deployed, postgres_with_password: str, bucket: str, tmp_path: Path
) -> None:
    assert (
        main(["db", "seed-demo", "--database-url", postgres_with_password, "--data-dir", str(tmp_path)]) == 0
    )
    defs = deployed(postgres_with_password)
    instance, result = run_import_job(defs, f"s3://{bucket}/drop/{DEMO}/u1/")
    assert result.success
    kept = everything_dagster_kept(defs, instance, result.run_id)
    assert leaks(*kept, *stored_text(postgres_with_password, tmp_path / "data")) == []


def test_the_code_location_shows_secrets_by_their_variable_names(deployed) -> None:
    defs = deployed(UNREACHABLE)
    snapshot = serialize_value(RepositorySnap.from_def(defs.get_repository_def()))
    job = serialize_value(defs.resolve_job_def("import_upload").get_job_snapshot())
    assert leaks(snapshot, job) == []
    assert "ROSTER_DATABASE_URL" in snapshot and "ROSTER_ALERT_WEBHOOK_URL" in snapshot


class _Failing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def alert_error(post: Callable[[], None]) -> str:
    """The text an alert failure leaves: its message and traceback as Dagster would record them."""
    try:
        post()
    except AlertNotSent as error:
        return "".join(traceback.format_exception(error))
    raise AssertionError("the alert did not fail")


def test_the_alert_webhook_token_is_never_in_an_alert_error() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    document = {"alert": "roster run failed"}
    try:
        errors = [
            alert_error(lambda url=url: AlertWebhook(url=url).post(document))
            for url in (
                f"http://127.0.0.1:{port}/services/{WEBHOOK_TOKEN}",  # the server says 500
                f"http://127.0.0.1:1/services/{WEBHOOK_TOKEN}",  # nobody listens
                f"hooks.example.org/services/{WEBHOOK_TOKEN}",  # no scheme: urllib quotes the URL
                f"http://127.0.0.1:{port}/services/{WEBHOOK_TOKEN} x",  # a space: http.client quotes it
                f"ftp://127.0.0.1:1/{WEBHOOK_TOKEN}",
            )
        ]
    finally:
        server.shutdown()
    assert leaks(*errors) == []
    assert "HTTP 500" in errors[0] and "ConnectionRefusedError" in errors[1]


def test_the_failure_alert_carries_no_password(deployed, bucket: str) -> None:
    """The run-failure sensor's log and webhook document, for a run that failed on the database."""
    defs = deployed(UNREACHABLE)
    instance, result = run_import_job(defs, f"s3://{bucket}/drop/{DEMO}/u1/")
    failure = next(event for event in result.all_events if event.event_type_value == "PIPELINE_FAILURE")
    posted: list[dict] = []

    class Recording(AlertWebhook):
        def post(self, document: dict) -> None:
            posted.append(document)

    context = build_run_status_sensor_context(
        sensor_name="import_failure_alert",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    import_failure_alert(context, alert_webhook=Recording(url="https://hooks.example.org/x"))
    assert posted and leaks(json.dumps(posted)) == []


@pytest.mark.parametrize("extra", [("userPassword",), ("Password",)])
def test_passwords_in_an_upload_never_reach_results_or_output(
    captured: Captured, demo_roster, sample_copy: Path, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    """users.csv may carry a password column (OneRoster has one): its values are dropped from the rows
    echoed in results, and hidden where an issue would quote them (a ragged row's text, an over-long
    value), also when the column is repeated or named otherwise."""
    passwords = [f"Pw{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    users = sample_copy / "users.csv"
    lines = users.read_text().splitlines()
    rows = [line.removesuffix(",") + f",{passwords[0]},{passwords[1]}" for line in lines[1:]]
    rows[0] += ",one field too many"  # ragged: the row's raw text becomes an issue's value
    rows[1] = rows[1].replace(passwords[0], passwords[2] + "x" * 2000)  # longer than a field may be
    users.write_text("\n".join([",".join([lines[0], *extra]), *rows]) + "\n")
    outcome = run_import(
        demo_roster,
        str(sample_copy),
        DEMO,
        tmp_path / "data",
        reader=ReaderSettings(limits=UploadLimits(max_field_chars=1000)),
    )
    expected = {"duplicate_column"} if extra == ("Password",) else {"ragged_row", "field_too_long"}
    assert expected <= set(outcome.validated.issues["code"])
    captured.run("check", str(sample_copy), "--out", str(tmp_path / "checked"))
    captured.run("check", str(sample_copy), "--json")
    written = [p.read_text(errors="replace") for p in tmp_path.rglob("*.csv") if sample_copy not in p.parents]
    everything = "\n".join([*captured.texts, *written, outcome.validated.issues.to_string()])
    assert [password for password in passwords if password in everything] == []


def test_a_password_column_in_a_wide_attributes_file_is_never_an_attribute(
    demo_roster, sample_copy: Path, tmp_path: Path
) -> None:
    """In a wide student_attributes.csv every unknown column is an attribute, except a password: its
    values were staged (and would have been committed) as an attribute named "password"."""
    password = f"Pw-{uuid.uuid4().hex[:8]}"
    (sample_copy / "student_attributes.csv").write_text(
        f"studentSourcedId,birthDate,Password\n0001001,2017-04-12,{password}\n"
    )
    outcome = run_import(demo_roster, str(sample_copy), DEMO, tmp_path / "data")
    attributes = outcome.plan.entities["student_attributes"]
    assert "Password" not in set(attributes["attribute"]) and password not in set(attributes["value"])
    assert "birthDate" in set(attributes["attribute"])
    stored = [path.read_bytes() for path in (tmp_path / "data").rglob("*") if path.is_file()]
    assert not any(password.encode() in data for data in stored)


def test_a_password_attribute_in_a_long_attributes_file_is_never_stored_or_echoed(
    demo_roster, sample_copy: Path, tmp_path: Path
) -> None:
    password = f"Pw-{uuid.uuid4().hex[:8]}"
    (sample_copy / "student_attributes.csv").write_text(
        f"studentSourcedId,attribute,value\n0001001,birthDate,2017-04-12\n0001001,portal_password,{password}\n"
    )
    outcome = run_import(demo_roster, str(sample_copy), DEMO, tmp_path / "data")
    assert outcome.status == "DRY_RUN"  # a warning: the rest of the upload goes ahead
    flagged = outcome.validated.issues.query("code == 'secret_attribute'")
    assert flagged[["line", "column", "value"]].values.tolist() == [[3, "attribute", "portal_password"]]
    assert set(outcome.plan.entities["student_attributes"]["attribute"]) == {"birthDate"}
    stored = [path.read_bytes() for path in (tmp_path / "data").rglob("*") if path.is_file()]
    assert not any(password.encode() in data for data in stored)
