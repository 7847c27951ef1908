"""Sign in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..db import get_session
from ..extensions import limiter
from ..forms import EmptyForm
from ..models import User
from ..services import users
from .forms import LoginForm

bp = Blueprint("auth", __name__)


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: only active users stay signed in."""
    if not user_id.isdigit():
        return None
    user = get_session().get(User, int(user_id))
    return user if user is not None and user.active else None


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login (no scheme, no host, no protocol-relative //)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
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
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("today.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session."""
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
