"""Alembic environment: the target is SQLModel.metadata; SQLite gets batch mode for ALTERs."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from fieldapp import models  # noqa: F401  (registers every table on SQLModel.metadata)
from fieldapp.db import make_engine
from fieldapp.migrate import include_object

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Render our own column types with an import the migration file can resolve."""
    if type_ == "type" and isinstance(obj, models.UTCDateTime):
        autogen_context.imports.add("import fieldapp.models")
        return "fieldapp.models.UTCDateTime()"
    return False


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
