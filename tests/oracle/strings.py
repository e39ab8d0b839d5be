"""Strings on which the tweet counter is compared with the official twitter-text.

Every emoji sequence the `emoji` package knows, alone and in text; skin tones, flags,
keycaps, variation selectors and ZWJ joins of them; URLs with punctuation and bracketed
endings; CJK and other wide ranges; combining marks; mentions, hashtags and cashtags; the
characters at the edges of the weight ranges; and random mixes of all of these. The same
seed always gives the same strings.
"""

from __future__ import annotations

import random

import emoji

ZWJ, VS16, VS15, KEYCAP = "\u200d", "\ufe0f", "\ufe0e", "\u20e3"
TONES = [chr(c) for c in range(0x1F3FB, 0x1F400)]
REGIONAL = [chr(c) for c in range(0x1F1E6, 0x1F200)]
TAGS = [chr(c) for c in range(0xE0061, 0xE007B)]
GENDER = ["\u2640", "\u2642"]
# The symbol blocks from which old "text-style" emoji come, each char tried with VS16/VS15.
SYMBOL_RANGES = [
    (0x00A9, 0x00AE),
    (0x203C, 0x2049),
    (0x2122, 0x2139),
    (0x2194, 0x21AA),
    (0x231A, 0x23FF),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25FE),
    (0x2600, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B55),
    (0x3030, 0x303D),
    (0x3297, 0x3299),
]
WIDE_RANGES = [
    (0x0041, 0x007A),  # ASCII letters
    (0x00A0, 0x024F),  # Latin-1 and Latin Extended
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x0590, 0x06FF),  # Hebrew, Arabic
    (0x0900, 0x097F),  # Devanagari
    (0x0E00, 0x0E7F),  # Thai
    (0x10A0, 0x10FF),  # Georgian, the last weight-1 block
    (0x1100, 0x11FF),  # Hangul Jamo, the first weight-2 block
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x1F00, 0x1FFF),  # Greek Extended
    (0x2000, 0x206F),  # General Punctuation, around the weight-1 ranges
    (0x2100, 0x214F),  # Letterlike Symbols (Kelvin, Angstrom)
    (0x3000, 0x30FF),  # CJK punctuation, Hiragana, Katakana
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
    (0x1D400, 0x1D7FF),  # Mathematical Alphanumeric Symbols
    (0x1F300, 0x1FAFF),  # emoji blocks, single code points
    (0x20000, 0x2A6DF),  # CJK Extension B
]
COMBINING = [(0x0300, 0x036F), (0x0483, 0x0489), (0x1AB0, 0x1AFF), (0x20D0, 0x20FF)]
EDGES = [
    0x10FF, 0x1100, 0x1FFF, 0x2000, 0x200C, 0x200D, 0x200E, 0x200F, 0x2010, 0x201F,
    0x2020, 0x2026, 0x2031, 0x2032, 0x2037, 0x2038, 0x2060, 0x3000, 0xFEFF, 0xFFFE, 0xFFFF,
]  # fmt: skip
SCHEMES = ["", "", "http://", "https://", "HTTPS://", "ftp://", "http:/"]
DOMAINS = [
    "dvc.org", "discuss.dvc.org", "t.co", "x.com", "example.notatld", "a.b.c.co.uk",
    "xn--fiqs8s.com", "中国.com", "bücher.de", "dvc.ORG", "localhost", "my-site.io",
    "sub_domain.dvc.org", "-bad.com", "dvc.org.", "a" * 63 + ".com", "a" * 64 + ".com",
    "example.comm", "foo.jpg", "dvc.site", "dvc.рф", "例子.中国", "dvc.org。com",
    "dvc.ſite", "dvc.orgſ",
]  # fmt: skip
PATH_CHARS = [*list("abcXYZ019-_.~!*'();:@&=+$,/?%#[]{}|\\^`\"<>"), "–", "é", "ж", "中", "😀"]
PATH_CHARS += ["\u0130", "\u0131", "\u017f", "\u212a", "\u212b", "\u0260"]  # case-folding oddities
ENDINGS = ["", ".", ",", "!", "?", ")", "(b)", "!(b)", "[](b)", "(a(b)c)", "((b))", "/", "…"]
WORDS = ["@dvc_org", "@everyone", "@here", "#MLOps", "#100DaysOfCode", "$TSLA", "$dvc.x"]
WORDS += ["me@dvc.org", "@a.b", "＠dvc", "#ハッシュ", "#1", "@" + "x" * 21, "RT @dvc: hi"]


def _char(rng: random.Random, ranges: list[tuple[int, int]]) -> str:
    low, high = rng.choice(ranges)
    return chr(rng.randint(low, high))


def _emoji_list() -> list[str]:
    return sorted(emoji.EMOJI_DATA)


