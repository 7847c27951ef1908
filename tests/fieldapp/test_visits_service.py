"""log_visit and friends: validation, orders, follow-ups, idempotency, due dates in the team's timezone."""

from __future__ import annotations

import functools
import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from fieldapp.errors import Forbidden, NotFound, StaleEdit, ValidationError
from fieldapp.models import AuditEvent, Customer, FollowUp, OrderLine, User, Visit
from fieldapp.services import visits
from fieldapp.services.visits import FollowUpInput, OrderInput, VisitInput

NOW = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)  # 14:00 in Tokyo


@pytest.fixture
def people(make_people, make_customer, make_product):
    """The rep's team (rep, colleague, manager), an outsider, a customer of each team, a product."""
    people = make_people(
        rep={"name": "営業 一郎"},
        colleague={"name": "営業 二郎"},
        manager={"role": "manager"},
        outsider={"team": "other"},
    )
    return {
        **people,
        "customer": make_customer(
            team=people["team"], assigned_rep_id=people["rep"].id, cadence_days=14
        ),
        "foreign": make_customer(team=people["other_team"]),
        "product": make_product(name="業務用醤油", unit_price=1200),
    }


def basic(**overrides) -> VisitInput:
    fields = {"outcome": "met", "heard": "在庫確認、来週発注予定", **overrides}
    return VisitInput(**fields)


def count(db: Session, model, *where) -> int:
    return len(db.exec(select(model).where(*where)).all())


def log(
    session: Session,
    people: dict,
    data: VisitInput | None = None,
    *,
    actor: User | None = None,
    now: datetime = NOW,
    **kwargs,
) -> Visit:
    """log_visit by the rep (or `actor`) at the team's customer, the full input unless `data` is given."""
    return visits.log_visit(
        session,
        actor=actor or people["rep"],
        customer_id=people["customer"].id,
        data=data or full_input(people),
        now=now,
        **kwargs,
    )


# --- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Please choose the outcome of the visit."),
        ({"outcome": "danced"}, "Please choose the outcome of the visit."),
        ({"outcome": "met", "proposal_reception": "meh"}, "Unknown reception of the proposal."),
        (
            {"outcome": "met", "next_action_due": "next tuesday"},
            "Please enter the due date of the next action as a date.",
        ),
        ({"outcome": "met", "heard": "x" * 4001}, "Each note can be at most 4000 characters."),
        (
            {"outcome": "met", "orders": [{"product_id": 1, "quantity": 0}]},
            "The quantity must be between 1 and 99999.",
        ),
        (
            {"outcome": "met", "orders": [{"product_id": 1, "quantity": "two"}]},
            "The quantity must be a whole number.",
        ),
        (
            {"outcome": "met", "orders": [{"product_id": 1, "quantity": 1, "unit_price": -5}]},
            "The price must be a whole number of yen.",
        ),
        ({"outcome": "met", "orders": [{"quantity": 1}]}, "Please choose a product."),
        ({"outcome": "met", "orders": "lots"}, "The visit data is not in the expected form."),
        (
            {"outcome": "met", "followups": [{"kind": "quote", "title": "  "}]},
            "Please enter what needs to be followed up.",
        ),
        (
            {"outcome": "met", "followups": [{"kind": "party", "title": "x"}]},
            "Unknown kind of follow-up.",
        ),
        (
            {"outcome": "met", "check_in_at": "2026-11-20T10:00:00"},
            "Please give the time with its timezone.",
        ),
        (
            {
                "outcome": "met",
                "check_in_at": "2026-11-20T10:00:00+09:00",
                "check_out_at": "2026-11-20T09:00:00+09:00",
            },
            "The visit cannot end before it started.",
        ),
    ],
)
def test_from_mapping_refuses_bad_input_with_a_message(data, message):
    with pytest.raises(ValidationError) as caught:
        VisitInput.from_mapping(data)
    assert caught.value.message == message


