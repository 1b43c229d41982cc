"""The demo district with a neighbour built to be confused with it (see tenancy.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from roster_pipeline.roster.fixtures import load_fixture
from roster_pipeline_tests.security.tenancy import NEIGHBOUR_FIXTURE


@pytest.fixture
def two_tenants(demo_roster: Engine) -> Engine:
    """district-0042 (the demo, before its first upload) and district-0099 in one roster database."""
    with demo_roster.begin() as connection:
        load_fixture(connection, NEIGHBOUR_FIXTURE)
    return demo_roster
