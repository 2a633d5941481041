"""Pure functions from App API JSON (and the novel webview HTML) to items.

Each raises :class:`ParseError`, with a message naming the field and the problem, when an object is not
what pixiv sends; callers log it, count it and go on with the rest of the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pixivcrawl.items import (
    IllustItem,
    IllustPage,
    IllustSeriesItem,
    NovelItem,
    NovelSeriesItem,
    TagRef,
    UserItem,
    UserProfile,
)
from pixivcrawl.protocol import APP_API_HOST
from pixivcrawl.signature import image_stamp

from .common import ParseError, UgoiraMetadata, get_field as _get, get_id as _id, iso_time, opt_str, ugoira_frames
from .restriction import app_restriction

WORK_TYPES = ("illust", "manga", "ugoira")


def app_error_message(data: Any) -> str | None:
    """The text of an App API error envelope, or None when ``data`` is not one."""
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        err = data["error"]
        return str(err.get("message") or err.get("user_message") or err.get("reason") or "unknown error")
    return None


def next_url(data: dict, *, where: str = "page") -> str | None:
    """A page's ``next_url``, checked to stay on the App API host (we never follow a server to elsewhere)."""
    if not isinstance(data, dict):
        raise ParseError(f"{where} is {type(data).__name__}, not an object")
    url = data.get("next_url")
    if url is None:
        return None
    if not isinstance(url, str) or urlsplit(url).hostname != APP_API_HOST:
        raise ParseError(f"{where}.next_url {str(url)[:80]!r} is not an App API URL")
    return url


def parse_user(obj: Any, where: str = "user") -> UserItem:
    images = obj.get("profile_image_urls") if isinstance(obj, dict) else None
    return UserItem(
        id=_id(obj, where=where),
        name=_get(obj, "name", str, where=where),
        account=_get(obj, "account", str, optional=True, where=where),
        profile_image_url=opt_str(images.get("medium")) if isinstance(images, dict) else None,
        raw=obj,
    )


def _tags(obj: Any, where: str) -> list[TagRef]:
    tags = []
    for i, tag in enumerate(_get(obj, "tags", list, where=where)):
        name = _get(tag, "name", str, where=f"{where}.tags[{i}]")
        translated = tag.get("translated_name")
        tags.append(TagRef(name=name, translated_name=translated if isinstance(translated, str) else None))
    return tags


def _illust_pages(obj: dict, page_count: int, where: str) -> list[IllustPage]:
    """The pages of an App API work object: one per ``meta_pages`` entry (as many as ``page_count``), or for a
    single page its ``meta_single_page.original_image_url`` with the work's ``image_urls``."""
    meta_pages = obj.get("meta_pages") or []
    if not isinstance(meta_pages, list):
        raise ParseError(f"{where}.meta_pages is not a list")
    if not meta_pages:
        single = obj.get("meta_single_page") or {}
        urls = _get(obj, "image_urls", dict, where=where)
        if page_count != 1:
            raise ParseError(f"{where} has page_count {page_count} but no meta_pages")
        original = opt_str(single.get("original_image_url")) if isinstance(single, dict) else None
        return [IllustPage(page=0, original_url=original, large_url=opt_str(urls.get("large")),
                           medium_url=opt_str(urls.get("medium")),
                           square_medium_url=opt_str(urls.get("square_medium")))]
    pages = []
    for n, page in enumerate(meta_pages):
        urls = _get(page, "image_urls", dict, where=f"{where}.meta_pages[{n}]")
        pages.append(IllustPage(page=n, original_url=opt_str(urls.get("original")),
                                large_url=opt_str(urls.get("large")), medium_url=opt_str(urls.get("medium")),
                                square_medium_url=opt_str(urls.get("square_medium"))))
    if len(pages) != page_count:
        raise ParseError(f"{where} has {len(pages)} meta_pages but page_count {page_count}")
    return pages


