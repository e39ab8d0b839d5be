"""The variables every template sees."""

from __future__ import annotations

from typing import Any

from heartbeat_bot.models import Post


def template_context(
    post: Post, *, comments_url: str | None, summary: str, site_name: str
) -> dict[str, Any]:
    """Plain values only: templates never see our objects, just strings and lists."""
    return {
        "post": {
            "title": post.title,
            "url": post.url,
            "slug": post.slug,
            "authors": list(post.authors),
            "tags": list(post.tags),
            "description": post.description or "",
            "description_long": post.description_long or "",
            "picture_url": post.picture_url,
            "comments_url": comments_url,
            "published_at": post.published_at.isoformat(),
            "date": post.date.isoformat(),
        },
        "summary": summary,
        "site_name": site_name,
    }
