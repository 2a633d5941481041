"""Which kind of hiding a pixiv work record shows, from pixiv's own flags.

pixiv does not answer "you may not see this" with an error: it sends the work with ``visible: false``, blank
texts and tags, or with its image URLs replaced by a placeholder under ``s.pximg.net/common/images/`` named
``limit_<kind>_<size>.png`` (protocol notes §6.1), sometimes on a work that still says ``visible: true``.

:func:`app_restriction` and :func:`thumbnail_restriction` name the kind:

- ``sanity_level``: a sensitive work the App API hides on mobile (the web shows it to an account that may
  see it: pixivcrawl recovers it through the web Ajax API with ``PIXIV_PHPSESSID``);
- ``unviewable``: hidden from this account or client (also recoverable on the web);
- ``mypixiv``: friends-only (``is_mypixiv_only``, ``restrict`` 1, or ``limit_mypixiv``);
- ``private``: the artist made it private (``restrict`` 2);
- ``r18`` / ``r18g``: the account's R-18 (R-18G) display is off;
- ``unknown``: deleted or private, pixiv does not say which (``limit_unknown``);
- ``masked``: a web thumbnail with ``isMasked: true``;
- ``hidden``: ``visible: false`` with no other hint.

``None`` means pixiv shows the work whole.

:func:`is_hidden` tells whether a parsed work record is such a record. pixivcrawl's rule for them (every item
type, whole and listing records alike): a hidden record updates only ``visible`` and ``restriction`` of a stored
work, never its texts, tags, pages, URLs, files, ugoira frames or novel text, and triggers no sub-request
(webview text, ugoira metadata, detail, download); a work first seen hidden is stored as pixiv gave it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

#: restrictions the web Ajax API lifts for an account that may see the work (gallery-dl's ``sanity`` option)
RECOVERABLE = frozenset({"sanity_level", "unviewable"})

_PLACEHOLDER = re.compile(r"^https?://s\.pximg\.net/common/images/limit_([a-z0-9_]+?)(?:_\d+|_s)?\.(?:png|jpe?g|gif)")


def placeholder_kind(url: Any) -> str | None:
    """The kind of a ``limit_*`` placeholder image URL (``sanity_level`` for ``…/limit_sanity_level_360.png``),
    or None for any other URL or value."""
    if not isinstance(url, str) or "/common/images/limit_" not in url:
        return None
    match = _PLACEHOLDER.match(url)
    return match.group(1) if match else "unknown"


def is_placeholder(url: Any) -> bool:
    """Whether ``url`` is one of pixiv's ``limit_*`` placeholder images (never art worth downloading)."""
    return placeholder_kind(url) is not None


def _app_urls(obj: dict) -> Iterator[Any]:
    for key in ("image_urls", "meta_single_page"):
        value = obj.get(key)
        if isinstance(value, dict):
            yield from value.values()
    pages = obj.get("meta_pages")
    if isinstance(pages, list):
        for page in pages:
            urls = page.get("image_urls") if isinstance(page, dict) else None
            if isinstance(urls, dict):
                yield from urls.values()


def _by_flags(obj: dict, visible: bool) -> str | None:
    if visible:
        return None
    if obj.get("is_mypixiv_only") is True or obj.get("restrict") == 1:
        return "mypixiv"
    if obj.get("restrict") == 2:
        return "private"
    return "hidden"


def app_restriction(obj: dict) -> str | None:
    """The restriction of an App API illust or novel object (``/v1/illust/detail``, listings, rankings,
    ``/v2/novel/series``…): a placeholder image URL names it; else ``visible: false`` with the
    ``is_mypixiv_only`` / ``restrict`` flags."""
    for url in _app_urls(obj):
        kind = placeholder_kind(url)
        if kind is not None:
            return kind
    return _by_flags(obj, obj.get("visible", True) is not False)


def is_hidden(item: Any) -> bool:
    """Whether an illust or novel item is one of pixiv's hidden or placeholder records: it has a
    ``restriction`` (see above), or says ``visible: false``. False for any other item."""
    return getattr(item, "restriction", None) is not None or getattr(item, "visible", True) is False


def thumbnail_restriction(obj: dict, url_key: str = "url") -> str | None:
    """The restriction of a web thumbnail (Ajax search and commission thumbnails, ranking.php entries):
    a placeholder ``url``, or ``isMasked: true``."""
    kind = placeholder_kind(obj.get(url_key))
    if kind is not None:
        return kind
    if obj.get("isMasked") is True:
        return "masked"
    return None
