"""Visits: log a visit at a customer, read it, let its author correct it."""
