"""The Alembic migrations are the schema's source: they must agree with the models on this database."""

import json

import sqlalchemy as sa
from alembic import command
from flask_babel import force_locale
from sqlmodel import Session

from fieldapp import migrate
from fieldapp.models import Customer, Team
from fieldapp.services.day.candidates import drop_text, warning_text


def test_models_and_migrations_agree(engine):
    assert migrate.differences(engine) == []


def test_database_is_at_head(engine):
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config(str(engine.url)))
    assert migrate.current_revision(engine) == script.get_current_head()


def test_reason_codes_migration_turns_sentences_into_codes_and_facts(tmp_path):
    """0002 rewrites old bilingual drop reasons and warnings; the rendering reads the result."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine, "0001")
    old_drops = {
        1: (
            "no_time_left",
            {
                "en": "busy until 18:00; no time left after the visits with higher value",
                "ja": "18:00まで…",
            },
        ),
        2: (
            "no_time_left",
            {
                "en": "can only be visited from 9:00 to 11:30; no time left after the visits with higher value",
                "ja": "…",
            },
        ),
        3: (
            "window_unreachable",
            {"en": "the appointment at 15:00 cannot be reached in time", "ja": "…"},
        ),
        4: ("closed", {"en": "closed on this day", "ja": "この日は定休日です"}),
        5: ("busy_all_day", {"en": "busy for the whole working day", "ja": "…"}),
        6: ("busy_all_day", {"en": "busy or closed for the whole working day", "ja": "…"}),
        7: ("removed", {"en": "removed by you", "ja": "手動で外しました"}),
        8: ("no_time_left", {"en": "no time left after the visits with higher value", "ja": "…"}),
        9: ("no_time_left", "not JSON at all"),
    }
    old_warnings = [
        {
            "code": "late_return",
            "en": "Back at 18:30, after the end of your working day",
            "ja": "…",
        },
        {
            "code": "busy_period",
            "en": "Sakura is busy at 12:00",
            "ja": "Sakuraは12:00は対応できません",
        },
        {
            "code": "note",
            "en": "road engine unreachable (URLError); used straight-line estimate",
            "ja": "…",
        },
        {"code": "note", "en": "OR-Tools found no solution", "ja": "OR-Tools found no solution"},
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO dayplan (id, rep_id, plan_date, status, total_value, travel_seconds,"
                " version, warnings) VALUES (1, 1, '2026-11-24', 'draft', 0, 0, 1, :w),"
                " (2, 1, '2026-11-25', 'draft', 0, 0, 1, NULL)"
            ),
            {"w": json.dumps(old_warnings, ensure_ascii=False)},
        )
        for drop_id, (code, detail) in old_drops.items():
            conn.execute(
                sa.text(
                    "INSERT INTO dayplandrop (id, day_plan_id, customer_id, value, reason_code,"
                    " reason_detail) VALUES (:id, 1, :id, 1.0, :code, :detail)"
                ),
                {
                    "id": drop_id,
                    "code": code,
                    "detail": detail
                    if isinstance(detail, str)
                    else json.dumps(detail, ensure_ascii=False),
                },
            )
    migrate.upgrade(engine, "0002_reason_codes")
    with engine.connect() as conn:
        details = dict(conn.execute(sa.text("SELECT id, reason_detail FROM dayplandrop")).all())
        warnings = dict(conn.execute(sa.text("SELECT id, warnings FROM dayplan")).all())
    facts = {k: None if v is None else json.loads(v) for k, v in details.items()}
    assert facts == {
        1: {"busy_until": 64800},
        2: {"window": [32400, 41400]},
        3: {"appointment": 54000},
        4: {"excluded": True},
        5: {"excluded": True},
        6: {},
        7: None,
        8: {},
        9: {},
    }
    assert json.loads(warnings[1]) == [
        {"code": "late_return", "at": 66600},
        {"code": "busy_period"},
        {"code": "road_engine_fallback"},
        {"code": "planner_note", "note": "OR-Tools found no solution"},
    ]
    assert warnings[2] is None
    # upgrading converted rows again changes nothing; the downgrade is a documented no-op
    config = migrate.alembic_config(str(engine.url))
    command.downgrade(config, "0001")
    assert dict(_drop_details(engine)) == details
    migrate.upgrade(engine, "0002_reason_codes")
    assert dict(_drop_details(engine)) == details


def _drop_details(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT id, reason_detail FROM dayplandrop")).all()


def test_converted_rows_render_in_both_languages(app):
    """What the migration leaves behind reads as a sentence in each language."""
    with app.test_request_context():
        with force_locale("ja"):
            assert drop_text("no_time_left", {"busy_until": 64800}).startswith("18:00まで対応不可")
            assert warning_text("late_return", {"code": "late_return", "at": 66600}, {}) == (
                "帰着が18:30になり、勤務時間を過ぎます"
            )
        with force_locale("en"):
            assert (
                drop_text("no_time_left", {}) == "no time left after the visits with higher value"
            )
            assert warning_text("busy_period", {"code": "busy_period"}, {}) == (
                "A visit falls into a busy period"
            )


def test_rank_due_index_gets_statistics_where_the_database_has_them(tmp_path):
    """0015 on an analyzed SQLite database analyzes its new index too (without statistics of its own
    SQLite took it for a very selective index and read every team list through it); a database that
    was never analyzed is left so."""
    analyzed = sa.create_engine(f"sqlite:///{tmp_path / 'analyzed.db'}")
    plain = sa.create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    for engine in (analyzed, plain):
        migrate.upgrade(engine, "0014_near_covering")
    with Session(analyzed) as session:  # 0015 adds an index only: the models fit 0014's tables
        team = Team(name="T")
        session.add(team)
        session.flush()
        session.add_all(Customer(team_id=team.id, name=f"C{i}") for i in range(3))
        session.commit()
    with analyzed.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    for engine in (analyzed, plain):
        migrate.upgrade(engine)

    with analyzed.connect() as connection:
        indexes = {row[0] for row in connection.exec_driver_sql("SELECT idx FROM sqlite_stat1")}
    assert "ix_customer_team_rank_due" in indexes
    with plain.connect() as connection:
        assert not connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).first()
