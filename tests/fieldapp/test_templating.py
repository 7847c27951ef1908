"""Template helpers live in fieldapp/templating.py, and pages with rows of notes or follow-ups query in batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event

from fieldapp import templating
from fieldapp.models import FollowUp
from fieldapp.services import visits

NOW = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


def _baseline() -> Flask:
    """A bare app with the same extensions: what Flask, Jinja, Babel, Login and CSRF register themselves."""
    bare = Flask(__name__)
    Babel(bare)
    CSRFProtect(bare)
    LoginManager(bare)
    return bare


def test_every_template_global_and_filter_comes_from_templating(app):
    bare = _baseline()
    assert set(app.jinja_env.globals) - set(bare.jinja_env.globals) == set(templating.GLOBALS)
    assert set(app.jinja_env.filters) - set(bare.jinja_env.filters) == set(templating.FILTERS)


def test_no_blueprint_adds_context_processors(app):
    for name, processors in app.template_context_processors.items():
        ours = [p for p in processors if p.__module__.startswith("fieldapp")]
        if name is None:
            assert [p.__module__ for p in ours] == ["fieldapp.templating"]
        else:
            assert ours == []


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run while the block runs."""
    engine = app.extensions["fieldapp.engine"]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _rows(db, *, customer, reps, product, n: int) -> None:
    """n visits with an order line each and n open follow-ups, spread over the reps."""
    for i in range(n):
        rep = reps[i % len(reps)]
        visits.log_visit(
            db,
            actor=rep,
            customer_id=customer.id,
            data=visits.VisitInput(
                outcome="met",
                heard=f"Heard {i}",
                orders=(visits.OrderInput(product_id=product.id, quantity=1),),
            ),
            now=NOW - timedelta(days=n - i),
        )
        db.add(FollowUp(customer_id=customer.id, kind="quote", title=f"Quote {i}", owner_id=rep.id))
    db.commit()


def _queries(client, app, url: str) -> int:
    client.get(url)  # warm up: the first request loads the login and the team
    with counted(app) as statements:
        page = client.get(url)
    assert page.status_code == 200
    return len(statements)


def test_customer_page_and_followups_list_query_the_same_whatever_the_row_count(
    app, client, db, make_team, make_user, make_customer, make_product, login_as
):
    team = make_team()
    reps = [make_user(team=team, language="en") for _ in range(3)]
    product = make_product()
    small = make_customer(team=team, assigned_rep_id=reps[0].id)
    large = make_customer(team=team, assigned_rep_id=reps[0].id)
    _rows(db, customer=small, reps=reps, product=product, n=2)
    _rows(db, customer=large, reps=reps, product=product, n=4)
    login_as(reps[0])

    few = _queries(client, app, f"/customers/{small.id}")
    many = _queries(client, app, f"/customers/{large.id}")
    assert many == few
    page = client.get(f"/customers/{large.id}").get_data(as_text=True)
    assert "Heard 3" in page and "Quote 3" in page and "Product" in page

    team_list = _queries(client, app, "/followups/?scope=team")
    _rows(db, customer=small, reps=reps, product=product, n=4)
    assert _queries(client, app, "/followups/?scope=team") == team_list


def test_page_title_is_the_heading_and_the_app_name_unless_the_page_names_it(
    client, make_team, make_user, make_customer, login_as
):
    team = make_team()
    rep = make_user(team=team, language="en")
    customer = make_customer(team=team, assigned_rep_id=rep.id, name="Sakura Izakaya")
    login_as(rep)
    titles = {
        "/customers/": "<title>Customers · Field Companion</title>",
        f"/customers/{customer.id}": "<title>Sakura Izakaya · Field Companion</title>",
        f"/customers/{customer.id}/history": "<title>History · Sakura Izakaya</title>",
        "/me": "<title>Me · Field Companion</title>",
    }
    for url, title in titles.items():
        assert title in client.get(url).get_data(as_text=True), url


def test_templates_translate_through_the_requests_catalogue_and_follow_force_locale(app):
    """The template gettext looks the catalogue up once per request and locale: a string renders in
    the request's language, and again in another inside force_locale (the e-mail and report paths)."""
    from flask_babel import force_locale

    render = app.jinja_env.from_string("{{ _('Today') }}").render
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with force_locale("ja"):
            japanese = render()
        with force_locale("en"):
            english = render()
        with force_locale("ja"):
            assert render() == japanese
    assert english == "Today" and japanese != english and japanese.strip()
    with app.app_context():
        assert templating.page_translations() is not None
