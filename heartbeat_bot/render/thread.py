"""Pure: a plain-text summary -> the summary part of each tweet of a thread, as a person splits it.

The summary is cut into units: its lines (paragraphs, list items, headings), each split
into sentences. Units are packed into tweets whole, so a tweet ends at a sentence end or a
list item whenever one is in reach, and:

- a sentence is split only when it is longer than a tweet of its own, at a clause (after
  ``,`` ``;`` ``:`` or a dash, or before "and", "with", "to"...) or else between words,
  never leaving either part with six words or fewer when it has enough words for that,
  and never around the post link: the first tweet then carries no summary and the
  sentence starts in the second;
- a tweet does not end on an intro (a unit ending with ``:``, or a question of four words
  or fewer) when what it introduces goes to the next tweet: the intro moves along with it;
- the discussion line goes in the last tweet, and when that tweet would hold nothing else,
  the last unit of the tweet before joins it when it fits (the tweet before keeps a unit,
  or, if it is the first tweet, at least the head and the post link);
- a summary longer than the thread ends at the last whole unit that fits, without "…";
  "…" ends the thread only where words were cut (no whole unit fit the room left).

Each unit and word is weighed once: units are joined by whitespace, which no URL or emoji
sequence crosses, so weights add up (the caller checks each finished tweet anyway). A
sentence split again as the packing tries more tweets has its words weighed once when the
caller measures with `remembered` (as the X thread does).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from heartbeat_bot.render.text import truncate_words

Measure = Callable[[str], int]
Room = Callable[[int, bool], int]  # (tweet index, is it the last tweet) -> room for the chunk

ELLIPSIS = "…"
MIN_TAIL_WORDS = 7
"""Either part of a split sentence keeps at least this many words when it can."""
_SEP_WEIGHT = {" ": 1, "\n": 1, "\n\n": 2}
# A sentence ends after . ! ? or … (and closing quotes or brackets) before a new sentence.
_END = re.compile(r"[.!?…][\"'”’)\]]*\Z")
_NEXT = re.compile(r"[\"'“‘(\[¿¡]*(?:[A-Z0-9]|[^\x00-\x7f])")
_ABBREVIATIONS = frozenset(
    ["e.g.", "i.e.", "etc.", "vs.", "cf.", "mr.", "mrs.", "ms.", "dr.", "st.", "no.", "fig."]
)
_INITIAL = re.compile(r"[A-Z]\.\Z")
_CLAUSE_END = re.compile(r"[,;:]\Z|\A[—–]\Z")
# Words a clause often starts with: a sentence without commas is split before one of them.
_CLAUSE_START = frozenset(
    ("and", "or", "but", "with", "to", "for", "which", "that", "while", "so", "because")
)
_SHORT_QUESTION_WORDS = 4
_SENTENCE_PUNCT = ".!?…"


def remembered(measure: Measure) -> Measure:
    """``measure``, taking each distinct text once: packing a thread weighs many texts again
    (the words of a sentence split at each try, the fixed lines of each tweet)."""
    known: dict[str, int] = {}

    def remembered_measure(text: str) -> int:
        found = known.get(text)
        if found is None:
            found = known[text] = measure(text)
        return found

    return remembered_measure


@dataclass(frozen=True)
class Unit:
    """A sentence or a line of the summary, weighed once."""

    text: str
    weight: int
    sep: str
    """What joins it to the unit before it in the same tweet: " ", "\\n" or "\\n\\n"."""

    @property
    def intro(self) -> bool:
        """A line that introduces what follows: "Plus:", or a short question ("The challenge?")."""
        return self.text.endswith(":") or (
            self.text.endswith("?") and len(self.text.split()) <= _SHORT_QUESTION_WORDS
        )


def units(body: str, measure: Measure) -> list[Unit]:
    """The summary's sentences and lines, in order, each with its separator and weight."""
    found: list[Unit] = []
    gap = ""
    for raw in body.splitlines():
        line = " ".join(raw.split())
        if not line:
            gap = "\n\n" if found else ""
            continue
        for position, sentence in enumerate(sentences(line)):
            sep = (gap or "\n") if position == 0 else " "
            found.append(Unit(sentence, measure(sentence), sep))
        gap = ""
    return found


def sentences(line: str) -> list[str]:
    """`line` split after each sentence end (not after "e.g." or an initial)."""
    words = line.split(" ")
    out: list[str] = []
    start = 0
    for index in range(len(words) - 1):
        word, following = words[index], words[index + 1]
        if (
            _END.search(word)
            and word.lower() not in _ABBREVIATIONS
            and not _INITIAL.fullmatch(word)
            and _NEXT.match(following)
        ):
            out.append(" ".join(words[start : index + 1]))
            start = index + 1
    out.append(" ".join(words[start:]))
    return out


def chunk_text(chunk: list[Unit]) -> str:
    return "".join((u.sep if i else "") + u.text for i, u in enumerate(chunk))


def _weight(chunk: list[Unit]) -> int:
    return sum(u.weight + (_SEP_WEIGHT[u.sep] if i else 0) for i, u in enumerate(chunk))


