"""Small real HTTP servers for tests: answer a request with JSON, serve on a thread while a block runs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol


class Server(Protocol):
    def serve_forever(self) -> None: ...

    def shutdown(self) -> None: ...


def send_json(handler: BaseHTTPRequestHandler, body: Any) -> None:
    """Answer the handler's request with 200 and `body` as JSON."""
    data = json.dumps(body).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@contextmanager
def serving(server: Server) -> Iterator[None]:
    """Serve `server` on a daemon thread while the block runs, then stop it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(timeout=5)
