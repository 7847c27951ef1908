"""Role checks for routes (server-side; the UI hiding a link is never the protection)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required


def manager_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in as a manager or admin, else 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_manager:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