def parse_illust(obj: Any) -> IllustItem:
    where = f"illust {obj.get('id')}" if isinstance(obj, dict) else "illust"
    wid = _id(obj, where=where)
    kind = _get(obj, "type", str, where=where)
    if kind not in WORK_TYPES:
        raise ParseError(f"{where} has unknown work type {kind!r}")
    page_count = _get(obj, "page_count", int, where=where)
    if page_count < 1:
        raise ParseError(f"{where}.page_count is {page_count}")
    user = _get(obj, "user", dict, where=where)
    pages = _illust_pages(obj, page_count, where)
    width = _get(obj, "width", int, where=where)
    height = _get(obj, "height", int, where=where)
    pages[0].width, pages[0].height = width, height
    series = obj.get("series")
    return IllustItem(
        image_stamp=image_stamp(pages[0].original_url, pages[0].large_url, pages[0].square_medium_url),
        id=wid,
        user_id=_id(user, where=f"{where}.user"),
        type=kind,
        title=_get(obj, "title", str, where=where),
        caption=_get(obj, "caption", str, optional=True, where=where) or "",
        create_date=iso_time(obj, "create_date", where=where),
        page_count=page_count,
        width=width,
        height=height,
        sanity_level=_get(obj, "sanity_level", int, optional=True, where=where) or 0,
        x_restrict=_get(obj, "x_restrict", int, optional=True, where=where) or 0,
        restrict=_get(obj, "restrict", int, optional=True, where=where) or 0,
        ai_type=_get(obj, "illust_ai_type", int, optional=True, where=where),
        book_style=_get(obj, "illust_book_style", int, optional=True, where=where),
        total_view=_get(obj, "total_view", int, optional=True, where=where) or 0,
        total_bookmarks=_get(obj, "total_bookmarks", int, optional=True, where=where) or 0,
        total_comments=_get(obj, "total_comments", int, optional=True, where=where),
        visible=bool(obj.get("visible", True)),
        series_id=_id(series, where=f"{where}.series") if isinstance(series, dict) and series else None,
        pages=pages,
        tags=_tags(obj, where),
        restriction=app_restriction(obj),
        raw=obj,
    )


def parse_ugoira_metadata(data: Any, illust_id: int) -> UgoiraMetadata:
    """``/v1/ugoira/metadata``'s answer for ugoira ``illust_id``: its zip (``zip_urls.medium``) and frames."""
    where = f"ugoira_metadata of {illust_id}"
    meta = _get(data, "ugoira_metadata", dict, where=where)
    zip_url = _get(_get(meta, "zip_urls", dict, where=where), "medium", str, where=f"{where}.zip_urls")
    return UgoiraMetadata(zip_url=zip_url, frames=ugoira_frames(_get(meta, "frames", list, where=where), where))


def parse_illust_series_detail(obj: Any) -> IllustSeriesItem:
    where = "illust_series_detail"
    user = _get(obj, "user", dict, where=where)
    cover = obj.get("cover_image_urls") or {}
    return IllustSeriesItem(
        id=_id(obj, where=where),
        user_id=_id(user, where=f"{where}.user"),
        title=_get(obj, "title", str, where=where),
        caption=_get(obj, "caption", str, optional=True, where=where) or "",
        cover_url=opt_str(cover.get("medium")) if isinstance(cover, dict) else None,
        work_count=_get(obj, "series_work_count", int, where=where),
        create_date=iso_time(obj, "create_date", optional=True, where=where),
        raw=obj,
    )


def parse_novel(obj: Any) -> NovelItem:
    where = f"novel {obj.get('id')}" if isinstance(obj, dict) else "novel"
    user = _get(obj, "user", dict, where=where)
    series = obj.get("series")
    images = obj.get("image_urls") or {}
    return NovelItem(
        id=_id(obj, where=where),
        user_id=_id(user, where=f"{where}.user"),
        series_id=_id(series, where=f"{where}.series") if isinstance(series, dict) and series else None,
        title=_get(obj, "title", str, where=where),
        caption=_get(obj, "caption", str, optional=True, where=where) or "",
        create_date=iso_time(obj, "create_date", where=where),
        page_count=_get(obj, "page_count", int, where=where),
        text_length=_get(obj, "text_length", int, where=where),
        x_restrict=_get(obj, "x_restrict", int, optional=True, where=where) or 0,
        restrict=_get(obj, "restrict", int, optional=True, where=where) or 0,
        is_original=bool(obj.get("is_original")),
        ai_type=_get(obj, "novel_ai_type", int, optional=True, where=where),
        total_view=_get(obj, "total_view", int, optional=True, where=where) or 0,
        total_bookmarks=_get(obj, "total_bookmarks", int, optional=True, where=where) or 0,
        total_comments=_get(obj, "total_comments", int, optional=True, where=where),
        visible=bool(obj.get("visible", True)),
        cover_url=opt_str(images.get("large")) if isinstance(images, dict) else None,
        image_stamp=image_stamp(*images.values()) if isinstance(images, dict) else None,
        tags=_tags(obj, where),
        restriction=app_restriction(obj),
        raw=obj,
    )


def parse_novel_series_detail(obj: Any) -> NovelSeriesItem:
    where = "novel_series_detail"
    user = _get(obj, "user", dict, where=where)
    return NovelSeriesItem(
        id=_id(obj, where=where),
        user_id=_id(user, where=f"{where}.user"),
        title=_get(obj, "title", str, where=where),
        caption=_get(obj, "caption", str, optional=True, where=where) or "",
        is_original=obj.get("is_original") if isinstance(obj.get("is_original"), bool) else None,
        is_concluded=obj.get("is_concluded") if isinstance(obj.get("is_concluded"), bool) else None,
        content_count=_get(obj, "content_count", int, where=where),
        total_character_count=_get(obj, "total_character_count", int, optional=True, where=where),
        raw=obj,
    )


