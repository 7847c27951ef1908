"""*Me → API tokens*: make a personal token for an integration (shown once), see when each was last
used, revoke one. The API itself is /api/v1 (fieldapp/api/)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlmodel import Session

from ..db import get_session
from ..errors import ValidationError
from ..forms import EmptyForm
from ..services import api_tokens, clock
from .forms import ApiTokenForm
from .routes import bp

BACK = "#api-tokens"


def page_parts(session: Session) -> dict[str, Any]:
    """What the Me page's token card shows (templates/me/_api_tokens.html)."""
    return {
        "api_tokens": api_tokens.active_tokens(session, user=current_user),
        "api_token_form": ApiTokenForm(formdata=None),
        "api_revoke_form": EmptyForm(formdata=None),
    }


@bp.route("/me/api-tokens", methods=["POST"])
@login_required
def create_api_token():
    """Make a token and show it this once (only its hash is kept)."""
    form = ApiTokenForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Give the token a name, e.g. the tool that uses it."), "error")
        return redirect(url_for("me.index") + BACK)
    session = get_session()
    try:
        issued = api_tokens.create_token(
            session,
            actor=current_user,
            name=form.name.data,
            scope=form.scope.data,
            now=clock.now_utc(),
        )
    except ValidationError as error:
        session.rollback()
        flash(error.message, "error")
        return redirect(url_for("me.index") + BACK)
    session.commit()
    response = render_template("me/api_token_created.html", issued=issued)
    return response, 201, {"Cache-Control": "no-store"}


@bp.route("/me/api-tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_api_token(token_id: int):
    """Stop one of your tokens at once."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = get_session()
    row = api_tokens.revoke(session, actor=current_user, token_id=token_id, now=clock.now_utc())
    session.commit()
    flash(_("Token %(name)s revoked: it no longer works.", name=row.name), "info")
    return redirect(url_for("me.index") + BACK)
