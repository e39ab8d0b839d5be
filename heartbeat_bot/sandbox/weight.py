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


def _words(text: str) -> list[str]:
    return text.split()


# config-v3.json: code points in these inclusive ranges weigh 1 (scale 100, weight 100).
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

# Every two-letter country-code TLD twitter-text knows (tld_lib.yml, ASCII ones).
_CC_TLDS = frozenset(
    _words(
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
        """
    )
)

# A working subset of the ~1,250 generic TLDs: the ones blog text realistically contains.
_GENERIC_TLDS = frozenset(
    _words(
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
        """
    )
)

_LATIN = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0253\u0254\u0256\u0257\u0259\u025b"
    "\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
# A domain character: anything but ASCII punctuation, spaces, controls, invalid and bidi marks.
_DCH = (
    r"[^\s!-/:-@\[-`{-~\x00-\x1f\x7f\ufeff\ufffe\uffff"
    r"\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_TLD_ALTERNATION = "|".join(sorted(_CC_TLDS | _GENERIC_TLDS, key=lambda t: (-len(t), t)))
_TLD = rf"(?:{_TLD_ALTERNATION}|xn--[0-9a-z]+)(?=[^a-z0-9@+-]|$)"
_SUBDOMAIN = rf"{_DCH}(?:(?:[_-]|{_DCH})*{_DCH})?\."
_DOMAIN_NAME = rf"{_DCH}(?:(?:-|{_DCH})*{_DCH})?\."
_PATH_CHARS = rf"[a-z\u0400-\u04ff0-9!*';:=+,.$/%#\[\]\-\u2013_~&|@{_LATIN}]"
_PATH_END = rf"[a-z\u0400-\u04ff0-9=_#/+\-{_LATIN}]"
_PARENS = rf"\((?:{_PATH_CHARS})*\)"
_QUERY_CHARS = r"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@]"
_QUERY_END = r"[a-z0-9\-_&=#/]"

_URL_RE = re.compile(
    r"(?<![a-z0-9@\uff20$#\uff03])"
    r"(?P<scheme>https?://)?"
    rf"(?P<host>(?:{_SUBDOMAIN})*{_DOMAIN_NAME}{_TLD})"
    r"(?P<port>:[0-9]+)?"
    rf"(?P<path>/(?:(?:{_PATH_CHARS}|{_PARENS})*(?:{_PATH_END}|{_PARENS}))?)?"
    rf"(?P<query>\?{_QUERY_CHARS}*{_QUERY_END})?",
    re.IGNORECASE,
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# twitter-text's URL validator also takes IPv4 hosts; with localhost, this lets a sandbox
# URL (http://127.0.0.1:PORT/...) weigh 23, as the real forum's URL will.
_LOCAL_URL_RE = re.compile(
    r"(?<![a-z0-9@\uff20$#\uff03])https?://"
    rf"(?:{_OCTET}(?:\.{_OCTET}){{3}}|localhost)(?![\w.-])"
    r"(?::[0-9]+)?"
    rf"(?:/(?:(?:{_PATH_CHARS}|{_PARENS})*(?:{_PATH_END}|{_PARENS}))?)?"
    rf"(?:\?{_QUERY_CHARS}*{_QUERY_END})?",
    re.IGNORECASE,
)
# Without a scheme, only ASCII (and Latin-accented) domains inside the match count.
_ASCII_DOMAIN_RE = re.compile(rf"(?:[\-a-z0-9{_LATIN}]+\.)+{_TLD}", re.IGNORECASE)
_TCO_SLUG_RE = re.compile(r"/[a-z0-9]*", re.IGNORECASE)
_MAX_TCO_SLUG = 40


def _idna_ok(host: str) -> bool:
    """twitter-text drops a URL whose host cannot be IDNA-encoded (a label over 63 octets)."""
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def _scheme_span(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    if not _idna_ok(match["host"]):
        return None
    end = match.end()
    if match["host"].lower() == "t.co" and match["path"]:
        # t.co links end at their slug, and a slug over 40 characters is no link.
        slug = _TCO_SLUG_RE.match(text, match.start("path"))
        assert slug is not None
        if len(slug[0]) - 1 > _MAX_TCO_SLUG:
            return None
        end = slug.end()
    return match.start(), end


def _bare_spans(text: str, match: re.Match[str]) -> list[tuple[int, int]]:
    start = match.start()
    if start > 0 and text[start - 1] in "-_./":
        return []
    host_start, host_end = match.span("host")
    found = [
        (host_start + m.start(), host_start + m.end())
        for m in _ASCII_DOMAIN_RE.finditer(match["host"])
        if _idna_ok(m[0])
    ]
    if found and found[-1][1] == host_end:
        # The port, path and query belong to the last domain when it ends the match.
        found[-1] = (found[-1][0], match.end())
    return found


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every URL twitter-text's extractor would recognise in ``text``."""
    spans: list[tuple[int, int]] = []
    for match in _URL_RE.finditer(text):
        if match["scheme"]:
            span = _scheme_span(text, match)
            spans.extend([span] if span else [])
        else:
            spans.extend(_bare_spans(text, match))
    for match in _LOCAL_URL_RE.finditer(text):
        if not any(start < match.end() and match.start() < end for start, end in spans):
            spans.append(match.span())
    return sorted(spans)


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
