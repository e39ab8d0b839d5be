"""Checks of the settings that are URLs, URL patterns or listening addresses.

Each raises ``ValueError`` with a one-line message (see :mod:`.fields`). A URL that may
hold a secret (a webhook's token, a password in its user-info part) is never quoted back.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, parse_qsl, urlsplit

from pydantic import SecretStr

from heartbeat_bot.config.fields import show

_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_HOST_NAME = re.compile(r"(?:[\w-]+\.)*[\w-]+\.?")
_USERINFO = re.compile(r"(?<=://)[^/?#@]*@")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

# Where Discord serves webhooks: the stable client's domains and the test clients'.
DISCORD_HOSTS = frozenset(
    f"{client}{domain}"
    for client in ("", "ptb.", "canary.")
    for domain in ("discord.com", "discordapp.com")
)
_DISCORD_WEBHOOK_PATH = re.compile(r"/api(?:/v\d+)?/webhooks/[1-9]\d{0,19}/[A-Za-z0-9_.-]+/?")
# The sandbox serves its webhook under its own API prefix (http://127.0.0.1:PORT/api/v10/...).
_LOOPBACK_WEBHOOK_PATH = re.compile(r"(?:/[^/]+)*/webhooks/[1-9]\d{0,19}/[A-Za-z0-9_.-]+/?")
WEBHOOK_FORM = "https://discord.com/api/webhooks/<id>/<token>"


def _redacted(value: str) -> str:
    """``value`` quoted, without the user-info part of a URL (it may hold a password)."""
    return show(_USERINFO.sub("***@", value))


def _split(
    value: str, schemes: tuple[str, ...], *, quote: bool = True, display: str | None = None
) -> SplitResult:
    """``value`` split as an absolute URL with one of ``schemes`` and a valid host.

    ``quote``: whether messages may quote the value (``display`` instead, when given).
    """
    shown = f", got {_redacted(display or value)}" if quote else ""
    if _SPACE_OR_CONTROL.search(value):
        raise ValueError(f"must not contain spaces or control characters{shown}")
    parts = urlsplit(value)
    if parts.scheme.lower() not in schemes or not parts.netloc:
        wanted = " or ".join(f"{s}://" for s in schemes)
        raise ValueError(f"must be an absolute {wanted} URL{shown}")
    host, address = parts.hostname or "", parts.netloc.rpartition("@")[2]
    if address.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"has an invalid IPv6 address{shown}") from None
    elif not _HOST_NAME.fullmatch(host):
        raise ValueError(f"must name a host{shown}")
    if ":" in address.rpartition("]")[2]:
        try:
            port = parts.port
        except ValueError:
            port = None
        if not port:
            raise ValueError(f"has an invalid port (1-65535){shown}")
    return parts


def check_http_url(
    value: str,
    *,
    base: bool = False,
    credentials: str | None = None,
    display: str | None = None,
    basic_auth: bool = False,
) -> str:
    """An absolute http(s) URL with a host.

    ``base``: a prefix that paths are added to, so no ``?query`` or ``#fragment``.
    ``credentials``: where the secret goes instead of the URL's user-info part; without
    it, user-info is refused because the URL is published.
    ``basic_auth``: user-info is allowed, as HTTP Basic credentials the client sends in a
    header and masks everywhere else (a service behind a password-protecting proxy).
    """
    parts = _split(value, ("http", "https"), display=display)
    if "@" in parts.netloc and not basic_auth:
        where = f"put the credentials in {credentials}" if credentials else "it is published"
        raise ValueError(f"must not hold a user name or password ({where})")
    if base and (parts.query or parts.fragment or value.endswith(("?", "#"))):
        raise ValueError(f"must not have a ?query or #fragment, got {show(value)}")
    return value


def check_websocket_url(value: str) -> str:
    """A ws(s) URL with a host, such as Discord's gateway."""
    parts = _split(value, ("ws", "wss"))
    if "@" in parts.netloc:
        raise ValueError("must not hold a user name or password")
    return value


# What blog.post_url may hold, documented in config/heartbeat.example.toml and README.md.
POST_URL_PLACEHOLDERS = (
    "slug", "filename", "route", "year", "month", "day", "categories", "section"
)  # fmt: skip
# blog.default_picture: the post's own URL (without a trailing slash).
PICTURE_PLACEHOLDERS = ("url",)


def check_post_url_pattern(value: str, known: tuple[str, ...] = POST_URL_PLACEHOLDERS) -> str:
    """An absolute http(s) URL pattern holding only ``known`` placeholders, with at least one
    that tells posts apart ({slug}, {filename} or {route}) when {slug} is among ``known``."""
    names = _PLACEHOLDER.findall(value)
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join(f"{{{name}}}" for name in known)
        raise ValueError(f"has an unknown placeholder {{{unknown[0]}}} (known: {listed})")
    if "slug" in known and not {"slug", "filename", "route"} & set(names):
        raise ValueError("must contain {slug} (or {filename} or {route})")
    if re.search(r"[{}]", _PLACEHOLDER.sub("", value)):
        raise ValueError(f"has an unmatched {{ or }}, got {show(value)}")
    check_http_url(_PLACEHOLDER.sub("x", value), display=value)
    return value


