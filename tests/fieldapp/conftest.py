"""Fixtures shared by the fieldapp tests (additive: each area adds the factories it needs)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from fieldapp.models import Product

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
        product = Product(**fields)
        db.add(product)
        db.commit()
        return product

    return make
