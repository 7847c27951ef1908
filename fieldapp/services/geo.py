"""Distances on the Earth for the app: pure, no database and no planner (the planner has its own matrix)."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088  # mean radius, the same as the planner's


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres between two (lat, lon) points."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    # min() keeps asin's argument in range when rounding lifts it above 1 (antipodal points)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
