"""Field Companion web app: create_app() builds config → db → extensions → templating → blueprints → errors → cli."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Application factory: `config` overrides the environment (tests pass their database here)."""
    from . import config as config_module

    # fieldapp/templates links to the top-level templates/ folder, so checkouts and wheels both find the pages.
    app = Flask(__name__, instance_relative_config=True, template_folder="templates")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    settings = config_module.default_config(app.instance_path)
    settings.update(config_module.from_environment())
    settings.update(config or {})
    config_module.finalize(settings, app.instance_path)
    app.config.update(settings)

    from . import db

    db.init_app(app)
    _init_extensions(app)

    from . import templating

    templating.init_app(app)
    _register_blueprints(app)

    from . import errors

    errors.register(app)

    from . import cli

    cli.register(app)
    from . import proxies, security

    proxies.init_app(app)
    security.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from .extensions import babel, csrf, limiter, login_manager, select_locale, select_timezone

    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    # The limiter is one object for the process: each app builds its own storage (a fresh memory store, or
    # the shared Redis) even when limits start off, so counts never leak from one app (or test) to the next.
    enabled = app.config.get("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    limiter.enabled = enabled
    app.config["RATELIMIT_ENABLED"] = enabled

    from .auth.routes import load_user

    login_manager.user_loader(load_user)


def _register_blueprints(app: Flask) -> None:
    """One blueprint per screen, each with its own URL prefix (the README's table says which serves what)."""
    from .urls import BoundedIntConverter

    # Every `<int:...>` of every rule stops at the largest id a database holds (larger → 404, not a 500).
    app.url_map.converters["int"] = BoundedIntConverter
    from .api import bp as api_bp
    from .auth.routes import bp as auth_bp
    from .customers.routes import bp as customers_bp
    from .followups.routes import bp as followups_bp
    from .handover.routes import bp as handover_bp
    from .imports.routes import bp as imports_bp
    from .manager.routes import bp as manager_bp
    from .me.routes import bp as me_bp
    from .offline.routes import bp as offline_bp
    from .products import bp as products_bp
    from .reports.routes import bp as reports_bp
    from .today import bp as today_bp
    from .visits.routes import bp as visits_bp

    for blueprint in (
        auth_bp,
        today_bp,
        me_bp,
        customers_bp,
        visits_bp,
        followups_bp,
        reports_bp,
        manager_bp,
        imports_bp,
        offline_bp,
        api_bp,
        products_bp,
        handover_bp,
    ):
        app.register_blueprint(blueprint)
