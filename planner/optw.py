"""Reader for OPTW benchmark files (Righini & Salani, KU Leuven text layout) into a `Problem`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .problem import Problem, VehicleData


@dataclass(frozen=True, slots=True)
class OptwInstance:
    """A parsed instance: name, vertex data (vertex 0 is the depot) and the integer scale used."""

    name: str
    xy: np.ndarray
    service: np.ndarray
    score: np.ndarray
    open: np.ndarray
    close: np.ndarray
    scale: int

    def problem(self, routes: int = 1) -> Problem:
        """`routes` vehicles, each from the depot and back within its hours (one: the OPTW, more: the
        team orienteering version); times and travel scaled to integers by `scale`."""
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        dist = np.sqrt((diff**2).sum(axis=2))
        # the published optima use distances truncated (not rounded); the epsilon absorbs float noise
        mat = np.floor(dist * self.scale + 1e-7).astype(np.int64)
        n = len(self.xy) - 1
        s = self.scale
        return Problem(
            loc=np.arange(1, n + 1),
            service=np.rint(self.service[1:] * s).astype(np.int64),
            value=self.score[1:].astype(float),
            windows=[
                [(int(round(a * s)), int(round(b * s)))]
                for a, b in zip(self.open[1:], self.close[1:], strict=True)
            ],
            required=np.zeros(n, dtype=bool),
            vehicles=[
                VehicleData(
                    start=0,
                    end=0,
                    depart=int(round(self.open[0] * s)),
                    return_by=int(round(self.close[0] * s)),
                )
            ]
            * routes,
            matrices=[mat],
        )


def check_routes(inst: OptwInstance, routes: Sequence[Sequence[int]]) -> float | None:
    """The score of routes of vertex ids by the benchmark's own rules, or None when any is broken.

    Written apart from the search's timing (plain floats from the file, distances truncated to the
    instance's decimals): each vertex at most once, every visit starts inside its window, every route
    leaves the depot at its opening and is back by its closing time.
    """
    s = inst.scale

    def travel(a: int, b: int) -> float:
        (x1, y1), (x2, y2) = inst.xy[a], inst.xy[b]
        return math.floor(math.hypot(x1 - x2, y1 - y2) * s + 1e-7) / s

    seen: set[int] = set()
    score = 0.0
    for route in routes:
        t, here = float(inst.open[0]), 0
        for c in route:
            if c in seen or not 0 < c < len(inst.xy):
                return None
            seen.add(c)
            start = max(t + travel(here, c), float(inst.open[c]))
            if start > inst.close[c] + 1e-9:
                return None
            t, here = start + float(inst.service[c]), c
            score += float(inst.score[c])
        if t + travel(here, 0) > inst.close[0] + 1e-9:
            return None
    return score


def read_optw(path: str | Path, decimals: int = 1) -> OptwInstance:
    """Parse a file; `decimals` is how far distances are truncated (1 for the Solomon-based sets)."""
    path = Path(path)
    lines = [ln.split() for ln in path.read_text().splitlines()]
    rows = [ln for ln in lines[2:] if ln]
    xy, svc, score, o, c = [], [], [], [], []
    for ln in rows:
        vals = [float(x) for x in ln]
        xy.append((vals[1], vals[2]))
        svc.append(vals[3])
        score.append(vals[4])
        o.append(vals[-2])
        c.append(vals[-1])
    return OptwInstance(
        name=path.stem,
        xy=np.array(xy),
        service=np.array(svc),
        score=np.array(score),
        open=np.array(o),
        close=np.array(c),
        scale=int(math.pow(10, decimals)),
    )
