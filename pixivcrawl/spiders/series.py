"""What the two series spiders share: start from a series id or from one member, page through the
series, yield the series, its members and their users.

The first page tells how many works the series has, so the other pages are requested at once (their
cursors are positions: ``offset`` / ``last_order``) rather than one ``next_url`` after another: a long
series is not a chain of round trips (the request budget still paces them). An incremental crawl walks
``next_url`` from the newest page instead, so that it can stop early."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from pydantic import model_validator
from scrapy.http import Response

from pixivcrawl.endpoints import Endpoint, follow
from pixivcrawl.parsers.app_api import ParseError, next_url

from .arguments import PixivParams, SpiderArgumentError
from .base import PixivSpider
from .params import SeriesIdParam


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


class SeriesSpider(PixivSpider[SeriesParamsT]):
    #: App API endpoints (pixivcrawl.endpoints) and keys
    series_endpoint: Endpoint
    series_param: str
    member_endpoint: Endpoint
    member_param: str
    member_key: str
    detail_key: str
    list_key: str
    #: the key of the series detail that counts its works
    count_key: str

    #: whether pages list the newest works first (an incremental crawl can then stop early)
    newest_first: bool = True

    def use_arguments(self, args: SeriesStartParams) -> None:
        self.member_id = getattr(args, args.member_arg())

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        if self.series_id is not None:
            yield self.series_request(self.series_id)
        else:
            yield self.request(self.member_endpoint, {self.member_param: self.member_id}, self.parse_member)

    def series_request(self, series_id: int) -> scrapy.Request:
        return self.request(self.series_endpoint, {self.series_param: series_id, "filter": "for_ios"},
                            self.parse_series, cb_kwargs={"first_page": True})

    def parse_member(self, response: Response) -> Iterator[Any]:
        """The starting work: store it, then crawl its series (or store it alone when it has none)."""
        what = f"{self.member_key} {self.member_id}"
        data = self.app_json(response, what)
        if data is None:
            return
        obj = data.get(self.member_key)
        yield from self.member_items(obj, order=None)
        series = obj.get("series") if isinstance(obj, dict) else None
        if not isinstance(series, dict) or not series.get("id"):
            self.logger.warning("%s is not part of a series; stored it alone.", what.capitalize())
            self.count("series/not_in_series")
            return
        yield self.series_request(int(series["id"]))

    def parse_series(self, response: Response, first_page: bool = False, offset: int = 0,
                     streak: int = 0, planned_until: int = 0) -> Iterator[Any]:
        data = self.app_json(response, f"{self.name} page")
        if data is None:
            return
        if first_page:
            detail = data.get(self.detail_key)
            series = self.parsed(self.parse_series_detail, detail, self.detail_key)
            if series is not None:
                yield series
                yield from self.user_once(detail.get("user"))
        members = data.get(self.list_key)
        if not isinstance(members, list):
            self.logger.error("Series page without a %s list: %s", self.list_key, response.url)
            self.count("errors/malformed")
            return
        for n, obj in enumerate(members):
            known = self.skip_known and self.member_known(obj)
            streak = streak + 1 if known else 0
            if known:
                self.count("incremental/known")
            yield from self.member_items(obj, order=offset + n + 1)
        url = self.parsed(next_url, data, "series page")
        if url and self.incremental and self.newest_first and streak >= self.incremental_stop:
            self.logger.info("Stopping the series listing after %d known, unchanged works in a row.", streak)
            self.count("incremental/stopped_listings")
            return
        if url and first_page and not self.incremental:
            pages = self.other_pages(url, len(members), data.get(self.detail_key))
            if pages:
                yield from pages
                return
        if url and offset + len(members) >= planned_until:  # a series that grew since its first page is read
            yield follow(url, callback=self.parse_series, errback=self.on_error,
                         cb_kwargs={"offset": offset + len(members), "streak": streak})

    def other_pages(self, url: str, page_size: int, detail: Any) -> list[scrapy.Request]:
        """Requests for every page after the first, when the first page's ``next_url`` has a positional
        cursor and the detail says how many works there are ([] otherwise: then ``next_url`` is walked)."""
        total = detail.get(self.count_key) if isinstance(detail, dict) else None
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
                                   cb_kwargs={"offset": start, "planned_until": total}))
        self.count("series/pages_requested_at_once", len(requests))
        return requests

    def member_known(self, obj: Any) -> bool:
        """Is this member stored already, unchanged (for incremental crawls)?"""
        try:
            return self.known_unchanged(self.parse_member_object(obj))
        except ParseError:
            return False

    def parse_member_object(self, obj: Any) -> Any:
        raise NotImplementedError

    def parse_series_detail(self, obj: Any) -> Any:
        raise NotImplementedError

    def member_items(self, obj: Any, order: int | None) -> Iterator[Any]:
        """Items (or follow-up requests) for one member of the series; ``order`` is its page position."""
        raise NotImplementedError
