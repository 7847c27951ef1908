"""Fixtures shared by the fieldapp tests (additive: each area adds the factories it needs)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from fieldapp.models import Customer, Product, Team, User
from fieldapp.services import clock, customers
from tests.conftest import saved

_product_counter = itertools.count(1)


@pytest.fixture
def make_product(db: Session) -> Callable[..., Product]:
    """make_product(name="...", unit_price=1200, ...) → a committed catalogue product."""

    def make(**overrides: Any) -> Product:
        n = next(_product_counter)
        fields: dict[str, Any] = {
            "code": f"P{n:05d}",
            "name": f"商品 {n}",
            "name_en": f"Product {n}",
            "category": "food",
            "unit_price": 1000,
            **overrides,
        }
        return saved(db, Product(**fields))

    return make


# --- customers (test_customers_service and test_customers_routes) -----------------------------------


@pytest.fixture
def team(make_team: Callable[..., Team]) -> Team:
    """The team of the customer tests."""
    return make_team()


@pytest.fixture
def rep(make_user: Callable[..., User], team: Team) -> User:
    """A Japanese-speaking rep of `team`."""
    return make_user(team=team, name="営業 一郎", language="ja")


@pytest.fixture
def add_customer(
    make_customer: Callable[..., Customer], db: Session, team: Team, rep: User
) -> Callable[..., Customer]:
    """A customer of the team (assigned to `rep`) whose search text is built like the app builds it."""

    def make(**overrides: Any) -> Customer:
        overrides.setdefault("assigned_rep_id", rep.id)
        customer = make_customer(team=overrides.pop("team", team), **overrides)
        customer.search_text = customers.search_text_for(customer)
        db.add(customer)
        db.commit()
        return customer

    return make


def update_now(
    session: Session, *, actor: User, customer: Customer, version: int, **data: Any
) -> Customer:
    """update_customer at this moment with `data` as the submitted fields (under a request context)."""
    return customers.update_customer(
        session, actor=actor, customer=customer, version=version, data=data, now=clock.now_utc()
    )
