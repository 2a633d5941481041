"""``ranking``: pixiv's rankings, one row per position per day, for tracking them over time.

    scrapy crawl ranking                                       # today's daily ranking (ranking.php)
    scrapy crawl ranking -a mode=weekly -a content=manga -a date=20240131
    scrapy crawl ranking -a mode=daily -a date_from=2024-01-01 -a date_to=2024-01-07
    scrapy crawl ranking -a api=app -a mode=day_male -a date=2024-01-31
    scrapy crawl ranking -a api=app -a work=novel -a mode=week -a date=2024-01-31
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.http import Response

from pixivcrawl.items import RankingItem
from pixivcrawl.parsers.ajax import parse_ranking_page
from pixivcrawl.parsers.app_api import next_url, parse_illust, parse_novel
from pixivcrawl.parsers.common import ParseError
from pixivcrawl.parsers.restriction import is_hidden

from .arguments import SpiderArgumentError, check_known, choice, day, positive_int
from .base import PixivSpider

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
ARGUMENTS = ("mode", "content", "date", "date_from", "date_to", "api", "work", "max_pages", "incremental")


class RankingSpider(PixivSpider):
    name = "ranking"
    pixiv_credentials: tuple[str, ...] = ()

    def parse_arguments(self, kwargs: dict[str, Any]) -> None:
        check_known(kwargs, ARGUMENTS)
        self.api = choice("api", kwargs.get("api", "web"), ("web", "app"))
        self.work = choice("work", kwargs.get("work", "illust"), ("illust", "novel"))
        if self.api == "web":
            if self.work == "novel":
                raise SpiderArgumentError("Novel rankings are crawled with -a api=app -a work=novel.")
            self.mode = choice("mode", kwargs.get("mode", "daily"), tuple(WEB_MODES))
            allowed = ("all", *WEB_MODES[self.mode])
            self.content = kwargs.get("content", "all")
            if self.content not in allowed:
                raise SpiderArgumentError(f"Argument content must be one of {', '.join(allowed)} for mode "
                                          f"{self.mode}, not {self.content!r}.")
            self.pixiv_credentials = ("phpsessid",) if "r18" in self.mode else ()
        else:
            modes = APP_NOVEL_MODES if self.work == "novel" else APP_ILLUST_MODES
            self.mode = choice("mode", kwargs.get("mode", "day"), modes)
            if "content" in kwargs:
                raise SpiderArgumentError("Argument content is for api=web; App API modes name it (day_manga, …).")
            # novel and illust rankings share mode names: the content column tells them apart
            self.content = "novel" if self.work == "novel" else "all"
            self.pixiv_credentials = ("refresh_token",)
        if "date" in kwargs and ("date_from" in kwargs or "date_to" in kwargs):
            raise SpiderArgumentError("Give either -a date=… or -a date_from=… -a date_to=…, not both.")
        if ("date_from" in kwargs) != ("date_to" in kwargs):
            raise SpiderArgumentError("Give both -a date_from=… and -a date_to=….")
        if "date" in kwargs:
            self.dates: list[date | None] = [day("date", kwargs["date"])]
        elif "date_from" in kwargs:
            first, last = day("date_from", kwargs["date_from"]), day("date_to", kwargs["date_to"])
            if first > last:
                raise SpiderArgumentError("Argument date_from must not be later than date_to.")
            if (last - first).days > 3660:
                raise SpiderArgumentError("A date range may span at most ten years.")
            self.dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        elif self.api == "app":
            raise SpiderArgumentError("The App API ranking needs -a date=… (or date_from/date_to): its answers do "
                                      "not say which day they are.")
        else:
            self.dates = [None]  # ranking.php's latest day
        self.max_pages = positive_int("max_pages", kwargs["max_pages"]) if "max_pages" in kwargs else None
        self.parse_incremental(kwargs)

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
                path = "/v1/novel/ranking" if self.work == "novel" else "/v1/illust/ranking"
                yield self.app_request(path, {"mode": self.mode, "date": when.isoformat(), "filter": "for_ios"},
                                       self.parse_app, cb_kwargs={"when": when, "page": 1})

    # -- ranking.php ---------------------------------------------------------------------------------

    def web_page(self, when: date | None, page: int) -> scrapy.Request:
        params = {"mode": self.mode, "content": None if self.content == "all" else self.content,
                  "date": when.strftime("%Y%m%d") if when else None, "p": page, "format": "json"}
        return self.web_request("/ranking.php", params, self.parse_web, cb_kwargs={"when": when, "page": page})

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
            try:
                item = parse_novel(obj) if self.work == "novel" else parse_illust(obj)
            except ParseError as exc:
                self.malformed("ranked work", exc)
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
        try:
            url = next_url(data)
        except ParseError as exc:
            self.malformed("ranking page", exc)
            return
        if url and (self.max_pages is None or page < self.max_pages):
            next_offset = int(parse_qs(urlsplit(url).query).get("offset", [offset + len(objects)])[0])
            yield scrapy.Request(url, callback=self.parse_app, errback=self.on_error,
                                 cb_kwargs={"when": when, "page": page + 1, "offset": next_offset})
