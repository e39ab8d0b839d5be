"""The fake Discourse over real HTTP: creation, Discourse's refusals, lookups, rate limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from heartbeat_bot.sandbox import Sandbox
from tests.sandbox.helpers import discourse_headers

RAW = "A first post that is comfortably longer than twenty characters."


def _topic(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Announcing the March heartbeat",
        "raw": RAW,
        "category": 7,
        "tags": ["community", "news"],
        "external_id": "march-heartbeat-1a2b3c",
        "embed_url": "https://dvc.org/blog/march-heartbeat",
    }
    body.update(overrides)
    return body


def _create(http: httpx.Client, sb: Sandbox, body: dict[str, Any]) -> httpx.Response:
    return http.post(f"{sb.discourse_url}/posts.json", json=body, headers=discourse_headers(sb))


def _errors(response: httpx.Response) -> list[str]:
    assert response.status_code == 422
    body = response.json()
    assert body["action"] == "create_post"
    errors: list[str] = body["errors"]
    return errors


def test_create_returns_the_first_post_and_records_the_topic(
    http: httpx.Client, sb: Sandbox
) -> None:
    """A valid create answers the first post and the topic lands in sb.discourse.topics."""
    response = _create(http, sb, _topic())
    assert response.status_code == 200
    post = response.json()
    assert post["post_number"] == 1 and post["topic_slug"] == "announcing-the-march-heartbeat"
    [topic] = sb.discourse.topics
    assert topic["id"] == post["topic_id"] and topic["post_id"] == post["id"]
    assert topic["url"] == f"{sb.discourse_url}/t/{post['topic_slug']}/{post['topic_id']}"
    assert (topic["category"], topic["tags"]) == (7, ["community", "news"])
    assert topic["external_id"] == "march-heartbeat-1a2b3c"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Api-Key": "wrong", "Api-Username": "heartbeat-bot"}],
    ids=["missing", "wrong"],
)
def test_bad_or_missing_key_is_403_invalid_access(
    http: httpx.Client, sb: Sandbox, headers: dict[str, str]
) -> None:
    """Without the right Api-Key/Api-Username Discourse answers 403 invalid_access."""
    response = http.post(f"{sb.discourse_url}/posts.json", json=_topic(), headers=headers)
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            "You are not permitted to view the requested resource. "
            "The API username or key is invalid."
        ],
        "error_type": "invalid_access",
    }
    assert sb.discourse.topics == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "Too short"}, "Title is too short (minimum is 15 characters)"),
        ({"title": "x" * 256}, "Title is too long (maximum is 255 characters)"),
        ({"raw": "short body"}, "Body is too short (minimum is 20 characters)"),
        ({"category": 99}, "Category can't be blank"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "You can only apply up to 5 tags to a topic."),
        ({"external_id": "has.a.dot"}, "External is invalid"),
        ({"external_id": "x" * 51}, "External is too long (maximum is 50 characters)"),
    ],
)
def test_invalid_topic_is_422(
    http: httpx.Client, sb: Sandbox, overrides: dict[str, Any], message: str
) -> None:
    """Each Discourse validation failure is a 422 create_post error with its own message."""
    assert message in _errors(_create(http, sb, _topic(**overrides)))
    assert sb.discourse.topics == []


def test_missing_raw_is_400(http: httpx.Client, sb: Sandbox) -> None:
    """No raw at all is Rails' 400 "param is missing", not a validation error."""
    response = _create(http, sb, {"title": "A perfectly fine title"})
    assert response.status_code == 400
    assert response.json()["errors"] == ["param is missing or the value is empty: raw"]


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"title": "ANNOUNCING THE MARCH HEARTBEAT"}, "Title has already been used"),
        (
            {"title": "Another title here", "external_id": "MARCH-HEARTBEAT-1A2B3C"},
            "External has already been taken",
        ),
        (
            {"title": "Another title here", "embed_url": "http://DVC.org/blog/march-heartbeat/"},
            "Embed url has already been taken",
        ),
    ],
    ids=["title", "external_id", "embed_url"],
)
def test_existing_topic_is_refused(
    http: httpx.Client, sb: Sandbox, second: dict[str, Any], message: str
) -> None:
    """Title, external id and embed URL are unique (case-insensitive, normalised URL)."""
    assert _create(http, sb, _topic()).status_code == 200
    fresh = {"external_id": "other-id", "embed_url": "https://dvc.org/blog/other"}
    assert message in _errors(_create(http, sb, _topic(raw=RAW + " Again.", **{**fresh, **second})))
    assert len(sb.discourse.topics) == 1


