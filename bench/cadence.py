"""Four weeks of work on a seeded company: day-by-day planning against week planning (not a test: it
prints numbers, no pass/fail).

    python bench/cadence.py --weeks 4 --seed 1

The demo generator makes the company (8 reps, 420 customers with busy hours, closed days and busy seasons
such as 年末繁忙 12/20–12/31), starting on --start (a Monday; default 2026-12-07, so the year-end season
falls inside the four weeks). Each rep also gets two appointments a week, booked ahead. Then, twice on the
same data, every working day every rep plans in the morning and works through the plan:

  day   "Plan my day" each morning (planning.generate_plan, the app's day planner);
  week  "Plan my week" each morning (planning.plan_week over the next 5 working days, look-ahead
        candidates included) and the rep follows that day's route.

A seeded share of stops is skipped (the same customer on the same day is skipped under both policies;
appointments are always kept). A visit done moves the customer's due date by its cadence, as in the app.

Printed per policy: share of customers (active and at risk) within their cadence by rank and overall,
overdue customer-days, visits inside a busy period or on a closed day, broken appointments, travel
minutes per visit, planner seconds per rep-week; then Plan-my-week latency for one rep's 5 days; the
last line is the JSON of the issue.

Definitions. A due date inside a busy season or on a closed day cannot be kept to the day: the deadline is
the last working day on or before the due date on which the customer is open (if there is none at least
half a cadence after the last visit, the first open working day after the due date: the visit just before
the closed stretch was the one for it). An appointment booked for a day after that, within a cadence of
the due date, is the deadline (the customer agreed to that day). A customer is overdue on a working day
after its deadline.
Customers with no position are never planned (the app lists them as "no location") and not measured. "Within cadence": never overdue on a working day from the second week on (the first
week clears the backlog both policies inherit from the generated history); overdue customer-days count
every working day.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("FIELDAPP_ENV", "development")

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

import planner  # noqa: E402
from fieldapp import create_app, demo, migrate  # noqa: E402
from fieldapp.db import make_engine  # noqa: E402
from fieldapp.models import BusyPeriod, Customer, CustomerStatus, Role, User, Visit, VisitStatus  # noqa: E402
from fieldapp.services import busy  # noqa: E402
from fieldapp.services.day import planning  # noqa: E402
from fieldapp.services.day.plans import plan_stops  # noqa: E402

TOKYO = ZoneInfo("Asia/Tokyo")
RANKS = ("A", "B", "C")
MEASURED = (CustomerStatus.ACTIVE, CustomerStatus.AT_RISK)
APPOINTMENT_KINDS = ("office", "factory", "clinic")
console = Console(stderr=True)


@dataclass
class Stop:
    customer_id: int
    start: int  # seconds after local midnight
    end: int
    appointment_visit: int | None


@dataclass
class Tally:
    visits: int = 0
    travel_seconds: int = 0
    busy_visits: int = 0
    agreed_in_busy: int = 0
    planner_seconds: float = 0.0
    overdue_days: int = 0
    late_customers: set[int] = field(default_factory=set)
    # late under the first rule (any open day after the last visit is a deadline, appointments do
    # not count), for comparison
    late_next_day_rule: set[int] = field(default_factory=set)
    skipped: dict[int, list[date]] = field(default_factory=lambda: defaultdict(list))
    # why each late customer first became late: skipped (a stop of it was skipped in the week before),
    # closed (its due date was not an open working day, the deadline came earlier), or not planned
    late_why: dict[int, str] = field(default_factory=dict)


def local(day: date, seconds: int) -> datetime:
    return (
        datetime.combine(day, datetime.min.time(), tzinfo=TOKYO) + timedelta(seconds=seconds)
    ).astimezone(UTC)


def seeded(seed: int, *parts: object) -> float:
    """A repeatable draw in [0, 1) for these parts (the same under both policies)."""
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def working_days(start: date, weeks: int) -> list[date]:
    days = [start + timedelta(days=i) for i in range(weeks * 7)]
    return [d for d in days if d.weekday() < 5]


class Company:
    """The customers' busy periods and the reps' hours, read once (they do not change in the run)."""

    def __init__(self, session: Session) -> None:
        self.reps = list(session.exec(select(User).where(User.role == Role.REP).order_by(User.id)))
        self.customers = {c.id: c for c in session.exec(select(Customer))}
        self.periods: dict[int, list[BusyPeriod]] = defaultdict(list)
        for p in session.exec(select(BusyPeriod)):
            self.periods[p.customer_id].append(p)
        self.hours = {r.id: (r.work_start_min, r.work_end_min) for r in self.reps}
        # the days of the appointments booked ahead, per customer
        self.appointments: dict[int, list[date]] = defaultdict(list)
        booked = session.exec(
            select(Visit).where(Visit.status == VisitStatus.PLANNED, Visit.is_appointment)
        )
        for visit in booked:
            self.appointments[visit.customer_id].append(
                visit.scheduled_start.astimezone(TOKYO).date()
            )
        for days in self.appointments.values():
            days.sort()

    def open_on(self, customer: Customer, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        windows = busy.busy_windows_on(self.periods[customer.id], day)
        work = self.hours.get(customer.assigned_rep_id, (540, 1080))
        return not any(s <= work[0] and e >= work[1] for s, e in windows)

    def busy_at(self, customer_id: int, day: date, start: int, end: int) -> bool:
        windows = busy.busy_windows_on(self.periods[customer_id], day)
        return any(s * 60 < end and start < e * 60 for s, e in windows)

    def deadline(
        self,
        customer: Customer,
        due: date,
        last_visit: date | None,
        today: date | None = None,
        first_rule: bool = False,
    ) -> date:
        """The last open working day on or before `due` at least half a cadence after the last visit,
        else the first open working day after `due`; a visit booked (after `today`) for a day after that
        and within a cadence of the due date is the deadline.

        Half a cadence: a visit just before a closed stretch is the visit for it. Without that floor a
        customer visited on 12/17 and due inside 年末繁忙 (closed 12/19–12/31) had 12/18 as its deadline:
        a second visit the next day, and late when that one was skipped, although it had just been
        visited (and the visit on 12/18 then set the same deadline again).
        The booked visit: the customer agreed to that day (the appointments are booked ahead at random
        customers); without it a rep had to visit on the due date and again at the appointment two
        days later. `first_rule`: neither (any open day after the last visit, no appointments), the
        rule the first runs used, for comparison."""
        found = self._deadline(customer, due, last_visit, first_rule)
        if first_rule or today is None:
            return found
        booked = [d for d in self.appointments.get(customer.id, ()) if d > today]
        if booked and found < booked[0] <= due + timedelta(days=customer.cadence_days):
            return booked[0]
        return found

    def _deadline(
        self, customer: Customer, due: date, last_visit: date | None, first_rule: bool
    ) -> date:
        half = timedelta(days=1 if first_rule else (customer.cadence_days + 1) // 2)
        earliest = None if last_visit is None else last_visit + half
        day = due
        while earliest is None or day >= earliest:
            if self.open_on(customer, day):
                return day
            day -= timedelta(days=1)
            if (due - day).days > 60:
                break
        day = due + timedelta(days=1)
        while not self.open_on(customer, day) and (day - due).days < 60:
            day += timedelta(days=1)
        return day


def book_appointments(session: Session, company: Company, days: list[date], seed: int) -> int:
    """Two appointments a week per rep, at 10:30 or 14:30, at customers open then (booked ahead)."""
    rng = random.Random(seed * 7919)
    booked = 0
    by_rep: dict[int, list[Customer]] = defaultdict(list)
    for c in company.customers.values():
        if c.status in MEASURED and c.segment in APPOINTMENT_KINDS and c.lat is not None:
            by_rep[c.assigned_rep_id].append(c)
    taken: set[tuple[int, date]] = set()
    existing = session.exec(
        select(Visit).where(Visit.status == VisitStatus.PLANNED, Visit.is_appointment)
    )
    for visit in existing:
        taken.add((visit.rep_id, visit.scheduled_start.astimezone(TOKYO).date()))
    weeks = sorted({d - timedelta(days=d.weekday()) for d in days})
    for rep in company.reps:
        pool = sorted(by_rep.get(rep.id, []), key=lambda c: c.id)
        for monday in weeks[1:] if len(weeks) > 1 else weeks:
            for _ in range(2):
                for _attempt in range(20):
                    day = monday + timedelta(days=rng.randrange(5))
                    customer = rng.choice(pool) if pool else None
                    at = rng.choice((10 * 3600 + 1800, 14 * 3600 + 1800))
                    if customer is None or (rep.id, day) in taken:
                        continue
                    if not company.busy_at(customer.id, day, at, at + customer.visit_minutes * 60):
                        session.add(Visit(customer_id=customer.id, rep_id=rep.id, status=VisitStatus.PLANNED,
                                          is_appointment=True, scheduled_start=local(day, at)))  # fmt: skip
                        taken.add((rep.id, day))
                        booked += 1
                        break
    session.commit()
    return booked


def day_policy(
    session: Session, rep: User, day: date, now: datetime, options
) -> tuple[list[Stop], int, float]:
    """Plan my day: the stored plan's stops, its travel and the seconds it took."""
    started = time.perf_counter()
    plan = planning.generate_plan(session, actor=rep, rep=rep, day=day, now=now, options=options)
    seconds = time.perf_counter() - started
    stops = []
    for s in plan_stops(session, plan):
        start = int((s.start - local(day, 0)).total_seconds())
        end = int((s.end - local(day, 0)).total_seconds())
        stops.append(Stop(s.customer_id, start, end, s.visit_id if s.is_appointment else None))
    return stops, plan.travel_seconds, seconds


