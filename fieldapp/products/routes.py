"""Products: the catalogue list (kana-aware search) and one product's page. Every signed-in member reads
them; buyers and figures are of the reader's own team only. The catalogue is edited by import."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from ..context import team_today
from ..db import get_session
from ..models import Product
from ..services import catalog

bp = Blueprint("products", __name__, url_prefix="/products")


@bp.route("/")
@login_required
def index():
    """Search the catalogue by code, name, reading, category or tag."""
    query = request.args.get("q", "")[:100]
    page = request.args.get("page", 1, type=int) or 1
    result = catalog.search(get_session(), query=query, page=page)
    return render_template("products/index.html", result=result)


@bp.route("/<int:product_id>")
@login_required
def detail(product_id: int):
    """One product: price and pack, its predecessor or successor, who in the team buys it, its trend."""
    session = get_session()
    product = session.get(Product, product_id)
    if product is None:
        abort(404)
    page = catalog.detail(
        session, product=product, team_id=current_user.team_id, today=team_today()
    )
    return render_template("products/detail.html", page=page)
