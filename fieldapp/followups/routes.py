"""Follow-ups: my list, opening one at a customer, closing one with a result."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..context import team_today
from ..db import get_session
from ..errors import ValidationError
from ..forms import save_form
from ..services import clock, customers, users
from ..services import followups as service
from ..urls import safe_redirect_target
from .forms import CloseFollowUpForm, FollowUpForm

bp = Blueprint("followups", __name__)


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
    closed = service.recently_closed_for_user(session, user=current_user) if scope == "mine" else []
    rows = service.item_rows(
        session,
        [*items, *closed],
        actor=current_user,
        today=today,
        close_form=CloseFollowUpForm.back_here,
    )
    return render_template(
        "followups/index.html",
        followups=rows[: len(items)],
        scope=scope,
        overdue_count=sum(1 for f in items if service.is_overdue(f, today)),
        closed=rows[len(items) :],
    )


@bp.route("/customers/<int:customer_id>/followups/new", methods=["GET", "POST"])
@login_required
def new(customer_id: int):
    """Open a follow-up at a customer of the team."""
    session = get_session()
    customer = customers.get_customer(session, actor=current_user, customer_id=customer_id)
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
        back=lambda _saved: url_for("customers.detail", customer_id=customer.id),
    )
    if saved:
        return saved
    return render_template(
        "followups/new.html",
        customer=customer,
        form=form,
        back_url=url_for("customers.detail", customer_id=customer.id),
    )


@bp.route("/followups/<int:followup_id>/close", methods=["POST"])
@login_required
def close(followup_id: int):
    """Close a follow-up with its result (owner, the customer's rep or a manager)."""
    session = get_session()
    form = CloseFollowUpForm()
    back = safe_redirect_target(form.next.data, url_for("followups.index"))
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
