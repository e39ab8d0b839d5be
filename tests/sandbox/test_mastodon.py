"""The fake Mastodon by Mastodon's own rules, driven with httpx and with Mastodon.py."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonRatelimitError

from heartbeat_bot.sandbox import Sandbox
from heartbeat_bot.sandbox import mastodon_rules as rules


def headers(sb: Sandbox, key: str | None = None) -> dict[str, str]:
    """The bearer token header (and an Idempotency-Key when given)."""
    found = {"Authorization": f"Bearer {sb.credentials.mastodon_access_token}"}
    if key:
        found["Idempotency-Key"] = key
    return found


def post(sb: Sandbox, http: httpx.Client, key: str | None = None, **body: Any) -> httpx.Response:
    return http.post(f"{sb.mastodon_url}/api/v1/statuses", json=body, headers=headers(sb, key))


def client(sb: Sandbox, token: str | None = None) -> Mastodon:
    """Mastodon.py pointed at the sandbox, told not to probe the version."""
    return Mastodon(
        access_token=token or sb.credentials.mastodon_access_token,
        api_base_url=sb.mastodon_url,
        version_check_mode="none",
        ratelimit_method="throw",
        request_timeout=5,
    )


def test_mastodon_py_posts_a_thread_and_reads_it_back(sb: Sandbox) -> None:
    """The community client posts, replies with an idempotency key, and reads the account."""
    api = client(sb)
    first = api.status_post("Hello #DVC https://dvc.org/blog/x", visibility="unlisted")
    reply = api.status_post("More.", in_reply_to_id=first["id"], idempotency_key="k-1")
    again = api.status_post("More.", in_reply_to_id=first["id"], idempotency_key="k-1")
    assert again["id"] == reply["id"]
    me = api.account_verify_credentials()
    statuses = api.account_statuses(me["id"], limit=40)
    assert [s["id"] for s in statuses] == [reply["id"], first["id"]]
    assert statuses[1]["visibility"] == "unlisted"
    assert statuses[1]["tags"][0]["name"] == "dvc"
    assert isinstance(statuses[0]["created_at"], datetime)


def test_mastodon_py_reads_the_limits_and_sees_a_429(sb: Sandbox) -> None:
    """The instance's limits come through Mastodon.py; a 429 raises its rate-limit error
    after it has read our X-RateLimit-Reset."""
    api = client(sb)
    sb.mastodon.max_characters = 1000
    assert api.instance_v2()["configuration"]["statuses"]["max_characters"] == 1000
    sb.faults.queue("mastodon", "429")
    with pytest.raises(MastodonRatelimitError):
        api.status_post("x")
    assert api.ratelimit_reset is not None


def test_mastodon_py_gets_the_validation_error(sb: Sandbox) -> None:
    """A status over the limit is Mastodon's 422 with its own message."""
    with pytest.raises(MastodonAPIError, match="character limit of 500 exceeded"):
        client(sb).status_post("x" * 501)


def test_the_limit_counts_graphemes_urls_and_local_mentions(
    sb: Sandbox, http: httpx.Client
) -> None:
    """Exactly max_characters passes and one more fails, with URLs as 23 and mentions of
    other servers as their local name."""
    url = "https://dvc.org/blog/" + "y" * 100
    text = f"{url} @bob@example.social " + "👩‍💻" * (500 - 23 - 1 - 4 - 1)
    assert rules.status_length(text, "", 23) == 500
    assert post(sb, http, status=text).status_code == 200
    response = post(sb, http, status=text + "!")
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: Text character limit of 500 exceeded"}


def test_blank_and_bad_visibility_are_refused(sb: Sandbox, http: httpx.Client) -> None:
    """A blank status and an unknown visibility are 422s; nothing is stored."""
    assert post(sb, http, status="  ").json() == {"error": "Validation failed: Text can't be blank"}
    assert post(sb, http, status="x", visibility="everyone").status_code == 422
    assert sb.mastodon.statuses == []


def test_a_missing_parent_is_404(sb: Sandbox, http: httpx.Client) -> None:
    """Replying to a status that does not exist is Mastodon's 404 message."""
    response = post(sb, http, status="x", in_reply_to_id="123")
    assert response.status_code == 404
    assert "does not appear to exist" in response.json()["error"]


def test_an_idempotency_key_is_remembered_for_its_time(sb: Sandbox, http: httpx.Client) -> None:
    """A key seen within the TTL returns the first status; after it, a new one is made."""
    first = post(sb, http, "key-1", status="one").json()
    assert post(sb, http, "key-1", status="different").json()["id"] == first["id"]
    sb.mastodon.idempotency_ttl = 0.0
    assert post(sb, http, "key-1", status="one").json()["id"] != first["id"]
    assert len(sb.mastodon.statuses) == 2