def check_url_pattern(value: str, placeholder: str) -> str:
    """An absolute http(s) URL with ``{placeholder}`` in it, and no other placeholder."""
    names = _PLACEHOLDER.findall(value)
    unknown = [name for name in names if name != placeholder]
    if unknown:
        raise ValueError(
            f"has an unknown placeholder {{{unknown[0]}}} (only {{{placeholder}}} is known)"
        )
    if placeholder not in names:
        raise ValueError(f"must contain {{{placeholder}}}")
    if re.search(r"[{}]", _PLACEHOLDER.sub("", value)):
        raise ValueError(f"has an unmatched {{ or }}, got {show(value)}")
    check_http_url(value.replace(f"{{{placeholder}}}", "x"), display=value)
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_discord_webhook(value: SecretStr | None, *, threads: bool = False) -> SecretStr | None:
    """A Discord webhook's URL, ``https://discord.com/api/webhooks/<id>/<token>`` (or on
    discordapp.com, ptb. or canary.), or an http(s) loopback URL ending in
    ``/webhooks/<id>/<token>`` (the sandbox). Never quoted: it holds the webhook's token.

    ``threads``: a ``?thread_id=<id>`` query is allowed (the URL is used as given).
    """
    if value is None:
        return None
    url = value.get_secret_value()
    parts = _split(url, ("http", "https"), quote=False)
    host = (parts.hostname or "").lower()
    if "@" in parts.netloc:
        raise ValueError("must not hold a user name or password")
    if is_loopback(host):
        path_form = _LOOPBACK_WEBHOOK_PATH
    elif host in DISCORD_HOSTS:
        if parts.scheme.lower() != "https":
            raise ValueError(f"must start with https:// (the form is {WEBHOOK_FORM})")
        path_form = _DISCORD_WEBHOOK_PATH
    else:
        raise ValueError(
            f"must be a Discord webhook URL, {WEBHOOK_FORM} (or on discordapp.com, "
            f"ptb.discord.com, canary.discord.com), not on {show(host)}"
        )
    if not path_form.fullmatch(parts.path):
        raise ValueError(
            f"must end in /webhooks/<id>/<token>: copy it whole from the channel's "
            f"Integrations > Webhooks (the form is {WEBHOOK_FORM})"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    thread_only = threads and all(k == "thread_id" and v.isdigit() for k, v in query)
    if parts.fragment or (query and not thread_only):
        allowed = " other than ?thread_id=<id>" if threads else ""
        raise ValueError(f"must not have a query{allowed} or a #fragment")
    return value


def check_listen_address(value: str) -> str:
    """``host:port`` to listen on (``[::1]:port`` for IPv6, ``:port`` for every
    interface), or ``""`` for none. Port 0 asks the system for a free port."""
    if not value:
        return value
    host, sep, port = value.rpartition(":")
    if not sep:
        raise ValueError(
            f'must be "host:port" (such as 127.0.0.1:8080) or "" (off), got {show(value)}'
        )
    if not (port.isascii() and port.isdigit()):
        raise ValueError(f"port must be a number, got {show(port)}")
    if int(port) > 65535:
        raise ValueError(f"port must be 1-65535 (or 0 for any free port), got {int(port)}")
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValueError(f"host {show(host)} is not an IPv6 address") from None
    elif ":" in host:
        raise ValueError(f"an IPv6 address goes in brackets, as [::1]:8080, got {show(value)}")
    elif host and not _HOST_NAME.fullmatch(host):
        raise ValueError(f"host {show(host)} is not a host name or an IP address")
    return value


def check_git_remote(value: str) -> str:
    """A git remote: an http(s), ssh, git or file URL, ``user@host:path``, or a local path.

    An HTTPS remote holds no credentials: github.token is sent in a header instead, so it
    never lands in the clone's config or a log.
    """
    if not value.strip() or value.startswith("-") or re.search(r"[\x00-\x1f\x7f]", value):
        raise ValueError(f"must be a URL or a path, got {_redacted(value)}")
    if "://" not in value:
        return value  # user@host:path, or a local path (which may hold spaces)
    scheme = value.split("://", 1)[0].lower()
    if scheme in ("http", "https"):
        check_http_url(value, credentials="github.token")
    elif scheme in ("ssh", "git"):
        _split(value, (scheme,))
    elif scheme != "file":
        raise ValueError(
            f"must be an https://, http://, ssh://, git:// or file:// URL, user@host:path or "
            f"a path, got {_redacted(value)}"
        )
    return value
