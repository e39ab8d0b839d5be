"""Fault injection over real HTTP: what each kind does to the answer and to the records."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import requests

from heartbeat_bot.sandbox import FAULT_KINDS, Faults, Sandbox
from tests.sandbox.helpers import SLOW_DELAY, discord_headers, discourse_headers

TOPIC = {
    "title": "A topic about faults",
    "raw": "A body that is long enough to be accepted.",
    "category": 7,
}


def _create(http: httpx.Client, sb: Sandbox) -> httpx.Response:
    return http.post(f"{sb.discourse_url}/posts.json", json=TOPIC, headers=discourse_headers(sb))


def _last_request(sb: Sandbox) -> dict[str, Any]:
    return sb.requests[-1]


def test_drop_processes_then_disconnects_httpx(http: httpx.Client, sb: Sandbox) -> None:
    """ "drop": the topic is created and recorded, but httpx sees the connection close."""
    sb.faults.queue("discourse", "drop")
    with pytest.raises(httpx.RemoteProtocolError):
        _create(http, sb)
    assert len(sb.discourse.topics) == 1
    assert _last_request(sb)["fault"] == "drop" and _last_request(sb)["status"] == 200


def test_drop_processes_then_disconnects_requests(sb: Sandbox) -> None:
    """ "drop" seen through requests (tweepy's transport) is a ConnectionError."""
    sb.faults.queue("discord", "drop")
    url = f"{sb.discord_api_url}/channels/{sb.credentials.discord_channel_id}/messages"
    with requests.Session() as session, pytest.raises(requests.ConnectionError):
        session.post(url, json={"content": "lost answer"}, headers=discord_headers(sb))
    assert [m["content"] for m in sb.discord.messages] == ["lost answer"]


def test_drop_before_disconnects_without_processing(http: httpx.Client, sb: Sandbox) -> None:
    """ "drop_before": the client sees a disconnect and nothing was created."""
    sb.faults.queue("discourse", "drop_before")
    with pytest.raises(httpx.RemoteProtocolError):
        _create(http, sb)
    assert sb.discourse.topics == []
    assert _last_request(sb)["status"] is None and _last_request(sb)["fault"] == "drop_before"


def test_slow_answers_normally_after_the_delay(http: httpx.Client, sb: Sandbox) -> None:
    """ "slow" waits slow_delay seconds and then answers as usual."""
    sb.faults.queue("discourse", "slow")
    started = time.monotonic()
    response = _create(http, sb)
    assert time.monotonic() - started >= SLOW_DELAY
    assert response.status_code == 200 and len(sb.discourse.topics) == 1


def test_html_is_a_500_page(http: httpx.Client, sb: Sandbox) -> None:
    """ "html": a 500 whose body is an HTML page, and nothing was created."""
    sb.faults.queue("discourse", "html")
    response = _create(http, sb)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text and sb.discourse.topics == []


def test_badjson_is_processed_but_unreadable(http: httpx.Client, sb: Sandbox) -> None:
    """ "badjson": the topic is created, but the 200 body is not JSON."""
    sb.faults.queue("discourse", "badjson")
    response = _create(http, sb)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert len(sb.discourse.topics) == 1


def test_missing_is_processed_but_empty(http: httpx.Client, sb: Sandbox) -> None:
    """ "missing": the topic is created, but the 200 body is {} without the expected fields."""
    sb.faults.queue("discourse", "missing")
    response = _create(http, sb)
    assert (response.status_code, response.json()) == (200, {})
    assert len(sb.discourse.topics) == 1
    sb.faults.queue("discourse", "missing")
    lookup = http.get(f"{sb.discourse_url}/t/external_id/none.json", headers=discourse_headers(sb))
    assert (lookup.status_code, lookup.json()) == (200, {})  # even a 404 becomes a bare 200


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_server_errors_are_not_processed(http: httpx.Client, sb: Sandbox, kind: str) -> None:
    """5xx faults answer that status and create nothing."""
    sb.faults.queue("discourse", kind)
    response = _create(http, sb)
    assert response.status_code == int(kind) and sb.discourse.topics == []
    assert _last_request(sb)["fault"] == kind


def test_server_errors_keep_each_services_shape(http: httpx.Client, sb: Sandbox) -> None:
    """A Discord 500 is its JSON error with the bare content type; an X 503 its problem JSON."""
    sb.faults.queue("discord", "500")
    sb.faults.queue("x", "503")
    discord_error = http.get(f"{sb.discord_api_url}/users/@me", headers=discord_headers(sb))
    assert discord_error.json() == {"message": "500: Internal Server Error", "code": 0}
    assert discord_error.headers["content-type"] == "application/json"
    x_error = http.get(f"{sb.x_api_url}/2/users/me")
    assert x_error.status_code == 503 and x_error.json()["title"] == "Service Unavailable"


def test_queue_is_in_order_and_path_filtered(http: httpx.Client, sb: Sandbox) -> None:
    """Queued faults apply one per request, in order, only to requests under their path."""
    sb.faults.queue("discourse", "503", "429", path="/posts.json")
    session = http.get(f"{sb.discourse_url}/session/current.json", headers=discourse_headers(sb))
    assert session.status_code == 200
    assert [_create(http, sb).status_code for _ in range(3)] == [503, 429, 200]
    assert sb.faults.pending("discourse") == []


def test_random_faults_follow_the_seed() -> None:
    """The same seed draws the same faults; control endpoints are never faulted."""

    def draws(seed: int) -> list[str | None]:
        faults = Faults(rate=0.5, seed=seed)
        return [faults.take("x", "/2/tweets") for _ in range(40)]

    assert draws(7) == draws(7) and draws(7) != draws(8)
    assert {kind for kind in draws(7) if kind} <= {"500", "503", "429", "drop", "slow"}
    with Sandbox(fault_rate=1.0, seed=1, rate_limit_wait=0.01, slow_delay=0.01) as sb:
        state = httpx.get(f"{sb.discourse_url}/_sandbox/state")
        assert state.status_code == 200 and sb.requests == []


def test_faults_api_refuses_unknown_names() -> None:
    """Unknown services, kinds and rates are errors, not silent no-ops."""
    faults = Faults()
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.queue("x", "teapot")
    with pytest.raises(ValueError, match="unknown service"):
        faults.queue("myspace", "500")
    with pytest.raises(ValueError, match="between 0 and 1"):
        faults.rate = 2.0
    assert set(FAULT_KINDS) >= {"drop", "drop_before", "badjson", "missing", "html"}


def test_control_endpoints_drive_the_sandbox(http: httpx.Client, sb: Sandbox) -> None:
    """POST /_sandbox/faults queues faults and GET /_sandbox/state shows items and requests."""
    control = http.post(f"{sb.discourse_url}/_sandbox/faults", json={"queue": ["503"], "rate": 0})
    assert control.json() == {"queued": [{"kind": "503", "path": None}], "rate": 0.0}
    assert _create(http, sb).status_code == 503
    assert _create(http, sb).status_code == 200
    state = http.get(f"{sb.discourse_url}/_sandbox/state").json()
    assert state["service"] == "discourse" and len(state["topics"]) == 1
    assert state["items"] == state["topics"]
    assert [r["status"] for r in state["requests"]] == [503, 200]
    refused = http.post(f"{sb.x_api_url}/_sandbox/faults", json={"queue": ["teapot"]})
    assert refused.status_code == 400 and "unknown fault kind" in refused.json()["error"]
