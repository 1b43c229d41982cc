"""The self-check as an asset: per-file status as a table in the UI, issue counts as metadata."""

from dagster import (
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    asset,
)
from pydantic import Field

from roster_pipeline.defs.resources import UploadStorage
from roster_pipeline.reports.summary import overall_status, upload_summary
from roster_pipeline.samples import sample_upload_path
from roster_pipeline.validation.scope import UploadContext
from roster_pipeline.validation.validate import validate_upload

SUMMARY_SCHEMA = TableSchema(
    columns=[
        TableColumn("file", "string"),
        TableColumn("status", "string"),
        TableColumn("rows", "int"),
        TableColumn("errors", "int"),
        TableColumn("warnings", "int"),
    ]
)


class UploadCheckConfig(Config):
    location: str = str(sample_upload_path())
    scope: str = "district"
    school_ids: list[str] = Field(default_factory=list)


@asset(description="Per-file SUCCESS/ERROR of an upload, validated before anything touches the roster.")
def upload_check(
    context: AssetExecutionContext, config: UploadCheckConfig, upload_storage: UploadStorage
) -> MaterializeResult:
    validated = validate_upload(
        upload_storage.read(config.location),
        UploadContext(scope=config.scope, school_ids=frozenset(config.school_ids)),
    )
    summary = upload_summary(validated)
    context.log.info(f"checked {config.location}: {len(validated.issues)} issues")
    return MaterializeResult(
        metadata={
            "status": overall_status(summary),
            "files": MetadataValue.table(
                [TableRecord(record) for record in summary.to_dict(orient="records")], SUMMARY_SCHEMA
            ),
            "errors": int(summary["errors"].sum()),
            "warnings": int(summary["warnings"].sum()),
        }
    )
