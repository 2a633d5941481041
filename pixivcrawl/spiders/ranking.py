"""``ranking``: pixiv's rankings, one row per position per day, for tracking them over time.

    scrapy crawl ranking                                       # today's daily ranking (ranking.php)
    scrapy crawl ranking -a mode=weekly -a content=manga -a date=20240131
    scrapy crawl ranking -a mode=daily -a date_from=2024-01-01 -a date_to=2024-01-07
    scrapy crawl ranking -a api=app -a mode=day_male -a date=2024-01-31
    scrapy crawl ranking -a api=app -a work=novel -a mode=week -a date=2024-01-31
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import scrapy
from pydantic import Field, ValidationInfo, field_validator, model_validator
from scrapy.http import Response

from pixivcrawl.endpoints import ILLUST_RANKING, NOVEL_RANKING, RANKING_PHP, follow
from pixivcrawl.items import RankingItem
from pixivcrawl.parsers.ajax import parse_ranking_page
from pixivcrawl.parsers.app_api import next_url, parse_illust, parse_novel
from pixivcrawl.parsers.common import ParseError
from pixivcrawl.parsers.restriction import is_hidden

from .arguments import Day, Flag, PixivParams, PositiveInt, SpiderArgumentError, choice_error
from .base import PixivSpider
from .params import DateParam, DateRangeParam, IncrementalParam, MaxPagesParam

#: ranking.php modes, and the contents each accepts besides "all" (pixiv refuses other pairs)
WEB_MODES: dict[str, tuple[str, ...]] = {
    "daily": ("illust", "ugoira", "manga"), "weekly": ("illust", "ugoira", "manga"), "monthly": ("illust", "manga"),
    "rookie": ("illust", "manga"), "original": (), "male": (), "female": (), "daily_ai": (),
    "daily_r18": ("illust", "ugoira", "manga"), "weekly_r18": ("illust", "ugoira", "manga"), "male_r18": (),
    "female_r18": (), "daily_r18_ai": (), "r18g": (),
}
APP_ILLUST_MODES = ("day", "week", "month", "day_male", "day_female", "week_original", "week_rookie", "day_manga",
                    "week_manga", "month_manga", "week_rookie_manga", "day_r18", "day_male_r18", "day_female_r18",
                    "week_r18", "week_r18g", "day_ai", "day_r18_ai")
APP_NOVEL_MODES = ("day", "week", "day_male", "day_female", "week_rookie", "day_r18")


def app_modes(work: str | None) -> tuple[str, ...]:
    """The App API ranking modes of ``work`` (``illust`` or ``novel``)."""
    return APP_NOVEL_MODES if work == "novel" else APP_ILLUST_MODES


def _ticked(values: tuple[str, ...]) -> str:
    return ", ".join(f"`{value}`" for value in values)


class RankingChoice(PixivParams):
    """Which ranking: the API, the kind of work, the mode and (web) the content."""

    api: Literal["web", "app"] = Field("web", description="`web`: ranking.php; `app`: the App API "
                                                          "(`/v1/illust/ranking`, `/v1/novel/ranking`)")
    work: Literal["illust", "novel"] = Field("illust", description="app only: illust (and manga) or novel rankings")
    mode: str | None = Field(None, validate_default=True, description=(
        f"web: {_ticked(tuple(WEB_MODES))} (default `daily`); app: {_ticked(APP_ILLUST_MODES)} (default `day`; "
        f"novels: {_ticked(APP_NOVEL_MODES)})"))
    content: str | None = Field(None, validate_default=True, description=(
        "web only: `all` (default), `illust`, `ugoira`, `manga` — as pixiv allows: `illust`/`manga` with daily, "
        "weekly, monthly, rookie and the daily/weekly R-18 modes, `ugoira` with daily, weekly and their R-18 modes"))

    @field_validator("work")
    @classmethod
    def _novels_on_app(cls, value: str, info: ValidationInfo) -> str:
        if value == "novel" and info.data.get("api") == "web":
            raise SpiderArgumentError("Novel rankings are crawled with -a api=app -a work=novel.")
        return value

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_fits(cls, value: Any, info: ValidationInfo) -> Any:
        api, work = info.data.get("api"), info.data.get("work")
        if api is None or work is None:  # refused already
            return value
        modes = tuple(WEB_MODES) if api == "web" else app_modes(work)
        if value is None:
            return modes[0]  # daily, day
        if value not in modes:
            raise choice_error("mode", modes, value)
        return value

    @field_validator("content", mode="before")
    @classmethod
    def _content_fits(cls, value: Any, info: ValidationInfo) -> Any:
        api, work, mode = info.data.get("api"), info.data.get("work"), info.data.get("mode")
        if api == "app" and work is not None and mode in app_modes(work):
            if value is not None:
                raise SpiderArgumentError("Argument content is for api=web; App API modes name it (day_manga, …).")
            # novel and illust rankings share mode names: the content column tells them apart
            return "novel" if work == "novel" else "all"
        if api == "web" and mode in WEB_MODES:
            value = "all" if value is None else value
            allowed = ("all", *WEB_MODES[mode])
            if value not in allowed:
                raise choice_error("content", allowed, value, f" for mode {mode}")
        return value


#: pixiv's time zone: a ranking day is a day in Japan
JST = timezone(timedelta(hours=9))


class RankingParams(IncrementalParam, MaxPagesParam, DateRangeParam, DateParam, RankingChoice):
    date: Day | None = Field(None, description="one day, `YYYY-MM-DD` or `YYYYMMDD` (web default: the latest "
                                               "ranking; the App API needs a day or a range)")
    max_pages: PositiveInt | None = Field(None, description="stop each day after this many pages")
    incremental: Flag = Field(False, description="`1`: skip the days whose ranking is already stored whole")

    @field_validator("date_from", "date_to")
    @classmethod
    def _not_with_date(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("date") is not None:
            raise SpiderArgumentError("Give either -a date=… or -a date_from=… -a date_to=…, not both.")
        return value

    @model_validator(mode="after")
    def _not_in_the_future(self) -> RankingParams:
        today = datetime.now(JST).date()  # pixiv's rankings are days in Japan
        last = self.date or self.date_to
        if last is not None and last > today:
            name = "date" if self.date is not None else "date_to"
            raise SpiderArgumentError(f"Argument {name} must not be after today in Japan ({today.isoformat()}): "
                                      f"pixiv has no ranking of {last.isoformat()} yet.")
        return self

    @model_validator(mode="after")
    def _app_needs_a_day(self) -> RankingParams:
        if self.api == "app" and self.date is None and self.date_from is None:
            raise SpiderArgumentError("The App API ranking needs -a date=… (or date_from/date_to): its answers do "
                                      "not say which day they are.")
        return self

    def dates(self) -> list[date | None]:
        """The days to crawl; ``[None]``: ranking.php's latest day."""
        if self.date is not None:
            return [self.date]
        return self.days() or [None]

    @property
    def pixiv_credentials(self) -> tuple[str, ...]:
        if self.api == "app":
            return ("refresh_token",)
        return ("phpsessid",) if "r18" in str(self.mode) else ()


