"""pixiv URLs (and plain ids) as typed references: what a user copies from the browser, read as
:class:`PixivRef` ``(kind, id, …)``.

The forms read, on ``www.pixiv.net`` (also ``pixiv.net``, ``touch.pixiv.net``, ``http://``, no scheme, a
language prefix such as ``/en/``, a trailing ``/``, a query or a ``#`` fragment)::

    /artworks/123  /en/artworks/123  /i/123                  illust 123
    /member_illust.php?mode=medium&illust_id=123             illust 123 (pixiv's URL before 2018)
    /users/1  /users/1/illustrations  /users/1/manga         user 1 (page "illustrations", "manga", …;
    /users/1/artworks/TAG  /users/1/novels                     a tag after the page is kept as ``tag``)
    /users/1/bookmarks/artworks  /users/1/bookmarks/novels   user 1, page "bookmarks/artworks" or
        (?tag=…, ?rest=hide)                                   "bookmarks/novels" (tag, restrict private)
    /users/1/following (?rest=hide)                          user 1, page "following"
    /member.php?id=1  /member_illust.php?id=1                user 1 (old pages; the second: "artworks")
    /bookmark.php?id=1  /novel/bookmark.php?id=1             user 1's bookmarks (old pages)
    /user/1/series/10                                        illust_series 10 (user_id 1)
    /novel/show.php?id=20                                    novel 20
    /novel/series/30                                         novel_series 30

and image URLs of ``i.pximg.net`` (any ``*.pximg.net``), whose file name starts with the work's id::

    /img-original/img/2024/01/02/03/04/05/123_p0.png         illust 123 (also img-master, custom-thumb,
    /c/250x250_80_a2/img-master/img/…/123_p0_square1200.jpg    img-zip-ugoira, any /c/<size>/ prefix)
    /c/240x480_80/novel-cover-master/img/…/20_<hash>_master1200.jpg   novel 20 (a novel's cover)

A plain id (``123``) is a reference of the kind the caller expects (:func:`parse_ref`'s ``kind``). Anything
else, a profile image or a page that names no work, user or series, raises :class:`PixivUrlError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import parse_qs, unquote, urlsplit

#: what a reference names
Kind = Literal["illust", "novel", "user", "illust_series", "novel_series"]
KINDS: tuple[str, ...] = get_args(Kind)

#: each kind with its article, as sentences name it ("… is a user.")
KIND_NAMES = {"illust": "an illust", "novel": "a novel", "user": "a user", "illust_series": "an illust series",
              "novel_series": "a novel series"}
#: what an argument of each kind takes, for the sentence that refuses a value
TAKES = {
    "illust": "an illust id or an artworks URL like https://www.pixiv.net/artworks/123",
    "novel": "a novel id or a novel URL like https://www.pixiv.net/novel/show.php?id=123",
    "user": "a user id or a user URL like https://www.pixiv.net/users/123",
    "illust_series": "an illust series id or a series URL like https://www.pixiv.net/user/1/series/123",
    "novel_series": "a novel series id or a novel series URL like https://www.pixiv.net/novel/series/123",
}
#: the sub-pages of ``/users/ID/…`` that can be followed by a tag (``/users/1/illustrations/TAG``)
USER_WORK_PAGES = ("illustrations", "manga", "artworks", "novels", "bookmarks/artworks", "bookmarks/novels")

_LANGUAGE = r"(?:/[a-z]{2}(?:-[a-z]{2,4})?)?"
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"{_LANGUAGE}/(?:artworks|i)/(\d+)"), "illust"),
    (re.compile(rf"{_LANGUAGE}/users/(\d+)(/.*)?"), "user"),
    (re.compile(rf"{_LANGUAGE}/user/(\d+)/series/(\d+)"), "illust_series"),
    (re.compile(rf"{_LANGUAGE}/novel/series/(\d+)"), "novel_series"),
]
#: old ``*.php`` pages: path → (query key, kind, user sub-page)
_PHP_PAGES = {
    "/novel/show.php": ("id", "novel", None),
    "/member.php": ("id", "user", None),
    "/novel/member.php": ("id", "user", "novels"),
    "/bookmark.php": ("id", "user", "bookmarks/artworks"),
    "/novel/bookmark.php": ("id", "user", "bookmarks/novels"),
}
_PXIMG_WORK = re.compile(r"/(img-original|img-master|custom-thumb|img-zip-ugoira|novel-cover-original|"
                         r"novel-cover-master)/img/(?:\d+/){6}(\d+)_[^/]*$")


class PixivUrlError(ValueError):
    """A value that is neither a plain id nor a pixiv URL naming a work, user or series; the message is
    one sentence."""


@dataclass(frozen=True)
class PixivRef:
    """One thing on pixiv a URL or id names.

    ``kind`` and ``id``: an illust (``/artworks/ID``), novel, user, illust series or novel series id.
    ``user_id``: the series' user for ``/user/ID/series/S``, else None. ``page``: a user's sub-page as in the
    URL (``"illustrations"``, ``"manga"``, ``"artworks"``, ``"novels"``, ``"bookmarks/artworks"``,
    ``"bookmarks/novels"``, ``"following"``, …), None for the profile itself or another kind. ``tag``: the
    tag a user's works or bookmarks page is filtered by (``/users/1/illustrations/TAG``, ``?tag=``).
    ``restrict``: ``"private"`` for ``?rest=hide``, ``"public"`` for ``?rest=show``, else None. ``url``: the
    text as given, None for a plain id.
    """

    kind: Kind
    id: int
    user_id: int | None = None
    page: str | None = None
    tag: str | None = None
    restrict: Literal["public", "private"] | None = None
    url: str | None = None

    @property
    def canonical_url(self) -> str:
        """pixiv's URL of what the reference names (the user's profile for any user sub-page)."""
        base = "https://www.pixiv.net"
        if self.kind == "illust":
            return f"{base}/artworks/{self.id}"
        if self.kind == "novel":
            return f"{base}/novel/show.php?id={self.id}"
        if self.kind == "illust_series":
            return f"{base}/user/{self.user_id or 0}/series/{self.id}"
        if self.kind == "novel_series":
            return f"{base}/novel/series/{self.id}"
        return f"{base}/users/{self.id}"

    def __str__(self) -> str:
        return self.url or str(self.id)


#: the largest id pixiv's 64-bit id columns (and ours) hold
MAX_ID = 2**63 - 1


def is_url(text: str) -> bool:
    """Does ``text`` look like a URL rather than a plain id (it has a ``/`` or a ``.`` in it)?"""
    return "/" in text or "." in text


def parse_ref(text: str, kind: Kind | None = None) -> PixivRef:
    """The :class:`PixivRef` that ``text`` names: a pixiv URL of a form the module lists, or a plain id
    (only when ``kind`` says what it is an id of). ``kind`` does not restrict URLs: a URL of another kind
    is returned as it is, for the caller to refuse. Raises :class:`PixivUrlError` (one sentence)."""
    value = str(text).strip()
    if not value:
        raise PixivUrlError("An empty value is neither an id nor a pixiv URL.")
    if value.isdigit():
        if kind is None:
            raise PixivUrlError(f"{value} is a plain id: say what it is an id of, or give its pixiv URL.")
        if int(value) <= 0:
            raise PixivUrlError(f"{value} is not an id: pixiv's ids are positive numbers.")
        if int(value) > MAX_ID:
            raise PixivUrlError(f"{value} is not an id: pixiv's ids are at most {MAX_ID}.")
        return PixivRef(kind, int(value))
    if not is_url(value):
        raise PixivUrlError(f"{value!r} is neither an id nor a pixiv URL.")
    parts = urlsplit(value if re.match(r"(?i)^https?://", value) else f"https://{value}")
    host = (parts.hostname or "").lower()
    if host == "pixiv.net" or host.endswith(".pixiv.net"):
        ref = _pixiv_page(parts.path.rstrip("/") or "/", parse_qs(parts.query))
    elif host == "pximg.net" or host.endswith(".pximg.net"):
        ref = _pximg(parts.path)
    else:
        raise PixivUrlError(f"{value} is not a pixiv URL (www.pixiv.net or i.pximg.net).")
    if ref is None:
        raise PixivUrlError(f"{value} names no pixiv work, user or series that pixivcrawl knows.")
    if ref.id > MAX_ID or (ref.user_id or 0) > MAX_ID:
        raise PixivUrlError(f"{value} names no pixiv work, user or series: pixiv's ids are at most {MAX_ID}.")
    return PixivRef(ref.kind, ref.id, ref.user_id, ref.page, ref.tag, ref.restrict, url=value)


def _pixiv_page(path: str, query: dict[str, list[str]]) -> PixivRef | None:
    """The reference a ``www.pixiv.net`` path and query name, or None."""
    for pattern, kind in _ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        if kind == "user":
            return _user_page(int(match.group(1)), match.group(2) or "", query)
        if kind == "illust_series":
            return PixivRef("illust_series", int(match.group(2)), user_id=int(match.group(1)))
        return PixivRef(kind, int(match.group(1)))  # type: ignore[arg-type]
    page_path = re.sub(rf"^{_LANGUAGE}(?=/)", "", path)
    if page_path == "/member_illust.php":
        if _number(query, "illust_id"):
            return PixivRef("illust", _number(query, "illust_id"))
        return PixivRef("user", _number(query, "id"), page="artworks") if _number(query, "id") else None
    if page_path in _PHP_PAGES:
        key, kind, page = _PHP_PAGES[page_path]
        number = _number(query, key)
        if not number:
            return None
        return PixivRef(kind, number, page=page, restrict=_restrict(query))  # type: ignore[arg-type]
    return None


def _user_page(user_id: int, rest: str, query: dict[str, list[str]]) -> PixivRef:
    """``/users/ID`` and its sub-pages: the page, a tag after a works page, ``?tag=`` and ``?rest=``."""
    segments = [unquote(s) for s in rest.split("/") if s]
    page, tag = None, _first(query, "tag")
    if segments:
        taken = 2 if segments[0] == "bookmarks" and len(segments) > 1 else 1
        page = "/".join(segments[:taken])
        if page in USER_WORK_PAGES and len(segments) > taken:
            tag = segments[taken]
    return PixivRef("user", user_id, page=page, tag=tag, restrict=_restrict(query))


def _pximg(path: str) -> PixivRef | None:
    """An image on pixiv's CDN: the work whose id starts the file name (novel covers: a novel), or None."""
    match = _PXIMG_WORK.search(path)
    if match is None:
        return None
    return PixivRef("novel" if match.group(1).startswith("novel-") else "illust", int(match.group(2)))


