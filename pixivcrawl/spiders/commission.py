"""``commission``: pixiv's request (commission) pages, every listing to its last page.

    scrapy crawl commission                                    # the overview and every listing
    scrapy crawl commission -a section=complete -a type=manga
    scrapy crawl commission -a section=in_progress,creators -a mode=safe

Sections and their types: ``overview`` (no type), ``complete`` and ``creators`` (illust, manga, ugoira),
``in_progress`` (all, illust, manga, ugoira). ``-a type=`` picks types (comma-separated) in the listings
that have them; the overview is crawled only when no type is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from pixivcrawl.items import CommissionCreatorItem
from pixivcrawl.parsers.ajax import parse_commission_page
from pixivcrawl.parsers.common import ParseError
from pixivcrawl.parsers.restriction import is_hidden

from .arguments import SpiderArgumentError, check_known, choice, positive_int
from .base import PixivSpider

SECTIONS: dict[str, tuple[str, ...]] = {
    "overview": (),
    "complete": ("illust", "manga", "ugoira"),
    "creators": ("illust", "manga", "ugoira"),
    "in_progress": ("all", "illust", "manga", "ugoira"),
}
BASE = "/ajax/commission/page/request"


def _list(value: Any) -> list[str]:
    return [v.strip() for v in str(value).split(",") if v.strip()]


class CommissionSpider(PixivSpider):
    name = "commission"
    pixiv_credentials: tuple[str, ...] = ()

    def parse_arguments(self, kwargs: dict[str, Any]) -> None:
        check_known(kwargs, ("section", "type", "mode", "max_pages"))
        sections = _list(kwargs.get("section", ",".join(SECTIONS)))
        for section in sections:
            choice("section", section, tuple(SECTIONS))
        all_types = sorted({t for types in SECTIONS.values() for t in types})
        types = _list(kwargs["type"]) if "type" in kwargs else None
        for t in types or ():
            choice("type", t, tuple(all_types))
        self.mode = choice("mode", kwargs.get("mode", "all"), ("all", "safe", "r18"))
        self.max_pages = positive_int("max_pages", kwargs["max_pages"]) if "max_pages" in kwargs else None
        self.listings: list[tuple[str, str | None]] = []
        if types is not None and sections == ["overview"]:
            raise SpiderArgumentError("Argument type does not apply to the overview; leave it out or name a "
                                      "listing section too.")
        for section in sections:
            if section == "overview":
                if types is None:
                    self.listings.append(("overview", None))
                continue
            for t in SECTIONS[section]:
                if types is None or t in types:
                    self.listings.append((section, t))
        if not self.listings:
            raise SpiderArgumentError(f"No listing matches section={kwargs.get('section')!r} and "
                                      f"type={kwargs.get('type')!r}; see the spider's documentation.")
        self.pixiv_credentials = ("phpsessid",) if self.mode == "r18" else ()

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        for section, work_type in self.listings:
            if section == "overview":
                yield self.web_request(BASE, {}, self.parse_listing, cb_kwargs={"section": section,
                                                                                "work_type": None, "page": 1})
            else:
                yield self.listing_page(section, work_type, 1)

    def listing_page(self, section: str, work_type: str, page: int) -> scrapy.Request:
        return self.web_request(f"{BASE}/{section}/{work_type}", {"mode": self.mode, "p": page}, self.parse_listing,
                                cb_kwargs={"section": section, "work_type": work_type, "page": page})

    def parse_listing(self, response: Response, section: str, work_type: str | None, page: int) -> Iterator[Any]:
        what = f"commission {section}/{work_type or '-'} p{page}"
        body = self.ajax_body(response, what)
        if body is None:
            return
        try:
            parsed = parse_commission_page(body)
        except ParseError as exc:
            self.malformed(what, exc)
            return
        for exc in parsed.errors:
            self.malformed(f"object in {what}", exc)
        for user in parsed.users:
            yield from self.once(user)
        for work in parsed.works + parsed.novels:
            if is_hidden(work):
                yield from self.hidden_items(work, work.raw)
            else:
                yield work
        yield from parsed.requests
        self.count(f"commission/requests/{section}", len(parsed.requests))
        if section == "creators":
            for uid in parsed.creator_ids:
                yield CommissionCreatorItem(user_id=uid, work_type=work_type, mode=self.mode)
        if parsed.has_next and (self.max_pages is None or page < self.max_pages):
            yield self.listing_page(section, work_type, page + 1)
