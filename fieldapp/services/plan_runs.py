"""Runs of the nightly plan generation: which plans a run may replace, the run record, its summary.

A run replaces draft plans only: once a rep has accepted, edited or started a day, that plan is theirs.
Every run is written down (who, when, the day, counts, failures) so managers see it on the team page.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from ..models import AuditEvent, DayPlan, PlanRun, PlanStatus, RepAbsence, User
from .day.plans import SETTLED_STATES, plan_stops
from .planning_settings import settings_for

# Audit actions of a rep changing a plan by hand (planning.generate_plan writes "generate").
EDIT_ACTIONS = ("move", "reorder", "remove", "add", "skip", "check_in")
# Why a run left a plan alone, in the order the summary lists them.
KEEP_REASONS = ("started", "accepted", "edited")


@dataclass(frozen=True)
class RepOutcome:
    """How one rep came out of a run: planned, kept (and why) or failed (and why)."""

    rep_id: int
    email: str
    team_id: int
    day: date
    state: str  # planned, kept or failed
    stops: int = 0
    dropped: int = 0
    value: float = 0.0
    seconds: float = 0.0
    reason: str | None = None  # keep reason code, or the failure message

    @property
    def error(self) -> str | None:
        return self.reason if self.state == "failed" else None


def is_working_day(session: Session, *, rep_id: int, day: date) -> bool:
    """Whether the rep works on `day`: one of their working weekdays (the team's default until set) and
    not a day a manager marked them away (their visits are then planned on teammates by the cover page)."""
    rep = session.get(User, rep_id)
    if rep is None or not settings_for(session, rep).works_on(day):
        return False
    away = select(RepAbsence.id).where(RepAbsence.rep_id == rep_id, RepAbsence.absent_on == day)
    return session.exec(away).first() is None


def keep_reason(session: Session, plan: DayPlan | None) -> str | None:
    """Why a run must not replace this plan (started, accepted, edited), or None for a draft."""
    if plan is None:
        return None
    if plan.status in (PlanStatus.IN_PROGRESS, PlanStatus.DONE) or any(
        s.state in SETTLED_STATES for s in plan_stops(session, plan)
    ):
        return "started"
    # The latest hand edit since the plan was last generated tells "edited" from a plain "Accept".
    events = session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.entity == "day_plan", AuditEvent.entity_id == plan.id)
        .order_by(AuditEvent.id.desc())
        .limit(50)
    )
    for action in events:
        if action in EDIT_ACTIONS:
            return "edited"
        if action == "accept":
            return "accepted"
        if action == "generate":
            break
    return "accepted" if plan.status == PlanStatus.ACCEPTED else None


def start_run(
    session: Session,
    *,
    started_by: str,
    plan_date: date,
    mode: str,
    workers: int,
    team_ids: list[int],
    reps: int,
    now: datetime,
) -> PlanRun:
    """The run's record, written before the first rep is planned."""
    run = PlanRun(
        started_at=now,
        started_by=started_by[:120],
        plan_date=plan_date,
        mode=mode,
        workers=workers,
        team_ids=json.dumps(sorted(set(team_ids))),
        reps=reps,
    )
    session.add(run)
    session.flush()
    return run


@dataclass(frozen=True)
class RunTotals:
    """The figures of a finished run, as the command prints them and the run record keeps them."""

    planned: int
    kept: int
    failed: int
    visits: int
    dropped: int
    kept_reasons: dict[str, int]
    failures: list[RepOutcome]
    median: float | None
    p95: float | None
    slowest: float | None


def totals(outcomes: list[RepOutcome]) -> RunTotals:
    """Counts and seconds per planned rep (median, 95th percentile, max)."""
    planned = [o for o in outcomes if o.state == "planned"]
    seconds = sorted(o.seconds for o in planned)
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))] if seconds else None
    reasons = Counter(o.reason for o in outcomes if o.state == "kept")
    return RunTotals(
        planned=len(planned),
        kept=sum(reasons.values()),
        failed=sum(1 for o in outcomes if o.state == "failed"),
        visits=sum(o.stops for o in planned),
        dropped=sum(o.dropped for o in planned),
        kept_reasons={r: reasons[r] for r in KEEP_REASONS if reasons[r]},
        failures=[o for o in outcomes if o.state == "failed"],
        median=statistics.median(seconds) if seconds else None,
        p95=p95,
        slowest=seconds[-1] if seconds else None,
    )


def finish_run(
    session: Session,
    *,
    run: PlanRun,
    outcomes: list[RepOutcome],
    wall_seconds: float,
    now: datetime,
) -> RunTotals:
    """Write the run's counts and failures; returns the totals for the summary."""
    result = totals(outcomes)
    run.finished_at = now
    run.planned, run.kept, run.failed = result.planned, result.kept, result.failed
    run.visits, run.dropped = result.visits, result.dropped
    run.wall_seconds = round(wall_seconds, 3)
    run.rep_seconds_median, run.rep_seconds_p95 = result.median, result.p95
    run.rep_seconds_max = result.slowest
    run.kept_reasons = json.dumps(result.kept_reasons)
    run.failures = json.dumps(
        [
            {"rep_id": o.rep_id, "email": o.email, "team_id": o.team_id, "reason": o.reason}
            for o in result.failures
        ],
        ensure_ascii=False,
    )
    session.add(run)
    session.flush()
    return result


def summary_lines(result: RunTotals, *, wall_seconds: float) -> list[str]:
    """The command's closing summary (operators read it in English, like the rest of the CLI)."""
    kept = ", ".join(f"{n} {reason}" for reason, n in result.kept_reasons.items())
    lines = [
        f"Planned {result.planned} reps: {result.visits} visits, {result.dropped} left out.",
        f"Kept {result.kept} plans" + (f" ({kept})." if kept else "."),
        f"Failed {result.failed}.",
    ]
    lines += [f"  {o.email}: {o.reason}" for o in result.failures]
    lines.append(f"Wall time {wall_seconds:.1f} s.")
    if result.median is not None:
        lines.append(
            f"Seconds per rep: median {result.median:.2f}, p95 {result.p95:.2f}, "
            f"max {result.slowest:.2f}."
        )
    return lines


@dataclass(frozen=True)
class RunRow:
    """A past run as the team page shows it, with this team's failures only."""

    run: PlanRun
    kept_reasons: dict[str, int]
    failures: list[dict]


def recent_runs(session: Session, *, team_id: int, limit: int = 5) -> list[RunRow]:
    """The latest runs that planned this team, newest first."""
    rows = []
    for run in session.exec(select(PlanRun).order_by(PlanRun.id.desc()).limit(limit * 10)):
        if team_id not in json.loads(run.team_ids or "[]"):
            continue
        failures = [f for f in json.loads(run.failures or "[]") if f.get("team_id") == team_id]
        rows.append(RunRow(run, json.loads(run.kept_reasons or "{}"), failures))
        if len(rows) == limit:
            break
    return rows