def _first(query: dict[str, list[str]], key: str) -> str | None:
    values = [v for v in query.get(key, []) if v.strip()]
    return values[0] if values else None


def _number(query: dict[str, list[str]], key: str) -> int:
    value = (_first(query, key) or "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 0


def _restrict(query: dict[str, list[str]]) -> Literal["public", "private"] | None:
    rest = _first(query, "rest")
    return "private" if rest == "hide" else "public" if rest == "show" else None


def wrong_kind(argument: str, kind: Kind, ref: PixivRef) -> str:
    """The sentence that refuses ``ref`` for an argument of ``kind``: ``Argument illust_id takes an illust id
    or an artworks URL like https://www.pixiv.net/artworks/123; https://www.pixiv.net/users/1 is a user.``"""
    return f"Argument {argument} takes {TAKES[kind]}; {ref} is {KIND_NAMES[ref.kind]}."


def expect_ref(argument: str, kind: Kind, value: object) -> PixivRef:
    """``value`` read as a reference of ``kind`` for the spider argument ``argument``; raises
    :class:`PixivUrlError` with one sentence naming the argument when it is not one."""
    try:
        ref = parse_ref(str(value), kind)
    except PixivUrlError:
        raise PixivUrlError(f"Argument {argument} takes {TAKES[kind]}, not {str(value).strip()!r}.") from None
    if ref.kind != kind:
        raise PixivUrlError(wrong_kind(argument, kind, ref))
    return ref


def read_lines(lines: Iterable[str]) -> list[tuple[int, str]]:
    """The values of a list of ids or URLs, one per line, with their line numbers (from 1): blank lines and
    comments (from a ``#`` at the start of a line or after a space to the end of the line) left out."""
    values = []
    for number, line in enumerate(lines, start=1):
        value = re.sub(r"(^|\s)#.*$", "", line).strip()
        if value:
            values.append((number, value))
    return values


def read_file_lines(path: str | Path) -> list[tuple[int, str]]:
    """:func:`read_lines` of the UTF-8 file ``path`` (OSError when it cannot be read)."""
    return read_lines(Path(path).read_text(encoding="utf-8").splitlines())
