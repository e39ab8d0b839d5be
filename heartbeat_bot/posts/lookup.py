"""Pure: finding a post among many, and posts that would be taken for one another."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from heartbeat_bot.errors import DuplicatePost, PostError
from heartbeat_bot.models import Post
from heartbeat_bot.posts.frontmatter import clip


def find_post(posts: Iterable[Post], ref: str) -> Post | None:
    """The post ``ref`` names: by slug (exact, then any case), public URL, or file name/stem.

    URLs match ignoring http/https, the case of the host and a trailing slash; a URL
    without a scheme (``dvc.org/blog/x``) is read as https.
    """
    candidates = list(posts)
    ref = ref.strip()
    if not ref:
        return None
    lowered = ref.lower()
    url_key = _url_key(ref if "://" in ref else f"https://{ref}")
    name = Path(ref).name
    tests = (
        lambda post: post.slug == ref,
        lambda post: post.slug.lower() == lowered,
        lambda post: url_key is not None and _url_key(post.url) == url_key,
        lambda post: name in (post.path.name, post.path.stem),
    )
    for test in tests:
        for post in candidates:
            if test(post):
                return post
    return None


def url_key(url: str) -> tuple[str, str] | None:
    """What :func:`find_post` compares public URLs by: (host in lower case, path without
    a trailing slash); None for anything but an http(s) URL with a host."""
    return _url_key(url)


def _url_key(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return parts.netloc.lower(), parts.path.rstrip("/")


def mark_duplicates(items: Sequence[Post | PostError]) -> list[Post | PostError]:
    """``items`` with every post that shares its public URL with another (the same slug
    gives the same URL) replaced by a :class:`DuplicatePost` naming the others; the order
    is kept.

    URLs are compared %-decoded and without a trailing slash. Every post of such a group
    is held: the ledger knows a post by its URL, so announcing one would be taken as
    announcing the others (or the second would never go out).
    """
    first: dict[str, int] = {}
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if isinstance(item, Post):
            key = unquote(item.url).rstrip("/")
            earlier = first.setdefault(key, index)
            if earlier != index:
                groups.setdefault(key, [earlier]).append(index)
    if not groups:
        return list(items)
    marked = list(items)
    for members in groups.values():
        posts = [item for item in (items[i] for i in members) if isinstance(item, Post)]
        for index, post in zip(members, posts, strict=True):
            marked[index] = _duplicate(post, [other for other in posts if other is not post])
    return marked


def _duplicate(post: Post, others: list[Post]) -> DuplicatePost:
    names = ", ".join(_name(other.path, post.path) for other in others)
    if all(other.slug == post.slug for other in others):
        what = f'slug "{clip(post.slug)}" is also the slug of {names}'
    else:
        what = f'slug "{clip(post.slug)}" gives the public URL {post.url}, as {names} does'
    message = f"{what}; none of them is announced until each has its own slug"
    paths = tuple(other.path for other in others)
    return DuplicatePost(post.path, message, slug=post.slug, url=post.url, others=paths)


def _name(path: Path, beside: Path) -> str:
    """``path`` by its name when it is in the same folder as ``beside``, else in full."""
    return path.name if path.parent == beside.parent else str(path)