class RankingSpider(PixivSpider[RankingParams]):
    name = "ranking"
    pixiv_credentials: tuple[str, ...] = ()

    def use_arguments(self, args: RankingParams) -> None:
        self.dates = args.dates()

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        done = self.memory.complete_ranking_days(self.api, self.mode, self.content) \
            if self.incremental else set()
        for when in self.dates:
            if when in done:
                self.count("incremental/days_skipped")
                continue
            if self.api == "web":
                yield self.web_page(when, 1)
            else:
                endpoint = NOVEL_RANKING if self.work == "novel" else ILLUST_RANKING
                yield self.request(endpoint, {"mode": self.mode, "date": when.isoformat(), "filter": "for_ios"},
                                   self.parse_app, cb_kwargs={"when": when, "page": 1})

    # -- ranking.php ---------------------------------------------------------------------------------

    def web_page(self, when: date | None, page: int) -> scrapy.Request:
        params = {"mode": self.mode, "content": None if self.content == "all" else self.content,
                  "date": when.strftime("%Y%m%d") if when else None, "p": page, "format": "json"}
        return self.request(RANKING_PHP, params, self.parse_web, cb_kwargs={"when": when, "page": page})

    def parse_web(self, response: Response, when: date | None, page: int) -> Iterator[Any]:
        what = f"ranking {self.mode}/{self.content} {when or 'latest'} p{page}"
        data = self.web_json(response, what)
        if data is None:
            return
        try:
            ranked = parse_ranking_page(data)
        except ParseError as exc:
            self.logger.error("%s: HTTP %s, %s", what, response.status, exc)
            self.count(f"errors/http_{response.status}")
            return
        for entry in ranked.entries:
            ranking, work, user = entry.ranking, entry.work, entry.user
            if is_hidden(work):
                yield from self.hidden_items(work, work.raw)
            else:
                yield from self.once(user)
                yield work
            yield ranking
        if ranked.next_page and (self.max_pages is None or page < self.max_pages):
            yield self.web_page(when, ranked.next_page)

    # -- App API -------------------------------------------------------------------------------------

    def parse_app(self, response: Response, when: date, page: int, offset: int = 0) -> Iterator[Any]:
        data = self.app_json(response, f"App ranking {self.mode} {when} p{page}")
        if data is None:
            return
        key = "novels" if self.work == "novel" else "illusts"
        objects = data.get(key)
        if not isinstance(objects, list):
            self.logger.error("App ranking page without %s: %s", key, response.url)
            self.count("errors/malformed")
            return
        for n, obj in enumerate(objects):
            item = self.parsed(parse_novel if self.work == "novel" else parse_illust, obj, "ranked work")
            if item is None:
                continue
            if self.work == "novel" and is_hidden(item):
                if self.first_sight("novel", item.id):  # once per run, however many days it is ranked
                    yield from self.hidden_items(item, obj)
            elif self.work == "novel":
                yield from self.user_once(obj.get("user"))
                yield item
            else:
                yield from self.work_items(item, obj)
            yield RankingItem(source="app", mode=self.mode, content=self.content, date=when.isoformat(),
                              rank=offset + n + 1, work_type=self.work, work_id=item.id, previous_rank=None,
                              view_count=item.total_view, rating_count=item.total_bookmarks, raw={"id": item.id})
        url = self.parsed(next_url, data, "ranking page")
        if url and (self.max_pages is None or page < self.max_pages):
            next_offset = int(parse_qs(urlsplit(url).query).get("offset", [offset + len(objects)])[0])
            yield follow(url, callback=self.parse_app, errback=self.on_error,
                         cb_kwargs={"when": when, "page": page + 1, "offset": next_offset})
