"""Names that clients choose (satellites, models, file names): safe to log, and stable ids for topics.

A satellite keeps its exact name for display (Home Assistant device names, capture sidecars); topics,
unique ids and capture file names use :func:`satellite_id`, which never maps two names to one id:

- a name that already is an id (lowercase ASCII letters, digits, ``_``, ``-``; not ending like a
  hashed id) is its own id: ``kitchen`` → ``kitchen``;
- any other name becomes a readable slug plus a short hash of the exact name: ``kitchen/1`` →
  ``kitchen_1_<hash>``, ``Küche`` → ``kuche_<hash>``, ``кухня`` → ``sat_<hash>`` (letters with no
  ASCII form have no slug; the display name keeps them).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

LOG_CHARS = 80
"""Longest client-chosen string written into one log line."""
ID_SLUG_CHARS = 32
ID_HASH_CHARS = 10
"""Hex digits of sha256 in a hashed id (40 bits: no accidental collision among a Judge's satellites)."""
_PLAIN_ID = re.compile(rf"^[a-z0-9][a-z0-9_-]{{0,{ID_SLUG_CHARS - 1}}}$")
_HASHED_TAIL = re.compile(rf"_[0-9a-f]{{{ID_HASH_CHARS}}}$")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
HASHED_PREFIX = "sat"
"""Slug of a name with no ASCII letters or digits."""


def for_log(text: object, limit: int = LOG_CHARS) -> str:
    """A client-chosen string as one short, printable log token (control characters escaped, cut)."""
    raw = str(text)
    cut = raw[:limit]
    clean = "".join(
        ch if not unicodedata.category(ch).startswith("C") else ch.encode("unicode_escape").decode()
        for ch in cut
    )
    return clean + (f"…(+{len(raw) - limit} chars)" if len(raw) > limit else "")


def satellite_id(name: str) -> str:
    """The stable, collision-free id of a satellite name (topics, unique ids, file names)."""
    if _PLAIN_ID.match(name) and not _HASHED_TAIL.search(name):
        return name
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = _NON_SLUG.sub("_", folded).strip("_")[:ID_SLUG_CHARS].rstrip("_") or HASHED_PREFIX
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:ID_HASH_CHARS]
    return f"{slug}_{digest}"


def check_satellite_name(name: str, max_chars: int) -> str | None:
    """What is wrong with a satellite name (None when it is fine): too long, or control characters."""
    if len(name) > max_chars:
        return f"Satellite name {for_log(name, 24)!r} is {len(name)} characters; keep it to {max_chars}."
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return f"Satellite name {for_log(name)!r} holds control characters; use printable characters only."
    return None
