"""Follow-ups: my list, opening one at a customer, closing one with a result."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..context import team_today
from ..db import get_session
from ..errors import ValidationError
from ..forms import save_form
from ..models import Customer, FollowUp, User
from ..services import clock, users
from ..services import followups as service
from ..visits.routes import customer_url
from .forms import CloseFollowUpForm, FollowUpForm

bp = Blueprint("followups", __name__)


def _safe_next(target: str | None, fallback: str) -> str:
    """Only paths on this site: a crafted `next` must not send the rep elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@bp.app_template_global()
def followup_info(followup: FollowUp) -> SimpleNamespace:
    """What the follow-up partial shows: customer, owner, overdue, and a close form if allowed."""
    session = get_session()
    customer = session.get(Customer, followup.customer_id)
    owner = session.get(User, followup.owner_id)
    allowed = (
        current_user.is_authenticated
        and followup.state == "open"
        and service.may_close(current_user, followup, customer)
    )
    form = None
    if allowed:
        form = CloseFollowUpForm(formdata=None)
        form.next.data = request.full_path.rstrip("?")
    return SimpleNamespace(
        customer=customer,
        customer_url=customer_url(customer.id, ""),
        owner=owner.name if owner else "",
        overdue=service.is_overdue(followup, team_today()),
        due_today=followup.state == "open" and followup.due_date == team_today(),
        close_form=form,
    )


@bp.route("/followups/")
@login_required
def index():
    """My open follow-ups, overdue and due first; `?scope=team` shows the whole team's."""
    session = get_session()
    scope = "team" if request.args.get("scope") == "team" else "mine"
    if scope == "team":
        items = service.open_followups_for_team(session, team_id=current_user.team_id)
    else:
        items = service.open_followups_for_user(session, user=current_user)
    today = team_today()
    return render_template(
        "followups/index.html",
        followups=items,
        scope=scope,
        overdue_count=sum(1 for f in items if service.is_overdue(f, today)),
        closed=service.recently_closed_for_user(session, user=current_user)
        if scope == "mine"
        else [],
    )


@bp.route("/customers/<int:customer_id>/followups/new", methods=["GET", "POST"])
@login_required
def new(customer_id: int):
    """Open a follow-up at a customer of the team."""
    session = get_session()
    customer = service.team_customer(session, actor=current_user, customer_id=customer_id)
    form = FollowUpForm(
        members=users.team_members(session, team_id=current_user.team_id), owner=current_user
    )
    saved = form.validate_on_submit() and save_form(
        form,
        service.create_followup,
        customer_id=customer.id,
        parse=lambda: {"data": service.FollowUpInput.from_mapping(form.mapping())},
        now=clock.now_utc(),
        done=_("Follow-up added."),
        back=lambda _saved: customer_url(customer.id, url_for("followups.index")),
    )
    if saved:
        return saved
    return render_template(
        "followups/new.html",
        customer=customer,
        form=form,
        back_url=customer_url(customer.id, url_for("customers.index")),
    )


@bp.route("/followups/<int:followup_id>/close", methods=["POST"])
@login_required
def close(followup_id: int):
    """Close a follow-up with its result (owner, the customer's rep or a manager)."""
    session = get_session()
    form = CloseFollowUpForm()
    back = _safe_next(form.next.data, url_for("followups.index"))
    if not form.validate_on_submit():
        flash(_("Please check the form."), "error")
        return redirect(back)
    result = form.result.data or ""
    try:
        followup = service.close_followup(
            session, actor=current_user, followup_id=followup_id, result=result, now=clock.now_utc()
        )
    except ValidationError as error:
        session.rollback()
        flash(error.message, "error")
        return redirect(back)
    session.commit()
    flash(_("Closed: %(title)s", title=followup.title), "info")
    return redirect(back)
