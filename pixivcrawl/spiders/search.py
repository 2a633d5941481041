"""``search``: every work a pixiv search finds, with every filter of the Ajax search.

    scrapy crawl search -a word=オリジナル
    scrapy crawl search -a word=original -a type=illustrations -a order=popular_d -a scd=2024-01-01
    scrapy crawl search -a word=猫 -a type=novels -a work_lang=ja -a details=1

pixiv caps how deep a search can page: when a query has more results than its ``lastPage`` reaches, the
spider splits the date range (``scd``/``ecd``) into windows, halving them until each fits, and crawls
every window, so that each matching work is reached once. A window's first page tells how many pages it
has: the others are requested at once (an incremental crawl walks them in order, to stop early).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import scrapy
from scrapy.http import Response

from pixivcrawl.items import SearchHitItem
from pixivcrawl.parsers.ajax import parse_illust_thumbnail, parse_novel_thumbnail, parse_search_page, thumbnail_user
from pixivcrawl.parsers.common import ParseError
from pixivcrawl.parsers.restriction import is_hidden

from .arguments import SpiderArgumentError, check_known, choice, day, flag, non_negative_int, positive_int
from .base import PixivSpider

KINDS = {"artworks": "illustManga", "illustrations": "illust", "manga": "manga", "novels": "novel"}
ORDERS = ("date_d", "date", "popular_d", "popular_male_d", "popular_female_d")
MODES = ("all", "safe", "r18")
S_MODES = ("s_tag_full", "s_tag", "s_tc")
CONTENTS = ("all", "illust_and_ugoira", "illust", "manga", "ugoira")
#: pixiv opened on 2007-09-10: no work is older
PIXIV_START = date(2007, 9, 10)
JST = timezone(timedelta(hours=9))
ARGUMENTS = ("word", "type", "order", "mode", "s_mode", "content", "wlt", "wgt", "hlt", "hgt", "ratio", "tool",
             "scd", "ecd", "blt", "bgt", "work_lang", "ai_type", "lang", "max_pages", "details", "incremental")


class SearchSpider(PixivSpider):
    name = "search"
    pixiv_credentials: tuple[str, ...] = ()

    def parse_arguments(self, kwargs: dict[str, Any]) -> None:
        check_known(kwargs, ARGUMENTS)
        word = str(kwargs.get("word", "")).strip()
        if not word:
            raise SpiderArgumentError("Argument word is required (the tag or keywords to search for).")
        self.kind = choice("type", kwargs.get("type", "artworks"), tuple(KINDS))
        params: dict[str, Any] = {
            "word": word,
            "order": choice("order", kwargs.get("order", "date_d"), ORDERS),
            "mode": choice("mode", kwargs.get("mode", "all"), MODES),
            "s_mode": choice("s_mode", kwargs.get("s_mode", "s_tag_full"), S_MODES),
        }
        if "content" in kwargs:
            if self.kind == "novels":
                raise SpiderArgumentError("Argument content applies to artworks, illustrations and manga, not novels.")
            params["type"] = choice("content", kwargs["content"], CONTENTS)
        for name in ("wlt", "wgt", "hlt", "hgt", "blt", "bgt"):
            if name in kwargs:
                params[name] = non_negative_int(name, kwargs[name])
        if "ratio" in kwargs:
            try:
                params["ratio"] = float(kwargs["ratio"])
            except ValueError:
                raise SpiderArgumentError(
                    "Argument ratio must be a number (0.5 landscape, -0.5 portrait, 0 square), "
                    f"not {kwargs['ratio']!r}."
                ) from None
        if "tool" in kwargs:
            params["tool"] = str(kwargs["tool"])
        if "ai_type" in kwargs:
            params["ai_type"] = int(choice("ai_type", str(kwargs["ai_type"]), ("0", "1")))
        if "work_lang" in kwargs:
            if self.kind != "novels":
                raise SpiderArgumentError("Argument work_lang applies to type=novels only.")
            params["work_lang"] = str(kwargs["work_lang"])
        if "lang" in kwargs:
            params["lang"] = str(kwargs["lang"])
        self.scd = day("scd", kwargs["scd"]) if "scd" in kwargs else None
        self.ecd = day("ecd", kwargs["ecd"]) if "ecd" in kwargs else None
        if self.scd and self.ecd and self.scd > self.ecd:
            raise SpiderArgumentError("Argument scd must not be later than ecd.")
        self.params = params
        self.max_pages = positive_int("max_pages", kwargs["max_pages"]) if "max_pages" in kwargs else None
        self.details = flag("details", kwargs.get("details", "0"))
        self.parse_incremental(kwargs)
        needs = []
        if params["mode"] == "r18":
            needs.append("phpsessid")
        if self.details:
            needs.append("refresh_token")
        self.pixiv_credentials = tuple(needs)
        filters = {**params, **({"scd": self.scd.isoformat()} if self.scd else {}),
                   **({"ecd": self.ecd.isoformat()} if self.ecd else {})}
        self.query = {"type": self.kind, **filters}
        self.query_key = f"{self.kind}:{word}?" + urlencode(sorted((k, v) for k, v in filters.items() if k != "word"))
        self.pages_requested = 0
        self._works_seen: set[int] = set()

    # -- requests ------------------------------------------------------------------------------------

    def page_request(self, window: tuple[date | None, date | None], page: int,
                     streak: int = 0, chained: bool = True) -> scrapy.Request | None:
        if self.max_pages is not None and self.pages_requested >= self.max_pages:
            self.count("search/stopped_at_max_pages")
            return None
        self.pages_requested += 1
        scd, ecd = window
        params = {**self.params, "scd": scd.isoformat() if scd else None, "ecd": ecd.isoformat() if ecd else None,
                  "p": page}
        return self.web_request(f"/ajax/search/{self.kind}/{quote(self.params['word'], safe='')}", params,
                                self.parse_page,
                                cb_kwargs={"window": window, "page": page, "streak": streak, "chained": chained})

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        request = self.page_request((self.scd, self.ecd), 1)
        if request is not None:
            yield request

    # -- responses -----------------------------------------------------------------------------------

    def parse_page(self, response: Response, window: tuple[date | None, date | None], page: int,
                   streak: int = 0, chained: bool = True) -> Iterator[Any]:
        body = self.ajax_body(response, f"search page {page}")
        if body is None:
            return
        try:
            found = parse_search_page(body, KINDS[self.kind])
            data, total, last_page = found.thumbnails, found.total, found.last_page
        except ParseError as exc:
            self.malformed("search page", exc)
            return
        if page == 1 and last_page is not None and data and len(data) * last_page < total:
            children = self.split(window)
            if children:
                self.count("search/windows_split")
                for child in children:
                    request = self.page_request(child, 1)
                    if request is not None:
                        yield request
                return
            self.logger.warning("Search window %s has %d results, more than pixiv pages through (%d pages); "
                                "crawling the first %d pages only.", window, total, last_page, last_page)
            self.count("search/truncated_windows")
        if page == 1:
            self.count("search/windows_crawled")
        if page == 1 and last_page is not None and last_page > 1 and not self.incremental:
            # the window's page count is known: request its other pages at once, not one after another
            for other in range(2, last_page + 1):
                request = self.page_request(window, other, chained=False)
                if request is None:  # max_pages reached
                    break
                yield request
            chained = False
        tally = [streak]
        yield from self.hits(data, page, tally)
        if not chained:
            return
        more = page < last_page if last_page is not None else bool(data)
        if more and self.incremental and self.params["order"] == "date_d" and tally[0] >= self.incremental_stop:
            self.logger.info("Stopping the search after %d known, unchanged works in a row.", tally[0])
            self.count("incremental/stopped_listings")
            more = False
        if more:
            request = self.page_request(window, page + 1, tally[0])
            if request is not None:
                yield request

    def split(self, window: tuple[date | None, date | None]) -> list[tuple[date, date]]:
        start = window[0] or PIXIV_START
        end = window[1] or datetime.now(JST).date()
        if start >= end:
            return []
        middle = start + (end - start) // 2
        return [(start, middle), (middle + timedelta(days=1), end)]

    def hits(self, data: list[dict], page: int, tally: list[int]) -> Iterator[Any]:
        """Hits, works and users of one page; ``tally[0]`` counts known, unchanged works in a row."""
        novels = self.kind == "novels"
        for position, obj in enumerate(data, 1):
            try:
                item = parse_novel_thumbnail(obj) if novels else parse_illust_thumbnail(obj)
                user = thumbnail_user(obj)
            except ParseError as exc:
                self.malformed("search result", exc)
                continue
            self.count("search/hits")
            yield SearchHitItem(query_key=self.query_key, query=self.query, work_type="novel" if novels else "illust",
                                work_id=item.id, page=page, position=position)
            known = self.known_unchanged(item, need_whole=self.details)
            tally[0] = tally[0] + 1 if known else 0
            if known:
                self.count("incremental/known")
            if item.id in self._works_seen or (known and self.details):
                continue
            self._works_seen.add(item.id)
            if is_hidden(item):  # no detail request: pixiv would answer with its placeholder
                yield from self.hidden_items(item, obj)
            elif not self.details:
                yield from self.once(user)
                yield item
            # details=1: the listing record goes with the request, and is stored if the whole record cannot be had
            elif novels:
                yield self.app_request("/v2/novel/detail", {"novel_id": item.id}, self.parse_app_novel_detail,
                                       errback=self.keep_record_on_error,
                                       cb_kwargs={"novel_id": item.id, "item": item, "user": user})
            else:
                yield self.app_request("/v1/illust/detail", {"illust_id": item.id}, self.parse_app_detail,
                                       errback=self.keep_record_on_error,
                                       cb_kwargs={"work_id": item.id, "item": item, "user": user})