def test_from_mapping_parses_json_like_data():
    data = VisitInput.from_mapping(
        {
            "outcome": "order_taken",
            "heard": "  新メニュー検討中  ",
            "needs": "",
            "proposal_reception": "considering",
            "next_action": "見積送付",
            "next_action_due": "2026-11-25",
            "orders": [{"product_id": "3", "quantity": "2", "unit_price": ""}],
            "followups": [{"kind": "quote", "title": "見積", "due_date": "2026-11-24"}],
            "check_in_at": "2026-11-20T05:00:00Z",
        }
    )
    assert data.heard == "新メニュー検討中" and data.needs is None
    assert data.next_action_due == date(2026, 11, 25)
    assert data.orders == (OrderInput(product_id=3, quantity=2, unit_price=None),)
    assert data.followups == (
        FollowUpInput(kind="quote", title="見積", due_date=date(2026, 11, 24)),
    )
    assert data.check_in_at == datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


def test_validation_message_in_japanese(app):
    with (
        app.test_request_context(headers={"Accept-Language": "ja"}),
        pytest.raises(ValidationError) as caught,
    ):
        VisitInput.from_mapping({"outcome": ""})
    assert caught.value.message == "訪問の結果を選んでください。"


# --- logging ----------------------------------------------------------------------------------------


def test_log_visit_stores_notes_and_advances_due_date(db, people):
    rep, customer = people["rep"], people["customer"]
    visit = visits.log_visit(
        db,
        actor=rep,
        customer_id=customer.id,
        data=basic(needs="価格", proposal_reception="positive", next_action_due=date(2026, 11, 27)),
        now=NOW,
    )
    db.commit()
    db.expire_all()
    stored = db.get(Visit, visit.id)
    assert stored.status == "done" and stored.rep_id == rep.id
    assert stored.heard == "在庫確認、来週発注予定" and stored.needs == "価格"
    assert stored.proposal_reception == "positive"
    assert stored.check_out_at == NOW
    customer = db.get(Customer, customer.id)
    assert customer.last_visit_on == date(2026, 11, 20)
    assert customer.next_due_on == date(2026, 12, 4)
    events = db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    visit_events = [e for e in events if e.entity == "visit"]
    customer_events = [e for e in events if e.entity == "customer"]
    assert len(visit_events) == 1 and visit_events[0].action == "create"
    assert json.loads(customer_events[0].after) == {
        "last_visit_on": "2026-11-20",
        "next_due_on": "2026-12-04",
    }


def test_orders_default_to_list_price_and_link_to_the_visit(db, people, make_product):
    rep, customer, product = people["rep"], people["customer"], people["product"]
    other = make_product(unit_price=500)
    visit = visits.log_visit(
        db,
        actor=rep,
        customer_id=customer.id,
        data=basic(
            outcome="order_taken",
            orders=(
                OrderInput(product_id=product.id, quantity=3),
                OrderInput(product_id=other.id, quantity=1, unit_price=450),
            ),
        ),
        now=NOW,
    )
    db.commit()
    lines = db.exec(select(OrderLine).order_by(OrderLine.id)).all()
    assert [(ln.product_id, ln.quantity, ln.unit_price) for ln in lines] == [
        (product.id, 3, 1200),
        (other.id, 1, 450),
    ]
    assert all(ln.source == "visit" and ln.visit_id == visit.id for ln in lines)
    assert all(
        ln.ordered_on == date(2026, 11, 20) and ln.customer_id == customer.id for ln in lines
    )


def test_unknown_or_inactive_product_changes_nothing(db, people, make_product):
    retired = make_product(active=False)
    with pytest.raises(ValidationError) as caught:
        log(db, people, basic(orders=(OrderInput(product_id=retired.id, quantity=1),)))
    db.rollback()
    assert caught.value.message == "That product is not in the catalogue."
    assert count(db, Visit) == 0 and count(db, OrderLine) == 0


def test_followups_owner_defaults_to_the_rep(db, people):
    rep, colleague, customer = people["rep"], people["colleague"], people["customer"]
    visit = visits.log_visit(
        db,
        actor=rep,
        customer_id=customer.id,
        data=basic(
            followups=(
                FollowUpInput(kind="quote", title="見積書を送る", due_date=date(2026, 11, 24)),
                FollowUpInput(kind="delivery", title="納期確認", owner_id=colleague.id),
            )
        ),
        now=NOW,
    )
    db.commit()
    items = db.exec(select(FollowUp).order_by(FollowUp.id)).all()
    assert [(f.kind, f.owner_id, f.state) for f in items] == [
        ("quote", rep.id, "open"),
        ("delivery", colleague.id, "open"),
    ]
    assert all(f.visit_id == visit.id and f.created_by_id == rep.id for f in items)


