"""A test-only channel, registered by the tests alone: what a channel folder brings.

It is the smallest channel there can be: a settings section, a pure renderer, a client
doing one HTTP call per message (a :class:`~heartbeat_bot.channels.unit.MessageDelivery`)
and the unit the registry lists, plus :class:`PigeonLoft`, its loopback stand-in. Nothing
outside this file and the registry knows it exists.
"""

from __future__ import annotations

import json
import threading
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from heartbeat_bot.channels.unit import ChannelInfo
from heartbeat_bot.config.fields import Section
from heartbeat_bot.models import Post, Sent
from heartbeat_bot.render.preview import Line, PreviewBlock


class PigeonConfig(Section):
    """``[pigeon]``: where the loft is."""

    enabled: bool = False
    url: str = "http://127.0.0.1:9"


@dataclass(frozen=True)
class PigeonMessage:
    text: str

    def body(self) -> dict[str, Any]:
        return {"text": self.text}


def render(post: Post, options: str, template: str, comments_url: str | None) -> PigeonMessage:
    """Pure: the post's title and link, and the discussion's link once known."""
    parts = [f"{post.title} ({options})", post.url, comments_url or ""]
    return PigeonMessage("\n".join(p for p in parts if p))


class PigeonClient:
    """Posts each message to the loft; it cannot find a message again."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http, self.url = http, url.rstrip("/")

    @property
    def exhausted_until(self) -> float | None:
        return None

    @property
    def can_confirm(self) -> bool:
        return False

    async def send(self, body: dict[str, Any], nonce: str | None) -> Sent:
        answer = await self.http.post(f"{self.url}/messages", json=body)
        answer.raise_for_status()
        sent = answer.json()
        return Sent(str(sent["id"]), sent["url"])

    async def find_sent(
        self, post_url: str, *, since: datetime | None = None, after: str | None = None
    ) -> None:
        return None

    async def publish(self, message_id: str) -> None:
        return None

    async def check(self) -> str:
        return "the loft answers"


async def _open(section: PigeonConfig, stack: AsyncExitStack, agent: str) -> PigeonClient:
    http = await stack.enter_async_context(httpx.AsyncClient(headers={"User-Agent": agent}))
    return PigeonClient(http, section.url)


UNIT = ChannelInfo(
    name="pigeon",
    label="Pigeon Post",
    settings=lambda: PigeonConfig,
    delivery="message",
    open=_open,
    options=lambda section, site_name: site_name,
    render=render,
    preview=lambda m: (PreviewBlock("Pigeon message", (Line(m.text),)),),
    chat_lines=lambda m: (f"**Pigeon:** {m.text}",),
)


class PigeonLoft:
    """The channel's loopback stand-in: keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        loft = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                loft.messages.append(json.loads(self.rfile.read(length)))
                number = len(loft.messages)
                answer = json.dumps({"id": number, "url": f"{loft.url}/m/{number}"}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PigeonLoft:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
