"""The team dashboard (`/team/dashboard`) and its drill-down: the figures of the manager's own team only."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..auth.decorators import manager_required
from ..context import current_team, team_today
from ..db import get_session
from ..errors import ValidationError
from ..services import prompts, team_dashboard
from . import charts
from .forms import DashboardForm

# Nested in the manager blueprint: /team/dashboard/…, endpoints manager.dashboard.*
bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def _period(form: DashboardForm, today: date) -> tuple[team_dashboard.Period, str | None]:
    """The period asked for; a bad one gives this week and the reason."""
    try:
        return (
            team_dashboard.make_period(
                form.period.data or "week",
                today=today,
                anchor=form.day.data if not form.day.errors else None,
                start=form.start.data if not form.start.errors else None,
                end=form.end.data if not form.end.errors else None,
            ),
            None,
        )
    except ValidationError as error:
        return team_dashboard.make_period("week", today=today), error.message


def _nav(period: team_dashboard.Period) -> dict[str, dict[str, str]]:
    """Query arguments of the previous and the next period of the same kind."""
    if period.kind == "custom":
        shift = timedelta(days=period.days)
        return {
            name: {
                "period": "custom",
                "start": (period.start + sign * shift).isoformat(),
                "end": (period.end + sign * shift).isoformat(),
            }
            for name, sign in (("prev", -1), ("next", 1))
        }
    return {
        "prev": {"period": period.kind, "day": (period.start - timedelta(days=1)).isoformat()},
        "next": {"period": period.kind, "day": (period.end + timedelta(days=1)).isoformat()},
    }


def _args(period: team_dashboard.Period) -> dict[str, str]:
    if period.kind == "custom":
        return {
            "period": "custom",
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        }
    return {"period": period.kind, "day": period.start.isoformat()}


@bp.route("/")
@manager_required
def index():
    """Per rep for the period: process figures, each a link to what is behind it, and two SVG charts."""
    form = DashboardForm(formdata=request.args)
    form.validate()
    today = team_today()
    period, problem = _period(form, today)
    session = get_session()
    board = team_dashboard.build(session, team=current_team(), period=period, today=today)
    names = [f.rep.name for f in board.reps]
    # the prompts' side of coaching: how the reps answered them in the period
    prompt_answers = prompts.acceptance(
        session,
        team_id=current_user.team_id,
        today=period.end,
        days=(period.end - period.start).days,
    )
    return render_template(
        "manager/dashboard.html",
        form=form,
        board=board,
        problem=problem,
        ranks=team_dashboard.RANKS,
        nav=_nav(period),
        args=_args(period),
        trend=charts.trend_chart(board.weeks, [(f.rep.name, f.trend) for f in board.reps]),
        prompt_answers=prompt_answers,
        bars=charts.made_vs_planned(
            [(name, f.visits_done, f.planned) for name, f in zip(names, board.reps, strict=True)]
        ),
    )


@bp.route("/reps/<int:rep_id>/<figure>")
@manager_required
def drill(rep_id: int, figure: str):
    """The visits (stops, customers, follow-ups, order lines) behind one rep's figure."""
    form = DashboardForm(formdata=request.args)
    form.validate()
    today = team_today()
    period, problem = _period(form, today)
    rank = request.args.get("rank") or None
    found = team_dashboard.drill(
        get_session(),
        team=current_team(),
        rep_id=rep_id,
        figure=figure,
        period=period,
        today=today,
        rank=rank,
    )
    return render_template(
        "manager/drill.html",
        drill=found,
        problem=problem,
        args=_args(period),
        rank=rank if rank in team_dashboard.RANKS else None,
        viewer=current_user,
    )
