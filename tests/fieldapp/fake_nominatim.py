"""A tiny Nominatim stand-in on 127.0.0.1 for geocoding tests: real HTTP, answers from a dict, counts requests."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from tests.serving import send_json


class FakeNominatim:
    """answers: address → (lat, lon) or "error" (HTTP 500) or "slow" (sleeps past the client timeout)."""

    def __init__(self, answers: dict[str, object]) -> None:
        self.answers = answers
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                query = parse_qs(urlparse(self.path).query).get("q", [""])[0]
                fake.requests.append(query)
                answer = fake.answers.get(query)
                if answer == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                if answer == "slow":
                    time.sleep(1.5)
                body = (
                    []
                    if answer in (None, "slow")
                    else [
                        {
                            "lat": str(answer[0]),
                            "lon": str(answer[1]),
                            "display_name": query,
                            "place_id": 1,
                        }
                    ]
                )
                send_json(self, body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> FakeNominatim:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
