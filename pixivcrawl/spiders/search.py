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
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import scrapy
from pydantic import BeforeValidator, Field, ValidationInfo, field_validator
from scrapy.http import Response

from pixivcrawl.endpoints import ILLUST_DETAIL, NOVEL_DETAIL, SEARCH
from pixivcrawl.items import SearchHitItem
from pixivcrawl.parsers.ajax import parse_illust_thumbnail, parse_novel_thumbnail, parse_search_page, thumbnail_user
from pixivcrawl.parsers.restriction import is_hidden

from .arguments import Day, Flag, PixivParams, PositiveInt, SpiderArgumentError, Text, WholeNumber
from .base import PixivSpider
from .params import DetailsParam, IncrementalParam, MaxPagesParam

KINDS = {"artworks": "illustManga", "illustrations": "illust", "manga": "manga", "novels": "novel"}
Kind = Literal["artworks", "illustrations", "manga", "novels"]
Order = Literal["date_d", "date", "popular_d", "popular_male_d", "popular_female_d"]
Mode = Literal["all", "safe", "r18"]
SMode = Literal["s_tag_full", "s_tag", "s_tc"]
Content = Literal["all", "illust_and_ugoira", "illust", "manga", "ugoira"]
#: pixiv opened on 2007-09-10: no work is older
PIXIV_START = date(2007, 9, 10)
JST = timezone(timedelta(hours=9))


def _word(value: Any) -> str:
    word = str(value).strip()
    if not word:
        raise SpiderArgumentError("Argument word is required (the tag or keywords to search for).")
    return word


