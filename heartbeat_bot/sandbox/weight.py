"""X's weighted tweet length (twitter-text config v3), written for the fake X.

Kept independent of ``heartbeat_bot.render`` on purpose: the fake must judge a tweet by
X's rules, not by ours, or a shared bug would pass both sides. Rules, from twitter-text:
the text is NFC-normalised; every URL the extractor recognises weighs 23; every emoji
sequence weighs 2; other code points weigh 1 inside the ranges below and 2 outside.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import emoji

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
EMOJI_WEIGHT = 2

# config-v3.json: code points in these inclusive ranges weigh 1 (scale 100, weight 100).
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

# Every two-letter country-code TLD twitter-text knows (tld_lib.yml, ASCII ones).
_CC_TLDS = frozenset(
    """
    ac ad ae af ag ai al am an ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn
    bo bq br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj
    dk dm do dz ec ee eg eh er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp
    gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh
    ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mf mg mh mk ml mm mn
    mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph
    pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr
    ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tp tr tt tv tw tz ua ug uk um us uy
    uz va vc ve vg vi vn vu wf ws ye yt za zm zw
    """.split()
)

# A working subset of the ~1,250 generic TLDs: the ones blog text realistically contains.
_GENERIC_TLDS = frozenset(
    """
    com org net edu gov mil int info biz name pro aero asia cat coop jobs mobi museum tel travel
    app dev page blog site online store shop tech xyz club cloud design news live life world
    today space website top wiki link click email digital media network systems solutions
    software studio agency group company academy community foundation social video photo
    photos art music games fun team tools codes engineering guide help zone center global one
    run works tips ninja rocks science data google amazon microsoft apple
    github gitlab docs blue red green pink black new now how pub bar cafe city land plus review
    reviews events education school university institute consulting services support training
    finance money bank capital ventures partners health care energy solar earth eco
    """.split()
)

_WORD = r"[^\W_]"
# Host labels (Unicode letters and digits, inner hyphens/underscores), a dot, then a TLD.
_LABEL = rf"{_WORD}(?:[\w-]*{_WORD})?"
_PATH_CHARS = r"[\w!*';:=+,.$/%#\[\]\-\u2013~&|@]"
_PATH_END = r"[\w=#/+\-]"
_PARENS = r"\([\w!*';:=+,.$/%#\[\]\-~&|@]*\)"
_QUERY_CHARS = r"[\w!?*'();:&=+$/%#\[\]\-.,~|@]"
_QUERY_END = r"[\w\-&=#/]"

_URL_RE = re.compile(
    r"(?<![\w@\uff20$#\uff03])"
    r"(?P<scheme>https?://)?"
    rf"(?P<host>(?:{_LABEL}\.)+(?P<tld>{_LABEL}))"
    r"(?![\w@+-])"
    r"(?P<port>:[0-9]+)?"
    rf"(?P<path>/(?:(?:{_PATH_CHARS}|{_PARENS})*(?:{_PATH_END}|{_PARENS}))?)?"
    rf"(?P<query>\?{_QUERY_CHARS}*{_QUERY_END})?",
    re.IGNORECASE,
)


def _known_tld(tld: str) -> bool:
    tld = tld.lower()
    return tld in _CC_TLDS or tld in _GENERIC_TLDS or tld.startswith("xn--")


def _idna_ok(host: str) -> bool:
    """twitter-text drops a URL whose host cannot be IDNA-encoded (a label over 63 octets)."""
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every URL twitter-text's extractor would recognise in ``text``."""
    spans: list[tuple[int, int]] = []
    for match in _URL_RE.finditer(text):
        host, tld = match["host"], match["tld"]
        if not _known_tld(tld) or not _idna_ok(host):
            continue
        if match["scheme"] is None:
            start = match.start()
            if start > 0 and text[start - 1] in "-_./":
                continue
            if not host.isascii():
                continue
            # A bare "name.cc" (one label plus a country code) needs a path to count.
            labels = host.split(".")
            if len(labels) == 2 and tld.lower() in _CC_TLDS and match["path"] is None:
                continue
        spans.append((match.start(), match.end()))
    return spans


def _emoji_spans(text: str) -> list[tuple[int, int]]:
    return [(m["match_start"], m["match_end"]) for m in emoji.emoji_list(text)]


def _char_weight(char: str) -> int:
    point = ord(char)
    return 1 if any(lo <= point <= hi for lo, hi in _LIGHT_RANGES) else 2


def weighted_length(text: str) -> int:
    """The length X checks against 280: URLs 23, emoji sequences 2, CJK and others 2."""
    text = unicodedata.normalize("NFC", text)
    urls = url_spans(text)
    special: dict[int, tuple[int, int]] = {start: (end, URL_WEIGHT) for start, end in urls}
    in_url = {i for start, end in urls for i in range(start, end)}
    for start, end in _emoji_spans(text):
        if start not in in_url:
            special.setdefault(start, (end, EMOJI_WEIGHT))
    total = 0
    index = 0
    while index < len(text):
        if index in special:
            end, weight = special[index]
            total += weight
            index = end
            continue
        total += _char_weight(text[index])
        index += 1
    return total


def tco(url: str) -> str:
    """A stable fake t.co link for ``url`` ("https://t.co/" plus 10 characters), as X wraps."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number = int.from_bytes(hashlib.sha256(url.encode("utf-8")).digest()[:8], "big")
    chars = []
    for _ in range(10):
        number, rest = divmod(number, len(alphabet))
        chars.append(alphabet[rest])
    return "https://t.co/" + "".join(chars)


def wrap_urls(text: str) -> str:
    """``text`` with every URL replaced by its t.co link, as X shows a stored tweet."""
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    last = 0
    for start, end in url_spans(text):
        out.append(text[last:start])
        out.append(tco(text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)
