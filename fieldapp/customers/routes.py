"""Customer records: find (search, filters, near me), the one-screen customer page, edits of the record,
its location, contacts and busy periods, and the change history. Team-wide reading; the assigned rep and
managers edit."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..context import team_today
from ..db import get_session
from ..errors import StaleEdit, ValidationError
from ..followups.forms import CloseFollowUpForm
from ..forms import EmptyForm, apply_error, save_form
from ..i18n import CHOICES, minutes_hhmm, ui_language
from ..models import Customer, User
from ..services import (
    busy,
    busy_periods,
    clock,
    contacts,
    customer_history,
    customer_page,
    customer_search,
    followups,
    handover,
    visits,
)
from ..services import customers as service
from . import history_display
from .forms import BusyForm, ContactForm, CustomerForm, LocationForm, NewCustomerForm

bp = Blueprint("customers", __name__, url_prefix="/customers")


def _detail_url(customer: Customer, anchor: str = "") -> str:
    return url_for("customers.detail", customer_id=customer.id) + anchor


def _part_page(template: str, customer: Customer, form: Any, status: int, **part: Any):
    """The form page of a contact or busy period, with the form of its delete button."""
    return render_template(
        template, customer=customer, form=form, delete_form=EmptyForm(), **part
    ), status


def _customer(customer_id: int) -> Customer:
    return service.get_customer(get_session(), actor=current_user, customer_id=customer_id)


# --- finding -------------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    """Search the team's customers; reps see their own first by default; "near me" sorts by distance."""
    session = get_session()
    query = customer_search.SearchQuery.from_args(
        request.args, default_mine=not current_user.is_manager
    )
    today_date = team_today()
    page = customer_search.search(
        session,
        team_id=current_user.team_id,
        user_id=current_user.id,
        query=query,
        today=today_date,
    )
    return render_template(
        "customers/index.html",
        page=page,
        query=query,
        today_date=today_date,
        ranks=["A", "B", "C"],
        segments=list(CHOICES["segment"].items()),
        statuses=list(CHOICES["status"].items()),
        reps=[
            (str(u.id), u.name) for u in service.team_reps(session, team_id=current_user.team_id)
        ],
        snippet_labels=history_display.SNIPPET_LABELS,
        near_error=request.args.get("near") == "1" and not query.near,
    )


# --- the customer page ---------------------------------------------------------------------------


@bp.route("/<int:customer_id>")
@login_required
def detail(customer_id: int):
    """One phone screen: who and where, cadence, follow-ups, contacts, busy times, visits, orders."""
    session = get_session()
    customer = _customer(customer_id)
    today_date = team_today()
    data = customer_page.customer_page(
        session, customer=customer, today=today_date, lang=ui_language()
    )
    return render_template(
        "customers/detail.html",
        customer=customer,
        data=data,
        today_date=today_date,
        can_edit=service.can_edit(current_user, customer),
        delete_form=EmptyForm(),
        handover_notes=handover.open_notes(session, customer=customer, user=current_user),
        dismiss_form=EmptyForm(),
        notes=visits.note_rows(session, data.visits, actor=current_user),
        prompt_views=data.prompts,
        followups=followups.item_rows(
            session,
            data.followups,
            actor=current_user,
            today=today_date,
            close_form=CloseFollowUpForm.back_here,
        ),
    )


@bp.route("/<int:customer_id>/history")
@login_required
def history(customer_id: int):
    """Everything that happened at the customer, newest first, paged: visits, orders and changes."""
    session = get_session()
    customer = _customer(customer_id)
    try:
        page_no = int(request.args.get("page", "1"))
    except ValueError:
        page_no = 1
    timeline = customer_history.timeline(
        session,
        customer=customer,
        kind=request.args.get("kind", "all"),
        page=page_no,
        lang=ui_language(),
    )
    return render_template(
        "customers/history.html",
        customer=customer,
        timeline=timeline,
        kinds=history_display.HISTORY_KINDS,
        people=service.member_names(session, team_id=customer.team_id),
        entity_labels=history_display.ENTITY_LABELS,
        action_labels=history_display.ACTION_LABELS,
    )