def _ratio(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SpiderArgumentError("Argument ratio must be a number (0.5 landscape, -0.5 portrait, 0 square), "
                                  f"not {value!r}.") from None


def _ai_type(value: Any) -> Any:
    return int(value) if str(value) in ("0", "1") else str(value)


class SearchQuery(PixivParams):
    """What to search and pixiv's filters (``/ajax/search/{type}/{word}`` parameters), in pixiv's names."""

    word: Annotated[str, BeforeValidator(_word)] = Field(description="the tag or keywords to search for")
    type: Kind = Field("artworks", description="what to search (`/ajax/search/<type>/…`)")
    order: Order = Field("date_d", description="`date_d` newest first; the `popular_*` orders need premium")
    mode: Mode = Field("all", description="pixiv's `mode`: `r18` needs `PIXIV_PHPSESSID`")
    s_mode: SMode = Field("s_tag_full", description="`s_tag_full` exact tag, `s_tag` partial tag, "
                                                    "`s_tc` title and caption")
    content: Content | None = Field(None, description="pixiv's `type` filter for artworks, illustrations and "
                                                      "manga (not novels)")
    wlt: WholeNumber | None = Field(None, description="minimum width in pixels")
    wgt: WholeNumber | None = Field(None, description="maximum width in pixels")
    hlt: WholeNumber | None = Field(None, description="minimum height in pixels")
    hgt: WholeNumber | None = Field(None, description="maximum height in pixels")
    ratio: Annotated[float, BeforeValidator(_ratio)] | None = Field(
        None, description="aspect: `0.5` landscape, `-0.5` portrait, `0` square")
    tool: Text | None = Field(None, description="a drawing tool name (`SAI`, `CLIP STUDIO PAINT`, …)")
    scd: Day | None = Field(None, description="first posting day, `YYYY-MM-DD` or `YYYYMMDD`")
    ecd: Day | None = Field(None, description="last posting day, not before `scd`")
    blt: WholeNumber | None = Field(None, description="minimum bookmarks (premium)")
    bgt: WholeNumber | None = Field(None, description="maximum bookmarks (premium)")
    work_lang: Text | None = Field(None, description="novels only: the novel's language (`ja`, `en`, `zh-cn`, …)")
    ai_type: Annotated[Literal[0, 1], BeforeValidator(_ai_type)] | None = Field(
        None, description="`1` hides AI-generated works, `0` shows them")
    lang: Text | None = Field(None, description="language of tag translations (`en`, `ja`, `zh`, …)")

    @field_validator("content", "tool", mode="before")
    @classmethod
    def _not_for_novels(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("type") == "novels":
            raise SpiderArgumentError(f"Argument {info.field_name} applies to artworks, illustrations and manga, "
                                      "not novels.")
        return value

    @field_validator("work_lang")
    @classmethod
    def _novels_only(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and "type" in info.data and info.data["type"] != "novels":
            raise SpiderArgumentError("Argument work_lang applies to type=novels only.")
        return value

    @field_validator("wgt", "hgt", "bgt")
    @classmethod
    def _not_below_minimum(cls, value: Any, info: ValidationInfo) -> Any:
        low = {"wgt": "wlt", "hgt": "hlt", "bgt": "blt"}[info.field_name]
        minimum = info.data.get(low)
        if value is not None and minimum is not None and minimum > value:
            raise SpiderArgumentError(f"Argument {low} (a minimum) must not be more than {info.field_name} "
                                      f"(a maximum): {minimum} > {value}.")
        return value

    @field_validator("ecd")
    @classmethod
    def _not_before_scd(cls, value: Any, info: ValidationInfo) -> Any:
        scd = info.data.get("scd")
        if value is not None and scd is not None and scd > value:
            raise SpiderArgumentError("Argument scd must not be later than ecd.")
        return value

    def filters(self) -> dict[str, Any]:
        """The query parameters of every search page (pixiv's names; ``content`` is pixiv's ``type``),
        without the date range."""
        params: dict[str, Any] = {"word": self.word, "order": self.order, "mode": self.mode, "s_mode": self.s_mode}
        if self.content is not None:
            params["type"] = self.content
        for name in ("wlt", "wgt", "hlt", "hgt", "blt", "bgt", "ratio", "tool", "ai_type", "work_lang", "lang"):
            if getattr(self, name) is not None:
                params[name] = getattr(self, name)
        return params


class SearchParams(IncrementalParam, DetailsParam, MaxPagesParam, SearchQuery):
    max_pages: PositiveInt | None = Field(None, description="stop after this many result pages (all date "
                                                            "windows together)")
    incremental: Flag = Field(False, description="`1`: known, unchanged hits are not fetched again, and with "
                                                 "`order=date_d` a date window stops after "
                                                 "`PIXIV_INCREMENTAL_STOP` of them in a row")

    @property
    def pixiv_credentials(self) -> tuple[str, ...]:
        return (*(("phpsessid",) if self.mode == "r18" else ()), *(("refresh_token",) if self.details else ()))


class SearchSpider(PixivSpider[SearchParams]):
    name = "search"
    pixiv_credentials: tuple[str, ...] = ()

    def use_arguments(self, args: SearchParams) -> None:
        self.kind = args.type
        self.params = args.filters()
        filters = {**self.params, **({"scd": self.scd.isoformat()} if self.scd else {}),
                   **({"ecd": self.ecd.isoformat()} if self.ecd else {})}
        self.query = {"type": self.kind, **filters}
        self.query_key = f"{self.kind}:{args.word}?" + urlencode(sorted((k, v) for k, v in filters.items()
                                                                        if k != "word"))
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
        return self.request(SEARCH, params, self.parse_page, kind=self.kind, word=self.params["word"],
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
        found = self.parsed(parse_search_page, body, "search page", KINDS[self.kind])
        if found is None:
            return
        data, total, last_page = found.thumbnails, found.total, found.last_page
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
        parse = parse_novel_thumbnail if novels else parse_illust_thumbnail
        for position, obj in enumerate(data, 1):
            hit = self.parsed(lambda thumbnail: (parse(thumbnail), thumbnail_user(thumbnail)), obj, "search result")
            if hit is None:
                continue
            item, user = hit
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
                yield self.request(NOVEL_DETAIL, {"novel_id": item.id}, self.parse_app_novel_detail,
                                   errback=self.keep_record_on_error,
                                   cb_kwargs={"novel_id": item.id, "item": item, "user": user})
            else:
                yield self.request(ILLUST_DETAIL, {"illust_id": item.id}, self.parse_app_detail,
                                   errback=self.keep_record_on_error,
                                   cb_kwargs={"work_id": item.id, "item": item, "user": user})