def test_followup_owner_from_another_team_is_refused(db, people):
    with pytest.raises(ValidationError):
        log(
            db,
            people,
            basic(followups=(FollowUpInput("quote", "x", owner_id=people["outsider"].id),)),
        )
    db.rollback()
    assert count(db, Visit) == 0 and count(db, FollowUp) == 0


def test_customer_of_another_team_does_not_exist(db, people):
    with pytest.raises(NotFound):
        visits.log_visit(
            db, actor=people["rep"], customer_id=people["foreign"].id, data=basic(), now=NOW
        )


def test_a_colleague_may_cover_and_is_the_author(db, people):
    visit = log(db, people, basic(), actor=people["colleague"])
    assert visit.rep_id == people["colleague"].id


@pytest.mark.parametrize(
    ("utc_time", "local_day"),
    [
        (datetime(2026, 11, 20, 14, 30, tzinfo=UTC), date(2026, 11, 20)),  # 23:30 JST
        (datetime(2026, 11, 20, 15, 30, tzinfo=UTC), date(2026, 11, 21)),  # 00:30 JST next day
    ],
)
def test_visit_date_is_the_teams_local_date(db, people, utc_time, local_day):
    customer = people["customer"]
    visits.log_visit(
        db,
        actor=people["rep"],
        customer_id=customer.id,
        data=basic(orders=(OrderInput(product_id=people["product"].id, quantity=1),)),
        now=utc_time,
    )
    db.commit()
    db.refresh(customer)
    assert customer.last_visit_on == local_day
    assert customer.next_due_on == local_day + timedelta(days=14)
    assert db.exec(select(OrderLine)).one().ordered_on == local_day


def test_an_older_visit_replayed_late_does_not_move_the_due_date_back(db, people):
    customer = people["customer"]
    visits.log_visit(db, actor=people["rep"], customer_id=customer.id, data=basic(), now=NOW)
    earlier = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
    visits.log_visit(
        db,
        actor=people["rep"],
        customer_id=customer.id,
        data=basic(check_in_at=earlier, check_out_at=earlier + timedelta(minutes=20)),
        now=NOW + timedelta(hours=1),
    )
    db.commit()
    db.refresh(customer)
    assert customer.last_visit_on == date(2026, 11, 20)


# --- idempotency ------------------------------------------------------------------------------------


def full_input(people) -> VisitInput:
    return basic(
        orders=(OrderInput(product_id=people["product"].id, quantity=2),),
        followups=(FollowUpInput(kind="quote", title="見積"),),
    )


def test_replayed_submission_is_stored_once(db, people):
    first = log(db, people, idempotency_key="outbox-1")
    db.commit()
    again = log(
        db,
        people,
        basic(heard="changed on the phone"),
        now=NOW + timedelta(minutes=5),
        idempotency_key="outbox-1",
    )
    db.commit()
    assert again.id == first.id
    assert db.get(Visit, first.id).heard == "在庫確認、来週発注予定"
    assert count(db, Visit) == 1 and count(db, OrderLine) == 1 and count(db, FollowUp) == 1
    assert count(db, AuditEvent, AuditEvent.entity == "visit") == 1


def test_someone_elses_key_is_refused(db, people):
    log(db, people, basic(), idempotency_key="k-1")
    db.commit()
    with pytest.raises(ValidationError):
        log(db, people, basic(), actor=people["colleague"], idempotency_key="k-1")


def test_lost_race_on_the_key_returns_the_winner(app, db, people, monkeypatch):
    """The unique key decides when the pre-check saw nothing: the loser gets the stored visit."""
    winner = log(db, people, idempotency_key="race")
    db.commit()
    real_by_key = visits.by_idempotency_key
    calls = []

    def blind_first(session, key):
        calls.append(key)
        return None if len(calls) == 1 else real_by_key(session, key)

    monkeypatch.setattr(visits, "by_idempotency_key", blind_first)
    with Session(app.extensions["fieldapp.engine"], expire_on_commit=False) as other:
        actor = other.get(User, people["rep"].id)
        loser = log(other, people, actor=actor, idempotency_key="race")
        other.commit()
    assert loser.id == winner.id and len(calls) == 2
    assert count(db, Visit) == 1 and count(db, OrderLine) == 1 and count(db, FollowUp) == 1


