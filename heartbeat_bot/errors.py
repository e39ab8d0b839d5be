"""One error tree for the whole program.

Every error carries the context a user needs to act on it (file, field, setting,
channel, status) and renders as one line through ``str()``.
"""

from __future__ import annotations

from pathlib import Path


class HeartbeatError(Exception):
    """Base of every error heartbeat-bot raises on purpose."""


class ConfigError(HeartbeatError):
    """A setting is missing, malformed or unknown.

    ``key`` is the dotted setting name (``discourse.category``) when one is to blame.
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key

    def __str__(self) -> str:
        return f"config error: {self.args[0]}"


class PostError(HeartbeatError):
    """A post file cannot be turned into a Post; names the file and, when known, the field."""

    def __init__(self, path: Path | str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.path = Path(path)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        # "x.md: date: not a date"; a message that already names its field is not prefixed twice.
        if self.field and not self.message.startswith(self.field):
            return f"{self.path}: {self.field}: {self.message}"
        return f"{self.path}: {self.message}"


class DuplicatePost(PostError):
    """Two or more post files give the same slug or public URL: the ledger would take them
    for one post, so none of them is announced until they differ. ``others`` are the
    other files."""

    def __init__(
        self, path: Path | str, message: str, *, slug: str, url: str, others: tuple[Path, ...]
    ) -> None:
        super().__init__(path, message, field="slug")
        self.slug, self.url, self.others = slug, url, others


class RenderError(HeartbeatError):
    """A template could not be compiled or rendered (a bad override file, say)."""


class ChannelError(HeartbeatError):
    """A remote service refused or failed a request."""

    def __init__(self, channel: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.channel = channel
        self.status = status
        self.message = message

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.channel}{status}: {self.message}"


class Retryable(ChannelError):
    """Try again later; ``wait`` is how long the service asked us to wait, in seconds."""

    def __init__(
        self, channel: str, message: str, *, wait: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(channel, message, status=status)
        self.wait = wait


class WindowClosed(Retryable):
    """Not sent: the service said its rate-limit window is used up, for ``wait`` more seconds.

    Raised before any request, so nothing reached the service and no attempt was spent.
    """


class Permanent(ChannelError):
    """The service refused for good: retrying the same request cannot succeed."""


class Uncertain(ChannelError):
    """The request may have been carried out: it was sent, but no answer came back.

    A timeout while reading, or a connection dropped after the request went out. The
    outcome must be reconciled with the service before anything is sent again.
    """


class Duplicate(Permanent):
    """The service refused because the same thing was sent before (X's duplicate rule).

    It proves an earlier attempt went through, but carries no id of what was created.
    """


class CannotConfirm(Permanent):
    """A look-up that cannot settle whether something was sent (say, more history than it
    may read): asking again would only repeat it, so a person checks."""
