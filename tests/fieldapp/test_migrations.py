"""The Alembic migrations are the schema's source: they must agree with the models on this database."""

from fieldapp import migrate


def test_models_and_migrations_agree(engine):
    assert migrate.differences(engine) == []


def test_database_is_at_head(engine):
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config(str(engine.url)))
    assert migrate.current_revision(engine) == script.get_current_head()
