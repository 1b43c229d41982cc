"""link keys lead with the tenant: the unique keys of student_guardians and student_attributes start
with district_id and replace the tables' own district_id indexes

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A link's parents belong to one tenant, so a unique key led by district_id refuses exactly the rows
# it refused before, and serves the per-tenant reads the district_id index served (which a first
# import built over every link row). Enrollments keep theirs: their unique keys are partial (0002),
# and a partial index serves only the queries that repeat its condition.
LINK_KEYS = {
    "student_guardians": ("uq_student_guardians", ["student_id", "guardian_id"]),
    "student_attributes": ("uq_student_attributes", ["student_id", "attribute"]),
}


def upgrade() -> None:
    for table, (name, columns) in LINK_KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f"ix_{table}_district_id")
            batch_op.drop_constraint(name, type_="unique")
            batch_op.create_unique_constraint(name, ["district_id", *columns])


def downgrade() -> None:
    for table, (name, columns) in LINK_KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(name, type_="unique")
            batch_op.create_unique_constraint(name, columns)
            batch_op.create_index(f"ix_{table}_district_id", ["district_id"])
