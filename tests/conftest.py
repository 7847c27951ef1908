"""Shared fixtures: app, client, runner, a database per test run, factory fixtures, signed-in clients.

The same suite runs on SQLite (default) and on PostgreSQL when FIELDAPP_TEST_DATABASE_URL is set. The schema
is created once per run through the Alembic migrations; every test starts from empty tables.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from time import sleep
from typing import Any, TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from fieldapp import create_app, migrate, models
from fieldapp.db import make_engine
from fieldapp.models import Customer, DayPlan, DayPlanStop, Role, Team, User
from fieldapp.services import clock, followups, visits
from fieldapp.services import users as user_service
from fieldapp.services.day import planning, plans
from fieldapp.services.teams import zone
from fieldapp.services.text import customer_search_text

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct-horse-battery"

# scrypt at its production cost takes about 0.1 s per hash and per check; the suite creates and signs in
# thousands of users. Tests use the same algorithm and code path at a cheap cost (N = 1024); servers the
# tests start in their own process (gunicorn in the load and worker tests) keep the production cost.
user_service.HASH_METHOD = "scrypt:1024:8:1"
user_service.CURRENT_HASH_PREFIX = "scrypt:1024:8:1$"
user_service._DUMMY_HASH = user_service.hash_password("not-a-real-password")


def pytest_sessionstart(session: pytest.Session) -> None:
    # The planner's search is compiled once per machine (numba, cached in planner/__pycache__). Doing
    # it here keeps that half minute out of the tests that start the app as a subprocess with a
    # bounded wait (the demo server, the browser tests).
    import planner

    planner.warm_up()


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("FIELDAPP_TEST_DATABASE_URL")
    return f"fieldapp test database: {'PostgreSQL ' + url if url else 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("FIELDAPP_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, migrated once; fails loudly if PostgreSQL was asked for but is unreachable."""
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())
        return
    names = ", ".join(f'"{t.name}"' for t in tables)
    # TRUNCATE locks the tables one by one; another connection taking them in another order (a late
    # request of the last test's live server) makes PostgreSQL end one of the two. Ours is run again.
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        except OperationalError as error:
            if attempt == 2 or "deadlock detected" not in str(error):
                raise
            sleep(0.5)


