"""Risk: a customer ordering less often or less than its own history, negative visits, open complaints."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .model import Kind, Note, Order, Prompt

RECENT_DAYS = 90
# The baseline is the year before the recent window, scaled to 90 days.
BASELINE_DAYS = 270
MIN_BASELINE_ORDER_DAYS = 4
DROP = 0.6  # below 60 % of the customer's own usual
NEGATIVE_OUTCOMES = frozenset({"complaint_handled"})
MIN_NEGATIVE_VISITS = 2
WINDOW_DAYS = 30


@dataclass(frozen=True)
class OrderPace:
    """Order days and yen in the recent window and in the baseline before it (SQL can count these)."""

    recent_days: int
    recent_yen: int
    base_days: int
    base_yen: int

    @classmethod
    def of(cls, orders: Iterable[Order], today: date) -> OrderPace:
        start = today - timedelta(days=RECENT_DAYS)
        base_start = start - timedelta(days=BASELINE_DAYS)
        recent_days, base_days = set(), set()
        recent_yen = base_yen = 0
        for o in orders:
            if start <= o.ordered_on < today:
                recent_days.add(o.ordered_on)
                recent_yen += o.quantity * o.unit_price
            elif base_start <= o.ordered_on < start:
                base_days.add(o.ordered_on)
                base_yen += o.quantity * o.unit_price
        return cls(len(recent_days), recent_yen, len(base_days), base_yen)


def risk_prompt(
    customer_id: int,
    orders: Iterable[Order],
    notes: Iterable[Note],
    *,
    open_complaints: int,
    today: date,
    pace: OrderPace | None = None,
) -> Prompt | None:
    """One prompt listing every reason this customer looks at risk, or None."""
    start = today - timedelta(days=RECENT_DAYS)
    pace = pace or OrderPace.of(orders, today)
    recent_yen, base_yen = pace.recent_yen, pace.base_yen
    scale = RECENT_DAYS / BASELINE_DAYS
    reasons: list[dict] = []
    lost_yen = 0
    if pace.base_days >= MIN_BASELINE_ORDER_DAYS:
        usual_orders = pace.base_days * scale
        if pace.recent_days < DROP * usual_orders:
            reasons.append(
                {"code": "fewer_orders", "now": pace.recent_days, "usual": round(usual_orders)}
            )
        usual_yen = base_yen * scale
        if usual_yen > 0 and recent_yen < DROP * usual_yen:
            reasons.append({"code": "less_spend", "pct": round(100 * (1 - recent_yen / usual_yen))})
            lost_yen = round(usual_yen - recent_yen)
    negative = [
        n
        for n in notes
        if start <= n.visited_on <= today
        and (n.reception == "negative" or n.outcome in NEGATIVE_OUTCOMES)
    ]
    if len(negative) >= MIN_NEGATIVE_VISITS:
        reasons.append({"code": "negative_visits", "n": len(negative)})
    if open_complaints:
        reasons.append({"code": "open_complaints", "n": open_complaints})
    if not reasons:
        return None
    return Prompt(
        kind=Kind.RISK,
        code="at_risk",
        facts={"reasons": reasons},
        customer_id=customer_id,
        product_ids=(),
        value_yen=lost_yen,
        confidence=round(min(0.9, 0.3 + 0.2 * len(reasons)), 3),
        expires_on=today + timedelta(days=WINDOW_DAYS),
    )  # fmt: skip
