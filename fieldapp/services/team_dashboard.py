"""Team dashboard: how each rep works the *process* over a period, and the records behind every figure.

Per rep: visits made against stops planned, the share of planned stops done (skipped ones with their
reasons), customers within their visit cadence by rank, needs heard and proposals made (visit notes), follow-ups
due in the period closed on time, order lines and sales against the same period a year before, and customers
at risk. Every figure is one grouped SQL query for the whole team (never a query per rep), so a team of 50
costs what a team of 5 does; the weekly trend is one query with a bucket per week.

Times: visits are counted on the local day they happened (the team's timezone), plans and orders by their
dates. "Within cadence" is the customers' state as of today (`next_due_on` is kept current), not a history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, literal
from sqlmodel import Session, select

from ..errors import NotFound, ValidationError
from ..models import (
    Customer,
    CustomerStatus,
    DayPlan,
    DayPlanStop,
    FollowUp,
    FollowUpState,
    OrderLine,
    Product,
    Rank,
    Role,
    Team,
    User,
    Visit,
    VisitStatus,
)
from .day.candidates import local_day_bounds

PERIODS = ("week", "month", "quarter", "custom")
MAX_CUSTOM_DAYS = 366
TREND_WEEKS = 12
DRILL_LIMIT = 500
RANKS = tuple(r.value for r in Rank)
# Customers at risk (the simple rule; see at_risk_customers): ordering this many times the usual gap late.
RISK_GAP_FACTOR = 2.0
RISK_MIN_ORDERS = 3
RISK_MIN_DAYS = 14
# The order rhythm is read from the last year only: older habits say little, and it keeps the query small.
RISK_HISTORY_DAYS = 365

# When a visit happened: a done one by its check-in (else check-out), a skipped one by its planned time.
DONE_AT = func.coalesce(Visit.check_in_at, Visit.check_out_at, Visit.created_at)
SKIPPED_AT = func.coalesce(Visit.scheduled_start, Visit.updated_at)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def last_year(self) -> Period:
        return Period(self.kind, _year_back(self.start), _year_back(self.end))


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def make_period(
    kind: str,
    *,
    today: date,
    anchor: date | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Period:
    """The week (Monday on), month or quarter holding `anchor` (default today), or a custom range."""
    if kind not in PERIODS:
        kind = "week"
    day = anchor or today
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1))
    if kind == "quarter":
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        following = (first + timedelta(days=95)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1))
    if start is None or end is None:
        raise ValidationError(_("Please give the first and the last day."))
    if end < start:
        raise ValidationError(_("The last day is before the first day."))
    if (end - start).days + 1 > MAX_CUSTOM_DAYS:
        raise ValidationError(_("A period can be at most %(n)d days.", n=MAX_CUSTOM_DAYS))
    return Period(kind, start, end)


def _bounds(period: Period, timezone: str) -> tuple[datetime, datetime]:
    return local_day_bounds(period.start, timezone)[0], local_day_bounds(period.end, timezone)[1]


def _count_if(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _filled(column: Any) -> Any:
    """A visit-note field with words in it (not NULL, not blank)."""
    return and_(column.is_not(None), func.length(func.trim(column)) > 0)


# --- figures ----------------------------------------------------------------------------------------


@dataclass
class RepFigures:
    rep: User
    visits_done: int = 0
    planned: int = 0
    plan_done: int = 0
    skipped: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    needs: int = 0
    proposals: int = 0
    cadence: dict[str, tuple[int, int]] = field(default_factory=dict)  # rank → (within, total)
    followups_due: int = 0
    followups_on_time: int = 0
    order_lines: int = 0
    sales: int = 0
    order_lines_last_year: int = 0
    sales_last_year: int = 0
    at_risk: int = 0
    trend: list[int] = field(default_factory=list)

    @property
    def plan_kept(self) -> float | None:
        """Share of planned stops done (None without a plan)."""
        return self.plan_done / self.planned if self.planned else None

    @property
    def sales_change(self) -> float | None:
        if not self.sales_last_year:
            return None
        return (self.sales - self.sales_last_year) / self.sales_last_year


@dataclass
class Dashboard:
    period: Period
    today: date
    reps: list[RepFigures]
    weeks: list[date]  # the Mondays of the trend
    totals: RepFigures


def team_reps(session: Session, *, team_id: int) -> list[User]:
    return list(
        session.exec(
            select(User)
            .where(User.team_id == team_id, User.role == Role.REP, User.active.is_(True))
            .order_by(User.name)
        )
    )


def build(session: Session, *, team: Team, period: Period, today: date) -> Dashboard:
    """The page model: every figure for every active rep of the team, in a fixed number of queries."""
    reps = team_reps(session, team_id=team.id)
    figures = {r.id: RepFigures(r) for r in reps}
    ids = list(figures)
    weeks = _trend_weeks(period)
    if ids:
        _visits(session, figures, ids, period, team.timezone)
        _skips(session, figures, ids, period, team.timezone)
        _plans(session, figures, ids, period)
        _cadence(session, figures, ids, team.id, today)
        _followups(session, figures, ids, period, team.timezone)
        _orders(session, figures, ids, period, last_year=False)
        _orders(session, figures, ids, period.last_year(), last_year=True)
        for rep_id, customers in at_risk_customers(session, team_id=team.id, today=today).items():
            if rep_id in figures:
                figures[rep_id].at_risk = len(customers)
        _trend(session, figures, ids, weeks, team.timezone)
    rows = list(figures.values())
    return Dashboard(period, today, rows, weeks, _sum(rows, len(weeks)))


def _visits(session, figures, ids, period, timezone) -> None:
    start, end = _bounds(period, timezone)
    stmt = (
        select(
            Visit.rep_id,
            func.count(Visit.id),
            _count_if(_filled(Visit.needs)),
            _count_if(_filled(Visit.proposals)),
        )
        .where(
            Visit.rep_id.in_(ids),
            Visit.status == VisitStatus.DONE,
            start <= DONE_AT,
            end > DONE_AT,
        )
        .group_by(Visit.rep_id)
    )
    for rep_id, done, needs, proposals in session.exec(stmt):
        f = figures[rep_id]
        f.visits_done, f.needs, f.proposals = int(done), int(needs or 0), int(proposals or 0)


def _skips(session, figures, ids, period, timezone) -> None:
    start, end = _bounds(period, timezone)
    stmt = (
        select(Visit.rep_id, Visit.skip_reason, func.count(Visit.id))
        .where(
            Visit.rep_id.in_(ids),
            Visit.status == VisitStatus.SKIPPED,
            start <= SKIPPED_AT,
            end > SKIPPED_AT,
        )
        .group_by(Visit.rep_id, Visit.skip_reason)
    )
    for rep_id, reason, n in session.exec(stmt):
        f = figures[rep_id]
        f.skipped += int(n)
        key = reason or "other"
        f.skip_reasons[key] = f.skip_reasons.get(key, 0) + int(n)


def _plans(session, figures, ids, period) -> None:
    stmt = (
        select(
            DayPlan.rep_id,
            func.count(DayPlanStop.id),
            _count_if(DayPlanStop.state == VisitStatus.DONE),
        )
        .join(DayPlanStop, DayPlanStop.day_plan_id == DayPlan.id)
        .where(
            DayPlan.rep_id.in_(ids),
            DayPlan.plan_date >= period.start,
            DayPlan.plan_date <= period.end,
        )
        .group_by(DayPlan.rep_id)
    )
    for rep_id, planned, done in session.exec(stmt):
        figures[rep_id].planned, figures[rep_id].plan_done = int(planned), int(done or 0)


def _within_cadence(today: date) -> Any:
    """Visited recently enough: due today or later (a customer never visited is not within)."""
    return and_(Customer.next_due_on.is_not(None), Customer.next_due_on >= today)


def _cadence(session, figures, ids, team_id, today) -> None:
    stmt = (
        select(
            Customer.assigned_rep_id,
            Customer.rank,
            func.count(Customer.id),
            _count_if(_within_cadence(today)),
        )
        .where(
            Customer.team_id == team_id,
            Customer.assigned_rep_id.in_(ids),
            Customer.status != CustomerStatus.LOST,
        )
        .group_by(Customer.assigned_rep_id, Customer.rank)
    )
    for rep_id, rank, total, within in session.exec(stmt):
        figures[rep_id].cadence[rank] = (int(within or 0), int(total))


def _followups(session, figures, ids, period, timezone) -> None:
    """Follow-ups due in the period; on time = done by the end of the due day (local)."""
    stmt = select(FollowUp.owner_id, FollowUp.due_date, FollowUp.state, FollowUp.closed_at).where(
        FollowUp.owner_id.in_(ids),
        FollowUp.due_date >= period.start,
        FollowUp.due_date <= period.end,
        FollowUp.state != FollowUpState.CANCELLED,
    )
    for owner_id, due, state, closed_at in session.exec(stmt):
        f = figures[owner_id]
        f.followups_due += 1
        if _on_time(due, state, closed_at, timezone):
            f.followups_on_time += 1


def _on_time(due: date, state: str, closed_at: datetime | None, timezone: str) -> bool:
    return (
        state == FollowUpState.DONE
        and closed_at is not None
        and closed_at < local_day_bounds(due, timezone)[1]
    )


def _order_rep() -> Any:
    """Whose sale an order line is: the rep of its visit, else the customer's rep."""
    return func.coalesce(Visit.rep_id, Customer.assigned_rep_id)


