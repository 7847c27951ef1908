"""Daily report (日報): the rep drafts, edits and submits the day's report; managers read the team's."""