def week_policy(
    session: Session, rep: User, day: date, now: datetime, options
) -> tuple[list[Stop], int, float]:
    """Plan my week each morning (the next 5 working days); today's route is followed."""
    started = time.perf_counter()
    days = planning.week_days(session, rep, day)
    out = planning.plan_week(session, actor=rep, rep=rep, days=days, now=now, options=options)
    seconds = time.perf_counter() - started
    by_id = {str(c.customer.id): c for c in out.pool.candidates}
    route = out.plan.routes[0]
    stops = []
    for s in route.stops:
        c = by_id[s.candidate_id]
        visit = c.appointment.id if c.appointment is not None and c.appointment_day == 0 else None
        stops.append(Stop(c.customer.id, s.start, s.end, visit))
    return stops, route.travel_seconds, seconds


def work_day(
    session: Session,
    company: Company,
    rep: User,
    day: date,
    stops: list[Stop],
    seed: int,
    tally: Tally,
) -> None:
    """The rep works through the stops; a seeded share is skipped (never an appointment)."""
    for stop in stops:
        if (
            stop.appointment_visit is None
            and seeded(seed, "skip", rep.id, day, stop.customer_id) < SKIP_SHARE
        ):
            tally.skipped[stop.customer_id].append(day)
            continue
        customer = session.get(Customer, stop.customer_id)
        busy_then = company.busy_at(customer.id, day, stop.start, stop.end)
        if stop.appointment_visit is not None:
            # an agreed time wins over the busy hours (the customer chose it): counted apart
            tally.agreed_in_busy += busy_then
        elif busy_then or not company.open_on(customer, day):
            tally.busy_visits += 1
        visit = session.get(Visit, stop.appointment_visit) if stop.appointment_visit else None
        if visit is None:
            visit = Visit(customer_id=customer.id, rep_id=rep.id)
        visit.status = VisitStatus.DONE
        visit.check_in_at, visit.check_out_at = local(day, stop.start), local(day, stop.end)
        session.add(visit)
        customer.last_visit_on = day
        customer.next_due_on = day + timedelta(days=customer.cadence_days)
        session.add(customer)
        tally.visits += 1


