"""The stored day: plan rows read back (plan, stops, drops, warnings) without touching the planner.

Reasons and warnings are stored as codes plus facts; `candidates.drop_text` and `warning_text` turn
them into sentences in the reader's language.

Pages, reports, the calendar and the rep's actions read plans through here; only `planning.py` writes a
planner result into these rows.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ...models import DayPlan, DayPlanDrop, DayPlanStop, VisitStatus

# Stops whose visit has started or ended are history: re-planning never moves them.
SETTLED_STATES = (VisitStatus.IN_PROGRESS, VisitStatus.DONE, VisitStatus.SKIPPED)


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


def drop_facts(drop: DayPlanDrop) -> dict[str, Any]:
    """The facts stored with a dropped customer's reason code (times in seconds after midnight)."""
    facts = json.loads(drop.reason_detail) if drop.reason_detail else {}
    return facts if isinstance(facts, dict) else {}


def plan_warnings(plan: DayPlan) -> list[dict[str, Any]]:
    """The plan's warnings (broken window, late return…) as codes with their facts and customer id."""
    return json.loads(plan.warnings) if plan.warnings else []
