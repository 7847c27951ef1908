"""The phone's position as a form or the sync API sends it (both coordinates or none)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    """The phone's position when it allowed us to read it."""

    lat: float
    lon: float

    @classmethod
    def parse(cls, lat: str | float | None, lon: str | float | None) -> Position | None:
        """Both coordinates or nothing; garbage or out-of-range values count as "no position"."""
        try:
            la, lo = float(lat), float(lon)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        if not (-90 <= la <= 90 and -180 <= lo <= 180) or (la == 0 and lo == 0):
            return None
        return cls(la, lo)

    def pair(self) -> tuple[float, float]:
        return (self.lat, self.lon)
