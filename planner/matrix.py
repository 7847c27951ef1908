"""Travel-time matrices: haversine x detour / speed (vectorised), or OSRM's table API with a fallback."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .model import Location

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class TravelMatrix:
    """Integer travel seconds between locations, and where they came from."""

    seconds: np.ndarray
    source: str  # "haversine" or "osrm"
    note: str = ""

    def __post_init__(self) -> None:
        if self.seconds.ndim != 2 or self.seconds.shape[0] != self.seconds.shape[1]:
            raise ValueError("travel matrix must be square")


def haversine_metres(locations: Sequence[Location]) -> np.ndarray:
    """Great-circle distances in metres between every pair of locations (float matrix)."""
    if not locations:
        return np.zeros((0, 0))
    coords = np.radians(np.array([(p.lat, p.lon) for p in locations], dtype=float))
    lat, lon = coords[:, 0], coords[:, 1]
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    # clip guards arcsin against rounding just above 1 for antipodal points
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def geodesic_seconds(
    locations: Sequence[Location], *, speed_kmh: float, detour_factor: float = 1.3
) -> np.ndarray:
    """Travel seconds: straight-line distance x detour factor / speed, rounded up to whole seconds."""
    if speed_kmh <= 0:
        raise ValueError("speed must be positive")
    metres = haversine_metres(locations) * detour_factor
    # ceil so a plan never promises a faster trip than the estimate
    return np.ceil(metres / (speed_kmh / 3.6)).astype(np.int64)


OSRM_PROFILES = {"car": "driving", "bicycle": "cycling", "walking": "walking"}


def osrm_seconds(
    locations: Sequence[Location], *, url: str, mode: str = "car", timeout: float = 2.0
) -> np.ndarray:
    """Ask an OSRM server's table service for a duration matrix (raises OSError/ValueError on failure)."""
    profile = OSRM_PROFILES.get(mode, "driving")
    coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in locations)
    full = f"{url.rstrip('/')}/table/v1/{profile}/{coords}?annotations=duration"
    with urllib.request.urlopen(full, timeout=timeout) as resp:  # noqa: S310 - configured URL
        body = json.loads(resp.read().decode("utf-8"))
    if body.get("code") != "Ok" or "durations" not in body:
        raise ValueError(f"OSRM answered {body.get('code')!r}")
    raw = body["durations"]
    n = len(locations)
    if len(raw) != n or any(len(row) != n for row in raw):
        raise ValueError("OSRM matrix has the wrong shape")
    if any(x is None for row in raw for x in row):
        raise ValueError("OSRM could not route between some locations")
    return np.ceil(np.array(raw, dtype=float)).astype(np.int64)


def travel_matrix(
    locations: Sequence[Location],
    *,
    mode: str = "car",
    speed_kmh: float = 30.0,
    detour_factor: float = 1.3,
    osrm_url: str | None = None,
    timeout: float = 2.0,
) -> TravelMatrix:
    """A road-engine matrix when one is configured and answers, else the geodesic estimate (and why)."""
    # OSRM has no public-transport profile: transit is always the estimate at its own speed.
    if osrm_url and mode in OSRM_PROFILES:
        try:
            return TravelMatrix(
                osrm_seconds(locations, url=osrm_url, mode=mode, timeout=timeout), "osrm"
            )
        except (OSError, ValueError, urllib.error.URLError) as exc:
            note = (
                f"road engine unreachable ({exc.__class__.__name__}); used straight-line estimate"
            )
            secs = geodesic_seconds(locations, speed_kmh=speed_kmh, detour_factor=detour_factor)
            return TravelMatrix(secs, "haversine", note)
    secs = geodesic_seconds(locations, speed_kmh=speed_kmh, detour_factor=detour_factor)
    return TravelMatrix(secs, "haversine")
