"""The JSON API under `/api/`: the phone's outbox sends what it kept offline here (`sync.py`), and
integrations use `/api/v1` (`v1.py`, documented at /api/v1/openapi.json) with personal tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import sync  # noqa: E402, F401  (the module adds its routes to bp)
from .auth import guard  # noqa: E402
from .v1 import api as v1_api  # noqa: E402
from .v1 import bp as v1_bp  # noqa: E402

bp.register_blueprint(v1_bp)
_public = {f"{bp.name}.{endpoint}" for endpoint in v1_api.public_endpoints()}
bp.before_request(lambda: guard(_public))
