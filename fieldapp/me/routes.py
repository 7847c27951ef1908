"""*Me*: profile, language, the calendar subscription (and its feed), sign-out."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from ..context import current_team, unread_report_comments
from ..db import get_session
from ..errors import StaleEdit, ValidationError
from ..forms import EmptyForm, apply_error, save_form
from ..models import Team
from ..services import clock, planning_settings, users
from ..services.day import calendar as calendar_feed
from ..today.map import ics_response
from .forms import LanguageForm, PasswordForm
from .settings_form import PlanningSettingsForm, saving, settings_input

bp = Blueprint("me", __name__)


@bp.route("/me", methods=["GET", "POST"])
@login_required
def index():
    """Profile, language, planning settings and sign-out."""
    session = get_session()
    form = LanguageForm(language=current_user.language or "")
    if form.validate_on_submit():
        users.set_language(session, user=current_user, language=form.language.data or None)
        session.commit()
        flash(_("Settings saved."), "info")
        return redirect(url_for("me.index"))
    return _page(form=form)


def _page(*, form: LanguageForm | None = None, planning_form: PlanningSettingsForm | None = None):
    session = get_session()
    if planning_form is None:
        planning_form = PlanningSettingsForm(formdata=None)
        planning_form.fill(current_user)
    return render_template(
        "me/index.html",
        form=form or LanguageForm(formdata=None, language=current_user.language or ""),
        planning_form=planning_form,
        settings=planning_settings.settings_for(session, current_user),
        team=current_team(),
        logout_form=EmptyForm(),
        calendar_form=EmptyForm(),
        unread_report_comments=unread_report_comments(),  # the count the Me tab shows too
        **tokens.page_parts(session),
    )


@bp.route("/me/planning", methods=["POST"])
@login_required
def planning():
    """Save my planning settings: where my day starts and ends, my days and hours, lunch, travel."""
    form = PlanningSettingsForm()
    if form.validate_on_submit():
        saved = save_form(
            form,
            saving(planning_settings.update_settings),
            user=current_user,
            version=form.version.data,
            parse=lambda: settings_input(form, get_session()),
            done=_("Planning settings saved."),
            back=lambda _user: url_for("me.index") + "#planning",
            conflict=_stale_settings,
        )
        if saved:
            return saved
    return _page(planning_form=form), 400


def _stale_settings(error: StaleEdit):
    flash(error.message, "error")
    return redirect(url_for("me.index") + "#planning")


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; after a manager's reset, the only page open until it is done."""
    session = get_session()
    form = PasswordForm()
    # The user row itself (login_user below must not be given the current_user proxy).
    me = current_user._get_current_object()
    forced = me.must_change_password
    if form.validate_on_submit():
        try:
            user = users.change_password(
                session,
                actor=me,
                current=form.current_password.data,
                new=form.new_password.data,
                confirm=form.confirm_password.data,
            )
        except ValidationError as error:
            session.rollback()
            apply_error(form, error)
        else:
            session.commit()
            # Every session of the user ended with the change; this browser continues under the new one.
            login_user(user)
            flash(_("Your password was changed. Other devices are signed out."), "info")
            return redirect(url_for("me.index") if not forced else url_for("today.index"))
    return render_template("me/password.html", form=form, forced=forced, logout_form=EmptyForm())


@bp.route("/calendar/<token>.ics")
def ical_feed(token: str):
    """The subscription feed: public, opened by the user's secret token (calendar apps cannot sign in)."""
    session = get_session()
    user = calendar_feed.user_for_token(session, token=token)
    if user is None:
        abort(404)
    team = get_session().get(Team, user.team_id)
    now = clock.now_utc()
    today = clock.local_today(team.timezone, now)
    first, last = calendar_feed.feed_window(today)
    # Nobody is signed in here: words in the feed follow the owner's language setting.
    with force_locale(user.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        days = calendar_feed.calendar_days(session, rep=user, first=first, last=last, today=today)
        body = calendar_feed.build_calendar(
            rep=user,
            team=team,
            days=days,
            now=now,
            name=_("Visits of %(name)s", name=user.name),
            customer_url=lambda cid: url_for("customers.detail", customer_id=cid, _external=True),
        )
    return ics_response(body, None)


@bp.route("/me/calendar", methods=["POST"])
@login_required
def calendar_token():
    """Create or replace the subscription secret (the old URL stops working), or turn it off."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    action = request.form.get("action")
    session = get_session()
    if action == "rotate":
        had_one = current_user.calendar_token is not None
        calendar_feed.rotate_token(session, actor=current_user)
        session.commit()
        flash(
            _("New calendar address made; the old one no longer works.")
            if had_one
            else _("Calendar address made. Add it to your calendar app."),
            "info",
        )
    elif action == "revoke":
        calendar_feed.revoke_token(session, actor=current_user)
        session.commit()
        flash(_("Calendar subscription turned off."), "info")
    else:
        abort(400)
    return redirect(url_for("me.index") + "#calendar")


from . import tokens  # noqa: E402  (adds the API token routes to bp)