def _orders(session, figures, ids, period, *, last_year: bool) -> None:
    rep = _order_rep()
    stmt = (
        select(rep, func.count(OrderLine.id), func.sum(OrderLine.quantity * OrderLine.unit_price))
        .select_from(OrderLine)
        .join(Customer, Customer.id == OrderLine.customer_id)
        .outerjoin(Visit, Visit.id == OrderLine.visit_id)
        .where(
            rep.in_(ids),
            OrderLine.ordered_on >= period.start,
            OrderLine.ordered_on <= period.end,
        )
        .group_by(rep)
    )
    for rep_id, lines, sales in session.exec(stmt):
        f = figures[rep_id]
        if last_year:
            f.order_lines_last_year, f.sales_last_year = int(lines), int(sales or 0)
        else:
            f.order_lines, f.sales = int(lines), int(sales or 0)


def _trend_weeks(period: Period) -> list[date]:
    """Mondays of the weeks the trend shows: the period's weeks, at least TREND_WEEKS up to its end."""
    last = period.end - timedelta(days=period.end.weekday())
    first = period.start - timedelta(days=period.start.weekday())
    count = max(TREND_WEEKS, (last - first).days // 7 + 1)
    return [last - timedelta(weeks=count - 1 - i) for i in range(count)]


def _trend(session, figures, ids, weeks, timezone) -> None:
    """Visits done per rep and week: one grouped query with one CASE bucket per week."""
    edges = [local_day_bounds(w, timezone)[0] for w in weeks]
    edges.append(local_day_bounds(weeks[-1] + timedelta(days=7), timezone)[0])
    buckets = [
        _count_if(and_(edges[i] <= DONE_AT, edges[i + 1] > DONE_AT)) for i in range(len(weeks))
    ]
    stmt = (
        select(Visit.rep_id, *buckets)
        .where(
            Visit.rep_id.in_(ids),
            Visit.status == VisitStatus.DONE,
            edges[0] <= DONE_AT,
            edges[-1] > DONE_AT,
        )
        .group_by(Visit.rep_id)
    )
    for f in figures.values():
        f.trend = [0] * len(weeks)
    for rep_id, *counts in session.exec(stmt):
        figures[rep_id].trend = [int(c or 0) for c in counts]


def _sum(rows: list[RepFigures], weeks: int) -> RepFigures:
    total = RepFigures(rep=None)  # type: ignore[arg-type]
    total.trend = [0] * weeks
    for r in rows:
        for name in (
            "visits_done",
            "planned",
            "plan_done",
            "skipped",
            "needs",
            "proposals",
            "followups_due",
            "followups_on_time",
            "order_lines",
            "sales",
            "order_lines_last_year",
            "sales_last_year",
            "at_risk",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        for key, n in r.skip_reasons.items():
            total.skip_reasons[key] = total.skip_reasons.get(key, 0) + n
        for rank, (within, count) in r.cadence.items():
            w0, c0 = total.cadence.get(rank, (0, 0))
            total.cadence[rank] = (w0 + within, c0 + count)
        total.trend = [a + b for a, b in zip(total.trend, r.trend, strict=True)]
    return total


# --- customers at risk (one function, so a richer engine can replace it) ----------------------------


@dataclass(frozen=True)
class AtRisk:
    customer: Customer
    reason: str  # "status" (marked at risk) or "order_gap"
    last_order: date | None = None
    usual_gap_days: int | None = None


def at_risk_customers(session: Session, *, team_id: int, today: date) -> dict[int, list[AtRisk]]:
    """Customers at risk by rep: marked at risk, or ordering much later than they usually do.

    The order rule: a customer with at least RISK_MIN_ORDERS order days in the last year whose time since
    the last order is over RISK_GAP_FACTOR times their average gap between orders (and at least
    RISK_MIN_DAYS). One grouped query over the order lines; the richer risk engine (fieldapp/insights)
    can replace this.
    """
    days = func.count(func.distinct(OrderLine.ordered_on))
    team_customers = select(Customer.id).where(Customer.team_id == team_id)
    history = (
        select(
            OrderLine.customer_id,
            func.min(OrderLine.ordered_on),
            func.max(OrderLine.ordered_on),
            days,
        )
        # IN, not a join: each customer's order days come from the (customer, day) index alone
        .where(
            OrderLine.customer_id.in_(team_customers),
            OrderLine.ordered_on > today - timedelta(days=RISK_HISTORY_DAYS),
            OrderLine.ordered_on <= today,
        )
        .group_by(OrderLine.customer_id)
    )
    late: dict[int, tuple[date, int]] = {}
    for customer_id, first, last, n in session.exec(history):
        if n < RISK_MIN_ORDERS:
            continue
        gap = (last - first).days / (n - 1)
        waited = (today - last).days
        if waited >= RISK_MIN_DAYS and waited > RISK_GAP_FACTOR * gap:
            late[customer_id] = (last, round(gap))
    condition = Customer.status == CustomerStatus.AT_RISK
    if late:
        condition = condition | Customer.id.in_(list(late))
    stmt = (
        select(Customer)
        .where(
            Customer.team_id == team_id,
            Customer.status != CustomerStatus.LOST,
            Customer.assigned_rep_id.is_not(None),
            condition,
        )
        .order_by(Customer.name)
    )
    out: dict[int, list[AtRisk]] = defaultdict(list)
    for customer in session.exec(stmt):
        if customer.id in late:
            last, gap = late[customer.id]
            out[customer.assigned_rep_id].append(AtRisk(customer, "order_gap", last, gap))
        else:
            out[customer.assigned_rep_id].append(AtRisk(customer, "status"))
    return dict(out)


# --- drill-down: the records behind a figure --------------------------------------------------------

DRILLS = (
    "visits",  # visits done
    "needs",
    "proposals",
    "skipped",
    "planned",  # plan stops
    "cadence",  # customers within cadence (optionally one rank)
    "overdue",  # customers not within cadence
    "followups",  # follow-ups due in the period
    "followups_late",  # of those, not closed on time
    "orders",
    "orders_last_year",
    "at_risk",
)


@dataclass
class Drill:
    figure: str
    rep: User
    period: Period
    visits: list[tuple[Visit, Customer]] = field(default_factory=list)
    stops: list[tuple[DayPlanStop, DayPlan, Customer]] = field(default_factory=list)
    customers: list[tuple[Customer, Any]] = field(default_factory=list)
    followups: list[tuple[FollowUp, Customer, bool]] = field(default_factory=list)
    orders: list[tuple[OrderLine, Product, Customer]] = field(default_factory=list)
    truncated: bool = False

    @property
    def count(self) -> int:
        return len(self.visits or self.stops or self.customers or self.followups or self.orders)


def team_rep(session: Session, *, team_id: int, rep_id: int) -> User:
    """A rep of the manager's team (another team's or unknown: not found)."""
    rep = session.get(User, rep_id)
    if rep is None or rep.team_id != team_id:
        raise NotFound(_("Unknown rep."))
    return rep


def drill(
    session: Session,
    *,
    team: Team,
    rep_id: int,
    figure: str,
    period: Period,
    today: date,
    rank: str | None = None,
) -> Drill:
    """The visits, stops, customers, follow-ups or order lines behind one figure of one rep."""
    if figure not in DRILLS:
        raise NotFound(_("Unknown figure."))
    rep = team_rep(session, team_id=team.id, rep_id=rep_id)
    out = Drill(figure, rep, period)
    limit = DRILL_LIMIT + 1
    if figure in ("visits", "needs", "proposals", "skipped"):
        start, end = _bounds(period, team.timezone)
        when = SKIPPED_AT if figure == "skipped" else DONE_AT
        status = VisitStatus.SKIPPED if figure == "skipped" else VisitStatus.DONE
        stmt = (
            select(Visit, Customer)
            .join(Customer, Customer.id == Visit.customer_id)
            .where(Visit.rep_id == rep.id, Visit.status == status, when >= start, when < end)
        )
        if figure == "needs":
            stmt = stmt.where(_filled(Visit.needs))
        elif figure == "proposals":
            stmt = stmt.where(_filled(Visit.proposals))
        out.visits = list(session.exec(stmt.order_by(when.desc(), Visit.id).limit(limit)).all())
    elif figure == "planned":
        stmt = (
            select(DayPlanStop, DayPlan, Customer)
            .join(DayPlan, DayPlan.id == DayPlanStop.day_plan_id)
            .join(Customer, Customer.id == DayPlanStop.customer_id)
            .where(
                DayPlan.rep_id == rep.id,
                DayPlan.plan_date >= period.start,
                DayPlan.plan_date <= period.end,
            )
            .order_by(DayPlan.plan_date.desc(), DayPlanStop.position)
            .limit(limit)
        )
        out.stops = list(session.exec(stmt).all())
    elif figure in ("cadence", "overdue"):
        within = _within_cadence(today)
        stmt = select(Customer).where(
            Customer.team_id == team.id,
            Customer.assigned_rep_id == rep.id,
            Customer.status != CustomerStatus.LOST,
            within if figure == "cadence" else ~within,
        )
        if rank in RANKS:
            stmt = stmt.where(Customer.rank == rank)
        rows = session.exec(stmt.order_by(Customer.next_due_on, Customer.name).limit(limit))
        out.customers = [(c, c.next_due_on) for c in rows]
    elif figure == "at_risk":
        risky = at_risk_customers(session, team_id=team.id, today=today).get(rep.id, [])
        out.customers = [(r.customer, r) for r in risky][:limit]
    elif figure in ("followups", "followups_late"):
        stmt = (
            select(FollowUp, Customer)
            .join(Customer, Customer.id == FollowUp.customer_id)
            .where(
                FollowUp.owner_id == rep.id,
                FollowUp.due_date >= period.start,
                FollowUp.due_date <= period.end,
                FollowUp.state != FollowUpState.CANCELLED,
            )
            .order_by(FollowUp.due_date, FollowUp.id)
        )
        rows = [
            (fu, c, _on_time(fu.due_date, fu.state, fu.closed_at, team.timezone))
            for fu, c in session.exec(stmt)
        ]
        if figure == "followups_late":
            rows = [row for row in rows if not row[2]]
        out.followups = rows[:limit]
    else:  # orders, orders_last_year
        which = period.last_year() if figure == "orders_last_year" else period
        rep_expr = _order_rep()
        stmt = (
            select(OrderLine, Product, Customer)
            .join(Customer, Customer.id == OrderLine.customer_id)
            .join(Product, Product.id == OrderLine.product_id)
            .outerjoin(Visit, Visit.id == OrderLine.visit_id)
            .where(
                rep_expr == literal(rep.id),
                OrderLine.ordered_on >= which.start,
                OrderLine.ordered_on <= which.end,
            )
            .order_by(OrderLine.ordered_on.desc(), OrderLine.id)
            .limit(limit)
        )
        out.orders = list(session.exec(stmt).all())
    for name in ("visits", "stops", "customers", "followups", "orders"):
        rows = getattr(out, name)
        if len(rows) > DRILL_LIMIT:
            setattr(out, name, rows[:DRILL_LIMIT])
            out.truncated = True
    return out
