"""Sign in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..context import remember_signed_in
from ..db import get_session
from ..extensions import limiter
from ..forms import EmptyForm
from ..models import User
from ..services import users
from ..urls import safe_redirect_target
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def load_user(session_id: str) -> User | None:
    """Flask-Login loader (session and remember-me cookie): an active user whose session version is the
    one the cookie was made with, so ended sessions stay ended."""
    signed_in = users.load_signed_in(get_session(), session_id)
    if signed_in is None:
        return None
    remember_signed_in(signed_in)
    return signed_in.user


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_key() -> str:
    """The account a sign-in tries (the email typed), so guesses spread over many addresses still count."""
    return "account:" + users.normalise_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    """Only failed sign-ins count towards the limits (a success redirects)."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], key_func=_account_key, deduct_when=_failed)
def login():
    """Sign-in form."""
    if current_user.is_authenticated:
        return redirect(url_for("today.index"))
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        user = users.authenticate(session, email=form.email.data, password=form.password.data)
        if user is None:
            flash(_("Wrong email or password, or the account is disabled."), "error")
        else:
            session.commit()  # the sign-in time and an upgraded hash
            login_user(user, remember=form.remember.data)
            return redirect(safe_redirect_target(request.args.get("next"), url_for("today.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session."""
    form = EmptyForm()
    if form.validate_on_submit():
        session = get_session()
        users.end_sessions(session, user=current_user)
        session.commit()
        logout_user()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
