"""reasons and warnings stored as codes plus facts, not sentences

Revision ID: 0002_reason_codes
Revises: 0001
Create Date: 2026-12-06 03:40:00

Until now a dropped customer's `reason_detail` held the reason as sentences in every UI language
(`{"en": …, "ja": …}`) and a plan's `warnings` a list of `{"code", "en", "ja"}`. The app now stores the
planner's facts (`{"busy_until": 64800}`, `{"window": [a, b]}`, `{"appointment": s}`; exclusions
`{"excluded": true}`) and renders sentences when they are shown. This data migration rewrites stored
rows: facts are read back from the English sentence where its wording carries them, else `{}` (the code
alone still renders a sentence). Warnings keep their code (and the return time of a late return); the
customer they named cannot be recovered from a sentence, so they render without a name.

Downgrade is a no-op: the sentences cannot be rebuilt without the app's catalogs, and the old reader
showed its fallback for rows it could not read, so the converted rows stay as they are.

Plain SQLAlchemy core only (no dialect-specific SQL): runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002_reason_codes"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Codes of customers left out before planning (or removed by the rep): their sentence needs no facts.
_EXCLUSION_CODES = ("closed", "no_location")
# The English exclusion sentence for busy_all_day; the planner's own busy_all_day read differently.
_EXCLUDED_BUSY = "busy for the whole working day"
_TIME = r"(\d{1,2}):(\d{2})"
_ROAD_ENGINE_NOTE = "road engine unreachable"

drops = sa.table(
    "dayplandrop",
    sa.column("id", sa.Integer),
    sa.column("reason_code", sa.String),
    sa.column("reason_detail", sa.String),
)
plans = sa.table("dayplan", sa.column("id", sa.Integer), sa.column("warnings", sa.String))


def _seconds(hours: str, minutes: str) -> int:
    return int(hours) * 3600 + int(minutes) * 60


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def drop_facts(code: str, detail: str | None) -> str | None:
    """The facts JSON for an old reason_detail (None stays None; rows already converted are kept)."""
    if detail is None:
        return None
    old = _loads(detail)
    if isinstance(old, dict) and not ({"en", "ja"} & set(old)):
        return detail  # already facts
    english = str(old.get("en") or "") if isinstance(old, dict) else str(old)
    facts: dict[str, Any] = {}
    if code in _EXCLUSION_CODES or (code == "busy_all_day" and english == _EXCLUDED_BUSY):
        facts["excluded"] = True
    elif code == "removed":
        return None
    elif match := re.search(r"appointment at " + _TIME, english):
        facts["appointment"] = _seconds(*match.groups())
    elif match := re.search(r"busy until " + _TIME, english):
        facts["busy_until"] = _seconds(*match.groups())
    elif match := re.search(r"from " + _TIME + " to " + _TIME, english):
        start_h, start_m, end_h, end_m = match.groups()
        facts["window"] = [_seconds(start_h, start_m), _seconds(end_h, end_m)]
    return json.dumps(facts)


def warning_items(warnings: str | None) -> str | None:
    """The codes JSON for an old warnings list of {"code", "en", "ja"}."""
    if not warnings:
        return warnings
    old = _loads(warnings)
    if not isinstance(old, list):
        return None
    items: list[dict[str, Any]] = []
    for item in old:
        if not isinstance(item, dict) or "code" not in item:
            continue
        if not ({"en", "ja"} & set(item)):
            items.append(item)  # already converted
            continue
        code, english = str(item["code"]), str(item.get("en") or "")
        new: dict[str, Any] = {"code": code}
        if code == "note":
            if english.startswith(_ROAD_ENGINE_NOTE):
                new = {"code": "road_engine_fallback"}
            else:
                new = {"code": "planner_note", "note": english}
        elif code == "late_return" and (match := re.search(r"Back at " + _TIME, english)):
            new["at"] = _seconds(*match.groups())
        items.append(new)
    return json.dumps(items) if items else None


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(drops.c.id, drops.c.reason_code, drops.c.reason_detail).where(
            drops.c.reason_detail.is_not(None)
        )
    ).all()
    for row in rows:
        facts = drop_facts(row.reason_code, row.reason_detail)
        if facts != row.reason_detail:
            connection.execute(
                sa.update(drops).where(drops.c.id == row.id).values(reason_detail=facts)
            )
    rows = connection.execute(
        sa.select(plans.c.id, plans.c.warnings).where(plans.c.warnings.is_not(None))
    ).all()
    for row in rows:
        items = warning_items(row.warnings)
        if items != row.warnings:
            connection.execute(sa.update(plans).where(plans.c.id == row.id).values(warnings=items))


def downgrade() -> None:
    """No-op: see the module docstring (the sentences cannot be rebuilt here)."""
