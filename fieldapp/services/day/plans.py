"""The stored day: plan rows read back (plan, stops, drops, warnings) without touching the planner.

Pages, reports, the calendar and the rep's actions read plans through here; only `planning.py` writes a
planner result into these rows.
"""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import Session, select

from ...models import DayPlan, DayPlanDrop, DayPlanStop, VisitStatus

# Stops whose visit has started or ended are history: re-planning never moves them.
SETTLED_STATES = (VisitStatus.IN_PROGRESS, VisitStatus.DONE, VisitStatus.SKIPPED)


def message_in(detail: str | None, lang: str) -> str:
    """The stored message in `lang` (falls back to English, then to the raw text)."""
    if not detail:
        return ""
    try:
        texts = json.loads(detail)
    except ValueError:
        return detail
    if isinstance(texts, dict):
        return str(texts.get(lang) or texts.get("en") or "")
    return str(texts)


def get_plan(session: Session, *, rep_id: int, day: date) -> DayPlan | None:
    return session.exec(
        select(DayPlan).where(DayPlan.rep_id == rep_id, DayPlan.plan_date == day)
    ).first()


def plan_stops(session: Session, plan: DayPlan) -> list[DayPlanStop]:
    return list(
        session.exec(
            select(DayPlanStop)
            .where(DayPlanStop.day_plan_id == plan.id)
            .order_by(DayPlanStop.position, DayPlanStop.id)
        )
    )


def plan_drops(session: Session, plan: DayPlan) -> list[DayPlanDrop]:
    return list(
        session.exec(
            select(DayPlanDrop)
            .where(DayPlanDrop.day_plan_id == plan.id)
            .order_by(DayPlanDrop.value.desc(), DayPlanDrop.id)
        )
    )


def plan_warnings(plan: DayPlan, lang: str) -> list[str]:
    """The plan's warnings (broken window, late return…) in the reader's language."""
    if not plan.warnings:
        return []
    return [str(w.get(lang) or w.get("en")) for w in json.loads(plan.warnings)]