_NOVEL_MARK = "novel: "


@dataclass(frozen=True, slots=True)
class WebviewNovel:
    """The ``novel`` object ``/webview/v2/novel`` embeds in its HTML page."""

    #: the novel's text, in pixiv's markup (``[newpage]``, ``[chapter:…]``, …)
    text: str
    #: the rest of the object as pixiv sent it (id, title, series navigation, …), without ``text``
    raw: dict[str, Any]


def parse_webview_novel(html: str) -> WebviewNovel:
    """The ``novel`` object embedded in ``/webview/v2/novel``'s HTML (``novel: {…},`` then ``isOwnWork``);
    ParseError when the page has none, or one without a text."""
    start = html.find(_NOVEL_MARK)
    if start < 0:
        raise ParseError("the novel webview page has no 'novel: ' object")
    try:
        obj, _ = json.JSONDecoder().raw_decode(html, start + len(_NOVEL_MARK))
    except ValueError as exc:
        raise ParseError(f"the novel webview object is not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise ParseError("the novel webview object has no text")
    return WebviewNovel(text=obj["text"], raw={k: v for k, v in obj.items() if k != "text"})


@dataclass(frozen=True, slots=True)
class UserDetail:
    """A user's profile as ``GET /v1/user/detail?user_id=&filter=for_ios`` gives it (:func:`parse_user_detail`):
    the user record and its :class:`~pixivcrawl.items.UserProfile` (pixiv's counters at the time of the request, the
    links and public fields; texts pixiv sends empty, and a ``0`` birth year, are None). Everything else pixiv
    sends (``profile_publicity``, ``address_id``, ``job_id``, the viewer's ``is_followed`` …) stays in ``raw``."""

    #: the ``user`` object: id, name, account, avatar (``profile_image_urls.medium``), a whole record without its
    #: profile (pixivcrawl.parsers.users.profile_record joins them)
    user: UserItem
    #: every profile column of ``users``
    profile: UserProfile
    #: the whole answer as pixiv sent it: ``{user, profile, profile_publicity, workspace}``
    raw: dict[str, Any]


def parse_user_detail(data: Any) -> UserDetail:
    """``GET /v1/user/detail?user_id=&filter=for_ios``'s answer, ``{user: {id, name, account,
    profile_image_urls: {medium}, comment, is_followed}, profile: {webpage, gender, birth, birth_day, birth_year,
    region, …, total_illusts, …, twitter_account, twitter_url, pawoo_url, is_premium, …}, profile_publicity,
    workspace}``, as a :class:`UserDetail`. ParseError naming the field when ``user`` or ``profile`` is not an
    object, the user has no id or name, a counter is missing or not an integer, or ``is_premium`` is not a
    boolean. (An unknown or deleted user is pixiv's 404 error envelope, not an answer to parse.)"""
    user = _get(data, "user", dict, where="user_detail")
    profile = _get(data, "profile", dict, where="user_detail")

    def counter(key: str) -> int:
        return _get(profile, key, int, where="user_detail.profile")

    def text(key: str) -> str | None:
        return opt_str(profile.get(key)) or None

    workspace = data.get("workspace")
    return UserDetail(
        user=parse_user(user, where="user_detail.user"),
        profile=UserProfile(
            comment=_get(user, "comment", str, optional=True, where="user_detail.user") or "",
            total_illusts=counter("total_illusts"),
            total_manga=counter("total_manga"),
            total_novels=counter("total_novels"),
            total_illust_series=counter("total_illust_series"),
            total_novel_series=counter("total_novel_series"),
            total_illust_bookmarks_public=counter("total_illust_bookmarks_public"),
            total_follow_users=counter("total_follow_users"),
            total_mypixiv_users=counter("total_mypixiv_users"),
            is_premium=_get(profile, "is_premium", bool, where="user_detail.profile"),
            webpage=text("webpage"),
            twitter_account=text("twitter_account"),
            twitter_url=text("twitter_url"),
            pawoo_url=text("pawoo_url"),
            gender=text("gender"),
            region=text("region"),
            job=text("job"),
            birth_day=text("birth_day"),
            birth_year=_get(profile, "birth_year", int, optional=True, where="user_detail.profile") or None,
            background_image_url=text("background_image_url"),
            workspace=workspace if isinstance(workspace, dict) else None,
            raw={key: value for key, value in data.items() if key != "user"},
        ),
        raw=data,
    )