def count_overdue(
    session: Session, company: Company, day: date, tally: Tally, measured: bool
) -> None:
    for customer in session.exec(select(Customer).where(Customer.status.in_(MEASURED))):
        if customer.next_due_on is None or customer.assigned_rep_id is None or customer.lat is None:
            continue
        deadline = company.deadline(customer, customer.next_due_on, customer.last_visit_on, day)
        if measured and day > company.deadline(
            customer, customer.next_due_on, customer.last_visit_on, first_rule=True
        ):
            tally.late_next_day_rule.add(customer.id)
        if day > deadline:
            tally.overdue_days += 1
            if measured and customer.id not in tally.late_customers:
                tally.late_customers.add(customer.id)
                recent = [d for d in tally.skipped.get(customer.id, []) if (day - d).days <= 7]
                closed = deadline != customer.next_due_on
                tally.late_why[customer.id] = (
                    "skipped" if recent else "closed due date" if closed else "not planned"
                )


def broken_appointments(session: Session, days: list[date]) -> int:
    first, last = local(days[0], 0), local(days[-1] + timedelta(days=1), 0)
    broken = 0
    for visit in session.exec(select(Visit).where(Visit.is_appointment, Visit.scheduled_start >= first,
                                                 Visit.scheduled_start < last)):  # fmt: skip
        if visit.status != VisitStatus.DONE or visit.check_in_at != visit.scheduled_start:
            broken += 1
    return broken


