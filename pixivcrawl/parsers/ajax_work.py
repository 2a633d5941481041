"""Pure functions from the web Ajax API's work pages to whole records: the works the App API hides (a
``limit_sanity_level`` or ``limit_unviewable`` placeholder) that the same account may see on the web.

- ``GET https://www.pixiv.net/ajax/illust/{id}`` (the work), ``…/ajax/illust/{id}/pages`` (every page's URLs
  and size) and, for an ugoira, ``…/ajax/illust/{id}/ugoira_meta`` (zip and frame delays) →
  :func:`parse_ajax_illust`, a whole :class:`~pixivcrawl.items.IllustItem` like the App API parser's;
- ``GET https://www.pixiv.net/ajax/novel/{id}`` → :func:`parse_ajax_novel`, a whole
  :class:`~pixivcrawl.items.NovelItem` with its text (``content``).

Each takes the ``body`` of pixiv's Ajax envelope (pixivcrawl.parsers.ajax.ajax_body) and raises
:class:`ParseError` naming the field when it is not what pixiv sends (a work seen without a session has
null ``urls``: "…urls.original is null, not an image URL"). Ids arrive as strings and become ints; dates
are kept as pixiv writes them (ISO 8601, UTC in the Ajax API).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pixivcrawl.items import IllustItem, IllustPage, NovelItem, TagRef, UserItem
from pixivcrawl.signature import image_stamp

from .ajax import illust_type
from .common import ParseError, UgoiraMetadata, get_field, iso_time, opt_int, opt_str, ugoira_frames


def _id(obj: Any, key: str, where: str) -> int:
    value = opt_int(get_field(obj, key, (str, int), where=where))
    if value is None or value <= 0:
        raise ParseError(f"{where}.{key} is {obj[key]!r}, not a pixiv id")
    return value


def _url(urls: dict, key: str, where: str) -> str:
    value = urls.get(key)
    if not isinstance(value, str) or not value.startswith("https://"):
        shown = "null" if value is None else repr(str(value)[:40])
        raise ParseError(f"{where}.{key} is {shown}, not an image URL (pixiv sends null to a visitor who may not "
                         "see the work)")
    return value


def _tags(body: dict, where: str) -> list[TagRef]:
    """``tags.tags[]`` of a work page: names and their ``translation.en``."""
    tags = get_field(get_field(body, "tags", dict, where=where), "tags", list, where=f"{where}.tags")
    out = []
    for i, tag in enumerate(tags):
        name = get_field(tag, "tag", str, where=f"{where}.tags.tags[{i}]")
        translation = tag.get("translation")
        translated = translation.get("en") if isinstance(translation, dict) else None
        out.append(TagRef(name=name, translated_name=translated if isinstance(translated, str) else None))
    return out


@dataclass(frozen=True, slots=True)
class SeriesPlace:
    """Where a work stands in its series (a work page's ``seriesNavData``)."""

    #: the series' id; None for a work in no series
    series_id: int | None = None
    #: the work's position in the series, from 1 (``order``); None when pixiv does not say
    order: int | None = None


def _series_nav(body: dict, where: str) -> SeriesPlace:
    """The work's place from ``seriesNavData`` (null for a work in no series)."""
    nav = body.get("seriesNavData")
    if not isinstance(nav, dict):
        return SeriesPlace()
    return SeriesPlace(_id(nav, "seriesId", f"{where}.seriesNavData"), opt_int(nav.get("order")))


def parse_ajax_pages(pages: Any, illust_id: int) -> list[IllustPage]:
    """``/ajax/illust/{id}/pages``'s body: one page per element, with its four URLs and its size."""
    where = f"pages of {illust_id}"
    if not isinstance(pages, list) or not pages:
        raise ParseError(f"{where} is {type(pages).__name__ if not isinstance(pages, list) else 'empty'}, "
                         "not a list of pages")
    out = []
    for n, page in enumerate(pages):
        at = f"{where}[{n}]"
        urls = get_field(page, "urls", dict, where=at)
        out.append(IllustPage(page=n, original_url=_url(urls, "original", f"{at}.urls"),
                              large_url=opt_str(urls.get("regular")), medium_url=opt_str(urls.get("small")),
                              square_medium_url=opt_str(urls.get("thumb_mini")),
                              width=get_field(page, "width", int, where=at),
                              height=get_field(page, "height", int, where=at)))
    return out


def parse_ajax_ugoira_meta(meta: Any, illust_id: int) -> UgoiraMetadata:
    """``/ajax/illust/{id}/ugoira_meta``'s body: the 600x600 zip ``src`` (as the App API's ``zip_urls.medium``)
    and the frames ``[{"file": "000000.jpg", "delay": ms}, …]``."""
    where = f"ugoira_meta of {illust_id}"
    zip_url = get_field(meta, "src", str, where=where)
    return UgoiraMetadata(zip_url=zip_url, frames=ugoira_frames(get_field(meta, "frames", list, where=where), where))


def _ajax_illust_pages(body: dict, pages: Any, wid: int, page_count: int, where: str) -> list[IllustPage]:
    """The pages of an ``/ajax/illust/{id}`` work: from its ``/pages`` body (as many as ``pageCount``), or for a
    single page from the body's ``urls``; ParseError when a work of several pages comes without ``pages``."""
    if pages is not None:
        parsed = parse_ajax_pages(pages, wid)
        if len(parsed) != page_count:
            raise ParseError(f"{where} has {len(parsed)} pages but pageCount {page_count}")
        return parsed
    if page_count != 1:
        raise ParseError(f"{where} has pageCount {page_count}: its pages (/ajax/illust/{wid}/pages) are needed")
    urls = get_field(body, "urls", dict, where=where)
    return [IllustPage(page=0, original_url=_url(urls, "original", f"{where}.urls"),
                       large_url=opt_str(urls.get("regular")), medium_url=opt_str(urls.get("small")),
                       square_medium_url=opt_str(urls.get("thumb")))]


def parse_ajax_illust(body: Any, pages: Any = None, ugoira_meta: Any = None) -> IllustItem:
    """A whole illust, manga or ugoira from ``/ajax/illust/{id}``'s body, its ``/pages`` body (needed when
    the work has more than one page; without it page 0 comes from the body's ``urls``) and, for an ugoira,
    its ``/ugoira_meta`` body (without it the item has no zip and frames).

    The item matches what the App API parser makes of the same work: the same page URLs (``original``;
    ``regular`` as ``large_url``, ``small`` as ``medium_url``, the square thumbnail as
    ``square_medium_url``), ``sanity_level`` from ``sl``, tag translations from ``translation.en``, and the
    image stamp of its first page. ``raw`` is the body."""
    where = f"ajax illust {body.get('id')}" if isinstance(body, dict) else "ajax illust"
    wid = _id(body, "id", where)
    kind = illust_type(body, where)
    page_count = get_field(body, "pageCount", int, where=where)
    if page_count < 1:
        raise ParseError(f"{where}.pageCount is {page_count}")
    parsed = _ajax_illust_pages(body, pages, wid, page_count, where)
    width = get_field(body, "width", int, where=where)
    height = get_field(body, "height", int, where=where)
    parsed[0].width, parsed[0].height = width, height
    ugoira = parse_ajax_ugoira_meta(ugoira_meta, wid) if kind == "ugoira" and ugoira_meta is not None else None
    place = _series_nav(body, where)
    title = get_field(body, "illustTitle", str, optional=True, where=where)
    caption = get_field(body, "illustComment", str, optional=True, where=where)
    first = parsed[0]
    return IllustItem(
        id=wid,
        user_id=_id(body, "userId", where),
        type=kind,
        title=title if title is not None else get_field(body, "title", str, where=where),
        caption=caption if caption is not None else opt_str(body.get("description")) or "",
        create_date=iso_time(body, "createDate", where=where),
        update_date=iso_time(body, "uploadDate", optional=True, where=where),
        page_count=page_count,
        width=width,
        height=height,
        sanity_level=get_field(body, "sl", int, optional=True, where=where) or 0,
        x_restrict=get_field(body, "xRestrict", int, optional=True, where=where) or 0,
        restrict=get_field(body, "restrict", int, optional=True, where=where) or 0,
        ai_type=get_field(body, "aiType", int, optional=True, where=where),
        book_style=opt_int(body.get("bookStyle")),
        total_view=get_field(body, "viewCount", int, optional=True, where=where) or 0,
        total_bookmarks=get_field(body, "bookmarkCount", int, optional=True, where=where) or 0,
        total_comments=get_field(body, "commentCount", int, optional=True, where=where),
        visible=True,
        series_id=place.series_id,
        pages=parsed,
        tags=_tags(body, where),
        ugoira_zip_url=ugoira.zip_url if ugoira is not None else None,
        ugoira_frames=ugoira.frames if ugoira is not None else None,
        image_stamp=image_stamp(first.original_url, first.large_url, first.square_medium_url),
        restriction=None,
        raw=body,
    )


def parse_ajax_novel(body: Any) -> NovelItem:
    """A whole novel with its text from ``/ajax/novel/{id}``'s body: ``content`` is the text (the markup
    the App API's webview sends: ``[newpage]``, ``[chapter:…]``, …), ``characterCount`` its length (else
    the length of ``content``), ``coverUrl`` the cover. ``raw`` is the body without ``content``."""
    where = f"ajax novel {body.get('id')}" if isinstance(body, dict) else "ajax novel"
    nid = _id(body, "id", where)
    text = get_field(body, "content", str, where=where)
    place = _series_nav(body, where)
    cover = opt_str(body.get("coverUrl"))
    language = body.get("language")
    return NovelItem(
        id=nid,
        user_id=_id(body, "userId", where),
        series_id=place.series_id,
        series_order=place.order,
        title=get_field(body, "title", str, where=where),
        caption=opt_str(body.get("description")) or "",
        create_date=iso_time(body, "createDate", where=where),
        update_date=iso_time(body, "uploadDate", optional=True, where=where),
        page_count=get_field(body, "pageCount", int, optional=True, where=where) or 1,
        text_length=get_field(body, "characterCount", int, optional=True, where=where) or len(text),
        x_restrict=get_field(body, "xRestrict", int, optional=True, where=where) or 0,
        restrict=get_field(body, "restrict", int, optional=True, where=where) or 0,
        is_original=bool(body.get("isOriginal")),
        ai_type=get_field(body, "aiType", int, optional=True, where=where),
        total_view=get_field(body, "viewCount", int, optional=True, where=where) or 0,
        total_bookmarks=get_field(body, "bookmarkCount", int, optional=True, where=where) or 0,
        total_comments=get_field(body, "commentCount", int, optional=True, where=where),
        visible=True,
        cover_url=cover,
        tags=_tags(body, where),
        text=text,
        language=language if isinstance(language, str) else None,
        image_stamp=image_stamp(cover),
        restriction=None,
        raw={k: v for k, v in body.items() if k != "content"},
    )


def ajax_work_user(body: Any) -> UserItem:
    """The author of a work page (``userId``, ``userName``, ``userAccount``), as a short record: it updates
    the name of a stored user, never more."""
    where = f"ajax work {body.get('id')}" if isinstance(body, dict) else "ajax work"
    return UserItem(id=_id(body, "userId", where), name=get_field(body, "userName", str, where=where),
                    account=opt_str(body.get("userAccount")), whole=False,
                    raw={k: body.get(k) for k in ("userId", "userName", "userAccount") if k in body})
