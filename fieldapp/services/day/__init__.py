"""The rep's day: candidates, the planner bridge, the stored plan, the rep's actions, route and calendar.

- `candidates.py`: who is worth a visit on a day, with the reasons (codes and facts).
- `planning.py`: the only module that imports `planner` (rows → PlanRequest, Plan → rows).
- `plans.py`: plan rows read back (no planner import).
- `actions.py`: the rep's taps on a plan (check in/out, skip, move, add, remove, appointments).
- `route.py`: the day as an ordered route of stops (Today, map, calendar, report read it).
- `calendar.py`: the day as iCalendar, and the subscription token.
- `position.py`: the phone's position.
"""
