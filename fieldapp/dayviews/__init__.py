"""Views of the rep's day: the map of the route and the day as iCalendar (download and subscription)."""
