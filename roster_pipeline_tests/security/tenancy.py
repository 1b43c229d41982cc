"""A neighbouring tenant for isolation tests, and a byte-level hash of everything a tenant owns.

The neighbour, district-0099, is built to be confused with the demo district's sample upload: the same
School IDs (School IDs are per district), records under the upload's SIS IDs, and records made by hand
that the upload's people and classes would match by email, sms, name or title if matching crossed
tenants.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine, select

from roster_pipeline.roster.models import Base, District

NEIGHBOUR = "district-0099"
NEIGHBOUR_FIXTURE = {
    "tenant": NEIGHBOUR,
    "name": "Hillside District",
    "schools": [
        {"name": "Hillside Maple", "school_id": "sch-0101"},
        {"name": "Hillside Cedar", "school_id": "sch-0102"},
        {"name": "Elm High", "school_id": "sch-9901"},
    ],
    "classrooms": [
        {"school": "sch-0101", "sis_id": "c-0101-hr3", "title": "Hillside Homeroom", "grades": "05"},
        {"school": "sch-0101", "ref": "hr4-by-hand", "title": "Grade 4 Homeroom", "grades": "04"},
    ],
    "students": [
        {
            "school": "sch-0101",
            "sis_id": "0001001",
            "given_name": "Hilda",
            "family_name": "Hill",
            "grades": "05",
        },
        {
            "school": "sch-0101",
            "sis_id": "0002004",
            "given_name": "Kofi",
            "family_name": "Hill",
            "grades": "09",
        },
        {
            "school": "sch-0101",
            "ref": "zoe-by-hand",
            "given_name": "Zoë",
            "family_name": "Nuñez",
            "grades": "03",
        },
        {
            "school": "sch-0101",
            "ref": "amelie-by-hand",
            "given_name": "Amélie",
            "family_name": "Dubois",
            "grades": "04",
        },
    ],
    "staff": [
        {
            "school": "sch-0101",
            "sis_id": "t-0101",
            "role": "teacher",
            "given_name": "Hal",
            "family_name": "Hill",
            "email": "hal.hill@hillside.example.org",
        },
        {
            "school": "sch-0101",
            "ref": "patel",
            "role": "teacher",
            "given_name": "Ravi",
            "family_name": "Patel",
            "email": "r.patel@lakeside.example.org",
        },
        {
            "school": "sch-0101",
            "ref": "lefevre",
            "role": "teacher",
            "given_name": "Marc",
            "family_name": "Lefevre",
            "email": "M.Lefevre@Lakeside.example.org",
        },
    ],
    "guardians": [
        {
            "sis_id": "g-5001",
            "given_name": "Hana",
            "family_name": "Hill",
            "email": "hana.hill@mail.example.com",
            "students": ["0001001"],
        },
        {
            "ref": "siobhan",
            "given_name": "Siobhán",
            "family_name": "O'Brien",
            "email": "siobhan.obrien@mail.example.com",
            "students": ["0002004"],
        },
        {"ref": "declan", "given_name": "Declan", "family_name": "O'Brien", "sms": "+15555550104"},
    ],
    "enrollments": [
        {"classroom": "c-0101-hr3", "student": "0001001"},
        {"classroom": "c-0101-hr3", "staff": "t-0101", "role": "teacher"},
        {"classroom": "hr4-by-hand", "student": "amelie-by-hand"},
    ],
    "student_attributes": [
        {"student": "zoe-by-hand", "attribute": "birthDate", "value": "2017-04-12"},
        {"student": "0001001", "attribute": "ell", "value": "false"},
    ],
}


def tenant_content(engine: Engine, tenant: str) -> str:
    """Every row of every table that belongs to ``tenant`` (its district row, roster, runs and change
    log), in id order, hashed value by value: equal means byte-identical content."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        district_id = connection.execute(select(District.id).where(District.tenant == tenant)).scalar_one()
        for table in Base.metadata.sorted_tables:
            column = table.c.id if table.name == "districts" else table.c.get("district_id")
            if column is None:
                continue
            rows = connection.execute(select(table).where(column == district_id).order_by(table.c.id)).all()
            digest.update(f"{table.name}:{len(rows)}\n".encode())
            for row in rows:
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()
