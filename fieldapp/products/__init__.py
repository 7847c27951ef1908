"""The product catalogue: search it, and see a product's buyers in the team and its trend."""

from .routes import bp

__all__ = ["bp"]
