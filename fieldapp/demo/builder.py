"""The demo generator: one table after the other from a single random stream, bulk-inserted."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from .. import search_index
from ..models import (
    BusyPeriod,
    Contact,
    Customer,
    DayPlan,
    DayPlanStop,
    FollowUp,
    OrderLine,
    Product,
    RepAbsence,
    Role,
    Team,
    User,
    Visit,
)
from ..services.geo import haversine_km
from ..services.text import customer_search_text
from .names import (
    AREAS,
    CADENCE,
    CATALOG,
    CLINIC_KINDS,
    COMPANY_HEADS,
    CONTACT_ROLES,
    EXTRA_TEAM_NAMES,
    FACTORY_TAILS,
    FOLLOWUP_TITLES,
    GIVEN_NAMES,
    HOBBIES,
    KEYWORDS,
    LAUNCHES,
    NEED_PHRASES,
    NEW_PRODUCTS,
    NOTE_TEMPLATES,
    OFFICE_TAILS,
    OFFICES,
    PACKS,
    PERSONAL_NOTES,
    RESTAURANT_KINDS,
    RESTAURANT_NAMES,
    SEGMENT_WEIGHTS,
    SEGMENTS,
    SHOP_KINDS,
    SURNAMES,
    TAGS,
    VISIT_HOURS,
    VISIT_MINUTES,
)

DEMO_PASSWORD = "fieldcompanion"  # every demo user's password
TOKYO = ZoneInfo("Asia/Tokyo")
CHUNK = 20_000  # rows per bulk INSERT
BEHIND_SHARE = 0.1  # of a behind rep's active customers visited well past their cadence
PAST_PLAN_DAYS = 20  # working days of past day plans (the team dashboard's "plan kept")
STYLES = 3  # kinds of business within a segment, each with its own tastes


@dataclass(frozen=True)
class DemoLogin:
    """A demo user to sign in as, for the list the CLI prints."""

    email: str
    role: str
    team: str
    name: str


@dataclass
class _CustomerPlan:
    """What the generator decided about one customer, kept to derive its history."""

    id: int
    team_id: int
    rep_id: int
    segment: str
    rank: str
    status: str
    cadence: int
    visit_minutes: int
    trend: float
    last_visit: date | None = None
    orders_until: date | None = None
    # what it buys and when: (product id, price, season months or None, first day, last day)
    basket: list[tuple[int, int, frozenset[int] | None, date, date]] = field(default_factory=list)
    # products it started buying during the history, with the day: a need is heard before that
    adoptions: list[tuple[int, date]] = field(default_factory=list)


class Builder:
    """Generates one table after the other from a single random stream (so the seed fixes everything)."""

    def __init__(self, session: Session, rng: random.Random, today: date) -> None:
        self.session = session
        self.rng = rng
        self.today = today
        self.logins: list[DemoLogin] = []
        self.team_hubs: dict[int, tuple[float, float]] = {}
        self.team_names: dict[int, str] = {}
        # The coaching figures' own stream (behind on cadence, past plans, late follow-ups, absences):
        # seeded from the main stream's state without drawing from it, so the rest stays as it was. From
        # its text, not hash(): the state ends in None, whose hash is its address on Python 3.11, so the
        # same seed gave another company in every process.
        self.coach = random.Random(str(rng.getstate()))
        self.product_codes: dict[int, str] = {}
        self._order_rows: list[list[Any]] = []

    # organisation ------------------------------------------------------------------------------

    def teams(self, count: int) -> list[Team]:
        rows = []
        for i in range(count):
            if i < len(OFFICES):
                name, lat, lon = OFFICES[i]
            else:
                area = AREAS[(i * 7) % len(AREAS)]
                extra = EXTRA_TEAM_NAMES[(i - len(OFFICES)) % len(EXTRA_TEAM_NAMES)]
                suffix = "" if i - len(OFFICES) < len(EXTRA_TEAM_NAMES) else f" 第{i + 1}課"
                name, lat, lon = f"{extra}{suffix}", area[2], area[3]
            # the office is every new rep's default start and end (planning settings)
            team = Team(
                name=name, timezone="Asia/Tokyo", office_label=name, office_lat=lat, office_lon=lon
            )
            self.session.add(team)
            rows.append(team)
            self.session.flush()
            self.team_hubs[team.id] = (lat, lon)
            self.team_names[team.id] = name
        return rows

    def users(self, teams: list[Team], *, reps: int, managers: int) -> dict[int, list[User]]:
        """Managers and reps spread over the teams; one password hash for all (hashing is slow)."""
        password_hash = generate_password_hash(DEMO_PASSWORD)
        reps_by_team: dict[int, list[User]] = {t.id: [] for t in teams}
        people: list[User] = []
        for i in range(managers):
            team = teams[i % len(teams)]
            surname, given = self.rng.choice(SURNAMES), self.rng.choice(GIVEN_NAMES)
            people.append(
                self._user(team, f"manager{i + 1}@example.com", f"{surname[0]} {given[0]}", Role.MANAGER,
                           password_hash, language="en" if i == 1 else None)
            )  # fmt: skip
        for i in range(reps):
            team = teams[i % len(teams)]
            surname, given = self.rng.choice(SURNAMES), self.rng.choice(GIVEN_NAMES)
            user = self._user(
                team, f"rep{i + 1}@example.com", f"{surname[0]} {given[0]}", Role.REP, password_hash
            )
            user.travel_mode = "bicycle" if self.rng.random() < 0.15 else "car"
            people.append(user)
            reps_by_team[team.id].append(user)
        self.session.add_all(people)
        self.session.flush()
        for user in people:
            self.logins.append(
                DemoLogin(user.email, user.role, self.team_names[user.team_id], user.name)
            )
        return reps_by_team

    def _user(
        self, team: Team, email: str, name: str, role: str, password_hash: str, **extra: Any
    ) -> User:
        lat, lon = self.team_hubs[team.id]
        return User(
            team_id=team.id,
            email=email,
            name=name,
            role=role,
            password_hash=password_hash,
            start_label=team.name,
            start_lat=lat,
            start_lon=lon,
            end_label=team.name,
            end_lat=lat,
            end_lon=lon,
            work_start_min=9 * 60,
            work_end_min=18 * 60,
            lunch_minutes=45,
            **extra,
        )

    def products(self) -> list[tuple[int, tuple]]:
        """The catalogue, with the products launched during the history and what they replace."""
        specs = (*CATALOG, *NEW_PRODUCTS)
        rows = []
        for code, name, name_en, category, price, cycle, season, _tags, _segments in specs:
            rows.append(
                Product(code=code, name=name, name_en=name_en, category=category, unit_price=price,
                        reorder_cycle_days=cycle, season_months=season, tags=KEYWORDS.get(code),
                        pack_of=PACKS.get(code))
            )  # fmt: skip
        self.session.add_all(rows)
        self.session.flush()
        by_code = {row.code: row for row in rows}
        for code, (_days, replaces) in LAUNCHES.items():
            if replaces:
                by_code[code].replaces_id = by_code[replaces].id
        self.session.flush()
        self.product_codes = {row.id: row.code for row in rows}
        return [(row.id, spec) for row, spec in zip(rows, specs, strict=True)]

    # customers ---------------------------------------------------------------------------------

    def customers(
        self, teams: list[Team], reps_by_team: dict[int, list[User]], count: int
    ) -> list[_CustomerPlan]:
        """Customers scattered around town centres; each team covers the areas nearest its office,
        and each rep a compact wedge of the team's territory."""
        team_ids = [t.id for t in teams]
        area_team = {
            i: min(team_ids, key=lambda tid: haversine_km((area[2], area[3]), self.team_hubs[tid]))
            for i, area in enumerate(AREAS)
        }
        # Every team needs areas even when teams outnumber areas: hand out the rest round-robin.
        for n, tid in enumerate(team_ids):
            if tid not in area_team.values():
                area_team[n % len(AREAS)] = tid
        rows: list[dict[str, Any]] = []
        for n in range(count):
            area_index = self.rng.randrange(len(AREAS))
            ward, town, lat0, lon0, postal = AREAS[area_index]
            team_id = area_team[area_index]
            segment = self.rng.choices(SEGMENTS, weights=SEGMENT_WEIGHTS)[0]
            name, kana = self._business_name(segment, town)
            rank = self.rng.choices("ABC", weights=(20, 40, 40))[0]
            status = self.rng.choices(
                ("active", "at_risk", "dormant", "lost"), weights=(86, 8, 4, 2)
            )[0]
            tags = ",".join(sorted(self.rng.sample(TAGS, k=self.rng.choice((0, 0, 1, 1, 2)))))
            phone = f"03-{self.rng.randint(3000, 6999)}-{self.rng.randint(1000, 9999)}"
            address = f"東京都{ward}{town}{self.rng.randint(1, 4)}-{self.rng.randint(1, 30)}-{self.rng.randint(1, 20)}"
            # About 1.5 km scatter around the town centre; a few have no position yet.
            located = self.rng.random() > 0.01
            lat = lat0 + self.rng.gauss(0, 0.008) if located else None
            lon = lon0 + self.rng.gauss(0, 0.009) if located else None
            rows.append(
                {
                    "team_id": team_id,
                    "external_code": f"C{n + 1:05d}",
                    "name": name,
                    "kana": kana,
                    "postal_code": postal,
                    "address": address,
                    "phone": phone,
                    "segment": segment,
                    "rank": rank,
                    "cadence_days": CADENCE[rank],
                    "visit_minutes": self.rng.choice(
                        range(VISIT_MINUTES[segment][0], VISIT_MINUTES[segment][1] + 1, 5)
                    ),
                    "status": status,
                    "tags": tags or None,
                    "lat": lat,
                    "lon": lon,
                    "location_source": "imported" if located else None,
                    "needs_location": not located,
                    "search_text": customer_search_text(name, kana, phone, address, postal, tags),
                }
            )
        self._assign_reps(rows, reps_by_team)
        now = datetime.now(UTC)
        for row in rows:
            row.update(version=1, created_at=now, updated_at=now)
        _bulk(self.session, Customer, rows)
        ids = self.session.exec(select(Customer.id).order_by(Customer.id)).all()
        plans = []
        for customer_id, row in zip(ids, rows, strict=True):
            trend = {
                "active": self.rng.uniform(0.85, 1.25),
                "at_risk": 0.75,
                "dormant": 0.6,
                "lost": 0.5,
            }[row["status"]]
            plans.append(
                _CustomerPlan(
                    id=customer_id, team_id=row["team_id"], rep_id=row["assigned_rep_id"], segment=row["segment"],
                    rank=row["rank"], status=row["status"], cadence=row["cadence_days"],
                    visit_minutes=row["visit_minutes"], trend=trend,
                )
            )  # fmt: skip
        return plans

    def _assign_reps(self, rows: list[dict[str, Any]], reps_by_team: dict[int, list[User]]) -> None:
        """Sort each team's customers by bearing from the office and cut the circle into one wedge per rep."""
        for team_id, reps in reps_by_team.items():
            mine = [row for row in rows if row["team_id"] == team_id]
            if not reps:
                continue
            hub_lat, hub_lon = self.team_hubs[team_id]
            mine.sort(
                key=lambda row: math.atan2(
                    (row["lat"] or hub_lat) - hub_lat, (row["lon"] or hub_lon) - hub_lon
                )
            )
            size = max(1, math.ceil(len(mine) / len(reps)))
            for index, row in enumerate(mine):
                row["assigned_rep_id"] = reps[min(index // size, len(reps) - 1)].id

    def _business_name(self, segment: str, town: str) -> tuple[str, str]:
        rng = self.rng
        if segment == "restaurant":
            kind, name = rng.choice(RESTAURANT_KINDS), rng.choice(RESTAURANT_NAMES)
            return f"{kind[0]} {name[0]}", kind[1] + name[1]
        if segment == "clinic":
            surname, kind = rng.choice(SURNAMES), rng.choice(CLINIC_KINDS)
            return surname[0] + kind[0], surname[1] + kind[1]
        if segment == "shop":
            surname, kind = rng.choice(SURNAMES), rng.choice(SHOP_KINDS)
            return surname[0] + kind[0], surname[1] + kind[1]
        head = rng.choice(COMPANY_HEADS)
        tail = rng.choice(OFFICE_TAILS if segment == "office" else FACTORY_TAILS)
        if tail[0] == "会計事務所":
            return head[0] + tail[0], head[1] + tail[1]
        return f"株式会社 {head[0]}{tail[0]}", head[1] + tail[1]

    def busy_periods(self, customers: list[_CustomerPlan]) -> None:
        """When not to visit, by segment: lunch and dinner rush, consultation hours, weekends, year-end."""
        rows: list[dict[str, Any]] = []
        year_end = (date(self.today.year, 12, 20), date(self.today.year, 12, 31))
        for c in customers:

            def add(kind: str, label: str, weekdays: str | None = None, start: int | None = None,
                    end: int | None = None, dates: tuple[date, date] | None = None, cid: int = c.id) -> None:  # fmt: skip
                rows.append({"customer_id": cid, "kind": kind, "weekdays": weekdays, "start_min": start,
                             "end_min": end, "label": label, "start_date": dates[0] if dates else None,
                             "end_date": dates[1] if dates else None})  # fmt: skip

            if c.segment == "restaurant":
                closed = self.rng.choice("0123456")
                open_days = "".join(d for d in "0123456" if d != closed)
                add("weekly", "ランチ営業", open_days, 11 * 60 + 30, 13 * 60 + 30)
                add("weekly", "ディナー営業", open_days, 17 * 60, 22 * 60)
                add("weekly", "定休日", closed)
                if self.rng.random() < 0.5:
                    add("dates", "年末繁忙", dates=year_end)
            elif c.segment == "clinic":
                add("weekly", "午前診療", "012345", 9 * 60, 12 * 60)
                add("weekly", "午後診療", "01245", 15 * 60, 18 * 60)
                add("weekly", "午後休診", "35", 12 * 60, 18 * 60)
                add("weekly", "休診日", "6")
            elif c.segment == "shop":
                add("weekly", "週末繁忙", "56")
                add("weekly", "夕方の混雑", "01234", 16 * 60 + 30, 18 * 60 + 30)
                add("dates", "年末繁忙", dates=year_end)
            elif c.segment == "office":
                add("weekly", "定休日", "56")
                if self.rng.random() < 0.6:
                    add("weekly", "朝礼・会議", "0", 9 * 60, 10 * 60 + 30)
            else:
                add("weekly", "定休日", "56")
                add("weekly", "昼休み", "01234", 12 * 60, 13 * 60)
                stocktaking = self.today.replace(day=1) + timedelta(days=self.rng.randint(35, 75))
                add("dates", "棚卸し", dates=(stocktaking, stocktaking + timedelta(days=1)))
        _bulk(self.session, BusyPeriod, rows)

    def contacts(self, customers: list[_CustomerPlan]) -> None:
        rows: list[dict[str, Any]] = []
        now = datetime.now(UTC)
        for c in customers:
            for k in range(self.rng.choice((1, 1, 2, 2, 3))):
                surname, given = self.rng.choice(SURNAMES), self.rng.choice(GIVEN_NAMES)
                if (
                    self.rng.random() < 0.08
                ):  # someone's birthday is coming up: a reason to mention it
                    birthday_this_year = self.today + timedelta(days=self.rng.randint(0, 13))
                    year = self.rng.randint(1955, 1995)
                    if (birthday_this_year.month, birthday_this_year.day) == (2, 29):
                        year -= year % 4  # born on a leap day: only a leap year has 29 February
                    birthday = birthday_this_year.replace(year=year)
                else:
                    birthday = date(
                        self.rng.randint(1950, 1998),
                        self.rng.randint(1, 12),
                        self.rng.randint(1, 28),
                    )
                rows.append(
                    {
                        "customer_id": c.id,
                        "name": f"{surname[0]} {given[0]}",
                        "kana": f"{surname[1]} {given[1]}",
                        "role": self.rng.choice(CONTACT_ROLES[c.segment]),
                        "phone": f"090-{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}",
                        "email": None,
                        "birthday": birthday if self.rng.random() < 0.7 else None,
                        "hobbies": "、".join(self.rng.sample(HOBBIES, k=self.rng.randint(1, 2))),
                        "personal_notes": self.rng.choice(PERSONAL_NOTES)
                        if self.rng.random() < 0.6
                        else None,
                        "is_primary": k == 0,
                        "created_at": now,
                    }
                )
        _bulk(self.session, Contact, rows)

    # history -----------------------------------------------------------------------------------

    def orders(self, customers: list[_CustomerPlan], products: list[tuple[int, tuple]]) -> None:
        """Two years of orders from each customer's own behaviour.

        A customer has a style within its segment (an izakaya is not a soba shop) that sets how much it
        likes each product; it starts with a few products, adopts others over time (new launches are
        pushed), gives some up, moves to a successor when one comes out, and reorders each at its own
        rhythm with jitter, seasonal items only in season, quantities following its trend. At-risk
        customers slow down over their last months; dormant and lost ones stop.
        """
        rng = self.rng
        start = self.today - timedelta(days=730)
        launched = {
            pid: self.today - timedelta(days=LAUNCHES[spec[0]][0])
            for pid, spec in products
            if spec[0] in LAUNCHES
        }
        code_to_id = {spec[0]: pid for pid, spec in products}
        successor = {code_to_id[old]: code_to_id[new] for new, (_d, old) in LAUNCHES.items() if old}
        specs = dict(products)
        by_segment: dict[str, list[int]] = {s: [] for s in SEGMENTS}
        for product_id, spec in products:
            for segment in spec[8]:
                by_segment[segment].append(product_id)
        # How much each style of each segment likes each product (three styles per segment).
        taste = {
            (segment, style): {pid: rng.lognormvariate(0, 1.8) for pid in pids}
            for segment, pids in by_segment.items()
            for style in range(STYLES)
        }
        rows: list[tuple] = []
        for c in customers:
            stop_after = {
                "active": self.today,
                "at_risk": self.today - timedelta(days=rng.randint(0, 30)),
                "dormant": self.today - timedelta(days=rng.randint(120, 200)),
                "lost": self.today - timedelta(days=rng.randint(200, 400)),
            }[c.status]
            # at-risk customers order ever less often over their last months
            slowing_from = (
                self.today - timedelta(days=rng.randint(100, 200))
                if c.status == "at_risk"
                else None
            )
            c.orders_until = stop_after
            likes = taste[(c.segment, rng.randrange(STYLES))]
            discount = rng.choice((1.0, 0.97, 0.95, 0.9))
            spans: list[tuple[int, date, date]] = []
            available = [p for p in by_segment[c.segment] if p not in launched]
            for pid in _weighted_sample(rng, available, likes, rng.randint(3, 6)):
                begin = start + timedelta(days=rng.randint(0, 60))
                end = stop_after
                if (
                    rng.random() < 0.2
                ):  # given up at some point (a competitor's offer, a menu change)
                    end = min(end, start + timedelta(days=rng.randint(200, 720)))
                spans.append((pid, begin, end))
            for _ in range(rng.choice((0, 1, 2, 2, 3, 4))):
                day = start + timedelta(days=rng.randint(90, 729))
                if day > stop_after:
                    continue
                owned = {pid for pid, b, e in spans if e >= day}
                pool = [p for p in by_segment[c.segment]
                        if p not in owned and launched.get(p, start) <= day]  # fmt: skip
                # a recent launch is pushed by the reps: three times as likely to be taken up
                weights = {p: likes[p] * (3 if launched.get(p, start) > day - timedelta(days=180)
                                          else 1) for p in pool}  # fmt: skip
                for pid in _weighted_sample(rng, pool, weights, 1):
                    spans.append((pid, day, stop_after))
                    c.adoptions.append((pid, day))
            for index, (pid, begin, end) in enumerate(list(spans)):
                newer = successor.get(pid)
                if newer is None or rng.random() > 0.6:
                    continue
                switch = launched[newer] + timedelta(days=rng.randint(0, 360))
                if begin < switch < end and switch <= self.today:
                    spans[index] = (pid, begin, switch)
                    spans.append((newer, switch, end))
                    c.adoptions.append((newer, switch))
            for pid, begin, end in spans:
                spec = specs[pid]
                price = round(spec[4] * discount)
                season = frozenset(int(m) for m in spec[6].split(",")) if spec[6] else None
                c.basket.append((pid, price, season, begin, end))
                interval = max(5, round(spec[5] * rng.uniform(0.8, 1.5)))
                pack = PACKS.get(spec[0])
                near_pack = pack is not None and rng.random() < 0.3
                base_qty = pack - rng.choice((1, 2)) if near_pack else rng.randint(1, 6)
                day = begin + timedelta(days=rng.randint(0, interval))
                while day <= end:
                    if (season is None or day.month in season) and rng.random() > 0.04:
                        progress = (day - start).days / 730
                        qty = base_qty * (1 + (c.trend - 1) * progress)
                        qty = max(1, round(qty if near_pack else qty * rng.uniform(0.8, 1.2)))
                        rows.append((c.id, pid, day, qty, price))
                    step = interval * rng.uniform(0.85, 1.15)
                    if slowing_from is not None and day > slowing_from:
                        step *= 2.2
                    day += timedelta(days=max(3, round(step)))
        # written once the visits exist: orders taken at a visit are linked to it (_orders_at_visits)
        self._order_rows = [[*r, "demo", None] for r in rows]

    def visits(self, customers: list[_CustomerPlan], products: list[tuple[int, tuple]]) -> None:
        """About six months of visits at each customer's cadence, with notes; sets last visit and next due
        so that on `today` roughly one customer in six is due or overdue."""
        rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        horizon = self.today - timedelta(days=183)
        behind = self._behind_customers(customers)
        for c in customers:
            if self.rng.random() < 0.02:  # never visited yet: a new account
                continue
            if c.status in ("dormant", "lost"):
                last = self.today - timedelta(days=self.rng.randint(60, 150))
            else:
                last = self.today - timedelta(days=self.rng.randint(1, round(c.cadence * 1.15)))
                if c.id in behind:
                    # this rep is behind: some customers well past their cadence
                    last = self.today - timedelta(
                        days=self.coach.randint(
                            round(c.cadence * 1.3) + 3, round(c.cadence * 1.8) + 4
                        )
                    )
            last = weekday_on_or_before(last)
            c.last_visit = last
            day = last
            while day >= horizon:
                rows.append(self._visit_row(c, day))
                day = weekday_on_or_before(
                    day - timedelta(days=max(3, round(c.cadence * self.rng.uniform(0.8, 1.3))))
                )
            updates.append(
                {
                    "b_id": c.id,
                    "last_visit_on": last,
                    "next_due_on": last + timedelta(days=c.cadence),
                }
            )
        rows.sort(key=lambda r: (r["check_in_at"], r["customer_id"]))
        _bulk(self.session, Visit, rows)
        self._orders_at_visits(customers)
        if updates:
            table = Customer.__table__
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    last_visit_on=bindparam("last_visit_on"), next_due_on=bindparam("next_due_on")
                )
            )
            for chunk in _chunks(updates):
                self.session.connection().execute(stmt, chunk)

    def _orders_at_visits(self, customers: list[_CustomerPlan]) -> None:
        """Visits whose outcome is an order take the orders falling due that week (ids read back, any
        database): the rep takes them at the visit instead of the customer phoning them in. With nothing
        due, the customer tops up one product it buys. Then the whole order history is written."""
        plans = {c.id: c for c in customers}
        rows = self._order_rows
        by_customer: dict[int, list[int]] = {}
        for index, row in enumerate(rows):
            by_customer.setdefault(row[0], []).append(index)
        taken = self.session.exec(
            select(Visit.id, Visit.customer_id, Visit.check_in_at)
            .where(Visit.outcome == "order_taken")
            .order_by(Visit.id)
        ).all()
        for visit_id, customer_id, check_in_at in taken:
            day = check_in_at.astimezone(TOKYO).date()
            plan = plans[customer_id]
            if plan.orders_until is None or day > plan.orders_until:
                continue  # a customer who stopped buying gives no order at a visit either
            in_season = {b[0] for b in plan.basket if b[2] is None or day.month in b[2]}
            due = [
                i for i in by_customer.get(customer_id, ())
                if day <= rows[i][2] <= day + timedelta(days=6) and rows[i][6] is None
                and rows[i][1] in in_season
            ]  # fmt: skip
            for i in due:
                rows[i][2], rows[i][6] = day, visit_id
            if due:
                continue
            # Seasonal products are only sold in season, at the visit as anywhere else.
            offer = [
                b for b in plan.basket
                if (b[2] is None or day.month in b[2]) and b[3] <= day <= b[4]
            ]  # fmt: skip
            if offer:
                product_id, price, *_rest = self.rng.choice(offer)
                rows.append(
                    [customer_id, product_id, day, self.rng.randint(1, 2), price, "demo", visit_id]
                )
        rows.sort(key=lambda r: (r[2], r[0], r[1]))
        _fast_insert(
            self.session,
            OrderLine.__tablename__,
            (
                "customer_id",
                "product_id",
                "ordered_on",
                "quantity",
                "unit_price",
                "source",
                "visit_id",
            ),
            [tuple(r) for r in rows],
        )

    def _visit_row(self, c: _CustomerPlan, day: date) -> dict[str, Any]:
        start_local = datetime.combine(day, time(hour=self.rng.choice(VISIT_HOURS[c.segment]),
                                                 minute=self.rng.choice((0, 10, 20, 30, 40, 50)))).replace(tzinfo=TOKYO)  # fmt: skip
        check_in = start_local.astimezone(UTC)
        check_out = check_in + timedelta(minutes=c.visit_minutes + self.rng.randint(-5, 10))
        notes = NOTE_TEMPLATES[c.segment]
        # a customer drifting away complains more and turns proposals down in its last months
        unhappy = c.status == "at_risk" and day >= self.today - timedelta(days=90)
        outcome = self.rng.choices(
            (
                "met",
                "order_taken",
                "proposal_made",
                "not_available",
                "delivery_checked",
                "complaint_handled",
            ),
            weights=(40, 25, 15, 10, 7, 25 if unhappy else 3),
        )[0]
        needs = self.rng.choice(notes["needs"]) if self.rng.random() < 0.4 else None
        # before a customer takes up a product, the rep often hears the need for it
        for product_id, adopted_on in c.adoptions:
            phrase = NEED_PHRASES.get(self.product_codes.get(product_id, ""))
            if phrase and 0 <= (adopted_on - day).days <= 50 and self.rng.random() < 0.6:
                needs = phrase
                break
        proposal = (
            self.rng.choice(notes["proposals"])
            if outcome == "proposal_made" or self.rng.random() < 0.2
            else None
        )
        return {
            "customer_id": c.id,
            "rep_id": c.rep_id,
            "status": "done",
            "is_appointment": False,
            "check_in_at": check_in,
            "check_out_at": check_out,
            "outcome": outcome,
            "heard": self.rng.choice(notes["heard"]) if outcome != "not_available" else None,
            "needs": needs,
            "changes": self.rng.choice(notes["changes"]) if self.rng.random() < 0.3 else None,
            "proposals": proposal,
            "proposal_reception": (
                "negative"
                if unhappy and self.rng.random() < 0.6
                else self.rng.choice(("positive", "considering", "negative"))
            )
            if proposal
            else None,
            "next_action": self.rng.choice(notes["next"]) if self.rng.random() < 0.5 else None,
            "next_action_due": day + timedelta(days=7) if self.rng.random() < 0.3 else None,
            "version": 1,
            "created_at": check_out,
            "updated_at": check_out,
        }

    def followups(self, customers: list[_CustomerPlan]) -> None:
        rows: list[dict[str, Any]] = []
        now = datetime.now(UTC)
        for c in customers:
            if c.status == "lost" or self.rng.random() > 0.22:
                continue
            kind = self.rng.choices(tuple(FOLLOWUP_TITLES), weights=(30, 25, 10, 25, 10))[0]
            is_open = self.rng.random() < 0.7
            due = self.today + timedelta(days=self.rng.randint(-6, 12))
            rows.append(
                {
                    "customer_id": c.id,
                    "kind": kind,
                    "title": self.rng.choice(FOLLOWUP_TITLES[kind]),
                    "owner_id": c.rep_id,
                    "created_by_id": c.rep_id,
                    "due_date": due,
                    "state": "open" if is_open else "done",
                    "result": None if is_open else "対応済み。先方了承",
                    "created_at": now,
                    "closed_at": None if is_open else self._closed_around(due, now),
                    "visit_id": None,
                }
            )
        _bulk(self.session, FollowUp, rows)

    def _behind_customers(self, customers: list[_CustomerPlan]) -> set[int]:
        """BEHIND_SHARE of the active customers of each team's behind rep, to be visited too late."""
        reps = behind_reps(customers)
        out: set[int] = set()
        for rep_id in sorted(reps):
            active = [c.id for c in customers if c.rep_id == rep_id and c.status == "active"]
            out |= set(self.coach.sample(active, k=round(BEHIND_SHARE * len(active))))
        return out

    def _closed_around(self, due: date, now: datetime) -> datetime:
        """When a done follow-up was closed: around its due day, some a few days late (never future)."""
        day = due + timedelta(days=self.coach.choice((-2, -1, -1, 0, 0, 0, 1, 3)))
        return min(now, datetime.combine(day, time(17), tzinfo=TOKYO).astimezone(UTC))

    # coaching: past day plans and a rep away tomorrow ---------------------------------------------

    def past_plans(self, days: int = PAST_PLAN_DAYS) -> None:
        """Day plans of the last working days rebuilt from the visits done then, with a few planned stops
        skipped (with a reason) or not reached, so "plan kept" and "skipped with reasons" mean something."""
        first = self.today - timedelta(days=days * 7 // 5 + 2)
        start = datetime.combine(first, time(0), tzinfo=TOKYO).astimezone(UTC)
        end = datetime.combine(self.today, time(0), tzinfo=TOKYO).astimezone(UTC)
        done = self.session.exec(
            select(Visit.id, Visit.rep_id, Visit.customer_id, Visit.check_in_at)
            .where(Visit.status == "done", Visit.check_in_at >= start, Visit.check_in_at < end)
            .order_by(Visit.rep_id, Visit.check_in_at, Visit.id)
        ).all()
        by_day: dict[tuple[int, date], list[tuple[int, int, datetime]]] = {}
        for visit_id, rep_id, customer_id, at in done:
            by_day.setdefault((rep_id, at.astimezone(TOKYO).date()), []).append(
                (visit_id, customer_id, at)
            )
        customers_of: dict[int, list[int]] = {}
        for customer_id, rep_id in self.session.exec(
            select(Customer.id, Customer.assigned_rep_id).where(Customer.lat.is_not(None))
        ):
            customers_of.setdefault(rep_id, []).append(customer_id)
        keys = sorted(by_day)
        _bulk(self.session, DayPlan, [
            {"rep_id": rep_id, "plan_date": day, "status": "done", "version": 1, "total_value": 0,
             "travel_seconds": 0, "solver_status": "ok"}
            for rep_id, day in keys
        ])  # fmt: skip
        plan_ids = {
            (rep_id, day): plan_id
            for plan_id, rep_id, day in self.session.exec(
                select(DayPlan.id, DayPlan.rep_id, DayPlan.plan_date).where(
                    DayPlan.plan_date >= first, DayPlan.plan_date < self.today
                )
            )
        }
        stops: list[tuple] = []
        skipped: list[dict[str, Any]] = []
        for key in keys:
            rep_id, day = key
            plan_id = plan_ids[key]
            visits = by_day[key]
            for position, (visit_id, customer_id, at) in enumerate(visits):
                stops.append((plan_id, customer_id, position, at, at, "done", visit_id, 1.0, False))
            extra = self.coach.choices((0, 1, 2), weights=(60, 30, 10))[0]
            pool = [c for c in customers_of.get(rep_id, []) if c not in {v[1] for v in visits}]
            for n, customer_id in enumerate(self.coach.sample(pool, k=min(extra, len(pool)))):
                at = datetime.combine(day, time(16 + n, 30), tzinfo=TOKYO).astimezone(UTC)
                state = "skipped" if self.coach.random() < 0.7 else "planned"
                stops.append(
                    (plan_id, customer_id, len(visits) + n, at, at, state, None, 1.0, False)
                )
                if state == "skipped":
                    reason = self.coach.choice(("busy", "absent", "closed", "busy", "other"))
                    skipped.append({"customer_id": customer_id, "rep_id": rep_id, "status": "skipped",
                                    "is_appointment": False, "scheduled_start": at,
                                    "skip_reason": reason, "version": 1, "created_at": at,
                                    "updated_at": at})  # fmt: skip
        # Core inserts (not _fast_insert): the timestamps must go through UTCDateTime on SQLite too.
        columns = ("day_plan_id", "customer_id", "position", "arrival", "start", "state", "visit_id",
                   "value", "is_appointment")  # fmt: skip
        _bulk(self.session, DayPlanStop, [dict(zip(columns, row, strict=True)) for row in stops])
        _bulk(self.session, Visit, skipped)

    def absences(self, reps_by_team: dict[int, list[User]]) -> None:
        """The first team's first rep is away on the next working day (the cover page suggests it)."""
        for reps in list(reps_by_team.values())[:1]:
            if len(reps) >= 2:
                self.session.add(
                    RepAbsence(
                        rep_id=reps[0].id,
                        absent_on=_next_weekday(self.today),
                        note="研修のため終日不在",
                    )
                )
        self.session.flush()

    def appointments(
        self, customers: list[_CustomerPlan], reps_by_team: dict[int, list[User]]
    ) -> None:
        """One fixed appointment for each rep on the next working day (and some today)."""
        rows: list[dict[str, Any]] = []
        by_rep: dict[int, list[_CustomerPlan]] = {}
        for c in customers:
            if c.status in ("active", "at_risk") and c.segment in ("office", "factory", "clinic"):
                by_rep.setdefault(c.rep_id, []).append(c)
        next_day = _next_weekday(self.today)
        now = datetime.now(UTC)
        for reps in reps_by_team.values():
            for rep in reps:
                pool = by_rep.get(rep.id) or []
                if not pool:
                    continue
                for day, hour in ((next_day, self.rng.choice((10, 14))), (self.today, 15)):
                    if day == self.today and (self.rng.random() < 0.5 or day.weekday() >= 5):
                        continue
                    customer = self.rng.choice(pool)
                    start = datetime.combine(day, time(hour, 30), tzinfo=TOKYO).astimezone(UTC)
                    rows.append({"customer_id": customer.id, "rep_id": rep.id, "status": "planned",
                                 "is_appointment": True, "scheduled_start": start, "version": 1,
                                 "created_at": now, "updated_at": now})  # fmt: skip
        _bulk(self.session, Visit, rows)


# --- helpers -------------------------------------------------------------------------------------


def _bulk(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """Core INSERT in chunks: far faster than ORM objects for tens of thousands of rows."""
    if not rows:
        return
    # Core INSERTs skip the ORM hook that fills search_text.
    rows = search_index.with_search_text(model, rows)
    table = model.__table__
    keys = _all_keys(rows)
    for chunk in _chunks(rows):
        session.connection().execute(
            insert(table), [{k: row.get(k) for k in keys} for row in chunk]
        )


def _fast_insert(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Millions of plain rows (order history): COPY on PostgreSQL, executemany on SQLite's own cursor."""
    connection = session.connection()
    raw = connection.connection.driver_connection
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    # SQLite keeps dates as ISO text, exactly as SQLAlchemy's Date type writes them; there are only a few
    # hundred distinct dates, so each is formatted once.
    iso: dict[date, str] = {}
    converted = [
        tuple(iso.setdefault(v, v.isoformat()) if type(v) is date else v for v in row)
        for row in rows
    ]
    cursor = raw.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", converted
        )
    finally:
        cursor.close()


def _all_keys(rows: Iterable[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for row in rows:
        for key in row:
            keys.setdefault(key, None)
    return list(keys)


def _chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def behind_reps(customers: Iterable[Any]) -> set[int]:
    """One rep per team (the last by id) who is behind on their visit cadence in the demo."""
    last: dict[int, int] = {}
    for c in customers:
        if c.rep_id is not None:
            last[c.team_id] = max(last.get(c.team_id, 0), c.rep_id)
    return set(last.values())


def _weighted_sample(
    rng: random.Random, items: Sequence[int], weights: dict[int, float], k: int
) -> list[int]:
    """Up to k distinct items, each drawn with probability proportional to its weight."""
    pool = list(items)
    chosen: list[int] = []
    while pool and len(chosen) < k:
        pick = rng.choices(pool, weights=[weights[i] for i in pool])[0]
        chosen.append(pick)
        pool.remove(pick)
    return chosen


def weekday_on_or_before(day: date) -> date:
    """`day`, or the Friday before it when it falls on a weekend."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _next_weekday(day: date) -> date:
    """The next Monday to Friday after `day`."""
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
