"""The fake GitHub's rules: credentials, pull request filters, refusals, comments, faults."""

from __future__ import annotations

from typing import Any

import httpx

from heartbeat_bot.sandbox import Sandbox

HEAD = "heartbeat-bot/comments"


def _headers(sb: Sandbox, token: str | None = None) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token or sb.credentials.github_token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }


def _pulls_url(sb: Sandbox) -> str:
    return f"{sb.github_api_url}/repos/{sb.github.repository}/pulls"


def _open(http: httpx.Client, sb: Sandbox, **changes: Any) -> httpx.Response:
    payload = {"title": "Add comment links", "head": HEAD, "base": "main", "body": "Hi", **changes}
    return http.post(_pulls_url(sb), json=payload, headers=_headers(sb))


def test_wrong_token_is_bad_credentials(sb: Sandbox, http: httpx.Client) -> None:
    """A wrong or missing token gets GitHub's 401 "Bad credentials", and nothing is created."""
    wrong = http.post(_pulls_url(sb), json={}, headers=_headers(sb, "ghp_wrong"))
    missing = http.get(_pulls_url(sb))
    for response in (wrong, missing):
        assert response.status_code == 401
        assert response.json()["message"] == "Bad credentials"
        assert "documentation_url" in response.json()
    assert sb.github.pulls == []


def test_open_pull_answers_in_githubs_shape(sb: Sandbox, http: httpx.Client) -> None:
    """A created pull request is 201 with number, html_url, state, head.ref, base.ref."""
    response = _open(http, sb)
    assert response.status_code == 201
    pull = response.json()
    assert pull["number"] == 1
    assert pull["html_url"] == "https://github.com/blog-team/blog/pull/1"
    assert (pull["state"], pull["head"]["ref"], pull["base"]["ref"]) == ("open", HEAD, "main")
    assert pull["head"]["label"] == f"blog-team:{HEAD}"
    assert (pull["title"], pull["body"]) == ("Add comment links", "Hi")
    assert response.headers["Location"] == pull["url"]
    assert response.headers["x-ratelimit-resource"] == "core"
    assert sb.github.pulls == [pull]


def test_second_open_pull_for_the_same_head_is_refused(sb: Sandbox, http: httpx.Client) -> None:
    """An open pull request for the same head and base makes a second create a 422."""
    assert _open(http, sb).status_code == 201
    response = _open(http, sb, title="Again")
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "Validation Failed"
    assert body["errors"] == [
        {
            "resource": "PullRequest",
            "code": "custom",
            "message": "A pull request already exists for blog-team:heartbeat-bot/comments.",
        }
    ]
    assert len(sb.github.pulls) == 1


def test_closed_pull_lets_the_head_open_again(sb: Sandbox, http: httpx.Client) -> None:
    """Once the pull request is closed, the same head may open a new one (number 2)."""
    assert _open(http, sb).status_code == 201
    sb.github.close_pull(1)
    response = _open(http, sb)
    assert (response.status_code, response.json()["number"]) == (201, 2)


def test_invalid_creates_are_refused(sb: Sandbox, http: httpx.Client) -> None:
    """Head equal to base, an unknown base, a missing head and bad JSON are all refused."""
    same = _open(http, sb, head="main")
    assert same.status_code == 422
    assert same.json()["errors"][0]["message"] == "No commits between main and main"
    unknown_base = _open(http, sb, base="develop")
    assert unknown_base.status_code == 422
    assert unknown_base.json()["errors"][0]["field"] == "base"
    payload = {"title": "t", "base": "main"}
    no_head = http.post(_pulls_url(sb), json=payload, headers=_headers(sb))
    assert no_head.status_code == 422 and '"head" wasn\'t supplied' in no_head.json()["message"]
    garbled = http.post(_pulls_url(sb), content=b"{", headers=_headers(sb))
    assert (garbled.status_code, garbled.json()["message"]) == (400, "Problems parsing JSON")
    assert sb.github.pulls == []


