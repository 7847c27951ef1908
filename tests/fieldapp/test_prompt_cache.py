"""Prompts kept per customer under its insights token: shown again without reading the history, and
renewed in the database (so in every worker) by any write to what they are drawn from."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import event
from sqlmodel import select

from fieldapp.models import Contact, Customer, FollowUp, OrderLine, PromptFeedback, Visit
from fieldapp.services import clock, prompts


@pytest.fixture
def regular(db, make_team, make_user, make_customer, make_product):
    """A customer ordering soy sauce every 30 days, due now."""
    team = make_team()
    rep = make_user(team=team, language="en")
    customer = make_customer(team=team, assigned_rep_id=rep.id)
    soy = make_product(name="業務用醤油", name_en="Soy sauce", unit_price=4200)
    today = clock.local_today(team.timezone)
    for n in range(6):
        db.add(OrderLine(customer_id=customer.id, product_id=soy.id, quantity=2, unit_price=4200,
                         ordered_on=today - timedelta(days=29 + 30 * n), source="imported"))  # fmt: skip
    db.commit()
    return {"team": team, "rep": rep, "customer": customer, "soy": soy, "today": today}


def token(db, customer_id: int) -> str:
    db.expire_all()
    return db.exec(select(Customer.insights_token).where(Customer.id == customer_id)).one()


def kinds_of(found: dict[int, list], customer_id: int) -> list[tuple[str, str]]:
    return [(p.kind, p.code) for p in found.get(customer_id, [])]


def test_prompts_shown_again_come_from_the_cache(app, db, regular, monkeypatch):
    cid, today = regular["customer"].id, regular["today"]
    first = prompts.prompts_for(db, customer_ids=[cid], today=today)
    assert ("reorder", "reorder_due") in kinds_of(first, cid)

    def history_read_again(*args, **kwargs):
        raise AssertionError("the customer's history was read again")

    monkeypatch.setattr(prompts, "customer_data", history_read_again)
    assert prompts.prompts_for(db, customer_ids=[cid], today=today) == first
    # another day, other kinds or another number are other questions
    with pytest.raises(AssertionError, match="history was read again"):
        prompts.prompts_for(db, customer_ids=[cid], today=today + timedelta(days=1))


def test_every_write_to_what_prompts_read_renews_the_token(app, db, regular):
    customer, soy, today = regular["customer"], regular["soy"], regular["today"]
    cid = customer.id
    before = prompts.prompts_for(db, customer_ids=[cid], today=today)
    assert ("reorder", "reorder_due") in kinds_of(before, cid)
    seen = {token(db, cid)}

    # today's order: the reorder is answered, and the next page says so (not the cached prompt)
    db.add(OrderLine(customer_id=cid, product_id=soy.id, quantity=2, unit_price=4200,
                     ordered_on=today - timedelta(days=1), source="visit"))  # fmt: skip
    db.commit()
    assert token(db, cid) not in seen
    seen.add(token(db, cid))
    after = prompts.prompts_for(db, customer_ids=[cid], today=today)
    assert ("reorder", "reorder_due") not in kinds_of(after, cid)

    rep_id = regular["rep"].id
    visit = Visit(customer_id=cid, rep_id=rep_id, status="done", heard="needs more soy sauce")
    writes = [
        lambda: db.add(visit),
        lambda: setattr(visit, "needs", "a second fryer"),  # a note edited in place
        lambda: db.add(
            FollowUp(
                customer_id=cid,
                kind="trouble",
                title="late delivery",
                owner_id=rep_id,
                created_by_id=rep_id,
            )
        ),  # fmt: skip
        lambda: db.add(Contact(customer_id=cid, name="Owner", birthday=date(1970, 1, 2))),
        lambda: db.add(
            PromptFeedback(
                visit_id=visit.id,
                customer_id=cid,
                rep_id=rep_id,
                kind="reorder",
                code="reorder_due",
                product_id=soy.id,
                response="declined",
                answered_on=today,
            )
        ),  # fmt: skip
        lambda: setattr(db.get(Customer, cid), "segment", "clinic"),
    ]
    for write in writes:
        write()
        db.commit()
        assert token(db, cid) not in seen
        seen.add(token(db, cid))


def test_a_customer_recreated_under_the_same_id_gets_its_own_prompts(app, db, regular):
    customer = regular["customer"]
    other = Customer(name="Another", team_id=customer.team_id)
    db.add(other)
    db.commit()
    # random, not counted: two customers never share a token (a restored or emptied database either)
    assert token(db, customer.id) != token(db, other.id)
    assert len(token(db, other.id)) == 16


def test_the_order_pace_counted_with_the_order_days_is_exact(db, regular, make_product):
    """The candidate pool's risk pace comes from the order-day rows (a day's lines summed): order days
    and yen per window equal those counted line by line, prices differing within a day included."""
    from fieldapp.insights.model import Order
    from fieldapp.insights.risk import OrderPace

    customer, today = regular["customer"], regular["today"]
    mirin = make_product(name="みりん", unit_price=900)
    for days_ago, quantity, price in (
        (3, 1, 900),
        (3, 2, 850),
        (120, 5, 800),
        (200, 1, None),
        (0, 9, 900),
    ):
        db.add(OrderLine(customer_id=customer.id, product_id=mirin.id, quantity=quantity,
                         unit_price=price, ordered_on=today - timedelta(days=days_ago),
                         source="imported"))  # fmt: skip
    db.commit()
    lines = db.exec(select(OrderLine).where(OrderLine.customer_id == customer.id)).all()
    exact = OrderPace.of(
        [
            Order(customer.id, o.product_id, o.ordered_on, o.quantity, o.unit_price or 0)
            for o in lines
        ],
        today,
    )
    data = prompts.customer_data(
        db, customer_ids=[customer.id], today=today, kinds=(prompts.Kind.REORDER, prompts.Kind.RISK)
    )
    assert data[customer.id].pace == exact
    # soy on 3 days of the last 90, mirin 3 days ago at two prices (not 3 × 900), today's not yet
    assert exact.recent_days == 4 and exact.recent_yen == 3 * 2 * 4200 + 900 + 2 * 850


def test_prompt_views_name_products_from_the_catalogue_they_were_drawn_with(app, db, regular):
    """The cards' product names come from the catalogue already read for the prompts: one question to
    the product table per page, in the UI's language."""
    cid, today = regular["customer"].id, regular["today"]
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.test_request_context(), force_locale("en"):
            english = prompts.views_for(db, customer_ids=[cid], today=today)
        with app.test_request_context(), force_locale("ja"):
            japanese = prompts.views_for(db, customer_ids=[cid], today=today)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert "Soy sauce" in english[cid][0].title
    assert "業務用醤油" in japanese[cid][0].title
    assert len([s for s in statements if re.search(r"\bFROM product\b", s)]) == 2  # one per call
