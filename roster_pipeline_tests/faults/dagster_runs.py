"""Runs the code location's public ``import_upload`` job (its own resources and IO manager, configured by
the ROSTER_* environment as in production) against the persistent instance in $DAGSTER_HOME, in this
process, and prints the run's id and outcome as JSON. A test starts it as a child process, so every run
imports the code location fresh, as a restarted worker would:

    python -m roster_pipeline_tests.faults.dagster_runs run TENANT LOCATION (dry-run|commit)
    python -m roster_pipeline_tests.faults.dagster_runs reexecute-from-failure RUN_ID
"""

from __future__ import annotations

import json
import sys

from dagster import DagsterInstance, JobDefinition, ReexecutionOptions, execute_job, reconstructable

IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


def import_upload_job() -> JobDefinition:
    from roster_pipeline.defs.definitions import defs

    return defs.get_job_def("import_upload")


def main(argv: list[str]) -> int:
    from roster_pipeline.defs.partitions import tenants

    instance = DagsterInstance.get()
    job = reconstructable(import_upload_job)
    if argv[0] == "run":
        tenant, location, mode = argv[1:4]
        instance.add_dynamic_partitions(tenants.name, [tenant])
        run_config = {
            "ops": {
                "raw_upload": {"config": {"upload": location}},
                "import_commit": {"config": {"dry_run": mode != "commit"}},
            },
            **IN_PROCESS,
        }
        result = execute_job(job, instance, run_config=run_config, tags={"dagster/partition": tenant})
    else:
        parent = instance.get_run_by_id(argv[1])
        assert parent is not None, argv[1]
        # As the UI re-executes: the parent's tags (the partition among them), not Dagster's bookkeeping.
        tags = {k: v for k, v in parent.tags.items() if not k.startswith("dagster/") or "partition" in k}
        options = ReexecutionOptions.from_failure(parent.run_id, instance)
        result = execute_job(job, instance, reexecution_options=options, tags=tags)
    print(json.dumps({"run_id": result.run_id, "success": result.success}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
