"""Crawling a series: start from a series id or from one member, page through the series, yield the series, its
members and their users — for the two series spiders, and for any spider that meets series (the ``user`` spider's
``series=1``) through :class:`SeriesCrawlMixin`.

The first page tells how many works the series has, so the other pages are requested at once (their
cursors are positions: ``offset`` / ``last_order``) rather than one ``next_url`` after another: a long
series is not a chain of round trips (the request budget still paces them). An incremental crawl walks
``next_url`` from the newest page instead, so that it can stop early."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from pydantic import model_validator
from scrapy.http import Response

from pixivcrawl.endpoints import ILLUST_DETAIL, ILLUST_SERIES, NOVEL_DETAIL, NOVEL_SERIES, Endpoint, follow
from pixivcrawl.parsers.app_api import (
    ParseError,
    next_url,
    parse_illust,
    parse_illust_series_detail,
    parse_novel,
    parse_novel_series_detail,
)

from .arguments import PixivParams, SpiderArgumentError
from .base import PixivSpider
from .params import SeriesIdParam


@dataclass(frozen=True, slots=True)
class SeriesKind:
    """How one kind of series is read from the App API (the two are alike but for names and order)."""

    #: ``illust`` or ``novel``: the key of :data:`SERIES_KINDS`, carried in ``cb_kwargs`` (plain data)
    key: str
    #: the spider that crawls this kind alone (``illust_series``, ``novel_series``): its pages are logged as
    #: ``<name> page``
    name: str
    #: the series listing and its id parameter (``/v1/illust/series?illust_series_id``, ``/v2/novel/series?series_id``)
    series_endpoint: Endpoint
    series_param: str
    #: a member's detail, its id parameter and the key of its answer (``/v1/illust/detail?illust_id`` → ``illust``)
    member_endpoint: Endpoint
    member_param: str
    member_key: str
    #: the keys of a series page: the series detail, the member list, and the detail's count of works
    detail_key: str
    list_key: str
    count_key: str
    #: whether pages list the newest works first (an incremental crawl can then stop early)
    newest_first: bool
    #: the parsers of the series detail and of a member object
    parse_detail: Callable[[Any], Any]
    parse_member: Callable[[Any], Any]


ILLUST_SERIES_KIND = SeriesKind(
    key="illust", name="illust_series", series_endpoint=ILLUST_SERIES, series_param="illust_series_id",
    member_endpoint=ILLUST_DETAIL, member_param="illust_id", member_key="illust",
    detail_key="illust_series_detail", list_key="illusts", count_key="series_work_count", newest_first=True,
    parse_detail=parse_illust_series_detail, parse_member=parse_illust)
#: novel series list the oldest first: an incremental crawl skips known texts but reads every page
NOVEL_SERIES_KIND = SeriesKind(
    key="novel", name="novel_series", series_endpoint=NOVEL_SERIES, series_param="series_id",
    member_endpoint=NOVEL_DETAIL, member_param="novel_id", member_key="novel",
    detail_key="novel_series_detail", list_key="novels", count_key="content_count", newest_first=False,
    parse_detail=parse_novel_series_detail, parse_member=parse_novel)
#: every kind, by key
SERIES_KINDS = {kind.key: kind for kind in (ILLUST_SERIES_KIND, NOVEL_SERIES_KIND)}


class SeriesStartParams(SeriesIdParam, PixivParams):
    """Where a series crawl starts: ``series_id``, or instead the id of one of its works (the subclass's
    other ``*_id`` field, e.g. ``illust_id``) — exactly one of them."""

    @classmethod
    def member_arg(cls) -> str:
        """The name of the work-id argument: ``illust_id`` or ``novel_id``."""
        return next(name for name in cls.model_fields if name.endswith("_id") and name != "series_id")

    @model_validator(mode="after")
    def _one_start(self) -> SeriesStartParams:
        if (self.series_id is None) == (getattr(self, self.member_arg()) is None):
            raise SpiderArgumentError(f"Give exactly one of -a series_id=… or -a {self.member_arg()}=….")
        return self


SeriesParamsT = TypeVar("SeriesParamsT", bound=SeriesStartParams)


class SeriesCrawlMixin:
    """A whole series of either kind, page by page: :meth:`series_crawl_request` is its first request, whose answer
    yields the series (``IllustSeriesItem`` / ``NovelSeriesItem``), its user and every member expanded as a whole
    App API record (``app_work_items`` / ``app_novel_items``, with its order in the series). Needs PixivSpider's
    helpers and ``incremental`` (an argument; False when the spider has none). Stats: ``pixiv/incremental/known``,
    ``pixiv/incremental/stopped_listings``, ``pixiv/series/pages_requested_at_once``, ``pixiv/errors/malformed``."""

    #: the kind :meth:`parse_series` and :meth:`other_pages` read when not told (a series spider's own)
    series_kind: SeriesKind = ILLUST_SERIES_KIND

    def series_crawl_request(self, kind: str, series_id: int) -> scrapy.Request:
        """The first page of series ``series_id`` of ``kind`` (``illust`` or ``novel``)."""
        series = SERIES_KINDS[kind]
        return self.request(series.series_endpoint, {series.series_param: series_id, "filter": "for_ios"},
                            self.parse_series, cb_kwargs={"kind": kind, "first_page": True})

    def parse_series(self, response: Response, kind: str = "", first_page: bool = False, offset: int = 0,
                     streak: int = 0, planned_until: int = 0) -> Iterator[Any]:
        """A page of a series: on the first, the series and its user; then its members; then the next page (or,
        on the first page of a crawl that is not incremental, every other page at once)."""
        series = SERIES_KINDS[kind] if kind else self.series_kind
        data = self.app_json(response, f"{series.name} page")
        if data is None:
            return
        if first_page:
            detail = data.get(series.detail_key)
            parsed = self.parsed(series.parse_detail, detail, series.detail_key)
            if parsed is not None:
                yield parsed
                yield from self.user_once(detail.get("user"))
        members = data.get(series.list_key)
        if not isinstance(members, list):
            self.logger.error("Series page without a %s list: %s", series.list_key, response.url)
            self.count("errors/malformed")
            return
        for n, obj in enumerate(members):
            known = self.skip_known and self.series_member_known(series, obj)
            streak = streak + 1 if known else 0
            if known:
                self.count("incremental/known")
            yield from self.series_member_items(series, obj, order=offset + n + 1)
        yield from self._next_series_pages(series, data, len(members), first_page, offset, streak, planned_until)

    def _next_series_pages(self, series: SeriesKind, data: dict, page_size: int, first_page: bool, offset: int,
                           streak: int, planned_until: int) -> Iterator[scrapy.Request]:
        """What follows a page of ``page_size`` members at ``offset``: nothing after the last page or (incremental,
        newest first) ``PIXIV_INCREMENTAL_STOP`` known works in a row; every other page on the first page; else the
        ``next_url`` of a page beyond those planned."""
        incremental = getattr(self, "incremental", False)
        url = self.parsed(next_url, data, "series page")
        if url and incremental and series.newest_first and streak >= self.incremental_stop:
            self.logger.info("Stopping the series listing after %d known, unchanged works in a row.", streak)
            self.count("incremental/stopped_listings")
            return
        if url and first_page and not incremental:
            pages = self.other_pages(url, page_size, data.get(series.detail_key), series.key)
            if pages:
                yield from pages
                return
        if url and offset + page_size >= planned_until:  # a series that grew since its first page is read
            yield follow(url, callback=self.parse_series, errback=self.on_error,
                         cb_kwargs={"kind": series.key, "offset": offset + page_size, "streak": streak})

    def other_pages(self, url: str, page_size: int, detail: Any, kind: str = "") -> list[scrapy.Request]:
        """Requests for every page after the first, when the first page's ``next_url`` has a positional
        cursor and the detail says how many works there are ([] otherwise: then ``next_url`` is walked)."""
        series = SERIES_KINDS[kind] if kind else self.series_kind
        total = detail.get(series.count_key) if isinstance(detail, dict) else None
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        cursors = [n for n, (key, value) in enumerate(query) if key in ("offset", "last_order")]
        if not isinstance(total, int) or len(cursors) != 1 or query[cursors[0]][1] != str(page_size) or page_size < 1:
            return []
        position = cursors[0]
        requests = []
        for start in range(page_size, total, page_size):
            query[position] = (query[position][0], str(start))
            requests.append(follow(urlunsplit(parts._replace(query=urlencode(query))),
                                   callback=self.parse_series, errback=self.on_error,
                                   cb_kwargs={"kind": series.key, "offset": start, "planned_until": total}))
        self.count("series/pages_requested_at_once", len(requests))
        return requests

    def series_member_known(self, series: SeriesKind, obj: Any) -> bool:
        """Is this member stored already, unchanged (for incremental crawls)?"""
        try:
            return self.known_unchanged(series.parse_member(obj))
        except ParseError:
            return False

    def series_member_items(self, series: SeriesKind, obj: Any, order: int | None) -> Iterator[Any]:
        """Items (or follow-up requests) for one member of a series; ``order`` is its position in the series (a
        novel's ``series_order``)."""
        if series.key == "novel":
            yield from self.app_novel_items(obj, order, skip_known=self.skip_known)
        else:
            yield from self.app_work_items(obj, skip_known=self.skip_known)


class SeriesSpider(SeriesCrawlMixin, PixivSpider[SeriesParamsT]):
    """A spider of one kind of series (``series_kind``), started from the series or from one of its works."""

    def use_arguments(self, args: SeriesStartParams) -> None:
        self.member_id = getattr(args, args.member_arg())

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        if self.series_id is not None:
            yield self.series_request(self.series_id)
        else:
            series = self.series_kind
            yield self.request(series.member_endpoint, {series.member_param: self.member_id}, self.parse_member)

    def series_request(self, series_id: int) -> scrapy.Request:
        return self.series_crawl_request(self.series_kind.key, series_id)

    def parse_member(self, response: Response) -> Iterator[Any]:
        """The starting work: store it, then crawl its series (or store it alone when it has none)."""
        series = self.series_kind
        what = f"{series.member_key} {self.member_id}"
        data = self.app_json(response, what)
        if data is None:
            return
        obj = data.get(series.member_key)
        yield from self.series_member_items(series, obj, order=None)
        belongs = obj.get("series") if isinstance(obj, dict) else None
        if not isinstance(belongs, dict) or not belongs.get("id"):
            self.logger.warning("%s is not part of a series; stored it alone.", what.capitalize())
            self.count("series/not_in_series")
            return
        yield self.series_request(int(belongs["id"]))
