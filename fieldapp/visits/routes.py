"""Logging a visit at a customer, reading it, and the author correcting their note."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..context import team_today
from ..db import get_session
from ..errors import Forbidden, StaleEdit
from ..followups.forms import CloseFollowUpForm
from ..forms import save_form
from ..models import Visit
from ..services import clock, prompts, users, visits
from ..services.contacts import birthdays_by_customer
from ..services.customers import get_customer
from ..services.followups import followups_of_visit
from ..services.followups import item_rows as followup_rows
from .forms import DUE_SHORTCUTS, NOTE_TEMPLATES, VisitForm, VisitNotesForm

bp = Blueprint("visits", __name__)


def _after_logging(visit: Visit) -> str:
    """Back to the day's plan at the stop when the form was opened from a stop card, else the customer."""
    stop = request.args.get("stop", type=int)
    if stop:
        return url_for("today.index") + f"#stop-{stop}"
    return url_for("customers.detail", customer_id=visit.customer_id)


@bp.route("/customers/<int:customer_id>/visits/new", methods=["GET", "POST"])
@login_required
def new(customer_id: int):
    """The visit form: outcome, notes, orders and follow-ups in one post (works without JS)."""
    session = get_session()
    customer = get_customer(session, actor=current_user, customer_id=customer_id)
    visit_id = request.args.get("visit_id", type=int)
    checked_in = (
        visits.in_progress_visit(
            session, actor=current_user, customer_id=customer.id, visit_id=visit_id
        )
        if visit_id
        else None
    )
    form = VisitForm(
        usual_products=visits.usual_products(session, customer_id=customer.id),
        catalog=visits.catalog(session),
        members=users.team_members(session, team_id=current_user.team_id),
        owner=current_user,
    )
    if form.validate_on_submit():
        saved = save_form(
            form,
            visits.log_visit,
            customer_id=customer.id,
            parse=lambda: {"data": visits.VisitInput.from_mapping(form.to_mapping())},
            now=clock.now_utc(),
            idempotency_key=form.submission_key.data,
            visit_id=visit_id,
            done=_("Visit saved."),
            # opened from a stop card: the confirmation shows in that card on Today
            done_category=(
                f"info@stop-{stop}" if (stop := request.args.get("stop", type=int)) else "info"
            ),
            back=_after_logging,
        )
        if saved:
            return saved
    elif request.method == "POST":
        flash(_("Please check the form."), "error")
    return render_template(
        "visits/new.html",
        customer=customer,
        form=form,
        checked_in=checked_in,
        visit_id=visit_id,
        last_visit=next(
            iter(visits.recent_visits(session, customer_id=customer.id, limit=1)), None
        ),
        open_followups=followup_rows(
            session,
            visits.open_followups_for_customer(session, customer_id=customer.id),
            actor=current_user,
            today=team_today(),
            close_form=CloseFollowUpForm.back_here,
        ),
        prompt_views=prompts.views_for(session, customer_ids=[customer.id], today=team_today()).get(
            customer.id, []
        ),
        prompt_responses=prompts.response_choices(),
        note_templates=NOTE_TEMPLATES,
        due_shortcuts=DUE_SHORTCUTS,
        today_iso=team_today().isoformat(),
        birthday=birthdays_by_customer(session, [customer.id], team_today()).get(customer.id),
        back_url=url_for("customers.detail", customer_id=customer.id),
    )


@bp.route("/visits/<int:visit_id>")
@login_required
def detail(visit_id: int):
    """One visit: notes, orders taken and follow-ups opened (the whole team may read it)."""
    session = get_session()
    visit = visits.get_visit(session, actor=current_user, visit_id=visit_id)
    customer = get_customer(session, actor=current_user, customer_id=visit.customer_id)
    return render_template(
        "visits/detail.html",
        visit=visit,
        customer=customer,
        note=visits.note_rows(session, [visit], actor=current_user)[0],
        followups=followup_rows(
            session,
            followups_of_visit(session, visit_id=visit.id),
            actor=current_user,
            today=team_today(),
            close_form=CloseFollowUpForm.back_here,
        ),
        back_url=url_for("customers.detail", customer_id=customer.id),
    )


@bp.route("/visits/<int:visit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(visit_id: int):
    """The author corrects their note; a stale edit shows both versions."""
    session = get_session()
    visit = visits.get_visit(session, actor=current_user, visit_id=visit_id)
    if visit.rep_id != current_user.id:
        raise Forbidden(_("Only the rep who wrote this note can edit it."))
    customer = get_customer(session, actor=current_user, customer_id=visit.customer_id)
    form = VisitNotesForm(obj=visit) if request.method == "GET" else VisitNotesForm()
    if request.method == "GET":
        form.version.data = str(visit.version)
        form.next_action_due.data = (
            visit.next_action_due.isoformat() if visit.next_action_due else ""
        )
        form.proposal_reception.data = visit.proposal_reception or ""

    def page(status: int, theirs: Visit | None = None):
        return render_template(
            "visits/edit.html",
            visit=visit,
            today_iso=team_today().isoformat(),
            customer=customer,
            form=form,
            theirs=visits.note_rows(session, [theirs], actor=current_user)[0] if theirs else None,
            prompt_views=prompts.views_for(
                session, customer_ids=[customer.id], today=team_today()
            ).get(customer.id, []),
            prompt_responses=prompts.response_choices(),
            note_templates=NOTE_TEMPLATES,
            due_shortcuts=DUE_SHORTCUTS,
        ), status

    def stale(error: StaleEdit):
        theirs = error.details["current"]
        session.refresh(theirs)
        # Saving again now deliberately replaces the newer version (the rep has seen it).
        form.version.data = str(theirs.version)
        form.form_errors.append(error.message)
        return page(409, theirs)

    if not form.validate_on_submit():
        return page(400 if request.method == "POST" else 200)
    saved = save_form(
        form,
        visits.edit_visit,
        visit_id=visit.id,
        parse=lambda: {"data": visits.VisitInput.from_mapping(form.notes_mapping())},
        expected_version=form.version.data,
        now=clock.now_utc(),
        done=_("Note updated."),
        back=lambda _saved: url_for("visits.detail", visit_id=visit.id),
        conflict=stale,
    )
    return saved or page(400)
