"""only the indexes queries use: drop those that served foreign keys or repeat a unique key

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Records are read by tenant through their (district_id, sis_id) unique key, and nothing looks rows up
# by school, person or guardian since the reference checks became anti-joins (0002, 0003).
UNUSED_INDEXES = {
    **{
        table: {f"ix_{table}_district_id": ["district_id"], f"ix_{table}_school_pk": ["school_pk"]}
        for table in ("classrooms", "students", "staff")
    },
    "guardians": {"ix_guardians_district_id": ["district_id"]},
    "enrollments": {"ix_enrollments_student_id": ["student_id"], "ix_enrollments_staff_id": ["staff_id"]},
    "student_guardians": {"ix_student_guardians_guardian_id": ["guardian_id"]},
}


def upgrade() -> None:
    for table, indexes in UNUSED_INDEXES.items():
        for name in indexes:
            op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, indexes in UNUSED_INDEXES.items():
        for name, columns in indexes.items():
            # The enrollment person indexes were partial (0002): an enrollment names one person.
            where = sa.text(f"{columns[0]} IS NOT NULL") if table == "enrollments" else None
            op.create_index(name, table, columns, postgresql_where=where, sqlite_where=where)
