"""Geocoding against a fake Nominatim server on 127.0.0.1: cache, failures, needs-location list."""

from __future__ import annotations

import pytest
from sqlmodel import select

from fieldapp.models import GeocodeCache
from fieldapp.services import geocoding
from tests.fieldapp.fake_nominatim import FakeNominatim

ADDRESS = "東京都台東区上野3-12-5"


@pytest.fixture
def nominatim():
    with FakeNominatim(
        {ADDRESS: (35.7101, 139.7745), "東京都壊れ区1-1": "error", "東京都遅い区1-1": "slow"}
    ) as fake:
        yield fake


def config_for(fake: FakeNominatim) -> dict:
    return {"NOMINATIM_DOMAIN": fake.domain, "NOMINATIM_SCHEME": "http", "NOMINATIM_MIN_DELAY": 0.01,
            "NOMINATIM_TIMEOUT": 0.5}  # fmt: skip


def test_found_address_sets_location_and_is_cached(db, make_team, make_customer, nominatim):
    team = make_team()
    customer = make_customer(
        team=team, address="東京都台東区上野３－１２－５", lat=None, lon=None
    )  # full-width
    assert geocoding.locate_customer(db, customer=customer, config=config_for(nominatim)) is True
    assert (customer.lat, customer.lon) == (35.7101, 139.7745)
    assert customer.location_source == "geocoded" and customer.needs_location is False
    again = make_customer(team=team, address=ADDRESS, lat=None, lon=None)
    assert geocoding.locate_customer(db, customer=again, config=config_for(nominatim)) is True
    assert nominatim.requests == [ADDRESS], "the second lookup comes from the cache"
    assert db.exec(select(GeocodeCache)).one().found is True


def test_unknown_address_marks_needs_location_and_caches_the_miss(
    db, make_team, make_customer, nominatim
):
    customer = make_customer(
        team=make_team(), address="東京都どこにもない区9-9", lat=None, lon=None
    )
    assert geocoding.locate_customer(db, customer=customer, config=config_for(nominatim)) is False
    assert customer.needs_location is True and customer.lat is None
    geocoding.locate_customer(db, customer=customer, config=config_for(nominatim))
    assert len(nominatim.requests) == 1


@pytest.mark.parametrize("address", ["東京都壊れ区1-1", "東京都遅い区1-1"])
def test_server_error_or_timeout_never_raises_and_is_not_cached(
    db, make_team, make_customer, nominatim, address
):
    customer = make_customer(team=make_team(), address=address, lat=None, lon=None)
    assert geocoding.locate_customer(db, customer=customer, config=config_for(nominatim)) is False
    assert customer.needs_location is True
    assert db.exec(select(GeocodeCache)).first() is None


def test_unreachable_server_never_raises(db, make_team, make_customer):
    customer = make_customer(team=make_team(), address=ADDRESS, lat=None, lon=None)
    config = {"NOMINATIM_DOMAIN": "127.0.0.1:9", "NOMINATIM_SCHEME": "http", "NOMINATIM_MIN_DELAY": 0.01,
              "NOMINATIM_TIMEOUT": 0.5}  # fmt: skip
    assert geocoding.locate_customer(db, customer=customer, config=config) is False
    assert customer.needs_location is True


def test_geocoding_off_without_domain(db, make_team, make_customer):
    customer = make_customer(team=make_team(), address=ADDRESS, lat=None, lon=None)
    assert geocoding.locate_customer(db, customer=customer, config={}) is False
    assert customer.needs_location is True


def test_geocode_pending_and_needs_location_page(
    app, client, db, make_team, make_user, make_customer, login_as, nominatim
):
    team = make_team()
    manager = make_user(team=team, role="manager")
    found = make_customer(
        team=team, name="上野の店", address=ADDRESS, lat=None, lon=None, needs_location=True
    )
    lost = make_customer(
        team=team,
        name="見つからない店",
        address="東京都不明区1-1",
        lat=None,
        lon=None,
        needs_location=True,
    )
    summary = geocoding.geocode_pending(db, team_id=team.id, config=config_for(nominatim))
    db.commit()
    assert (summary.located, summary.failed) == (1, 1)
    db.refresh(found)
    assert found.needs_location is False
    login_as(manager)
    html = client.get("/manage/needs-location").get_data(as_text=True)
    assert "見つからない店" in html and "上野の店" not in html
    assert f"/customers/{lost.id}/location" in html


def test_requests_go_through_a_rate_limiter_with_the_configured_delay(nominatim):
    from geopy.extra.rate_limiter import RateLimiter

    limiter = geocoding._geocoder({**config_for(nominatim), "NOMINATIM_MIN_DELAY": 1.0})
    assert isinstance(limiter, RateLimiter)
    assert limiter.min_delay_seconds == 1.0
    # One limiter per server and process, so the limit holds across calls.
    assert geocoding._geocoder({**config_for(nominatim), "NOMINATIM_MIN_DELAY": 1.0}) is limiter
