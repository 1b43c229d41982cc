"""link keys lead with the tenant: each link table's unique key starts with district_id and replaces
the table's own district_id index

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A link's parents belong to one tenant, so leading its unique key with district_id refuses exactly
# the rows it refused before, and serves the per-tenant reads the district_id index served (a
# first import built that index over every link row: 0.25 s of 1.2M rows at 100k students).
LINK_KEYS = {
    "enrollments": {
        "uq_enrollments_student": ["classroom_id", "student_id"],
        "uq_enrollments_staff": ["classroom_id", "staff_id"],
    },
    "student_guardians": {"uq_student_guardians": ["student_id", "guardian_id"]},
    "student_attributes": {"uq_student_attributes": ["student_id", "attribute"]},
}


def upgrade() -> None:
    for table, keys in LINK_KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f"ix_{table}_district_id")
            for name, columns in keys.items():
                _drop_key(batch_op, table, name)
                _create_key(batch_op, table, name, ["district_id", *columns])


def downgrade() -> None:
    for table, keys in LINK_KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            for name, columns in keys.items():
                _drop_key(batch_op, table, name)
                _create_key(batch_op, table, name, columns)
            batch_op.create_index(f"ix_{table}_district_id", ["district_id"])


def _drop_key(batch_op, table: str, name: str) -> None:
    if table == "enrollments":  # partial unique indexes (0002): an enrollment names one person
        batch_op.drop_index(name)
    else:
        batch_op.drop_constraint(name, type_="unique")


def _create_key(batch_op, table: str, name: str, columns: list[str]) -> None:
    if table == "enrollments":
        where = sa.text(f"{columns[-1]} IS NOT NULL")
        batch_op.create_index(name, columns, unique=True, postgresql_where=where, sqlite_where=where)
    else:
        batch_op.create_unique_constraint(name, columns)