def pack(body: list[Unit], room: Room, max_tweets: int, measure: Measure) -> list[list[Unit]]:
    """The units of each tweet, in as few tweets as the rules allow (at most `max_tweets`)."""
    for count in range(1, max_tweets + 1):
        final = count == max_tweets
        tweets, left = _pack(body, room, count, measure, final=final)
        if not left or final:
            break
    return _join_discussion(tweets, room)


def _pack(
    body: list[Unit], room: Room, count: int, measure: Measure, *, final: bool
) -> tuple[list[list[Unit]], list[Unit]]:
    """Greedy packing into exactly `count` tweets; returns the tweets and what did not fit.

    With `final`, the last tweet ends the thread: what does not fit there is dropped.
    """
    tweets: list[list[Unit]] = [[] for _ in range(count)]
    queue = deque(body)
    index = 0
    while queue and index < count:
        last = index == count - 1
        space, chunk, unit = room(index, last), tweets[index], queue[0]
        if _weight([*chunk, unit]) <= space:
            chunk.append(queue.popleft())
            continue
        if chunk:  # the tweet is full: close it
            if last:
                break
            if chunk[-1].intro and (len(chunk) > 1 or index == 0):
                queue.appendleft(chunk.pop())  # an intro goes along with what it introduces
            index += 1
            continue
        if index == 0 and not last:
            index += 1  # never split a sentence around the post link: start it in tweet 2
            continue
        queue.popleft()
        if last and final:
            cut = _cut(unit, space, measure)
            if cut:
                chunk.append(cut)
            queue.clear()
            break
        head, tail = _split(unit, space, measure)
        chunk.append(head)
        if tail:
            queue.appendleft(tail)
        index += 1
    if final and tweets[-1] and tweets[-1][-1].intro and len(tweets[-1]) > 1:
        tweets[-1].pop()  # a thread that is cut short does not end on an intro
    return tweets, list(queue)


def _join_discussion(tweets: list[list[Unit]], room: Room) -> list[list[Unit]]:
    """Move one unit into an otherwise empty last tweet, so the discussion line has company.

    The unit comes from the tweet before, which keeps at least one unit, or, when that is
    the first tweet, at least its head and the post link.
    """
    if len(tweets) < 2 or tweets[-1]:
        return tweets
    before = tweets[-2]
    keeps = len(before) > 1 or (len(tweets) == 2 and len(before) == 1)
    if keeps and _weight([before[-1]]) <= room(len(tweets) - 1, True):
        moved = before.pop()
        tweets[-1].append(Unit(moved.text, moved.weight, "\n"))
    return tweets


def _split(unit: Unit, room: int, measure: Measure) -> tuple[Unit, Unit | None]:
    """`unit` cut between words into a head within `room` and the tail that follows."""
    words = unit.text.split(" ")
    weights = [measure(word) for word in words]
    fits, total = 0, -1
    while fits < len(words) and total + 1 + weights[fits] <= room:
        total += 1 + weights[fits]
        fits += 1
    if fits == 0:  # one word longer than the room: cut it between characters
        head = truncate_words(unit.text, room, measure, ellipsis="")
        rest = unit.text[len(head) :].lstrip()
        return Unit(head, measure(head), unit.sep), (
            Unit(rest, measure(rest), " ") if rest else None
        )
    if fits == len(words):
        return unit, None
    if len(words) >= 2 * MIN_TAIL_WORDS:
        fits = max(min(fits, len(words) - MIN_TAIL_WORDS), min(MIN_TAIL_WORDS, fits))
    # End at a clause when one is in the second half of what fits: after a comma or the
    # like, else before a word that starts a clause ("with", "to", "and").
    ends = [
        end
        for end in range(fits, max(fits // 2, MIN_TAIL_WORDS - 1), -1)
        if len(words) - end >= MIN_TAIL_WORDS
    ]
    after_punctuation = [end for end in ends if _CLAUSE_END.search(words[end - 1])]
    before_clause_word = [end for end in ends if words[end].lower() in _CLAUSE_START]
    fits = (after_punctuation or before_clause_word or [fits])[0]
    head, tail = " ".join(words[:fits]), " ".join(words[fits:])
    head_weight = sum(weights[:fits]) + fits - 1
    tail_weight = sum(weights[fits:]) + len(words) - fits - 1
    return Unit(head, head_weight, unit.sep), Unit(tail, tail_weight, " ")


def _cut(unit: Unit, room: int, measure: Measure) -> Unit | None:
    """The start of `unit` within `room`, ending with "…" where words were cut."""
    if room < measure(ELLIPSIS):
        return None
    text = truncate_words(unit.text, room, measure, ellipsis=ELLIPSIS)
    if text.endswith(ELLIPSIS) and text[:-1].rstrip()[-1:] in tuple(_SENTENCE_PUNCT):
        text = text[:-1].rstrip()  # it ends at a sentence end: nothing was cut mid-way
    return Unit(text, measure(text), unit.sep) if text else None
