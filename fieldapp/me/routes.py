"""*Me*: profile, language, the calendar subscription (and its feed), sign-out."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..context import current_team
from ..db import get_session
from ..forms import EmptyForm
from ..models import Team
from ..services import clock, users
from ..services.day import calendar as calendar_feed
from ..today.map import ics_response
from .forms import LanguageForm

bp = Blueprint("me", __name__)


@bp.route("/me", methods=["GET", "POST"])
@login_required
def index():
    """Profile, language and sign-out."""
    session = get_session()
    form = LanguageForm(language=current_user.language or "")
    if form.validate_on_submit():
        users.set_language(session, user=current_user, language=form.language.data or None)
        session.commit()
        flash(_("Settings saved."), "info")
        return redirect(url_for("me.index"))
    return render_template(
        "me/index.html",
        form=form,
        team=current_team(),
        logout_form=EmptyForm(),
        calendar_form=EmptyForm(),
        **tokens.page_parts(session),
    )


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
