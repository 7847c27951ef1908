"""Deterministic, realistic demo data: teams in Tokyo, reps and managers, customers with busy periods,
contacts, a product catalog, two years of order history from each customer's own behaviour, past visits
with notes, follow-ups and appointments.

`generate()` fills an empty, migrated database (it flushes; the caller commits). The same seed and `today`
always give the same data. Bulk rows go through Core inserts so 20,000 customers and 500 reps stay well
under a minute.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from .. import search_index
from ..models import Customer, OrderLine, Product, Role, Team, User, Visit
from .builder import DEMO_PASSWORD, TOKYO, Builder, DemoLogin, weekday_on_or_before
from .names import COACH_COMMENTS

__all__ = [
    "DEMO_PASSWORD",
    "TOKYO",
    "DemoLogin",
    "DemoSummary",
    "describe_existing",
    "generate",
    "submit_daily_reports",
]

# --- summary -------------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    logins: list[DemoLogin]
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """One line: how much data there is."""
        c = self.counts
        return (
            f"{c.get('teams', 0):,} teams, {c.get('users', 0):,} users, {c.get('customers', 0):,} customers, "
            f"{c.get('products', 0):,} products, {c.get('order_lines', 0):,} order lines, "
            f"{c.get('visits', 0):,} visits"
        )


def describe_existing(session: Session) -> DemoSummary:
    """Logins and counts of an already-seeded database (demo users share DEMO_PASSWORD)."""
    teams = {t.id: t.name for t in session.exec(select(Team))}
    users = session.exec(select(User).order_by(User.role.desc(), User.id)).all()
    logins = [
        DemoLogin(u.email, u.role, teams.get(u.team_id, ""), u.name) for u in users if u.active
    ]
    return DemoSummary(logins=_login_order(logins), counts=_counts(session))


def _login_order(logins: list[DemoLogin]) -> list[DemoLogin]:
    order = {Role.ADMIN: 0, Role.MANAGER: 1, Role.REP: 2}
    return sorted(logins, key=lambda login: (order.get(login.role, 3), _email_number(login.email)))


def _email_number(email: str) -> tuple[str, int]:
    local = email.split("@")[0]
    digits = "".join(ch for ch in local if ch.isdigit())
    return (local.rstrip("0123456789"), int(digits) if digits else 0)


def _counts(session: Session) -> dict[str, int]:
    def count(model: type) -> int:
        return session.exec(select(func.count()).select_from(model)).one()

    return {
        "teams": count(Team),
        "users": count(User),
        "customers": count(Customer),
        "products": count(Product),
        "order_lines": count(OrderLine),
        "visits": count(Visit),
    }


# --- generation ----------------------------------------------------------------------------------


def generate(
    session: Session,
    *,
    customers: int = 420,
    reps: int = 8,
    managers: int = 2,
    teams: int = 2,
    seed: int = 42,
    today: date | None = None,
) -> DemoSummary:
    """Fill an empty database with a believable sales organisation; flushes, the caller commits."""
    if min(customers, reps, teams) < 1 or managers < 0:
        raise ValueError("customers, reps and teams must be at least 1")
    today = today or datetime.now(TOKYO).date()
    rng = random.Random(seed)
    builder = Builder(session, rng, today)
    team_rows = builder.teams(teams)
    staff = builder.users(team_rows, reps=reps, managers=managers)
    products = builder.products()
    search_index.pause(session.connection())  # documents built once at the end, not per row
    customer_rows = builder.customers(team_rows, staff, customers)
    builder.busy_periods(customer_rows)
    builder.contacts(customer_rows)
    builder.orders(customer_rows, products)
    builder.visits(customer_rows, products)
    builder.followups(customer_rows)
    builder.appointments(customer_rows, staff)
    builder.past_plans()
    builder.absences(staff)
    session.flush()
    search_index.resume(session.connection())
    return DemoSummary(logins=_login_order(builder.logins), counts=_counts(session))


DEMO_REPORT_DAYS = 3  # working days of submitted daily reports
DEMO_REPORT_REPS = 40  # above this (benchmark data sets) no reports are drafted


def submit_daily_reports(session: Session, *, today: date | None = None, seed: int = 42) -> int:
    """Submitted daily reports (日報) of the last working days, drafted from the generated visits, so
    managers open a filled report list; on the last day some reps have not handed theirs in yet.

    Separate from `generate()` because drafting goes through the reports service (the very text a rep
    gets), which needs the app's translations: the CLI calls it inside the app context. Benchmark data
    sets of hundreds of reps skip it (drafting is per rep and day). Returns the number of reports.
    """
    from ..services import reports  # Flask-Babel lives there; generate() itself stays app-free

    today = today or datetime.now(TOKYO).date()
    rng = random.Random(seed)
    all_reps = list(
        session.exec(select(User).where(User.role == Role.REP, User.active).order_by(User.id))
    )
    if not all_reps or len(all_reps) > DEMO_REPORT_REPS:
        return 0
    days = [weekday_on_or_before(today - timedelta(days=1))]
    for _ in range(DEMO_REPORT_DAYS - 1):
        days.append(weekday_on_or_before(days[-1] - timedelta(days=1)))
    written = 0
    for day in sorted(days):
        for rep in all_reps:
            if day == days[0] and rng.random() < 0.25:
                continue  # not handed in yet: listed under "no report yet" for the managers
            evening = datetime.combine(day, time(18, 30), tzinfo=TOKYO).astimezone(UTC)
            draft = reports.editing(session, actor=rep, day=day, lang="ja").body
            reports.save(session, actor=rep, day=day, body=draft, version=0, now=evening,
                         submit=True, lang="ja")  # fmt: skip
            written += 1
    session.flush()
    _review_some(session, rng, sorted(days))
    return written


def _review_some(session: Session, rng: random.Random, days: list[date]) -> None:
    """The managers' side of the demo: the oldest day mostly reviewed, some with a comment (上長コメント),
    the middle day commented here and there, the latest day still waiting for review."""
    from ..models import DailyReport
    from ..services import report_review

    managers: dict[int, User] = {}
    for manager in session.exec(
        select(User).where(User.role == Role.MANAGER, User.active).order_by(User.id)
    ):
        managers.setdefault(manager.team_id, manager)
    rows = session.exec(
        select(DailyReport, User)
        .join(User, User.id == DailyReport.rep_id)
        .where(DailyReport.report_date.in_(days[:-1]))
        .order_by(DailyReport.report_date, DailyReport.id)
    ).all()
    for report, rep in rows:
        manager = managers.get(rep.team_id)
        if manager is None:
            continue
        morning = datetime.combine(
            report.report_date + timedelta(days=1), time(8, 40), tzinfo=TOKYO
        )
        now = morning.astimezone(UTC)
        oldest = report.report_date == days[0]
        if rng.random() < (0.6 if oldest else 0.3):
            report_review.add_comment(
                session,
                actor=manager,
                report_id=report.id,
                body=rng.choice(COACH_COMMENTS),
                now=now,
            )
        if oldest and rng.random() < 0.8:
            report_review.mark_reviewed(session, actor=manager, report_id=report.id, now=now)
    session.flush()
