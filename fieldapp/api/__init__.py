"""The JSON API under `/api/`: the phone's outbox sends what it kept offline here (`sync.py`)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import sync  # noqa: E402, F401  (the module adds its routes to bp)