def test_tokens_and_scopes_are_checked(sb: Sandbox, http: httpx.Client) -> None:
    """No or a wrong token is 401; a token without read:accounts is 403 on verify, and one
    without read:statuses on the account's statuses."""
    url = f"{sb.mastodon_url}/api/v1/accounts/verify_credentials"
    assert http.get(url).status_code == 401
    assert http.get(url, headers={"Authorization": "Bearer nope"}).json() == {
        "error": "The access token is invalid"
    }
    sb.mastodon.scopes = frozenset({"write:statuses"})
    forbidden = http.get(url, headers=headers(sb))
    assert forbidden.status_code == 403
    assert forbidden.json() == {"error": "This action is outside the authorized scopes"}
    sb.mastodon.scopes = frozenset({"write:statuses", "read:accounts"})
    listing = f"{sb.mastodon_url}/api/v1/accounts/{sb.mastodon.account_id}/statuses"
    assert http.get(listing, headers=headers(sb)).status_code == 403


def test_every_api_answer_has_rate_limit_headers(sb: Sandbox, http: httpx.Client) -> None:
    """Limit, remaining and an ISO 8601 reset within the 5-minute window; past the limit
    the instance itself answers 429."""
    sb.mastodon.api_limit = 2
    first = post(sb, http, status="a")
    reset = datetime.fromisoformat(first.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert 0 < reset.timestamp() - time.time() <= 300
    assert post(sb, http, status="b").headers["X-RateLimit-Remaining"] == "0"
    refused = post(sb, http, status="c")
    assert refused.status_code == 429 and refused.json() == {"error": "Too many requests"}
    assert len(sb.mastodon.statuses) == 2


def test_statuses_are_paged_newest_first(sb: Sandbox, http: httpx.Client) -> None:
    """limit, max_id and the Link header page through the account's statuses."""
    ids = [post(sb, http, status=f"s{n}").json()["id"] for n in range(5)]
    url = f"{sb.mastodon_url}/api/v1/accounts/{sb.mastodon.account_id}/statuses"
    page = http.get(url, params={"limit": "2"}, headers=headers(sb))
    assert [s["id"] for s in page.json()] == ids[::-1][:2]
    assert 'rel="next"' in page.headers["Link"]
    older = http.get(url, params={"limit": "2", "max_id": ids[3]}, headers=headers(sb))
    assert [s["id"] for s in older.json()] == [ids[2], ids[1]]


def test_context_walks_the_thread(sb: Sandbox, http: httpx.Client) -> None:
    """A status's context: its ancestors oldest first, its replies depth first."""
    a = post(sb, http, status="a").json()["id"]
    b = post(sb, http, status="b", in_reply_to_id=a).json()["id"]
    c = post(sb, http, status="c", in_reply_to_id=b).json()["id"]
    d = post(sb, http, status="d", in_reply_to_id=a).json()["id"]
    url = f"{sb.mastodon_url}/api/v1/statuses/{b}/context"
    context = http.get(url, headers=headers(sb)).json()
    assert [s["id"] for s in context["ancestors"]] == [a]
    assert [s["id"] for s in context["descendants"]] == [c]
    top = http.get(f"{sb.mastodon_url}/api/v1/statuses/{a}/context", headers=headers(sb)).json()
    assert [s["id"] for s in top["descendants"]] == [b, c, d]


def test_content_is_html_like_mastodons(sb: Sandbox, http: httpx.Client) -> None:
    """Paragraphs, line breaks, escaped text, hidden URL parts and hashtag links."""
    text = "A & B\nline\n\nSee https://dvc.org/blog/some-long-post-name-here #MLOps"
    content = post(sb, http, status=text).json()["content"]
    assert content.startswith("<p>A &amp; B<br />line</p><p>See <a href=")
    assert '<span class="invisible">https://</span>' in content
    assert 'class="mention hashtag" rel="tag">#<span>MLOps</span></a>' in content


def test_edits_keep_the_id_and_a_history(sb: Sandbox, http: httpx.Client) -> None:
    """PUT /api/v1/statuses/:id changes the text, sets edited_at, and checks the length."""
    status = post(sb, http, status="before").json()
    url = f"{sb.mastodon_url}/api/v1/statuses/{status['id']}"
    edited = http.put(url, json={"status": "after"}, headers=headers(sb)).json()
    assert edited["id"] == status["id"] and edited["edited_at"] is not None
    assert http.put(url, json={"status": "x" * 501}, headers=headers(sb)).status_code == 422
    assert sb.mastodon.statuses[0]["history"] == ["before"]


@pytest.mark.parametrize("kind", ["500", "503", "429", "drop", "badjson"])
def test_faults_apply(sb: Sandbox, http: httpx.Client, kind: str) -> None:
    """Queued faults reach Mastodon's API: errors in its shape, drops after the work."""
    sb.faults.queue("mastodon", kind)
    try:
        response = post(sb, http, status="x")
    except httpx.HTTPError:
        assert kind == "drop"
        assert len(sb.mastodon.statuses) == 1
        return
    if kind in ("500", "503", "429"):
        assert response.status_code == int(kind) and "error" in response.json()
        assert sb.mastodon.statuses == []
    else:
        assert response.status_code == 200 and len(sb.mastodon.statuses) == 1
