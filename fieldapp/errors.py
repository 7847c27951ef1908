"""Domain errors raised by services, and the one place that turns errors into responses."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the domain was broken; the message is shown to the user."""

    status_code = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class ValidationError(DomainError):
    status_code = 400


class StaleEdit(DomainError):
    """Someone else saved first: the caller shows both versions."""

    status_code = 409


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, title: str, message: str):
    """An error page in the user's language, or JSON for the API."""
    if _wants_json():
        return jsonify(error=message, status=status), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def domain_error_response(error: DomainError):
    """Roll back what the refused request wrote, then say why."""
    from .db import get_session

    get_session().rollback()
    titles = {404: _("Not found"), 403: _("Not allowed"), 409: _("Changed by someone else")}
    return render_error(
        error.status_code, titles.get(error.status_code, _("Please check")), error.message
    )


def register(app: Flask) -> None:
    """Error pages in the user's language; JSON for the API."""
    from .db import get_session

    app.register_error_handler(DomainError, domain_error_response)

    @app.errorhandler(403)
    def forbidden(_error: HTTPException):
        return render_error(403, _("Not allowed"), _("You do not have access to this page."))

    @app.errorhandler(404)
    def not_found(_error: HTTPException):
        return render_error(404, _("Not found"), _("The page you asked for does not exist."))

    @app.errorhandler(429)
    def too_many(_error: HTTPException):
        return render_error(
            429, _("Too many attempts"), _("Too many attempts. Please wait a minute and try again.")
        )

    @app.errorhandler(413)
    def too_large(_error: HTTPException):
        limit_mb = (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        return render_error(
            413,
            _("File too large"),
            _("The file is too large: at most %(n)d MB can be sent.", n=limit_mb),
        )

    @app.errorhandler(OverflowError)
    @app.errorhandler(sa_exc.DataError)
    def out_of_range(_error: Exception):
        # A number or text the database cannot hold (an id past the id columns' range, a value too long for its column)
        # slipped past the checks: the request is refused, nothing of it is kept.
        get_session().rollback()
        return render_error(
            400, _("Please check"), _("Some of the data sent is out of range. Nothing was saved.")
        )

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    def database_unavailable(error: sa_exc.DBAPIError):
        """Busy or briefly gone even after the retries: nothing was saved, say so (503 lets the phone's
        outbox send it again later)."""
        from .db import is_transient

        get_session().rollback()
        if not is_transient(error):
            raise error
        title = _("Please try again")
        message = _(
            "The database is busy or briefly unavailable. Nothing was saved; please try again."
        )
        try:
            response = make_response(*render_error(503, title, message))
        except sa_exc.SQLAlchemyError:
            # Gone entirely: the page cannot read the signed-in user, so it is shown without them.
            from flask import g

            from .extensions import login_manager

            get_session().rollback()
            g._login_user = login_manager.anonymous_user()
            response = make_response(*render_error(503, title, message))
        response.headers["Retry-After"] = "5"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return render_error(
            400,
            _("Form expired"),
            _("The form has expired or was sent from elsewhere. Please reload and try again."),
        )

    @app.errorhandler(500)
    def server_error(_error: Exception):
        # Roll back first so the error page itself can still read the database.
        get_session().rollback()
        return render_error(
            500, _("Something went wrong"), _("An unexpected error occurred. Please try again.")
        )
