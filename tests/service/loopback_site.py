"""The blog's public site on loopback, for the require_live tests."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Site:
    """A page answers 200 once its path is in ``up``, ``down_status`` before (404: not
    deployed yet, 503: a broken deploy); ``/no-head`` refuses HEAD (405) and answers GET.
    ``checks`` lists the methods asked, in order."""

    def __init__(self) -> None:
        self.up: set[str] = set()
        self.down_status = 404
        self.checks: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                site.checks.append("HEAD")
                if self.path == "/no-head":
                    self.send_response(405)
                else:
                    self.send_response(200 if self.path in site.up else site.down_status)
                self.end_headers()

            def do_GET(self) -> None:
                site.checks.append("GET")
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    @property
    def post_url(self) -> str:
        """``blog.post_url`` for posts served under ``/blog/``."""
        return self.url("/blog/{slug}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
