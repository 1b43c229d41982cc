"""records checked in bulk: no per-row foreign keys on the record tables an import writes

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

RECORD_FOREIGN_KEYS = {
    table: {
        f"fk_{table}_district_id_districts": ("district_id", "districts"),
        **({f"fk_{table}_school_pk_schools": ("school_pk", "schools")} if table != "guardians" else {}),
    }
    for table in ("classrooms", "students", "staff", "guardians")
}


def upgrade() -> None:
    for table, foreign_keys in RECORD_FOREIGN_KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            for name in foreign_keys:
                batch_op.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table, foreign_keys in RECORD_FOREIGN_KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            for name, (column, parent) in foreign_keys.items():
                batch_op.create_foreign_key(name, parent, [column], ["id"])
