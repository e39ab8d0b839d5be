"""The fake Bluesky PDS follows the AT Protocol: sessions, post rules, keys, blobs, limits."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from heartbeat_bot.sandbox import Sandbox
from heartbeat_bot.sandbox.bluesky import tid
from tests.sandbox.helpers import bluesky_session

POST = "app.bsky.feed.post"


def _xrpc(sb: Sandbox, method: str) -> str:
    return f"{sb.bluesky_url}/xrpc/{method}"


def _create(
    sb: Sandbox, http: httpx.Client, token: str, record: dict[str, Any], rkey: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"repo": sb.bluesky.did, "collection": POST, "record": record}
    if rkey is not None:
        body["rkey"] = rkey
    headers = {"Authorization": f"Bearer {token}"}
    return http.post(_xrpc(sb, "com.atproto.repo.createRecord"), json=body, headers=headers)


def _post(text: str, **extra: Any) -> dict[str, Any]:
    return {"$type": POST, "text": text, "createdAt": "2024-04-22T10:00:00.000Z", **extra}


def test_tids_are_thirteen_sortable_characters() -> None:
    """A TID is 13 base32-sortable characters and sorts as its moment does."""
    early, late = tid(1_700_000_000_000_000, 5), tid(1_700_000_000_000_001, 0)
    assert len(early) == 13 and early < late and early[0] in "234567abcdefghij"


def test_wrong_password_is_refused_in_the_xrpc_shape(sb: Sandbox, http: httpx.Client) -> None:
    """A wrong app password is 401 AuthenticationRequired, "Invalid identifier or password"."""
    answer = http.post(
        _xrpc(sb, "com.atproto.server.createSession"),
        json={"identifier": sb.credentials.bluesky_handle, "password": "nope-nope-nope-nope"},
    )
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "AuthenticationRequired",
        "message": "Invalid identifier or password",
    }


def test_create_session_is_rate_limited_per_identifier(sb: Sandbox, http: httpx.Client) -> None:
    """Past the createSession window the PDS answers 429 RateLimitExceeded with ratelimit-*."""
    sb.bluesky.session_limits = [(3, 300), (300, 86400)]
    for _ in range(3):
        bluesky_session(sb, http)
    answer = http.post(
        _xrpc(sb, "com.atproto.server.createSession"),
        json={"identifier": sb.credentials.bluesky_handle, "password": "x"},
    )
    assert answer.status_code == 429
    assert answer.json()["error"] == "RateLimitExceeded"
    assert answer.headers["ratelimit-limit"] == "3"
    assert answer.headers["ratelimit-remaining"] == "0"
    assert answer.headers["ratelimit-policy"] == "3;w=300"
    assert int(answer.headers["ratelimit-reset"]) > time.time()
    assert int(answer.headers["retry-after"]) > 0
    assert sb.bluesky.sessions_created == 3


def test_refresh_rotates_with_a_grace_period(sb: Sandbox, http: httpx.Client) -> None:
    """A refresh token works again within the grace period (same next token id), then not."""
    session = bluesky_session(sb, http)
    url = _xrpc(sb, "com.atproto.server.refreshSession")
    old = {"Authorization": f"Bearer {session['refreshJwt']}"}
    first = http.post(url, headers=old)
    again = http.post(url, headers=old)
    assert first.status_code == again.status_code == 200
    assert first.json()["did"] == sb.bluesky.did
    sb.bluesky.refresh_grace = 0
    later = bluesky_session(sb, http)
    http.post(url, headers={"Authorization": f"Bearer {later['refreshJwt']}"})
    revoked = http.post(url, headers={"Authorization": f"Bearer {later['refreshJwt']}"})
    assert revoked.status_code == 400
    assert revoked.json() == {"error": "ExpiredToken", "message": "Token has been revoked"}
    wrong = http.post(url, headers={"Authorization": f"Bearer {later['accessJwt']}"})
    assert wrong.json()["error"] == "InvalidToken"


def test_an_expired_access_token_says_expired_token(sb: Sandbox, http: httpx.Client) -> None:
    """An access token past its lifetime is 400 ExpiredToken; none at all is 401 AuthMissing."""
    sb.bluesky.access_seconds = 0
    session = bluesky_session(sb, http)
    answer = _create(sb, http, session["accessJwt"], _post("hi"))
    assert (answer.status_code, answer.json()["error"]) == (400, "ExpiredToken")
    missing = http.post(_xrpc(sb, "com.atproto.repo.createRecord"), json={})
    assert (missing.status_code, missing.json()["error"]) == (401, "AuthMissing")


def test_a_post_over_300_graphemes_is_invalid_request(sb: Sandbox, http: httpx.Client) -> None:
    """301 graphemes are refused as the PDS words it; an emoji family counts one, bytes 3000."""
    token = bluesky_session(sb, http)["accessJwt"]
    answer = _create(sb, http, token, _post("a" * 301))
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "InvalidRequest",
        "message": "Invalid app.bsky.feed.post record: "
        "grapheme too big (maximum 300, got 301) at $.record.text",
    }
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert _create(sb, http, token, _post(family * 100)).status_code == 200
    too_many_bytes = _create(sb, http, token, _post(family * 200))
    assert "string too big (maximum 3000" in too_many_bytes.json()["message"]


def test_facets_outside_the_text_are_refused(sb: Sandbox, http: httpx.Client) -> None:
    """A facet whose byte range passes the end of the text is refused."""
    token = bluesky_session(sb, http)["accessJwt"]
    link = {"$type": "app.bsky.richtext.facet#link", "uri": "https://dvc.org"}
    good = {"index": {"byteStart": 0, "byteEnd": 7}, "features": [link]}
    bad = {"index": {"byteStart": 0, "byteEnd": 8}, "features": [link]}
    assert _create(sb, http, token, _post("dvc.org", facets=[good])).status_code == 200
    assert _create(sb, http, token, _post("dvc.org", facets=[bad])).status_code == 400


def test_a_create_at_a_used_key_is_a_500_and_get_record_finds_it(
    sb: Sandbox, http: httpx.Client
) -> None:
    """The second create at one rkey is 500 InternalServerError; getRecord returns the first."""
    token = bluesky_session(sb, http)["accessJwt"]
    rkey = tid(1_713_780_000_000_000, 42)
    first = _create(sb, http, token, _post("one"), rkey)
    assert first.status_code == 200
    assert first.json()["uri"] == f"at://{sb.bluesky.did}/{POST}/{rkey}"
    second = _create(sb, http, token, _post("two"), rkey)
    assert second.status_code == 500
    assert second.json() == {"error": "InternalServerError", "message": "Internal Server Error"}
    found = http.get(
        _xrpc(sb, "com.atproto.repo.getRecord"),
        params={"repo": sb.bluesky.did, "collection": POST, "rkey": rkey},
    )
    assert found.json()["value"]["text"] == "one"
    assert found.json()["cid"] == first.json()["cid"]
    assert [p["value"]["text"] for p in sb.bluesky.posts] == ["one"]
    missing = http.get(
        _xrpc(sb, "com.atproto.repo.getRecord"),
        params={"repo": sb.bluesky.did, "collection": POST, "rkey": tid(1, 1)},
    )
    assert (missing.status_code, missing.json()["error"]) == (400, "RecordNotFound")


def test_post_keys_must_be_tids(sb: Sandbox, http: httpx.Client) -> None:
    """A post at a key that is not a TID is refused as an invalid record key."""
    token = bluesky_session(sb, http)["accessJwt"]
    answer = _create(sb, http, token, _post("x"), "self")
    assert answer.status_code == 400
    assert "Invalid record key for app.bsky.feed.post" in answer.json()["message"]


def test_list_records_pages_newest_key_first(sb: Sandbox, http: httpx.Client) -> None:
    """listRecords gives the newest keys first, a page at a time, with a cursor."""
    token = bluesky_session(sb, http)["accessJwt"]
    keys = [tid(1_713_780_000_000_000 + n, 0) for n in range(3)]
    for n, key in enumerate(keys):
        assert _create(sb, http, token, _post(f"p{n}"), key).status_code == 200
    url = _xrpc(sb, "com.atproto.repo.listRecords")
    params = {"repo": sb.bluesky.handle, "collection": POST, "limit": "2"}
    page = http.get(url, params=params).json()
    assert [r["value"]["text"] for r in page["records"]] == ["p2", "p1"]
    rest = http.get(url, params={**params, "cursor": page["cursor"]}).json()
    assert [r["value"]["text"] for r in rest["records"]] == ["p0"] and "cursor" not in rest


def test_thumbs_must_be_uploaded_blobs_within_the_limit(sb: Sandbox, http: httpx.Client) -> None:
    """A link card's thumb must name an uploaded image blob of at most 1,000,000 bytes."""
    token = bluesky_session(sb, http)["accessJwt"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/png"}
    upload = _xrpc(sb, "com.atproto.repo.uploadBlob")
    small = http.post(upload, content=b"\x89PNG" + b"0" * 100, headers=headers).json()["blob"]
    big = http.post(upload, content=b"0" * 1_000_001, headers=headers).json()["blob"]
    card = {"uri": "https://dvc.org/blog/x", "title": "T", "description": "D"}

    def embed(thumb: dict[str, Any]) -> dict[str, Any]:
        return {"$type": "app.bsky.embed.external", "external": {**card, "thumb": thumb}}

    assert _create(sb, http, token, _post("a", embed=embed(small))).status_code == 200
    refused = _create(sb, http, token, _post("b", embed=embed(big)))
    assert "blob too big (maximum 1000000" in refused.json()["message"]
    unknown = {**small, "ref": {"$link": "bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}
    assert _create(sb, http, token, _post("c", embed=embed(unknown))).json()["error"] == (
        "BlobNotFound"
    )
    sb.bluesky.blob_limit = 10
    too_large = http.post(upload, content=b"0" * 11, headers=headers)
    assert too_large.status_code == 413
    assert too_large.json() == {"error": "PayloadTooLarge", "message": "request entity too large"}


def test_replies_need_strong_refs(sb: Sandbox, http: httpx.Client) -> None:
    """A reply needs root and parent, each with an AT-URI and a CID."""
    token = bluesky_session(sb, http)["accessJwt"]
    parent = _create(sb, http, token, _post("root")).json()
    ref = {"uri": parent["uri"], "cid": parent["cid"]}
    assert _create(sb, http, token, _post("r", reply={"root": ref, "parent": ref})).is_success
    answer = _create(sb, http, token, _post("r", reply={"root": ref}))
    assert answer.status_code == 400
    assert 'Missing required key "parent"' in answer.json()["message"]


@pytest.mark.parametrize("kind", ["500", "503", "429"])
def test_faults_answer_in_the_xrpc_shape(sb: Sandbox, http: httpx.Client, kind: str) -> None:
    """Injected faults answer {"error", "message"} and create nothing."""
    token = bluesky_session(sb, http)["accessJwt"]
    sb.faults.queue("bluesky", kind)
    answer = _create(sb, http, token, _post("x"))
    assert answer.status_code == int(kind)
    assert set(answer.json()) == {"error", "message"}
    assert sb.bluesky.posts == []
