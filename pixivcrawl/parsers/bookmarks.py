"""A user's bookmark list from the App API: ``GET /v1/user/bookmarks/illust`` and ``/v1/user/bookmarks/novel``
(pixiv-protocol.md §2.3), one page at a time.

A page is ``{illusts | novels: [work object, …], next_url}``: the works the user bookmarked, newest bookmark first,
30 to a page, each the App API's whole work object (the same as ``/v1/illust/detail`` lists, without
``total_comments``). The next page is ``next_url``, whose ``max_bookmark_id`` is pixiv's cursor: the id of the
bookmark the next page starts at. Bookmark ids and the bookmark's own tags are not in the answer: pixiv gives a
bookmark's tags only per work (``/v2/illust/bookmark/detail``), so a crawl of the list does not know them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .app_api import next_url
from .common import ParseError

#: the key of the works in each list's answer
LIST_KEYS = {"illust": "illusts", "novel": "novels"}


@dataclass(frozen=True, slots=True)
class BookmarkPage:
    """One page of a user's bookmarks (:func:`parse_bookmarks_page`)."""

    #: ``illust`` (illusts, manga and ugoira: ``/v1/user/bookmarks/illust``) or ``novel``
    work_type: str
    #: the work objects as pixiv sent them, in its order (newest bookmark first); each is expanded like any App API
    #: work (pixivcrawl.spiders.app_works), and one that is malformed is skipped there
    works: tuple[Any, ...]
    #: the next page's URL (on the App API host), None on the last page
    next_url: str | None
    #: the ``max_bookmark_id`` of ``next_url``: the bookmark id the next page starts at; None on the last page
    max_bookmark_id: int | None


def parse_bookmarks_page(data: Any, work_type: str) -> BookmarkPage:
    """A page of ``/v1/user/bookmarks/{work_type}`` (``illust`` or ``novel``) as a :class:`BookmarkPage`.

    ParseError naming the field when ``data`` is not an object, its ``illusts``/``novels`` is missing or not a list,
    or its ``next_url`` leaves the App API or has no whole-number ``max_bookmark_id``. (pixiv's error envelope, e.g.
    for another user's private bookmarks, is not a page: callers check for it first.)"""
    if work_type not in LIST_KEYS:
        raise ValueError(f"work_type is illust or novel, not {work_type!r}")
    where = f"bookmarks page ({work_type})"
    if not isinstance(data, dict):
        raise ParseError(f"{where} is {type(data).__name__}, not an object")
    key = LIST_KEYS[work_type]
    if key not in data:
        raise ParseError(f"{where} has no {key!r}")
    works = data[key]
    if not isinstance(works, list):
        raise ParseError(f"{where}.{key} is {type(works).__name__}, not a list")
    url = next_url(data, where=where)
    return BookmarkPage(work_type=work_type, works=tuple(works), next_url=url,
                        max_bookmark_id=None if url is None else bookmark_cursor(url, where=where))


def bookmark_cursor(url: str, *, where: str = "bookmarks page") -> int:
    """The ``max_bookmark_id`` of a bookmark list's ``next_url``; ParseError when it has none, or not a whole
    number."""
    values = parse_qs(urlsplit(url).query).get("max_bookmark_id", [])
    if len(values) != 1 or not values[0].isdecimal():
        raise ParseError(f"{where}.next_url has no max_bookmark_id cursor: {url[:120]!r}")
    return int(values[0])
