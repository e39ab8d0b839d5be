"""The AT Protocol rules the fake PDS checks, from the lexicons and the PDS source.

- ``app.bsky.feed.post`` (lexicons/app/bsky/feed/post.json): ``text`` at most 300
  graphemes and 3000 UTF-8 bytes, ``createdAt`` a datetime, facets of
  ``app.bsky.richtext.facet`` with UTF-8 byte ranges, ``reply`` with ``root`` and
  ``parent`` strong refs (uri + cid), an ``app.bsky.embed.external`` embed whose
  ``thumb`` is a blob of an ``image/*`` type of at most 1,000,000 bytes.
- Record keys of posts are TIDs (packages/syntax/src/tid.ts): 13 characters of
  base32-sortable, the first at most ``j``.
- A refusal is ``400 InvalidRequest`` with the message the PDS builds
  (packages/pds/src/repo/prepare.ts, lex-schema's issues):
  ``Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) at $.record.text``.

Graphemes are extended grapheme clusters (``regex``'s ``\\X``), as ``Intl.Segmenter`` counts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime
from typing import Any

import regex

POST = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_THUMB_BYTES = 1_000_000
MAX_TAG_GRAPHEMES = 64
MAX_TAG_BYTES = 640
TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
RECORD_KEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_AT_URI = re.compile(r"at://[^/\s]+/[a-zA-Z0-9.-]+/[A-Za-z0-9._:~-]+")
_CID = re.compile(r"b[a-z2-7]{20,}")
_FEATURES = {
    "app.bsky.richtext.facet#link": "uri",
    "app.bsky.richtext.facet#tag": "tag",
    "app.bsky.richtext.facet#mention": "did",
}


class Invalid(Exception):
    """A record the PDS refuses: ``str()`` is the issue, as lex-schema words it."""


def graphemes(text: str) -> int:
    """How many extended grapheme clusters ``text`` holds."""
    return len(regex.findall(r"\X", text))


def cid_for(data: bytes, *, raw: bool = False) -> str:
    """A CIDv1 (sha-256; dag-cbor for records, raw for blobs) in base32, as the PDS prints it."""
    codec = b"\x55" if raw else b"\x71"
    digest = hashlib.sha256(data).digest()
    binary = b"\x01" + codec + b"\x12\x20" + digest
    return "b" + base64.b32encode(binary).decode().lower().rstrip("=")


def record_cid(record: Any) -> str:
    return cid_for(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())


def check_rkey(collection: str, rkey: str) -> None:
    """Raise Invalid for a key the collection does not take (posts take TIDs)."""
    if not RECORD_KEY.fullmatch(rkey) or rkey in (".", ".."):
        raise Invalid(f"Invalid record key for {collection}: invalid record key syntax")
    if collection == POST and not TID.fullmatch(rkey):
        raise Invalid(f"Invalid record key for {collection}: Invalid TID format")


def check_post(record: Any, blobs: dict[str, dict[str, Any]]) -> None:
    """Raise Invalid unless ``record`` is a valid ``app.bsky.feed.post``.

    ``blobs`` maps the CIDs of uploaded blobs to their ``mimeType`` and ``size``.
    """
    if not isinstance(record, dict):
        raise Invalid("Expected object value type (got string) at $.record")
    text = record.get("text")
    if not isinstance(text, str):
        raise Invalid('Missing required key "text" at $.record')
    _string(text, "$.record.text", MAX_BYTES, MAX_GRAPHEMES)
    created = record.get("createdAt")
    if not isinstance(created, str):
        raise Invalid('Missing required key "createdAt" at $.record')
    if not _DATETIME.fullmatch(created) or not _parses(created):
        raise Invalid("Invalid datetime format at $.record.createdAt")
    size = len(text.encode("utf-8"))
    for index, facet in enumerate(_list(record.get("facets"), "$.record.facets")):
        _facet(facet, f"$.record.facets[{index}]", size)
    if "reply" in record:
        reply = record["reply"]
        if not isinstance(reply, dict):
            raise Invalid("Expected object value type at $.record.reply")
        for key in ("root", "parent"):
            _strong_ref(reply.get(key), f"$.record.reply.{key}", key)
    if "embed" in record:
        _embed(record["embed"], blobs)
    tags = _list(record.get("tags"), "$.record.tags")
    if len(tags) > 8:
        raise Invalid(f"array too big (maximum 8, got {len(tags)}) at $.record.tags")
    for index, tag in enumerate(tags):
        if not isinstance(tag, str):
            raise Invalid(f"Expected string value type at $.record.tags[{index}]")
        _string(tag, f"$.record.tags[{index}]", MAX_TAG_BYTES, MAX_TAG_GRAPHEMES)
    langs = _list(record.get("langs"), "$.record.langs")
    if len(langs) > 3:
        raise Invalid(f"array too big (maximum 3, got {len(langs)}) at $.record.langs")


def _parses(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"Expected array value type at {path}")
    return value


def _string(text: str, path: str, max_bytes: int, max_graphemes: int) -> None:
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise Invalid(f"string too big (maximum {max_bytes}, got {size}) at {path}")
    count = graphemes(text)
    if count > max_graphemes:
        raise Invalid(f"grapheme too big (maximum {max_graphemes}, got {count}) at {path}")


def _facet(facet: Any, path: str, size: int) -> None:
    if not isinstance(facet, dict):
        raise Invalid(f"Expected object value type at {path}")
    index = facet.get("index")
    if not isinstance(index, dict):
        raise Invalid(f'Missing required key "index" at {path}')
    for key in ("byteStart", "byteEnd"):
        value = index.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid(f'Missing required key "{key}" at {path}.index')
        if value < 0:
            raise Invalid(f"integer too small (minimum 0, got {value}) at {path}.index.{key}")
    # The lexicon does not bound the range by the text, but the AppView drops such facets:
    # the fake refuses them so a wrong offset is seen at once.
    if not index["byteStart"] < index["byteEnd"] <= size:
        raise Invalid(f"facet range outside the text ({size} bytes) at {path}.index")
    features = facet.get("features")
    if not isinstance(features, list) or not features:
        raise Invalid(f'Missing required key "features" at {path}')
    for number, feature in enumerate(features):
        kind = feature.get("$type") if isinstance(feature, dict) else None
        name = _FEATURES.get(str(kind))
        value = feature.get(name) if name is not None else None
        if not isinstance(value, str) or not value:
            raise Invalid(f"Invalid facet feature at {path}.features[{number}]")
        if name == "tag":
            _string(value, f"{path}.features[{number}].tag", 640, 64)


def _strong_ref(ref: Any, path: str, key: str) -> None:
    if not isinstance(ref, dict):
        raise Invalid(f'Missing required key "{key}" at {path.rpartition(".")[0]}')
    if not isinstance(ref.get("uri"), str) or not _AT_URI.fullmatch(ref["uri"]):
        raise Invalid(f"Invalid AT-URI format at {path}.uri")
    if not isinstance(ref.get("cid"), str) or not _CID.fullmatch(ref["cid"]):
        raise Invalid(f"Invalid CID format at {path}.cid")


def _embed(embed: Any, blobs: dict[str, dict[str, Any]]) -> None:
    kind = embed.get("$type") if isinstance(embed, dict) else None
    if kind != "app.bsky.embed.external":
        raise Invalid("embed type not supported by this sandbox at $.record.embed")
    external = embed.get("external")
    path = "$.record.embed.external"
    if not isinstance(external, dict):
        raise Invalid('Missing required key "external" at $.record.embed')
    for key in ("uri", "title", "description"):
        if not isinstance(external.get(key), str):
            raise Invalid(f'Missing required key "{key}" at {path}')
    if not re.match(r"[a-z][a-z0-9+.-]*:\S", external["uri"]):
        raise Invalid(f"Invalid URI format at {path}.uri")
    if "thumb" in external:
        _thumb(external["thumb"], blobs, f"{path}.thumb")


def _thumb(thumb: Any, blobs: dict[str, dict[str, Any]], path: str) -> None:
    ref = thumb.get("ref") if isinstance(thumb, dict) else None
    link = ref.get("$link") if isinstance(ref, dict) else None
    if not isinstance(thumb, dict) or thumb.get("$type") != "blob" or not isinstance(link, str):
        raise Invalid(f"Expected blob value type at {path}")
    mime, size = thumb.get("mimeType"), thumb.get("size")
    if not isinstance(mime, str) or not mime.startswith("image/"):
        raise Invalid(f"blob mime type {mime!r} not accepted (image/*) at {path}")
    if not isinstance(size, int) or size > MAX_THUMB_BYTES:
        raise Invalid(f"blob too big (maximum {MAX_THUMB_BYTES}, got {size}) at {path}")
    if link not in blobs:
        raise BlobMissing(f"Could not find blob: {link}")
    stored = blobs[link]
    if stored["mimeType"] != mime:
        raise Invalid(
            "Referenced Mimetype does not match stored blob. "
            f"Expected: {stored['mimeType']}, Got: {mime}"
        )
    if stored["size"] != size:
        raise Invalid(
            f"Referenced Size does not match stored blob. Expected: {stored['size']}, Got: {size}"
        )


class BlobMissing(Invalid):
    """A thumb that names no uploaded blob: the PDS says ``BlobNotFound``."""
