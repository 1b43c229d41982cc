"""links checked in bulk: no per-row foreign keys on link tables, partial enrollment indexes

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LINK_FOREIGN_KEYS = {
    "enrollments": {
        "fk_enrollments_classroom_id_classrooms": ("classroom_id", "classrooms"),
        "fk_enrollments_student_id_students": ("student_id", "students"),
        "fk_enrollments_staff_id_staff": ("staff_id", "staff"),
    },
    "student_guardians": {
        "fk_student_guardians_student_id_students": ("student_id", "students"),
        "fk_student_guardians_guardian_id_guardians": ("guardian_id", "guardians"),
    },
    "student_attributes": {
        "fk_student_attributes_student_id_students": ("student_id", "students"),
    },
}
PERSON_INDEXES = {
    "uq_enrollments_student": (["classroom_id", "student_id"], True),
    "uq_enrollments_staff": (["classroom_id", "staff_id"], True),
    "ix_enrollments_student_id": (["student_id"], False),
    "ix_enrollments_staff_id": (["staff_id"], False),
}
ONE_PERSON = "(student_id IS NULL) <> (staff_id IS NULL)"


def upgrade() -> None:
    for table, foreign_keys in LINK_FOREIGN_KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            for name in foreign_keys:
                batch_op.drop_constraint(name, type_="foreignkey")
    with op.batch_alter_table("enrollments") as batch_op:
        for name, (_, unique) in PERSON_INDEXES.items():
            if unique:
                batch_op.drop_constraint(name, type_="unique")
            else:
                batch_op.drop_index(name)
        for name, (columns, unique) in PERSON_INDEXES.items():
            where = {
                f"{dialect}_where": sa.text(f"{columns[-1]} IS NOT NULL")
                for dialect in ("postgresql", "sqlite")
            }
            batch_op.create_index(name, columns, unique=unique, **where)
        batch_op.create_check_constraint("ck_enrollments_one_person", ONE_PERSON)


def downgrade() -> None:
    with op.batch_alter_table("enrollments") as batch_op:
        batch_op.drop_constraint("ck_enrollments_one_person", type_="check")
        for name, (columns, unique) in PERSON_INDEXES.items():
            batch_op.drop_index(name)
            if unique:
                batch_op.create_unique_constraint(name, columns)
            else:
                batch_op.create_index(name, columns)
    for table, foreign_keys in LINK_FOREIGN_KEYS.items():
        with op.batch_alter_table(table) as batch_op:
            for name, (column, parent) in foreign_keys.items():
                batch_op.create_foreign_key(name, parent, [column], ["id"])