def _emoji_strings(rng: random.Random, emojis: list[str]) -> list[str]:
    out: list[str] = []
    for e in emojis:
        out += [e, f"a{e}b", f"{e}{rng.choice(emojis)}", f"{e} {e}."]
        if len(e) == 1:
            out += [e + VS16, e + VS15, e + VS16 + ZWJ + rng.choice(emojis)]
    singles = [e for e in emojis if len(e) == 1]
    for base in singles:
        out.append(base + rng.choice(TONES))
    for _ in range(1500):
        parts = [rng.choice(singles) for _ in range(rng.randint(2, 4))]
        joined = ZWJ.join(p + rng.choice(["", "", VS16, rng.choice(TONES)]) for p in parts)
        out.append(joined + rng.choice(["", VS16, ZWJ, " x"]))
    for _ in range(300):
        person = rng.choice(singles) + rng.choice(["", *TONES])
        out.append(person + ZWJ + rng.choice(GENDER) + rng.choice(["", VS16]))
    return out


def _symbol_strings() -> list[str]:
    out = []
    for low, high in SYMBOL_RANGES:
        for code in range(low, high + 1):
            out += [chr(code), chr(code) + VS16, chr(code) + VS15, f"x{chr(code)}{VS16}y"]
    for key in "#*0123456789a":
        out += [key + KEYCAP, key + VS16 + KEYCAP, key + VS15 + KEYCAP, f"1{key}{VS16}{KEYCAP}2"]
    out += [VS16, VS16 * 3, ZWJ, ZWJ * 2, "a" + ZWJ + "b", TONES[0], TONES[0] * 2]
    return out


def _flag_strings(rng: random.Random) -> list[str]:
    out = [a + b for a in REGIONAL for b in REGIONAL]
    out += ["".join(rng.choice(REGIONAL) for _ in range(rng.randint(1, 5))) for _ in range(200)]
    black_flag, cancel = "\U0001f3f4", "\U000e007f"
    for region in ("gbeng", "gbsct", "gbwls", "usca", "zz"):
        tags = "".join(chr(0xE0000 + ord(c)) for c in region)
        out += [black_flag + tags + cancel, black_flag + tags, tags + cancel]
    out += [black_flag + "".join(rng.choice(TAGS) for _ in range(4)) + cancel for _ in range(50)]
    return out


def _url(rng: random.Random) -> str:
    url = rng.choice(SCHEMES) + rng.choice(DOMAINS)
    if rng.random() < 0.3:
        url += f":{rng.randint(0, 99999)}"
    if rng.random() < 0.8:
        url += "/" + "".join(rng.choice(PATH_CHARS) for _ in range(rng.randint(0, 12)))
    if rng.random() < 0.3:
        url += "?" + "".join(rng.choice(PATH_CHARS) for _ in range(rng.randint(0, 8)))
    return url + rng.choice(ENDINGS)


def _url_strings(rng: random.Random) -> list[str]:
    around = ["", " ", "(", "[", '"', "'", "-", "_", ".", "/", "@", "#", "$", "a", "中", "\u200e"]
    around += ["\u017f", "\u0131", "\u212a"]
    out = []
    for _ in range(3500):
        out.append(rng.choice(around) + _url(rng) + rng.choice(around + ENDINGS))
    for _ in range(500):
        out.append(" ".join(_url(rng) for _ in range(rng.randint(2, 4))))
    out += ["http://dvc.org/a!(b)", "http://dvc.org/a[](b)", "https://t.co/" + "a" * 41]
    out += ["http://dvc.org/" + "a" * 4100, "dvc.org/" + "(a)" * 5, "https://dvc.org/a(b(c)d)e"]
    return out


def _script_strings(rng: random.Random) -> list[str]:
    out = []
    for _ in range(2500):
        out.append("".join(_char(rng, WIDE_RANGES) for _ in range(rng.randint(1, 30))))
    for _ in range(1500):
        base = _char(rng, [*WIDE_RANGES[:4], (65, 90)])
        marks = "".join(_char(rng, COMBINING) for _ in range(rng.randint(1, 3)))
        out.append(base + marks + rng.choice(["", " ", "a", VS16]))
    for _ in range(300):  # Hangul jamo that NFC composes into syllables
        out.append(chr(rng.randint(0x1100, 0x1112)) + chr(rng.randint(0x1161, 0x1175)))
    out += [chr(code) for code in EDGES] + [f"a{chr(code)}b" for code in EDGES]
    out += ["\ud83d", "a\ude00b", "\ude00\ud83d"]  # lone surrogates
    return out


def _word_strings(rng: random.Random) -> list[str]:
    out = []
    for _ in range(1500):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 5))]
        out.append(rng.choice([" ", "", ",", "\n"]).join(words))
    return out


def _mixes(rng: random.Random, pools: list[list[str]]) -> list[str]:
    out = []
    for _ in range(2500):
        pieces = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(2, 8))]
        out.append(rng.choice([" ", "", "\n"]).join(pieces))
    return out


def generated(seed: int) -> list[str]:
    """Thousands of strings, the same ones for the same seed, none of them empty."""
    rng = random.Random(seed)
    emojis = _emoji_list()
    pools = [
        _emoji_strings(rng, emojis),
        _symbol_strings(),
        _flag_strings(rng),
        _url_strings(rng),
        _script_strings(rng),
        _word_strings(rng),
    ]
    strings = [s for pool in pools for s in pool]
    strings += _mixes(rng, pools)
    return [s for s in dict.fromkeys(strings) if s]