def test_seeded_topic_is_refused_and_found(http: httpx.Client, sb: Sandbox) -> None:
    """create_existing seeds a topic that a create collides with and a lookup finds."""
    seeded = sb.discourse.create_existing(
        title="Announcing the March heartbeat", external_id="march-heartbeat-1a2b3c"
    )
    assert "Title has already been used" in _errors(_create(http, sb, _topic()))
    found = http.get(
        f"{sb.discourse_url}/t/external_id/march-heartbeat-1a2b3c.json",
        headers=discourse_headers(sb),
        follow_redirects=True,
    )
    assert found.json()["id"] == seeded["id"]


def test_tags_are_cleaned_like_discourse(http: httpx.Client, sb: Sandbox) -> None:
    """Tag names are lower-cased, spaces become dashes, forbidden characters go, 20 max."""
    tags = ["Machine Learning", "dvc.3/0", "ML", "ml", "a-very-long-tag-name-indeed"]
    assert _create(http, sb, _topic(tags=tags)).status_code == 200
    assert sb.discourse.topics[0]["tags"] == [
        "machine-learning",
        "dvc30",
        "ml",
        "a-very-long-tag-name",
    ]


def test_form_encoded_create_with_tags_brackets(http: httpx.Client, sb: Sandbox) -> None:
    """Form bodies with repeated tags[] are accepted, as older clients send them."""
    form = {"title": "A form encoded topic", "raw": RAW, "category": "7", "tags[]": ["one", "two"]}
    response = http.post(f"{sb.discourse_url}/posts.json", data=form, headers=discourse_headers(sb))
    assert response.status_code == 200
    assert sb.discourse.topics[0]["tags"] == ["one", "two"]


def test_identical_create_returns_the_first_answer(http: httpx.Client, sb: Sandbox) -> None:
    """Discourse's 120 s create cache hands an identical retry the first result."""
    first = _create(http, sb, _topic())
    again = _create(http, sb, _topic())
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert len(sb.discourse.topics) == 1


def test_enqueued_create_has_no_topic(http: httpx.Client, sb: Sandbox) -> None:
    """When posts are queued for approval the 200 says "enqueued" and has no topic_id."""
    sb.discourse.enqueue = True
    response = _create(http, sb, _topic())
    assert response.status_code == 200
    body = response.json()
    assert body["action"] == "enqueued" and "topic_id" not in body and "pending_post" in body
    assert sb.discourse.topics == []


def test_external_id_lookup_redirects_or_404s(http: httpx.Client, sb: Sandbox) -> None:
    """/t/external_id/X.json answers 301 to the topic (any case), or 404 not_found."""
    post = _create(http, sb, _topic()).json()
    url = f"{sb.discourse_url}/t/external_id/MARCH-heartbeat-1a2b3c.json"
    redirect = http.get(url, headers=discourse_headers(sb))
    assert redirect.status_code == 301
    assert redirect.headers["location"].endswith(f"/t/{post['topic_slug']}/{post['topic_id']}.json")
    missing = http.get(f"{sb.discourse_url}/t/external_id/nope.json", headers=discourse_headers(sb))
    assert missing.status_code == 404
    assert missing.json() == {
        "errors": ["The requested URL or resource could not be found."],
        "error_type": "not_found",
    }


