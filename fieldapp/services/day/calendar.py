"""The rep's days as iCalendar: one day as a download, and a subscription feed behind a per-user secret.

The feed URL carries `User.calendar_token` instead of a login (calendar apps cannot sign in), so the token
is the only key: long and random (secrets.token_urlsafe), replaced on rotation so an old URL stops working,
and never written to the audit log. Times are written in UTC, which every calendar app shows in its own
timezone; the team's timezone is named as a hint for the apps that read it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import icalendar
from flask_babel import gettext as _
from sqlmodel import Session, select

from ...models import DayPlan, DayPlanStop, Team, User, VisitStatus
from .. import audit
from .route import RouteStop, route_stops, stop_times

# What a subscription shows: last week's days (to look back at) and the next two weeks' plans.
FEED_DAYS_BACK = 7
FEED_DAYS_AHEAD = 14
TOKEN_BYTES = 32  # 43 characters in the URL, within User.calendar_token's 64
# UIDs must be globally unique and stay the same when a day is re-planned, so calendar apps update an
# event instead of adding a second one: rep, day and customer identify a visit, not the stop row.
UID_DOMAIN = "field-companion"
NOTES_LIMIT = 500


@dataclass(frozen=True)
class CalendarDay:
    plan: DayPlan
    stops: list[RouteStop]


# --- the secret token ---------------------------------------------------------------------------------


def _audit_token(session: Session, actor: User, action: str) -> None:
    # The token itself stays out of the log: the log must not open the feed.
    audit.Trail(session, actor, actor.team_id).saved("user", actor.id, None, {}, action)


def rotate_token(session: Session, *, actor: User) -> str:
    """A new subscription secret for the actor; any URL with the previous one stops working at once."""
    actor.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(actor)
    session.flush()
    _audit_token(session, actor, "calendar_rotate")
    return actor.calendar_token


def revoke_token(session: Session, *, actor: User) -> None:
    """Turn the subscription off: no URL opens the actor's calendar until a new one is made."""
    if actor.calendar_token is None:
        return
    actor.calendar_token = None
    session.add(actor)
    session.flush()
    _audit_token(session, actor, "calendar_revoke")


def user_for_token(session: Session, *, token: str) -> User | None:
    """The active user whose feed this token opens, else None."""
    if not token or len(token) > 64:
        return None
    user = session.exec(select(User).where(User.calendar_token == token)).first()
    if user is None or not user.active or user.calendar_token is None:
        return None
    # The database compared the strings already; compare again in constant time so the answer does
    # not depend on a collation that ignores case or trailing spaces.
    return user if secrets.compare_digest(user.calendar_token, token) else None


# --- the days -------------------------------------------------------------------------------------------


def feed_window(today: date) -> tuple[date, date]:
    """First and last day a subscription covers."""
    return today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)


def calendar_days(
    session: Session, *, rep: User, first: date, last: date, today: date
) -> list[CalendarDay]:
    """The rep's planned days between first and last (inclusive), each with its stops in order."""
    plans = session.exec(
        select(DayPlan)
        .where(DayPlan.rep_id == rep.id, DayPlan.plan_date >= first, DayPlan.plan_date <= last)
        .order_by(DayPlan.plan_date)
    ).all()
    if not plans:
        return []
    by_plan: dict[int, list[DayPlanStop]] = {p.id: [] for p in plans}
    for stop in session.exec(
        select(DayPlanStop)
        .where(DayPlanStop.day_plan_id.in_(list(by_plan)))
        .order_by(DayPlanStop.day_plan_id, DayPlanStop.position, DayPlanStop.id)
    ):
        by_plan[stop.day_plan_id].append(stop)
    return [
        CalendarDay(plan, route_stops(session, plan=plan, today=today, stops=by_plan[plan.id]))
        for plan in plans
    ]


# --- iCalendar ------------------------------------------------------------------------------------------


def _uids(day: CalendarDay, rep: User) -> dict[int, str]:
    """Stable UID per stop; a customer on the day twice (skipped, then added again) gets a suffix."""
    seen: dict[int, int] = {}
    uids = {}
    for route_stop in sorted(day.stops, key=lambda s: s.stop.id):
        customer_id = route_stop.customer.id
        seen[customer_id] = seen.get(customer_id, 0) + 1
        suffix = "" if seen[customer_id] == 1 else f"-{seen[customer_id]}"
        uids[route_stop.stop.id] = (
            f"visit-{rep.id}-{day.plan.plan_date:%Y%m%d}-{customer_id}{suffix}@{UID_DOMAIN}"
        )
    return uids


def _description(route_stop: RouteStop, total: int, customer_url: str | None) -> str:
    customer = route_stop.customer
    lines = [_("Stop %(n)d of %(total)d", n=route_stop.number, total=total)]
    if route_stop.stop.is_appointment:
        lines.append(_("Appointment"))
    if route_stop.state == VisitStatus.DONE:
        lines.append(_("Visit done"))
    elif route_stop.state == VisitStatus.SKIPPED:
        lines.append(_("Visit skipped"))
    if route_stop.why:
        lines.append(_("Why today: %(why)s", why=route_stop.why))
    if customer.phone:
        lines.append(_("Phone: %(phone)s", phone=customer.phone))
    if customer.notes and customer.notes.strip():
        notes = customer.notes.strip()
        if len(notes) > NOTES_LIMIT:
            notes = notes[:NOTES_LIMIT] + "…"
        lines.append(_("Notes: %(notes)s", notes=notes))
    if customer_url:
        lines.append(customer_url)
    return "\n".join(lines)


def build_calendar(
    *,
    rep: User,
    team: Team,
    days: list[CalendarDay],
    now: datetime,
    name: str,
    customer_url: Callable[[int], str] | None = None,
) -> bytes:
    """The days as an iCalendar file (RFC 5545): one VEVENT per stop that has a time.

    `customer_url(customer_id)` gives the link to the customer page put into each description.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Field Companion//Day plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", team.timezone)
    # Plans change during the day (re-plan, skip): ask subscribed apps to look again every hour.
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for day in days:
        uids = _uids(day, rep)
        for route_stop in day.stops:
            starts, ends = stop_times(route_stop.stop)
            if starts is None:
                continue  # a stop the planner could not time yet has no place in a calendar
            customer = route_stop.customer
            if ends is None or ends <= starts:
                ends = starts + timedelta(minutes=max(customer.visit_minutes or 0, 5))
            event = icalendar.Event()
            event.add("uid", uids[route_stop.stop.id])
            event.add("dtstamp", now)
            # The plan's version only grows, so a changed plan is a newer revision of each event.
            event.add("sequence", day.plan.version)
            event.add("dtstart", starts)
            event.add("dtend", ends)
            event.add("summary", customer.name)
            if customer.address or route_stop.located:
                event.add("location", customer.address or f"{customer.lat:.6f}, {customer.lon:.6f}")
            if route_stop.located:
                event.add("geo", (customer.lat, customer.lon))
            event.add(
                "description",
                _description(
                    route_stop,
                    len(day.stops),
                    customer_url(customer.id) if customer_url else None,
                ),
            )
            if customer_url:
                event.add("url", customer_url(customer.id))
            event.add(
                "status", "CANCELLED" if route_stop.state == VisitStatus.SKIPPED else "CONFIRMED"
            )
            event.add("transp", "OPAQUE")
            cal.add_component(event)
    return cal.to_ical()