@pytest.fixture
def app(engine: Engine, database_url: str, tmp_path) -> Iterator[Flask]:
    _empty_tables(engine)
    app = create_app(
        {
            "ENV": "test",
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": True,
            # iterations, not seconds: the same day gives the same plan on any machine
            "PLANNER_ITERATIONS": 60,
        }
    )
    app.instance_path = str(tmp_path)
    yield app
    app.extensions["fieldapp.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session for arranging and checking data directly (committed explicitly by factories).

    No app context stays pushed during a test: requests must each get their own `g`, as in production.
    """
    session = Session(app.extensions["fieldapp.engine"], expire_on_commit=False)
    yield session
    session.close()


_counter = itertools.count(1)
Row = TypeVar("Row", bound=SQLModel)


def saved(db: Session, row: Row) -> Row:
    """`row`, added and committed (what every factory ends with)."""
    db.add(row)
    db.commit()
    return row


@pytest.fixture
def make_team(db: Session) -> Callable[..., Team]:
    def make(**overrides: Any) -> Team:
        return saved(
            db, Team(**{"name": f"Team {next(_counter)}", "timezone": "Asia/Tokyo", **overrides})
        )

    return make


@pytest.fixture
def make_user(app: Flask, db: Session, make_team: Callable[..., Team]) -> Callable[..., User]:
    """make_user(role="manager", team=team, language="en", ...) → a committed user with PASSWORD."""

    def make(*, team: Team | None = None, role: str = Role.REP, **overrides: Any) -> User:
        team = team or make_team()
        n = next(_counter)
        fields = {"email": f"user{n}@example.com", "name": f"User {n}", **overrides}
        with app.test_request_context():
            user = user_service.create_user(
                db, team_id=team.id, password=PASSWORD, role=role, **fields
            )
        db.commit()
        return user

    return make


# Who make_people creates when not told: a rep, a colleague and a manager of one team, a user of another.
CAST: dict[str, dict[str, Any]] = {
    "rep": {},
    "colleague": {},
    "manager": {"role": Role.MANAGER},
    "outsider": {"team": "other"},
}


@pytest.fixture
def make_people(
    make_team: Callable[..., Team], make_user: Callable[..., User]
) -> Callable[..., dict[str, Any]]:
    """make_people(rep={"name": ...}, outsider={"team": "other"}, language="en") → {name: user, "team", "other_team"}.

    Each keyword names a person and gives make_user's fields; team="other" puts them in a second team.
    Without names: CAST. team= gives the first team's fields, language= everyone's language.
    """

    def make(
        *, team: dict[str, Any] | None = None, language: str | None = None, **cast: dict[str, Any]
    ) -> dict[str, Any]:
        teams = {"own": make_team(**(team or {}))}
        people: dict[str, Any] = {"team": teams["own"]}
        for name, spec in (cast or CAST).items():
            fields = {**({"language": language} if language else {}), **spec}
            which = fields.pop("team", "own")
            if which not in teams:
                teams[which] = make_team()
            people[name] = make_user(team=teams[which], **fields)
        people["other_team"] = teams.get("other")
        return people

    return make


@pytest.fixture
def make_customer(db: Session) -> Callable[..., Customer]:
    def make(*, team: Team | None = None, team_id: int | None = None, **overrides: Any) -> Customer:
        n = next(_counter)
        fields: dict[str, Any] = {
            "team_id": team_id or (team.id if team else None),
            "name": f"Customer {n}",
            "kana": "カスタマー",
            "external_code": f"X{n:05d}",
            "lat": 35.68,
            "lon": 139.76,
            **overrides,
        }
        fields["search_text"] = customer_search_text(
            fields["name"], fields.get("kana"), fields.get("phone"), fields.get("address")
        )
        return saved(db, Customer(**fields))

    return make


@pytest.fixture
def make_order_line(db: Session) -> Callable[..., models.OrderLine]:
    """make_order_line(customer=c, product=p, quantity=2) → an imported past order: what makes a product usual."""

    def make(*, customer: Customer, product: models.Product, **overrides: Any) -> models.OrderLine:
        fields: dict[str, Any] = {
            "ordered_on": date(2026, 10, 1),
            "quantity": 1,
            "unit_price": product.unit_price,
            "source": "imported",
            **overrides,
        }
        return saved(db, models.OrderLine(customer_id=customer.id, product_id=product.id, **fields))

    return make


@pytest.fixture
def make_busy_week(db: Session) -> Callable[..., list[models.BusyPeriod]]:
    """make_busy_week(customer=c, lunch="Lunch service", year_end="Year-end rush") → busy on weekday
    lunches (11:30–13:30, labelled `lunch`), closed every Wednesday, and with `year_end` 12/20–12/31."""

    def make(
        *, customer: Customer, lunch: str, year_end: str | None = None
    ) -> list[models.BusyPeriod]:
        weekly = {"customer_id": customer.id, "kind": "weekly"}
        periods = [
            models.BusyPeriod(**weekly, weekdays="01234", start_min=690, end_min=810, label=lunch),
            models.BusyPeriod(**weekly, weekdays="2"),
        ]
        if year_end:
            periods.append(
                models.BusyPeriod(
                    customer_id=customer.id,
                    kind="dates",
                    start_date=date(2026, 12, 20),
                    end_date=date(2026, 12, 31),
                    label=year_end,
                )
            )
        db.add_all(periods)
        db.commit()
        return periods

    return make


@pytest.fixture
def make_plan(app: Flask, db: Session) -> Callable[..., tuple[DayPlan, list[DayPlanStop]]]:
    """make_plan(rep=rep, customers=[...]) → (plan, stops): stored rows, one stop an hour from 10:00 local
    and back at 17:00 (first_hour=None: untimed stops, no return time).

    make_plan(rep=rep, generate=True) plans the day through the real bridge instead (PLANNER_ITERATIONS
    makes that repeatable). Other keywords are DayPlan fields (version, status, return_at, ...).
    """

    def make(
        *,
        rep: User,
        customers: Sequence[Customer] = (),
        day: date | None = None,
        first_hour: int | None = 10,
        lead_minutes: int = 5,
        states: dict[int, str] | None = None,
        reasons: bool = True,
        rows_reversed: bool = False,
        generate: bool = False,
        now: datetime | None = None,
        **overrides: Any,
    ) -> tuple[DayPlan, list[DayPlanStop]]:
        timezone = db.get(Team, rep.team_id).timezone
        day = day or clock.local_today(timezone)
        if generate:
            with app.test_request_context():
                plan = planning.generate_plan(
                    db,
                    actor=rep,
                    rep=rep,
                    day=day,
                    now=now or clock.now_utc(),
                    # the test config's fixed iteration count: the same plan on every run
                    options=planning.planner_options(app.config),
                )
            db.commit()
            return plan, plans.plan_stops(db, plan)
        fields: dict[str, Any] = {"rep_id": rep.id, "plan_date": day, "version": 3}
        if first_hour is not None:
            fields["return_at"] = _local(day, 17, timezone)
        plan = DayPlan(**{**fields, **overrides})
        db.add(plan)
        db.commit()
        stops = [
            _stop(plan, customer, i, timezone, first_hour, lead_minutes, reasons)
            for i, customer in enumerate(customers)
        ]
        for i, stop in enumerate(stops):
            stop.state = (states or {}).get(i, "planned")
        # Stored backwards on request, so a page has to follow the positions, not the row order.
        db.add_all(reversed(stops) if rows_reversed else stops)
        db.commit()
        return plan, stops

    return make


def _local(day: date, hour: int, timezone: str) -> datetime:
    """The UTC instant of `hour`:00 on `day` in the team's timezone."""
    return datetime.combine(day, time(hour), tzinfo=zone(timezone)).astimezone(UTC)


def _stop(
    plan: DayPlan,
    customer: Customer,
    i: int,
    timezone: str,
    first_hour: int | None,
    lead_minutes: int,
    reasons: bool,
) -> DayPlanStop:
    """The i-th stop of a stored plan: 30 minutes at first_hour + i local, or untimed without first_hour."""
    stop = DayPlanStop(day_plan_id=plan.id, customer_id=customer.id, position=i)
    if first_hour is not None:
        stop.start = _local(plan.plan_date, first_hour + i, timezone)
        stop.arrival = stop.start - timedelta(minutes=lead_minutes)
        stop.end = stop.start + timedelta(minutes=30)
    if reasons:
        stop.reasons = json.dumps([{"code": "rank", "rank": customer.rank}])
    return stop


@pytest.fixture
def make_visit(app: Flask, db: Session) -> Callable[..., models.Visit]:
    """make_visit(rep=rep, customer=customer, outcome="met", ...) → a visit logged through the real service."""

    def make(
        *, rep: User, customer: Customer, now: datetime | None = None, **fields: Any
    ) -> models.Visit:
        data = visits.VisitInput(**{"outcome": "met", **fields})
        with app.test_request_context():
            visit = visits.log_visit(
                db, actor=rep, customer_id=customer.id, data=data, now=now or clock.now_utc()
            )
        db.commit()
        return visit

    return make


@pytest.fixture
def make_followup(app: Flask, db: Session) -> Callable[..., models.FollowUp]:
    """make_followup(actor=rep, customer=customer, title="...", due_date=..., owner_id=...) → an open
    follow-up created through the real service; state= (and other FollowUp fields) are set afterwards."""

    def make(
        *,
        actor: User,
        customer: Customer,
        kind: str = "quote",
        title: str = "Send the quote",
        due_date: date | None = None,
        owner_id: int | None = None,
        now: datetime | None = None,
        **overrides: Any,
    ) -> models.FollowUp:
        data = followups.FollowUpInput(kind=kind, title=title, due_date=due_date, owner_id=owner_id)
        with app.test_request_context():
            followup = followups.create_followup(
                db, actor=actor, customer_id=customer.id, data=data, now=now or clock.now_utc()
            )
        for name, value in overrides.items():
            setattr(followup, name, value)
        db.commit()
        return followup

    return make


def login(client: FlaskClient, email: str, password: str = PASSWORD, **extra: Any):
    """Sign in through the real form, CSRF token included."""
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, **extra}
    )


def csrf_token(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[User], FlaskClient]:
    def sign_in(user: User) -> FlaskClient:
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


def aware(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


TODAY = date(2026, 11, 20)