def test_topic_json_by_id_and_slug(http: httpx.Client, sb: Sandbox) -> None:
    """GET /t/{id}.json and /t/{slug}/{id}.json give id, title, slug, posts_count, tags."""
    post = _create(http, sb, _topic()).json()
    for path in (f"/t/{post['topic_id']}.json", f"/t/{post['topic_slug']}/{post['topic_id']}.json"):
        topic = http.get(sb.discourse_url + path, headers=discourse_headers(sb)).json()
        assert topic["id"] == post["topic_id"] and topic["posts_count"] == 1
        assert (topic["category_id"], topic["tags"]) == (7, ["community", "news"])
    gone = http.get(f"{sb.discourse_url}/t/9999.json", headers=discourse_headers(sb))
    assert gone.status_code == 404


def test_embed_info_matches_normalised_urls(http: httpx.Client, sb: Sandbox) -> None:
    """/embed/info finds the topic by a lower-cased, slash-less, http-or-https URL."""
    post = _create(http, sb, _topic()).json()
    url = f"{sb.discourse_url}/embed/info"
    params = {"embed_url": "http://dvc.org/Blog/march-heartbeat/"}
    found = http.get(url, params=params, headers=discourse_headers(sb))
    assert found.json() == {
        "topic_id": post["topic_id"],
        "topic_slug": post["topic_slug"],
        "comment_count": 0,
    }
    other = {"embed_url": "https://dvc.org/blog/other"}
    assert http.get(url, params=other, headers=discourse_headers(sb)).status_code == 404
    assert http.get(url, params=params).status_code == 403


def test_session_current_names_the_staff_user(http: httpx.Client, sb: Sandbox) -> None:
    """The connectivity check sees the API user as staff."""
    response = http.get(f"{sb.discourse_url}/session/current.json", headers=discourse_headers(sb))
    user = response.json()["current_user"]
    assert (user["username"], user["staff"]) == ("heartbeat-bot", True)


def test_edit_post_and_topic(http: httpx.Client, sb: Sandbox) -> None:
    """PUT /posts/{id}.json changes the body; PUT /t/-/{id}.json the title and tags."""
    post = _create(http, sb, _topic()).json()
    headers = discourse_headers(sb)
    new_raw = {"post": {"raw": RAW + " Edited.", "edit_reason": "typo"}}
    edited = http.put(f"{sb.discourse_url}/posts/{post['id']}.json", json=new_raw, headers=headers)
    assert edited.status_code == 200
    change = {"title": "A renamed March heartbeat", "tags": ["renamed"]}
    renamed = http.put(
        f"{sb.discourse_url}/t/-/{post['topic_id']}.json", json=change, headers=headers
    )
    assert renamed.json()["basic_topic"]["slug"] == "a-renamed-march-heartbeat"
    [topic] = sb.discourse.topics
    assert (topic["raw"], topic["tags"]) == (RAW + " Edited.", ["renamed"])


def test_429_has_retry_after_header_and_json(http: httpx.Client, sb: Sandbox) -> None:
    """A rate-limited create has Retry-After (whole seconds, rounded up) and the JSON body."""
    sb.faults.queue("discourse", "429")
    response = _create(http, sb, _topic())
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["error_type"] == "rate_limit" and body["extras"] == {"wait_seconds": 0.1}
    assert body["errors"][0].startswith("You’ve performed this action too many times.")
    assert sb.discourse.topics == []


def test_429_plain_text_from_the_ip_limiter(http: httpx.Client, sb: Sandbox) -> None:
    """The per-IP limiter answers 429 in plain text, with only the header to go by."""
    sb.discourse.plain_text_429 = True
    sb.faults.queue("discourse", "429")
    response = _create(http, sb, _topic())
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["retry-after"] == "1"
    assert "too many requests from this IP address" in response.text
