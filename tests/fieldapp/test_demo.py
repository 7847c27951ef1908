"""The demo data set: deterministic, realistic, and usable for signing in."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from fieldapp import demo, models
from fieldapp.models import BusyPeriod, Customer, OrderLine, Role, User, Visit
from fieldapp.services import users

TODAY = date(2026, 11, 20)
KANA = re.compile(r"^[\u30a0-\u30ff\u3040-\u309f ー]+$")


@pytest.fixture
def seeded(app, engine) -> Session:
    session = Session(app.extensions["fieldapp.engine"])
    demo.generate(session, customers=160, reps=4, managers=2, teams=2, seed=7, today=TODAY)
    session.commit()
    yield session
    session.close()


def _count(session: Session, model: type, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_counts_follow_parameters(seeded):
    assert _count(seeded, models.Team) == 2
    assert _count(seeded, User, User.role == Role.REP) == 4
    assert _count(seeded, User, User.role == Role.MANAGER) == 2
    assert _count(seeded, Customer) == 160
    assert _count(seeded, models.Product) >= 30
    assert _count(seeded, models.Contact) >= 160


def test_same_seed_same_data_and_other_seed_differs(app, engine):
    def snapshot(seed: int) -> tuple:
        from tests.conftest import _empty_tables

        _empty_tables(engine)
        with Session(engine) as session:
            demo.generate(
                session, customers=60, reps=2, managers=1, teams=1, seed=seed, today=TODAY
            )
            session.commit()
            customers = session.exec(
                select(Customer.name, Customer.lat, Customer.lon).order_by(Customer.id)
            ).all()
            return tuple(customers), _count(session, OrderLine), _count(session, Visit)

    first, second, other = snapshot(3), snapshot(3), snapshot(4)
    assert first == second
    assert first != other


def test_customers_are_realistic(seeded):
    customers = seeded.exec(select(Customer)).all()
    located = [c for c in customers if c.lat is not None]
    assert len(located) >= 0.95 * len(customers)
    for c in located:  # inside Tokyo's 23 wards, roughly
        assert 35.50 < c.lat < 35.85 and 139.55 < c.lon < 139.95
        assert c.location_source == "imported"
    assert all(c.needs_location for c in customers if c.lat is None)
    assert all(KANA.match(c.kana) for c in customers), "kana readings only in kana"
    assert all(c.address.startswith("東京都") for c in customers)
    assert {c.segment for c in customers} == {"restaurant", "clinic", "shop", "office", "factory"}
    assert {c.cadence_days for c in customers if c.rank == "A"} == {7}
    # search text lets the kana reading and the tags be found
    sample = customers[0]
    assert sample.search_text and sample.kana.replace(" ", "")[:2] not in ("",)


def test_busy_periods_fit_the_segment(seeded):
    restaurants = seeded.exec(select(Customer.id).where(Customer.segment == "restaurant")).all()
    assert restaurants
    for customer_id in restaurants:
        periods = seeded.exec(select(BusyPeriod).where(BusyPeriod.customer_id == customer_id)).all()
        lunch = [p for p in periods if p.label == "ランチ営業"]
        assert lunch and lunch[0].start_min == 11 * 60 + 30 and lunch[0].end_min == 13 * 60 + 30
        assert any(p.start_min is None and p.kind == "weekly" for p in periods), "a closed weekday"
    offices = seeded.exec(select(Customer.id).where(Customer.segment == "office")).all()
    for customer_id in offices:
        weekend = seeded.exec(
            select(BusyPeriod).where(
                BusyPeriod.customer_id == customer_id, BusyPeriod.weekdays == "56"
            )
        ).all()
        assert weekend


def test_every_rep_has_due_customers_today(seeded):
    for rep in seeded.exec(select(User).where(User.role == Role.REP)).all():
        assigned = _count(seeded, Customer, Customer.assigned_rep_id == rep.id)
        due = _count(
            seeded,
            Customer,
            Customer.assigned_rep_id == rep.id,
            (Customer.next_due_on <= TODAY) | (Customer.next_due_on.is_(None)),
        )
        assert assigned > 0
        assert 0.05 * assigned <= due <= 0.5 * assigned


def test_order_history_spans_two_years_and_respects_seasons(seeded):
    first, last = seeded.exec(
        select(func.min(OrderLine.ordered_on), func.max(OrderLine.ordered_on))
    ).one()
    assert (TODAY - first).days >= 700 and (TODAY - last).days <= 30
    for product in seeded.exec(
        select(models.Product).where(models.Product.season_months.is_not(None))
    ).all():
        months = {int(m) for m in product.season_months.split(",")}
        dates = seeded.exec(
            select(OrderLine.ordered_on).where(OrderLine.product_id == product.id)
        ).all()
        assert all(d.month in months for d in dates), product.code


def test_lost_customers_stopped_ordering(seeded):
    lost = seeded.exec(select(Customer.id).where(Customer.status == "lost")).all()
    for customer_id in lost:
        last = seeded.exec(
            select(func.max(OrderLine.ordered_on)).where(OrderLine.customer_id == customer_id)
        ).one()
        assert last is None or last < TODAY - timedelta(days=150)


def test_visits_have_notes_and_aware_times(seeded):
    visit = seeded.exec(
        select(Visit).where(Visit.status == "done", Visit.heard.is_not(None))
    ).first()
    assert visit.check_in_at.tzinfo is not None and visit.check_out_at > visit.check_in_at
    appointments = seeded.exec(select(Visit).where(Visit.is_appointment.is_(True))).all()
    assert appointments and all(a.scheduled_start.tzinfo for a in appointments)


def test_logins_work_and_are_described(app, seeded):
    summary = demo.describe_existing(seeded)
    emails = [login.email for login in summary.logins]
    assert emails[:2] == ["manager1@example.com", "manager2@example.com"]
    assert "rep1@example.com" in emails
    assert "160 customers" in summary.describe()
    with app.test_request_context():
        assert users.authenticate(seeded, email="rep1@example.com", password=demo.DEMO_PASSWORD)


def test_demo_command_loads_once_and_keeps_data(runner, db):
    first = runner.invoke(args=["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "rep1@example.com" in first.output and demo.DEMO_PASSWORD in first.output
    customers = _count(db, Customer)
    assert customers >= 400
    second = runner.invoke(args=["demo", "--no-serve"])
    assert second.exit_code == 0
    assert "Loading the demo data" not in second.output
    assert _count(db, Customer) == customers


def test_seed_refuses_a_database_with_users(runner, make_user):
    make_user()
    result = runner.invoke(args=["seed", "--customers", "10", "--reps", "1"])
    assert result.exit_code != 0
    assert "empty database" in result.output


def test_orders_taken_at_visits_are_linked(seeded):
    linked = seeded.exec(
        select(OrderLine, Visit)
        .join(Visit, OrderLine.visit_id == Visit.id)
        .where(OrderLine.visit_id.is_not(None))
    ).all()
    assert linked
    for line, visit in linked:
        assert visit.outcome == "order_taken" and visit.customer_id == line.customer_id


def test_clinic_visits_fall_in_the_midday_gap(seeded):
    visits = seeded.exec(
        select(Visit.check_in_at)
        .join(Customer, Visit.customer_id == Customer.id)
        .where(Customer.segment == "clinic", Visit.status == "done")
    ).all()
    assert visits
    assert all(12 <= v.astimezone(demo.TOKYO).hour < 15 for v in visits)


def test_a_leap_year_february_today_works(tmp_path):
    # Birthdays "coming up" from 20 Feb 2028 include 29 Feb, which most birth years lack.
    from fieldapp.db import make_engine
    from fieldapp.migrate import upgrade

    engine = make_engine("sqlite:///" + str(tmp_path / "leap.sqlite3"))
    upgrade(engine)
    with Session(engine) as session:
        demo.generate(session, customers=300, reps=2, managers=1, teams=1, today=date(2028, 2, 20))
        leap = session.exec(
            select(func.count())
            .select_from(models.Contact)
            .where(models.Contact.birthday.is_not(None))
        ).one()
    assert leap > 0


def test_demo_reports_of_the_last_working_days(app, seeded):
    from fieldapp.models import DailyReport

    with app.app_context():
        written = demo.submit_daily_reports(seeded, today=TODAY, seed=7)
        seeded.commit()
    reports = seeded.exec(select(DailyReport)).all()
    assert written == len(reports) > 0
    days = {r.report_date for r in reports}
    # Friday 20 Nov 2026: the three working days before it
    assert days == {date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)}
    # handed in: the oldest day mostly reviewed by the managers (see test_demo_makes_every_…)
    assert all(r.status in ("submitted", "reviewed") and "【訪問】" in r.body for r in reports)
    assert sum(r.report_date == date(2026, 11, 19) for r in reports) <= 4


def test_demo_makes_every_coaching_figure_non_trivial(app, seeded):
    """The dashboard, report review and cover pages have something to show on the demo data."""
    from fieldapp.demo import builder
    from fieldapp.models import DailyReport, RepAbsence, ReportComment, Team
    from fieldapp.services import team_dashboard

    with app.app_context():
        demo.submit_daily_reports(seeded, today=TODAY, seed=7)
        seeded.commit()
    with app.test_request_context():
        month = team_dashboard.make_period("month", today=TODAY)
        boards = [
            team_dashboard.build(seeded, team=team, period=month, today=TODAY)
            for team in seeded.exec(select(Team)).all()
        ]
    reps = [f for board in boards for f in board.reps]
    assert all(f.visits_done > 0 and f.planned > 0 for f in reps)
    assert all(0 < f.plan_done <= f.planned for f in reps)
    assert sum(f.skipped for f in reps) > 0 and sum(f.needs for f in reps) > 0
    assert sum(f.proposals for f in reps) > 0 and sum(f.order_lines for f in reps) > 0
    assert sum(f.order_lines_last_year for f in reps) > 0 and sum(f.at_risk for f in reps) > 0
    assert 0 < sum(f.followups_on_time for f in reps) < sum(f.followups_due for f in reps)
    assert all(sum(f.trend) > 0 for f in reps)

    # One rep per team is behind: several active customers well past their cadence (overdue by more
    # than a fifth of it), which the others' ordinary rhythm never gives.
    customers = seeded.exec(select(Customer).where(Customer.status == "active")).all()
    behind = builder.behind_reps(
        type("C", (), {"rep_id": c.assigned_rep_id, "team_id": c.team_id})() for c in customers
    )
    late: dict[int, int] = {}
    for c in customers:
        if c.next_due_on is not None and (TODAY - c.next_due_on).days > 0.2 * c.cadence_days + 1:
            late[c.assigned_rep_id] = late.get(c.assigned_rep_id, 0) + 1
    assert len(behind) == 2 and all(late.get(rep_id, 0) >= 3 for rep_id in behind)
    assert all(n == 0 for rep_id, n in late.items() if rep_id not in behind)
    by_rep = {f.rep.id: f for f in reps}
    assert all(
        sum(w for w, _t in by_rep[r].cadence.values())
        < sum(t for _w, t in by_rep[r].cadence.values())
        for r in behind
    )
    statuses = {r.status for r in seeded.exec(select(DailyReport)).all()}
    assert {"submitted", "reviewed"} <= statuses
    assert seeded.exec(select(func.count()).select_from(ReportComment)).one() > 0
    absence = seeded.exec(select(RepAbsence)).one()
    assert absence.absent_on == date(2026, 11, 23) and absence.covered_at is None
