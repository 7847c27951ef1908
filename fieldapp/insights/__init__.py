"""Prompts for the rep (reorder due, and later upsell and risk): pure functions over plain data, no Flask."""
