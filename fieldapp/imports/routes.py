"""Managers: CSV import with a per-row report, CSV export, and customers that still need a location."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from flask_login import current_user

from ..auth.decorators import manager_required
from ..db import get_session
from ..services import exporter, geocoding, importer
from .forms import ImportForm

bp = Blueprint("imports", __name__, url_prefix="/manage")


@bp.route("/import", methods=["GET", "POST"])
@manager_required
def upload():
    """Upload a CSV; all or nothing, with every bad row listed."""
    form = ImportForm()
    report = file_error = None
    if form.validate_on_submit():
        session = get_session()
        data = form.file.data.read()
        try:
            report = importer.import_and_locate(
                session,
                kind=form.kind.data,
                data=data,
                team_id=current_user.team_id,
                actor=current_user,
                dry_run=form.dry_run.data,
                config=current_app.config,
                # a request waits for the geocoder: the rest is left to `fieldapp geocode`
                geocode_limit=50,
            )
        except importer.ImportFileError as error:
            session.rollback()
            file_error = error.message
        else:
            if report.writes:
                session.commit()
            else:
                session.rollback()
    return render_template("imports/upload.html", form=form, report=report, file_error=file_error)


def _csv_response(lines, filename: str) -> Response:
    # Built in full before the response leaves: a streamed body would keep the request's database
    # session (and its locks) open for as long as the client takes to read, and a half-read download
    # would hold it indefinitely. 20,000 customers are a few megabytes.
    response = Response("".join(lines), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/export/customers.csv")
@manager_required
def export_customers():
    """The team's customers as CSV."""
    return _csv_response(
        exporter.customers_csv(get_session(), team_id=current_user.team_id), "customers.csv"
    )


@bp.route("/export/products.csv")
@manager_required
def export_products():
    """The product catalogue as CSV, in the import's columns."""
    return _csv_response(exporter.products_csv(get_session()), "products.csv")


@bp.route("/export/visits.csv")
@manager_required
def export_visits():
    """The team's visit history as CSV."""
    return _csv_response(
        exporter.visits_csv(get_session(), team_id=current_user.team_id), "visits.csv"
    )


@bp.route("/needs-location")
@manager_required
def needs_location():
    """Customers whose address could not be located: pin them by hand."""
    customers = geocoding.pending(get_session(), team_id=current_user.team_id)
    return render_template("imports/needs_location.html", customers=customers)
