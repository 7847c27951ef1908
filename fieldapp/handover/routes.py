"""Handover (managers): the team's customers on a map, a selection or a filtered set handed from one rep to
another after a preview; and the handover note the new rep dismisses on the customer page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.decorators import manager_required
from ..context import team_today
from ..db import get_session
from ..errors import StaleEdit, ValidationError
from ..forms import EmptyForm, apply_error
from ..i18n import CHOICES
from ..services import clock, customer_search, handover
from ..services import customers as customer_service
from .forms import ConfirmForm, HandoverForm

bp = Blueprint("handover", __name__, url_prefix="/handover")

# Marker colours for reps on the map (Okabe–Ito and Tol palettes: told apart with colour-blindness too).
REP_COLOURS = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9",
    "#332288", "#117733", "#882255", "#44AA99", "#999933", "#AA4499",
)  # fmt: skip


def _query() -> customer_search.SearchQuery:
    return customer_search.SearchQuery.from_args(request.args, default_mine=False)


def _reps() -> list[tuple[str, str]]:
    reps = customer_service.team_reps(get_session(), team_id=current_user.team_id)
    return [(str(u.id), u.name) for u in reps]


def _filters(query: customer_search.SearchQuery) -> dict:
    return {
        "query": query,
        "reps": _reps(),
        "ranks": ["A", "B", "C"],
        "segments": list(CHOICES["segment"].items()),
        "statuses": list(CHOICES["status"].items()),
    }


@bp.route("/map")
@manager_required
def team_map():
    """The team's located customers, coloured by rep or by overdue, with the list's filters."""
    session = get_session()
    query = _query()
    colour_by = "overdue" if request.args.get("colour") == "overdue" else "rep"
    today_date = team_today()
    points = customer_search.map_points(
        session,
        team_id=current_user.team_id,
        user_id=current_user.id,
        query=query,
        today=today_date,
    )
    rep_ids = sorted({p["rep"] for p in points if p["rep"]})
    names = customer_service.member_names(session, team_id=current_user.team_id)
    legend = [
        (names.get(rep_id, f"#{rep_id}"), REP_COLOURS[i % len(REP_COLOURS)])
        for i, rep_id in enumerate(rep_ids)
    ]
    colours = {rep_id: REP_COLOURS[i % len(REP_COLOURS)] for i, rep_id in enumerate(rep_ids)}
    for point in points:
        point["colour"] = colours.get(point["rep"], "#777777")
    return render_template(
        "handover/map.html",
        points=points,
        legend=legend,
        colour_by=colour_by,
        form=HandoverForm(reps=_reps(), formdata=None),
        **_filters(query),
    )


@bp.route("/new", methods=["GET", "POST"])
@manager_required
def start():
    """Choose the new rep for a selection (posted from the map) or a filtered set (the list's filters)."""
    session = get_session()
    form = HandoverForm(reps=_reps())
    if request.method == "POST":
        ids = handover.parse_ids(form.ids.data)
    elif request.args.get("ids"):
        ids = handover.parse_ids(request.args.get("ids"))
    else:
        ids = customer_search.matching_ids(
            session,
            team_id=current_user.team_id,
            user_id=current_user.id,
            query=_query(),
            today=team_today(),
        )
    form.ids.data = ",".join(map(str, ids))
    if not ids:
        form.form_errors.append(_("Select at least one customer."))
    customers = (
        handover.team_customers(session, actor=current_user, customer_ids=ids[:20]) if ids else []
    )
    return render_template("handover/start.html", form=form, count=len(ids), sample=customers), (
        200 if ids else 400
    )


def _preview(form, ids: list[int]):
    return handover.preview(
        get_session(),
        actor=current_user,
        customer_ids=ids,
        to_rep_id=int(form.to_rep.data) if (form.to_rep.data or "").isdigit() else None,
        today=team_today(),
        now=clock.now_utc(),
    )


def _render_preview(plan, form: HandoverForm, status: int = 200, message: str | None = None):
    confirm = ConfirmForm(
        formdata=None,
        data={
            "ids": form.ids.data,
            "to_rep": str(plan.to_rep.id),
            "note": form.note.data or "",
            "fingerprint": plan.fingerprint,
        },
    )
    return render_template(
        "handover/preview.html", plan=plan, confirm=confirm, note=form.note.data, message=message
    ), status


@bp.route("/preview", methods=["POST"])
@manager_required
def preview():
    """What will move (customers, follow-ups, appointments, plan stops) before anything does."""
    form = HandoverForm(reps=_reps())
    ids = handover.parse_ids(form.ids.data)
    if form.validate_on_submit():
        try:
            plan = _preview(form, ids)
        except ValidationError as error:
            apply_error(form, error)
        else:
            return _render_preview(plan, form)
    sample = (
        handover.team_customers(get_session(), actor=current_user, customer_ids=ids[:20])
        if ids
        else []
    )
    return render_template("handover/start.html", form=form, count=len(ids), sample=sample), 400


@bp.route("/commit", methods=["POST"])
@manager_required
def commit():
    """Hand over, in one transaction; refused (nothing moved) if the preview is no longer true."""
    session = get_session()
    confirm = ConfirmForm()
    form = HandoverForm(reps=_reps(), formdata=None)
    form.ids.data, form.to_rep.data, form.note.data = (
        confirm.ids.data,
        confirm.to_rep.data,
        confirm.note.data,
    )
    ids = handover.parse_ids(confirm.ids.data)
    if not confirm.validate_on_submit():
        return render_template("handover/start.html", form=form, count=len(ids), sample=[]), 400
    try:
        plan = handover.commit(
            session,
            actor=current_user,
            customer_ids=ids,
            to_rep_id=int(confirm.to_rep.data) if (confirm.to_rep.data or "").isdigit() else None,
            note=confirm.note.data,
            fingerprint=confirm.fingerprint.data or "",
            today=team_today(),
            now=clock.now_utc(),
        )
    except (StaleEdit, ValidationError) as error:
        session.rollback()
        try:
            plan = _preview(form, ids)
        except ValidationError as again:
            apply_error(form, again)
            return render_template("handover/start.html", form=form, count=len(ids), sample=[]), 400
        return _render_preview(
            plan, form, status=409 if isinstance(error, StaleEdit) else 400, message=error.message
        )
    session.commit()
    flash(
        _(
            "%(n)d customers handed over to %(name)s: %(f)d follow-ups, %(v)d visits and %(s)d plan stops moved.",
            n=len(plan.customers),
            name=plan.to_rep.name,
            f=len(plan.followups),
            v=len(plan.visits),
            s=len(plan.stops),
        ),
        "info",
    )
    return redirect(url_for("customers.index", mine="0", rep=plan.to_rep.id))


@bp.route("/notes/<int:note_id>/dismiss", methods=["POST"])
@login_required
def dismiss_note(note_id: int):
    """The new rep has read the handover note."""
    session = get_session()
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(request.referrer or url_for("customers.index"))
    note = handover.dismiss_note(session, actor=current_user, note_id=note_id, now=clock.now_utc())
    session.commit()
    return redirect(url_for("customers.detail", customer_id=note.customer_id))