# --- editing the record --------------------------------------------------------------------------


def _customer_form(customer: Customer, *, formdata: bool) -> CustomerForm:
    session = get_session()
    reps = None
    if current_user.is_manager:
        reps = [(str(u.id), u.name) for u in service.team_reps(session, team_id=customer.team_id)]
    form = CustomerForm(reps=reps) if formdata else None
    if form is None:
        data = {name: getattr(customer, name) for name in service.EDIT_FIELDS}
        data["cadence_days"] = str(customer.cadence_days)
        data["visit_minutes"] = str(customer.visit_minutes)
        data["version"] = str(customer.version)
        form = CustomerForm(formdata=None, data=data, reps=reps)
    # A new rep takes the customer through the handover (follow-ups, appointments and planned stops move
    # with it, and a note travels), never by a bare change of this field.
    if hasattr(form, "assigned_rep_id"):
        del form.assigned_rep_id
    return form


def _plain(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _conflict(
    customer: Customer,
    error: StaleEdit,
    *,
    keys: tuple[str, ...],
    keep_action: str,
    again_url: str,
    version_field: str = "version",
    extra: dict[str, str] | None = None,
):
    """The 409 page: their values beside the saved ones, and a way to save theirs over the new version."""
    session = get_session()
    session.rollback()
    submitted = error.details.get("submitted", {})
    current = error.details.get("current", {})
    rows = []
    for key in (k for k in keys if k in submitted):
        theirs, saved = submitted.get(key), current.get(key)
        rows.append((key, theirs, saved, _plain(theirs) != _plain(saved)))
    # Resubmitting carries the version saved now: a deliberate overwrite, still refused if it moves again.
    keep = {
        key: ("y" if value else "") if isinstance(value, bool) else _plain(value)
        for key, value in submitted.items()
    }
    keep.update(extra or {})
    keep[version_field] = str(error.details.get("current_version", ""))
    return render_template(
        "customers/conflict.html",
        customer=customer,
        rows=rows,
        message=error.message,
        people=service.member_names(session, team_id=customer.team_id),
        keep_action=keep_action,
        keep_values=keep,
        keep_form=EmptyForm(),
        again_url=again_url,
    ), 409


def _customer_conflict(customer: Customer, error: StaleEdit, endpoint: str, **extra: str):
    return _conflict(
        customer,
        error,
        keys=service.EDIT_FIELDS + ("lat", "lon"),
        keep_action=url_for(endpoint, customer_id=customer.id),
        again_url=url_for(endpoint, customer_id=customer.id),
        extra=extra,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Add a customer: pinned on the map or geocoded from the address; warned about likely duplicates."""
    session = get_session()
    reps = None
    if current_user.is_manager:
        reps = [
            (str(u.id), u.name) for u in service.team_reps(session, team_id=current_user.team_id)
        ]
    form = NewCustomerForm(reps=reps)
    if request.method == "GET":
        form = NewCustomerForm(
            formdata=None,
            reps=reps,
            data={"segment": "shop", "rank": "B", "cadence_days": "14", "visit_minutes": "20",
                  "status": "active"},
        )  # fmt: skip
    duplicates: list[Customer] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                customer = service.create_customer(
                    session,
                    actor=current_user,
                    data=form.values(),
                    lat=form.lat.data,
                    lon=form.lon.data,
                    allow_duplicates=bool(form.allow_duplicate.data),
                    now=clock.now_utc(),
                    config=current_app.config,
                )
            except service.DuplicateCustomer as error:
                session.rollback()
                duplicates = error.details["duplicates"]
                form.form_errors.append(error.message)
            except ValidationError as error:
                session.rollback()
                apply_error(form, error)
            else:
                session.commit()
                flash(_("Customer added."), "info")
                return redirect(_detail_url(customer))
        status = 409 if duplicates else 400
    return render_template(
        "customers/new.html",
        form=form,
        duplicates=duplicates,
        tile_url=current_app.config.get("TILE_URL"),
    ), status


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(customer_id: int):
    """Edit the customer record; refused with both versions shown if someone saved in between."""
    customer = _customer(customer_id)
    service.require_edit(current_user, customer)
    form = _customer_form(customer, formdata=request.method == "POST")
    status = 200
    if request.method == "POST":
        saved = form.validate_on_submit() and save_form(
            form,
            service.update_customer,
            customer=customer,
            version=form.version.data,
            data=form.values(),
            now=clock.now_utc(),
            config=current_app.config,
            allow_duplicates=bool(form.allow_duplicate.data),
            done=_("Customer saved."),
            back=lambda _saved: _detail_url(customer),
            conflict=lambda error: _customer_conflict(customer, error, "customers.edit"),
        )
        if saved:
            return saved
        status = 400
    assigned = (
        get_session().get(User, customer.assigned_rep_id) if customer.assigned_rep_id else None
    )
    return render_template(
        "customers/edit.html", customer=customer, form=form, assigned_rep=assigned
    ), status


@bp.route("/<int:customer_id>/location", methods=["GET", "POST"])
@login_required
def location(customer_id: int):
    """Fix a wrong location: type coordinates, or use the phone's position at the door."""
    customer = _customer(customer_id)
    service.require_edit(current_user, customer)
    if request.method == "POST":
        form = LocationForm()
        saved = form.validate_on_submit() and save_form(
            form,
            service.set_location,
            version=form.version.data,
            customer=customer,
            lat=form.lat.data,
            lon=form.lon.data,
            source=form.source.data,
            now=clock.now_utc(),
            done=_("Location saved."),
            back=lambda _saved: _detail_url(customer),
            conflict=lambda error: _customer_conflict(
                customer, error, "customers.location", source=form.source.data or "pinned"
            ),
        )
        if saved:
            return saved
        status = 400
    else:
        status = 200
        form = LocationForm(
            formdata=None,
            data={
                "version": str(customer.version),
                "source": "pinned",
                "lat": "" if customer.lat is None else f"{customer.lat:.6f}",
                "lon": "" if customer.lon is None else f"{customer.lon:.6f}",
            },
        )
    return render_template(
        "customers/location.html",
        customer=customer,
        form=form,
        tile_url=current_app.config.get("TILE_URL"),
    ), status


@bp.route("/leaflet/<path:filename>")
@login_required
def leaflet_asset(filename: str):
    """Leaflet's files from the installed XStatic package (no CDN: the app works offline)."""
    try:
        import xstatic.pkg.leaflet as leaflet
    except ImportError:
        abort(404)
    return send_from_directory(leaflet.BASE_DIR, filename, max_age=86400)


# --- contacts ------------------------------------------------------------------------------------

# Each part: its loader and remover in the service, the keyword both use for it, its place on the page.
PARTS = {
    "contacts": (contacts.get_contact, contacts.delete_contact, "contact", "#contacts"),
    "busy": (busy_periods.get_busy, busy_periods.delete_busy, "period", "#busy"),
}


def _editable_part(customer_id: int, part: str, part_id: int | None) -> tuple[Customer, Any]:
    """The customer (if the actor may edit it) and its contact or busy period (None for a new one)."""
    load, _remove, keyword, _anchor = PARTS[part]
    customer = _customer(customer_id)
    service.require_edit(current_user, customer)
    if part_id is None:
        return customer, None
    return customer, load(get_session(), customer=customer, **{f"{keyword}_id": part_id})


@bp.route("/<int:customer_id>/contacts/new", methods=["GET", "POST"])
@bp.route("/<int:customer_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def contact_form(customer_id: int, contact_id: int | None = None):
    """Add or change a contact person."""
    customer, contact = _editable_part(customer_id, "contacts", contact_id)
    if request.method == "POST":
        form = ContactForm()
    else:
        form = ContactForm(obj=contact) if contact else ContactForm()
        if contact is not None:
            form.loaded.data = contacts.contact_fingerprint(contact)
    status = 200
    if request.method == "POST":
        url = url_for("customers.contact_form", customer_id=customer.id, contact_id=contact_id)
        saved = form.validate_on_submit() and save_form(
            form,
            contacts.save_contact,
            customer=customer,
            data=form.values(),
            contact=contact,
            loaded=(form.loaded.data or None) if contact else None,
            done=_("Contact saved."),
            back=lambda _saved: _detail_url(customer, "#contacts"),
            conflict=lambda error: _conflict(
                customer,
                error,
                keys=contacts.CONTACT_FIELDS,
                keep_action=url,
                again_url=url,
                version_field="loaded",
            ),
        )
        if saved:
            return saved
        status = 400
    return _part_page("customers/contact_form.html", customer, form, status, contact=contact)


# --- busy periods --------------------------------------------------------------------------------


def _busy_spec(form: BusyForm) -> busy.BusySpec:
    start = end = None
    if not form.whole_day.data:
        start = busy.parse_hhmm(form.start_time.data, field="start_time")
        end = busy.parse_hhmm(form.end_time.data, field="end_time")
        if start is None and end is None:
            raise busy.BusyError(_("Enter the times, or tick “Whole day”."), "start_time")
    return busy.validate(
        kind=form.kind.data or "",
        weekdays=form.weekdays.data or [],
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        start_min=start,
        end_min=end,
        label=form.label.data,
    )


def _hhmm_input(minutes: int | None) -> str:
    if minutes is None:
        return ""
    minutes = min(minutes, 23 * 60 + 59)  # <input type=time> cannot show 24:00
    return minutes_hhmm(minutes, pad=True)


@bp.route("/<int:customer_id>/busy/new", methods=["GET", "POST"])
@bp.route("/<int:customer_id>/busy/<int:period_id>/edit", methods=["GET", "POST"])
@login_required
def busy_form(customer_id: int, period_id: int | None = None):
    """Add or change a busy period: weekly times, closed weekdays or a date range."""
    customer, period = _editable_part(customer_id, "busy", period_id)
    status = 200
    if request.method == "POST":
        form = BusyForm()
        saved = form.validate_on_submit() and save_form(
            form,
            busy_periods.save_busy,
            customer=customer,
            period=period,
            parse=lambda: {"spec": _busy_spec(form)},
            done=_("Busy period saved."),
            back=lambda _saved: _detail_url(customer, "#busy"),
        )
        if saved:
            return saved
        status = 400
    elif period is not None:
        form = BusyForm(
            formdata=None,
            data={
                "kind": period.kind,
                "weekdays": list(period.weekdays or ""),
                "start_date": period.start_date,
                "end_date": period.end_date,
                "whole_day": period.start_min is None,
                "start_time": _hhmm_input(period.start_min),
                "end_time": _hhmm_input(period.end_min),
                "label": period.label or "",
            },
        )
    else:
        form = BusyForm(formdata=None)
    return _part_page("customers/busy_form.html", customer, form, status, period=period)


# --- removing a contact or a busy period ----------------------------------------------------------


@bp.route(
    "/<int:customer_id>/contacts/<int:part_id>/delete",
    methods=["POST"],
    defaults={"part": "contacts"},
)
@bp.route(
    "/<int:customer_id>/busy/<int:part_id>/delete", methods=["POST"], defaults={"part": "busy"}
)
@login_required
def delete_part(customer_id: int, part: str, part_id: int):
    """Remove a contact person or a busy period."""
    _load, remove, keyword, anchor = PARTS[part]
    customer, row = _editable_part(customer_id, part, part_id)
    session = get_session()
    remove(session, actor=current_user, customer=customer, **{keyword: row})
    session.commit()
    flash(_("Contact removed.") if part == "contacts" else _("Busy period removed."), "info")
    return redirect(_detail_url(customer, anchor))