def simulate(name: str, url: str, days: list[date], seed: int, options, progress, task) -> dict:
    engine = make_engine(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "ENV": "development"})
    policy = day_policy if name == "day" else week_policy
    tally = Tally()
    with app.app_context(), Session(engine) as session:
        company = Company(session)
        for index, day in enumerate(days):
            now = local(day, 7 * 3600)  # planned at 07:00, before the day starts
            for rep in company.reps:
                stops, travel, seconds = policy(session, rep, day, now, options)
                tally.planner_seconds += seconds
                tally.travel_seconds += travel
                work_day(session, company, rep, day, stops, seed, tally)
                session.commit()
                progress.advance(task)
            count_overdue(session, company, day, tally, measured=index >= 5)
        # A customer with no position is never planned (both policies list it as "no location": the
        # rep must place it first); counted apart, not as a planning miss.
        measured = [c for c in session.exec(select(Customer).where(Customer.status.in_(MEASURED)))
                    if c.assigned_rep_id is not None and c.lat is not None]  # fmt: skip
        unplaced = sum(1 for c in session.exec(select(Customer).where(Customer.status.in_(MEASURED)))
                       if c.assigned_rep_id is not None and c.lat is None)  # fmt: skip
        within = {}
        for rank in (*RANKS, "all"):
            group = [c for c in measured if rank == "all" or c.rank == rank]
            ok = sum(1 for c in group if c.id not in tally.late_customers)
            within[rank] = round(ok / len(group), 4) if group else 1.0
        ok = sum(1 for c in measured if c.id not in tally.late_next_day_rule)
        within_next_day_rule = round(ok / len(measured), 4) if measured else 1.0
        broken = broken_appointments(session, days)
        ranks = {c.id: c.rank for c in measured}
    engine.dispose()
    why: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for cid, reason in tally.late_why.items():
        why[reason][ranks.get(cid, "?")] += 1
    rep_weeks = len(company.reps) * len(days) / 5
    return {
        "within_cadence": within,
        "overdue_customer_days": tally.overdue_days,
        "busy_visits": tally.busy_visits,
        "broken_appointments": broken,
        "travel_min_per_visit": round(tally.travel_seconds / 60 / max(1, tally.visits), 2),
        "planner_s_per_rep_week": round(tally.planner_seconds / rep_weeks, 2),
        "visits": tally.visits,
        "travel_hours": round(tally.travel_seconds / 3600, 1),
        "agreed_in_busy": tally.agreed_in_busy,
        "unplaced": unplaced,
        "within_next_day_rule": within_next_day_rule,
        "late_why": {k: dict(v) for k, v in why.items()},
    }


def latency(url: str, start: date, options, repeats: int) -> list[tuple[float, float]]:
    """Plan my week for one rep, 5 days, as the app does it (candidates, matrices, search, check)."""
    engine = make_engine(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "ENV": "development"})
    out = []
    with app.app_context(), Session(engine) as session:
        reps = list(session.exec(select(User).where(User.role == Role.REP).order_by(User.id)))
        for rep in (reps * repeats)[: max(repeats, len(reps))]:
            days = planning.week_days(session, rep, start)
            began, cpu = time.perf_counter(), time.process_time()
            planning.plan_week(
                session, actor=rep, rep=rep, days=days, now=local(start, 7 * 3600), options=options
            )
            out.append((time.perf_counter() - began, time.process_time() - cpu))
    engine.dispose()
    return out


SKIP_SHARE = 0.1


