"""Which client address a request comes from when the app runs behind reverse proxies.

`FIELDAPP_TRUSTED_PROXIES` is either a count (that many proxies in front, each adding itself to
X-Forwarded-For: Werkzeug's ProxyFix) or a comma-separated list of proxy addresses or networks (only a request
arriving from one of them has its X-Forwarded-For read, right to left, up to the first untrusted address).
Unset, X-Forwarded-For is ignored: a client could otherwise pick any address and dodge the login limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

Network = IPv4Network | IPv6Network


def parse_trusted(setting: object) -> int | list[Network] | None:
    """A count, a list of networks, or None (no proxy trusted); a bad entry fails at start-up."""
    if setting is None:
        return None
    if isinstance(setting, int):
        return setting or None
    text = str(setting).strip()
    if not text:
        return None
    if text.isdigit():
        return int(text) or None
    return [ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


class TrustedProxyList:
    """WSGI middleware: the client address from X-Forwarded-For, trusting only the listed proxies."""

    def __init__(self, wsgi_app: Callable[..., Any], networks: Iterable[Network]) -> None:
        self.wsgi_app = wsgi_app
        self.networks = list(networks)

    def trusted(self, address: str) -> bool:
        try:
            ip = ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        remote = environ.get("REMOTE_ADDR", "")
        if self.trusted(remote):
            hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
            client = remote
            for hop in reversed([h for h in hops if h]):
                if not self.trusted(client):
                    break
                client = hop
            environ["werkzeug.proxy_fix.orig_remote_addr"] = remote
            environ["REMOTE_ADDR"] = client
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    trusted = parse_trusted(app.config.get("TRUSTED_PROXIES"))
    if isinstance(trusted, int):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)  # type: ignore[method-assign]
    elif trusted:
        app.wsgi_app = TrustedProxyList(app.wsgi_app, trusted)  # type: ignore[method-assign]