def test_two_concurrent_copies_store_one_visit(app, db, people):
    engine = app.extensions["fieldapp.engine"]
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                actor = session.get(User, people["rep"].id)
                barrier.wait(timeout=10)
                visit = log(session, people, actor=actor, idempotency_key="same-offline-note")
                session.commit()
                results.append(visit.id)
        except BaseException as exc:  # reported below: a thread must not swallow failures
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == 2 and results[0] == results[1]
    db.expire_all()
    assert count(db, Visit) == 1 and count(db, OrderLine) == 1 and count(db, FollowUp) == 1


# --- completing a check-in --------------------------------------------------------------------------


@pytest.fixture
def checked_in(db, people):
    visit = Visit(
        customer_id=people["customer"].id,
        rep_id=people["rep"].id,
        status="in_progress",
        check_in_at=NOW - timedelta(minutes=15),
        check_in_lat=35.0,
        check_in_lon=139.0,
    )
    db.add(visit)
    db.commit()
    return visit


def test_completing_a_checked_in_visit_updates_that_row(db, people, checked_in):
    visit = log(db, people, visit_id=checked_in.id, idempotency_key="done-1")
    db.commit()
    assert visit.id == checked_in.id and count(db, Visit) == 1
    db.expire_all()
    stored = db.get(Visit, checked_in.id)
    assert stored.status == "done" and stored.check_in_at == NOW - timedelta(minutes=15)
    assert stored.check_out_at == NOW and stored.check_in_lat == 35.0
    assert count(db, OrderLine, OrderLine.visit_id == visit.id) == 1
    # The same completion replayed is stored once; a second, different completion is refused.
    again = log(db, people, visit_id=checked_in.id, idempotency_key="done-1")
    assert again.id == visit.id and count(db, OrderLine) == 1
    with pytest.raises(ValidationError):
        log(db, people, basic(), visit_id=checked_in.id)


def test_only_the_rep_who_checked_in_completes_it(db, people, checked_in):
    with pytest.raises(Forbidden):
        log(db, people, basic(), actor=people["colleague"], visit_id=checked_in.id)


# --- editing and reading ----------------------------------------------------------------------------


def test_author_edits_note_with_version_check(db, people):
    visit = log(db, people, basic())
    db.commit()
    edit = functools.partial(visits.edit_visit, db, visit_id=visit.id, now=NOW)
    edited = edit(actor=people["rep"], data=basic(heard="訂正: 再来週発注"), expected_version=1)
    db.commit()
    assert edited.version == 2 and edited.heard == "訂正: 再来週発注"
    event = db.exec(
        select(AuditEvent).where(AuditEvent.entity == "visit", AuditEvent.action == "update")
    ).one()
    assert json.loads(event.before) == {"heard": "在庫確認、来週発注予定"}
    with pytest.raises(StaleEdit) as caught:
        edit(actor=people["rep"], data=basic(heard="old tab"), expected_version=1)
    assert caught.value.details["current"].heard == "訂正: 再来週発注"
    for other in (people["colleague"], people["manager"]):
        with pytest.raises(Forbidden):
            edit(actor=other, data=basic(), expected_version=2)
    with pytest.raises(NotFound):
        edit(actor=people["outsider"], data=basic(), expected_version=2)


def test_recent_visits_and_usual_products(db, people, make_product):
    customer = people["customer"]
    rare = make_product(name="たまに")
    for day in (10, 12, 14):
        when = datetime(2026, 11, day, 3, 0, tzinfo=UTC)
        visits.log_visit(
            db,
            actor=people["rep"],
            customer_id=customer.id,
            data=basic(
                heard=f"day {day}",
                orders=(OrderInput(product_id=people["product"].id, quantity=1),)
                + ((OrderInput(product_id=rare.id, quantity=1),) if day == 14 else ()),
            ),
            now=when,
        )
    db.commit()
    recent = visits.recent_visits(db, customer_id=customer.id, limit=2)
    assert [v.heard for v in recent] == ["day 14", "day 12"]
    usual = visits.usual_products(db, customer_id=customer.id)
    assert [p.id for p in usual] == [people["product"].id, rare.id]
