"""Today: the rep's day at `/` and `/day/<day>`, its buttons (`routes.py`), its map and .ics file (`map.py`).

The page model is `page.py`; the templates are `templates/today/` and `templates/_partials/stop_card.html`.
"""

from flask import Blueprint

bp = Blueprint("today", __name__)

from . import map, routes, week  # noqa: E402, F401  (each module adds its routes to bp)