def main() -> None:
    global SKIP_SHARE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 12, 7))
    parser.add_argument("--reps", type=int, default=8)
    parser.add_argument("--customers", type=int, default=420)
    parser.add_argument("--skip", type=float, default=0.1, help="share of stops skipped (seeded)")
    parser.add_argument(
        "--day-seconds", type=float, default=0.3, help="planner time limit of a day plan"
    )
    parser.add_argument(
        "--week-seconds", type=float, default=0.8, help="planner time limit of a week plan"
    )
    parser.add_argument(
        "--latency-seconds", type=float, default=1.0, help="time limit for the latency figure"
    )
    parser.add_argument(
        "--policies",
        default="day,week",
        help="policies to run, comma-separated (one alone to iterate faster; the issue's figures need both)",
    )
    args = parser.parse_args()
    SKIP_SHARE = args.skip
    if args.start.weekday() != 0:
        parser.error("--start must be a Monday")
    days = working_days(args.start, args.weeks)
    tmp = Path(tempfile.mkdtemp(prefix="cadence-"))
    base = tmp / "company.db"
    began = time.perf_counter()
    engine = make_engine(f"sqlite:///{base}")
    migrate.upgrade(engine)
    with Session(engine) as session:
        demo.generate(session, customers=args.customers, reps=args.reps, managers=2, teams=2,
                      seed=args.seed, today=args.start)  # fmt: skip
        session.commit()
        booked = book_appointments(session, Company(session), days, args.seed)
    engine.dispose()
    console.print(f"company: {args.reps} reps, {args.customers} customers (seed {args.seed}), "
                  f"{booked} appointments booked; {len(days)} working days from {args.start}")  # fmt: skip
    planning.warm_up()
    results = {}
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console) as progress:
        limits = {"day": args.day_seconds, "week": args.week_seconds}
        for name in args.policies.split(","):
            limit = limits[name]
            copy = tmp / f"{name}.db"
            shutil.copy(base, copy)
            task = progress.add_task(f"{name:>4} policy", total=len(days) * args.reps)
            options = planner.PlanOptions(time_limit=limit, seed=args.seed)
            results[name] = simulate(
                name, f"sqlite:///{copy}", days, args.seed, options, progress, task
            )
    lat = latency(
        f"sqlite:///{base}", args.start, planner.PlanOptions(time_limit=args.latency_seconds), 8
    )
    table = Table(title=f"{args.weeks} weeks, skip {args.skip:.0%}, seed {args.seed}")
    table.add_column("")
    for name in results:
        table.add_column(name, justify="right")
    rows = [("within cadence A", lambda r: f"{r['within_cadence']['A']:.1%}"),
            ("within cadence B", lambda r: f"{r['within_cadence']['B']:.1%}"),
            ("within cadence C", lambda r: f"{r['within_cadence']['C']:.1%}"),
            ("within cadence all", lambda r: f"{r['within_cadence']['all']:.1%}"),
            ("overdue customer-days", lambda r: str(r["overdue_customer_days"])),
            ("busy / closed visits", lambda r: str(r["busy_visits"])),
            ("broken appointments", lambda r: str(r["broken_appointments"])),
            ("appointments in busy hours (agreed)", lambda r: str(r["agreed_in_busy"])),
            ("  all, first deadline rule (no half cadence, no appointment)",
             lambda r: f"{r['within_next_day_rule']:.1%}"),
            ("customers with no position (not measured)", lambda r: str(r["unplaced"])),
            ("visits", lambda r: str(r["visits"])),
            ("travel hours", lambda r: f"{r['travel_hours']:.1f}"),
            ("travel min / visit", lambda r: f"{r['travel_min_per_visit']:.2f}"),
            ("planner s / rep-week", lambda r: f"{r['planner_s_per_rep_week']:.2f}")]  # fmt: skip
    for label, fmt in rows:
        table.add_row(label, *(fmt(r) for r in results.values()))
    console.print(table)
    wall, cpu = [w for w, _c in lat], [c for _w, c in lat]
    console.print(
        f"Plan my week, one rep, 5 days (time limit {args.latency_seconds} s): wall median "
        f"{statistics.median(wall):.2f} s, max {max(wall):.2f} s; CPU median {statistics.median(cpu):.2f} s"
        f" over {len(lat)} reps (goal ≤ 2 s)"
    )
    for name, r in results.items():
        console.print(
            f"{name}: customers late (measured weeks) by first cause and rank: {r['late_why']}"
        )
    console.print(f"total {time.perf_counter() - began:.0f} s")
    shutil.rmtree(tmp, ignore_errors=True)
    for r in results.values():
        for extra in (
            "visits",
            "travel_hours",
            "agreed_in_busy",
            "unplaced",
            "within_next_day_rule",
            "late_why",
        ):
            r.pop(extra)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
