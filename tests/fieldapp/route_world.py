"""A small world every route can be called in: two teams, the seven roles of the permission matrix, and
one of each object a URL variable can point at (all owned by `rep` in the first team).

`World.url(rule)` fills a rule's variables with those objects; `World.client(role)` is a client signed
in as that role (anonymous: not signed in). Used by the permission matrix, the CSRF sweep and the form
fuzzing, so a new kind of URL variable is taught here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, SQLModel
from werkzeug.routing import Rule

from fieldapp.models import (
    BusyPeriod,
    Contact,
    Customer,
    DailyReport,
    DayPlan,
    DayPlanStop,
    FollowUp,
    HandoverNote,
    Product,
    ReportComment,
    Role,
    Team,
    User,
    Visit,
)
from fieldapp.services import api_tokens, clock
from fieldapp.services import users as user_service
from tests.conftest import PASSWORD, csrf_token, login

ROLES = ("anonymous", "rep", "teammate", "other_rep", "manager", "other_manager", "admin")
# The suite's cheap scrypt (tests/conftest.py), so a fresh world per route stays fast and signing in
# does not rewrite the hash (the upgrade of older hashes is tested in test_sessions_passwords.py).
_FAST_HASH = user_service.hash_password(PASSWORD)


@dataclass
class World:
    app: Flask
    db: Session
    users: dict[str, User]
    ids: dict[str, Any]
    clients: dict[str, FlaskClient] = field(default_factory=dict)

    def url(self, rule: Rule) -> str:
        """The rule with every variable pointing at the world's object of that name."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "part_id":
                return str(self.ids["contact_id" if "/contacts/" in rule.rule else "period_id"])
            if name == "filename":
                return "leaflet.js" if rule.endpoint == "customers.leaflet_asset" else "css/app.css"
            return str(self.ids[name])

        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", value, rule.rule)

    def client(self, role: str) -> FlaskClient:
        if role not in self.clients:
            client = self.app.test_client()
            if role != "anonymous":
                answer = login(client, self.users[role].email)
                assert answer.status_code == 302, f"{role} could not sign in"
            self.clients[role] = client
        return self.clients[role]

    def csrf(self, role: str) -> str:
        """A valid CSRF token of this role's session."""
        page = self.client(role).get("/login" if role == "anonymous" else "/me")
        return csrf_token(page.get_data(as_text=True))

    def renew_parts(self) -> None:
        """A contact and a busy period again where a delete took them (the next role deletes those)."""
        for key, model, fields in (
            ("contact_id", Contact, {"name": "Sato"}),
            ("period_id", BusyPeriod, {"kind": "weekly", "weekdays": "2"}),
        ):
            self.db.expire_all()
            if self.db.get(model, self.ids[key]) is None:
                row = model(customer_id=self.ids["customer_id"], **fields)
                self.db.add(row)
                self.db.commit()
                self.ids[key] = row.id

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every table (what a refused request must leave as it was)."""
        rows: dict[str, list[tuple]] = {}
        with self.app.extensions["fieldapp.engine"].connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                rows[table.name] = sorted(
                    (tuple(map(str, row)) for row in conn.execute(table.select())), key=str
                )
        return rows


def build_world(app: Flask, db: Session) -> World:
    home, away = Team(name="Home office"), Team(name="Away office")
    db.add_all([home, away])
    db.commit()
    spec = {
        "rep": (home, Role.REP),
        "teammate": (home, Role.REP),
        "manager": (home, Role.MANAGER),
        "admin": (home, Role.ADMIN),
        "other_rep": (away, Role.REP),
        "other_manager": (away, Role.MANAGER),
    }
    users = {
        name: User(
            team_id=team.id,
            email=f"{name}@example.com",
            name=name.replace("_", " ").title(),
            role=role,
            password_hash=_FAST_HASH,
            language="en",
        )
        for name, (team, role) in spec.items()
    }
    users["rep"].calendar_token = "calendar-secret-of-the-rep"
    db.add_all(users.values())
    db.commit()
    rep = users["rep"]
    today = clock.local_today(home.timezone)
    customer = Customer(
        team_id=home.id,
        name="Sakura Foods",
        kana="サクラ",
        assigned_rep_id=rep.id,
        lat=35.68,
        lon=139.76,
    )
    db.add(customer)
    db.commit()
    product = Product(code="P1", name="醤油", name_en="Soy sauce", category="food", unit_price=1200)
    contact = Contact(customer_id=customer.id, name="Sato")
    period = BusyPeriod(customer_id=customer.id, kind="weekly", weekdays="2")
    visit = Visit(
        customer_id=customer.id,
        rep_id=rep.id,
        status="done",
        outcome="met",
        check_out_at=clock.now_utc(),
    )
    plan = DayPlan(rep_id=rep.id, plan_date=today, version=1)
    report = DailyReport(rep_id=rep.id, report_date=today, body="Today")
    db.add_all([product, contact, period, visit, plan, report])
    db.commit()
    followup = FollowUp(
        customer_id=customer.id,
        visit_id=visit.id,
        title="Quote",
        owner_id=rep.id,
        created_by_id=rep.id,
    )
    stop = DayPlanStop(day_plan_id=plan.id, customer_id=customer.id, position=0)
    # a handover note for the rep, and the manager's comment on the rep's report
    note = HandoverNote(
        customer_id=customer.id,
        to_rep_id=rep.id,
        body="Ask for Sato",
        created_by_id=users["manager"].id,
    )
    comment = ReportComment(report_id=report.id, author_id=users["manager"].id, body="Good work")
    db.add_all([followup, stop, note, comment])
    db.commit()
    with app.test_request_context():
        token = api_tokens.create_token(
            db, actor=rep, name="CRM", scope=api_tokens.READ_WRITE, now=clock.now_utc()
        )
    db.commit()
    ids = {
        "customer_id": customer.id,
        "contact_id": contact.id,
        "period_id": period.id,
        "visit_id": visit.id,
        "followup_id": followup.id,
        "stop_id": stop.id,
        "day": today.isoformat(),
        "report_id": report.id,
        "user_id": users["teammate"].id,
        "token": rep.calendar_token,
        "token_id": token.row.id,
        "product_id": product.id,
        "bearer": token.token,
        "note_id": note.id,
        "comment_id": comment.id,
        "rep_id": rep.id,
        "figure": "visits",
        "start": today.isoformat(),
    }
    return World(app=app, db=db, users=users, ids=ids)


__all__ = ["ROLES", "World", "build_world"]
