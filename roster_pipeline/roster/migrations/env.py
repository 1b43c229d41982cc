"""Alembic environment: the engine comes from the caller (see roster_pipeline.roster.migrate)."""

from alembic import context

from roster_pipeline.roster.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