def test_list_filters_by_state_and_owner_prefixed_head(sb: Sandbox, http: httpx.Client) -> None:
    """``state`` and ``owner:branch`` heads filter; a head without its owner is ignored."""
    assert _open(http, sb).status_code == 201
    assert _open(http, sb, head="other").status_code == 201
    sb.github.close_pull(2)

    def listed(**params: str) -> list[int]:
        response = http.get(_pulls_url(sb), params=params, headers=_headers(sb))
        assert response.status_code == 200
        return [pull["number"] for pull in response.json()]

    assert listed() == [1]
    assert listed(state="all") == [2, 1]
    assert listed(state="closed") == [2]
    assert listed(state="open", head=f"blog-team:{HEAD}") == [1]
    assert listed(state="all", head="blog-team:other") == [2]
    assert listed(state="all", head="someone-else:other") == []
    assert listed(state="all", head="other") == [2, 1]  # GitHub's pitfall, kept
    assert listed(state="all", base="release") == []


def test_unknown_repository_and_api_version(sb: Sandbox, http: httpx.Client) -> None:
    """Another repository is 404 Not Found; an unknown API version is 400."""
    other = f"{sb.github_api_url}/repos/blog-team/other/pulls"
    missing = http.get(other, headers=_headers(sb))
    assert (missing.status_code, missing.json()["message"]) == (404, "Not Found")
    headers = {**_headers(sb), "X-GitHub-Api-Version": "2099-01-01"}
    version = http.get(_pulls_url(sb), headers=headers)
    assert version.status_code == 400
    assert version.json()["message"] == "API version 2099-01-01 is not supported."


def test_comments_are_recorded_on_existing_pulls(sb: Sandbox, http: httpx.Client) -> None:
    """A comment on an open pull request is 201 and recorded; on a missing one, 404."""
    assert _open(http, sb).status_code == 201
    base = f"{sb.github_api_url}/repos/{sb.github.repository}/issues"
    ok = http.post(f"{base}/1/comments", json={"body": "Scanned."}, headers=_headers(sb))
    assert ok.status_code == 201
    comment = ok.json()
    assert comment["html_url"].startswith("https://github.com/blog-team/blog/pull/1#issuecomment-")
    assert sb.github.comments == [
        {"id": comment["id"], "number": 1, "body": "Scanned.", "html_url": comment["html_url"]}
    ]
    missing = http.post(f"{base}/9/comments", json={"body": "x"}, headers=_headers(sb))
    assert missing.status_code == 404
    empty = http.post(f"{base}/1/comments", json={"body": " "}, headers=_headers(sb))
    assert empty.status_code == 422
    assert len(sb.github.comments) == 1


def test_read_only_token_cannot_write(sb: Sandbox, http: httpx.Client) -> None:
    """With ``read_only`` set, creates answer 403 while reads still work."""
    sb.github.read_only = True
    response = _open(http, sb)
    assert response.status_code == 403
    assert "not accessible" in response.json()["message"]
    assert http.get(_pulls_url(sb), headers=_headers(sb)).status_code == 200


def test_queued_faults_answer_in_githubs_shape(sb: Sandbox, http: httpx.Client) -> None:
    """GitHub has its own fault queue: a 503 and a 429 with retry-after, nothing created."""
    sb.github.faults.queue("github", "503", "429")
    assert _open(http, sb).status_code == 503
    limited = _open(http, sb)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert sb.github.pulls == []
    assert [r["status"] for r in sb.requests if r["service"] == "github"] == [503, 429]
    state = http.get(f"{sb.github_api_url}/_sandbox/state").json()
    assert state["faults"]["queued"] == []


def test_config_snippet_has_a_commented_github_block(sb: Sandbox) -> None:
    """The snippet names the fake GitHub only in comments, so the Config still loads it."""
    snippet = sb.config_snippet()
    assert "# [github]" in snippet
    assert f'# api_url = "{sb.github_api_url}"' in snippet
    assert f'# token = "{sb.credentials.github_token}"' in snippet
    assert '# repository = "blog-team/blog"' in snippet
    assert "\n[github]" not in snippet
    assert sb.info()["github_api_url"] == sb.github_api_url
