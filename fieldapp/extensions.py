"""Flask extensions, created unbound and attached in create_app()."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"

csrf = CSRFProtect()
babel = Babel()
# No default limits: only the login form is limited, where guessing passwords happens.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def select_locale() -> str:
    """The user's own language setting, else the browser's preference, else Japanese."""
    from flask import current_app, has_request_context, session

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and jobs: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    # ?lang= (the switch on the sign-in page) is remembered for the browser session.
    override = request.args.get("lang")
    if override in languages:
        session["lang"] = override
        return override
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("lang") in languages:
        return session["lang"]
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def select_timezone() -> str:
    """The team's timezone for the signed-in user, else the configured default."""
    from flask import current_app, has_request_context

    from .context import team_timezone_name

    if not has_request_context():
        return current_app.config["DEFAULT_TIMEZONE"]
    return team_timezone_name()
