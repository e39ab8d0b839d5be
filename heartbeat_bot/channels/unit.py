"""What a channel brings to the registry, and the seams the announcer drives.

A channel is a folder, ``heartbeat_bot/channels/<name>/``, holding its settings section
(``settings.py``: pydantic and the low-level field checks only), its pure renderer
(``render.py``: no I/O, its own limits and length counting), its client with the function
that classifies the service's answers and the look-up used to reconcile an interrupted
send, and a ``unit.py`` exposing one :class:`ChannelInfo`. The registry lists the units;
everything else (the announcer, the commands, status, metrics, alerts) learns the channels
from it.

Delivery seams are protocols, so a client is any object with the right methods:
:class:`MessageDelivery` for one message per post, :class:`ThreadDelivery` for X-like
threads (each part replies to the one before), :class:`KeyedThreadDelivery` for threads
whose service takes an idempotency key (Mastodon) and :class:`TopicDelivery` for the thread
provider (Discourse), whose link the others carry. Capabilities a service may lack are
optional and announced by a flag, never guessed from the client's type: ``can_confirm``
on a message client; ``supports_edit`` on the unit, for a channel whose client also
implements an ``edit`` protocol (changing a sent announcement in place).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from heartbeat_bot.models import Post, Sent

if TYPE_CHECKING:  # the unit loads no library until a part of it is used
    from heartbeat_bot.config.fields import Section
    from heartbeat_bot.render.preview import PreviewBlock

# How the announcer drives a channel: one message, a thread of parts, or the topic whose
# URL the others carry.
Delivery = Literal["topic", "message", "thread", "keyed_thread"]
# Builds a channel's client from its section, entering what must be closed into the stack
# (the caller's user agent for HTTP); loads the client's libraries only when called.
Opener = Callable[[Any, AsyncExitStack, str], Awaitable[Any]]


class Payload(Protocol):
    """A rendered announcement: ``body()`` is what the service receives (and what
    ``preview --json`` shows under the channel's name)."""

    def body(self) -> dict[str, Any]: ...


class ThreadPayload(Payload, Protocol):
    """A payload of several parts, posted as a thread."""

    def parts(self) -> tuple[str, ...]: ...


# The pure renderer: the post, the channel's options, its template text and the thread's
# link (once known) -> the payload.
Renderer = Callable[[Post, Any, str, "str | None"], Any]


class Limited(Protocol):
    """A client that says when its service's rate-limit window is used up."""

    @property
    def exhausted_until(self) -> float | None:
        """The epoch second the service takes requests again; None while it does."""
        ...


class Checked(Protocol):
    """A client that can try its credentials once (``check --online``)."""

    async def check(self) -> str:
        """What works, in a few words; raises a ChannelError (with the service's message)."""
        ...


class TopicDelivery(Limited, Checked, Protocol):
    """The thread provider: opens the post's discussion, found again by its ids."""

    async def create_topic(self, body: dict[str, Any]) -> Sent: ...

    async def find_created(self, body: dict[str, Any]) -> Sent | None:
        """The topic this payload created, found by the ids it carries; None if none."""
        ...

    def adopted(self, url: str) -> Sent:
        """The topic at ``url`` (named by the post itself), without asking the service."""
        ...


class MessageDelivery(Limited, Checked, Protocol):
    """One message per post; ``can_confirm`` says whether ``find_sent`` can find it again.

    ``find_sent`` looks for our message linking to ``post_url`` posted after ``since`` (a
    moment, already less a margin for clock skew) and after the message ``after`` (the
    remote id of an earlier generation's message, on a forced resend).
    """

    @property
    def can_confirm(self) -> bool: ...

    async def send(self, body: dict[str, Any], nonce: str | None) -> Sent: ...

    async def find_sent(
        self, post_url: str, *, since: datetime | None = None, after: str | None = None
    ) -> Sent | None: ...

    async def publish(self, message_id: str) -> None: ...


class Editable(Protocol):
    """A client that changes or withdraws an announcement it sent (``supports_edit``)."""

    async def edit(self, remote_id: str, body: dict[str, Any]) -> None:
        """Make the sent announcement ``remote_id`` read as ``body`` (its payload's shape,
        or the part ``edit_view`` keeps); the same edit made twice changes nothing."""
        ...

    async def withdraw(self, remote_id: str) -> None:
        """Take the announcement out of sight (unlist a topic, delete a message)."""
        ...


class ThreadDelivery(Limited, Checked, Protocol):
    """A thread of parts, each replying to the one before; found again by text and parent."""

    async def post_tweet(self, text: str, reply_to: str | None) -> Sent: ...

    async def find_tweet(self, text: str, reply_to: str | None) -> Sent | None: ...


class KeyedThreadDelivery(Limited, Checked, Protocol):
    """A thread whose parts are sent with an idempotency key (the same for every resend of
    one part), found again by text and parent once the service has forgotten the key."""

    async def tuned(self, options: Any) -> Any:
        """The renderer's ``options`` with the service's own limits (read once)."""
        ...

    async def post_part(self, text: str, reply_to: str | None, *, key: str) -> Sent: ...

    async def find_part(self, text: str, reply_to: str | None) -> Sent | None: ...

    async def url_of(self, remote_id: str) -> str | None: ...


@dataclass(frozen=True)
class ChannelInfo:
    """One channel as the registry lists it; importing it loads no library.

    ``name`` is the settings section, the ledger's channel and the name on the command
    line; ``label`` is how people call the service; ``settings`` gives the section's
    model (loaded when first asked for); ``delivery`` says which seam its client
    implements; ``open`` builds its client (lazily importing the client's libraries);
    ``options`` takes what the renderer needs from the section and the site's name;
    ``render`` is the pure renderer; ``preview`` and ``chat_lines`` show a payload to a
    person (``preview``, the slash command); ``template_package`` holds the default
    ``template.j2`` (None: the channel has no template); ``aliases`` are other names the
    frontmatter accepts; ``supports_edit`` says whether a sent announcement can be edited
    in place (its client then implements :class:`Editable`), and ``edit_view`` which part
    of a payload an edit can change (None: all of it); ``distinct`` (thread channels)
    makes the parts that repeat ones sent for other posts (``taken``) the post's own,
    given its title. A ``digest`` channel (the webhook) renders from every other
    enabled channel's payload, handed in as its options' ``payloads``; an
    ``at_least_once`` message channel, which cannot be asked what it received, sends an
    interrupted message again (with the same nonce) instead of leaving it ``unknown``.
    """

    name: str
    label: str
    settings: Callable[[], type[Section]]
    delivery: Delivery
    open: Opener
    options: Callable[[Any, str], Any]
    render: Renderer
    preview: Callable[[Any], tuple[PreviewBlock, ...]]
    chat_lines: Callable[[Any], tuple[str, ...]]
    template_package: str | None = None
    aliases: tuple[str, ...] = ()
    supports_edit: bool = False
    edit_view: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    distinct: Callable[[list[str], set[str], str], list[str]] | None = None
    digest: bool = False
    at_least_once: bool = False

    def section(self, config: object) -> Any:
        """This channel's section of the whole settings model (its defaults when the model
        has none: a channel registered after the model was built)."""
        model = self.settings()
        value = getattr(config, self.name, None)
        return value if isinstance(value, model) else model()

    def enabled(self, config: object) -> bool:
        return bool(getattr(self.section(config), "enabled", False))

    def template_override(self, config: object) -> Any:
        """The section's ``template`` file, if it sets one."""
        return getattr(self.section(config), "template", None)
