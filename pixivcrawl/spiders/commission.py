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
from typing import Annotated, Any, Literal

import scrapy
from pydantic import BeforeValidator, Field, model_validator
from scrapy.http import Response

from pixivcrawl.endpoints import COMMISSION_LISTING, COMMISSION_OVERVIEW
from pixivcrawl.items import CommissionCreatorItem
from pixivcrawl.parsers.ajax import parse_commission_page
from pixivcrawl.parsers.restriction import is_hidden

from .arguments import PixivParams, SpiderArgumentError, comma_list
from .base import PixivSpider
from .params import MaxPagesParam

SECTIONS: dict[str, tuple[str, ...]] = {
    "overview": (),
    "complete": ("illust", "manga", "ugoira"),
    "creators": ("illust", "manga", "ugoira"),
    "in_progress": ("all", "illust", "manga", "ugoira"),
}
Section = Literal["overview", "complete", "creators", "in_progress"]
WorkType = Literal["all", "illust", "manga", "ugoira"]


class CommissionListings(PixivParams):
    """Which listings: sections, and the work types of those that have them."""

    section: Annotated[list[Section], BeforeValidator(comma_list)] = Field(
        list(SECTIONS), description="comma-separated sections: `overview`, then the listings `complete`, "
                                    "`creators` (illust, manga, ugoira) and `in_progress` (also all)")
    type: Annotated[list[WorkType], BeforeValidator(comma_list)] | None = Field(
        None, description="comma-separated work types, in the listings that have them (default: every type); "
                          "with a type the overview is skipped")
    mode: Literal["all", "safe", "r18"] = Field("all", description="pixiv's `mode`: `r18` needs `PIXIV_PHPSESSID`")

    def listings(self) -> list[tuple[str, str | None]]:
        """(section, work type) of every listing to crawl; ``("overview", None)`` for the overview."""
        listings: list[tuple[str, str | None]] = []
        for section in self.section:
            if section == "overview":
                if self.type is None:
                    listings.append(("overview", None))
                continue
            listings.extend((section, t) for t in SECTIONS[section] if self.type is None or t in self.type)
        return listings


class CommissionParams(MaxPagesParam, CommissionListings):
    """The listings, checked once every argument is valid: a type needs a listing section, and some listing
    must match."""

    @model_validator(mode="wrap")
    @classmethod
    def _some_listing(cls, data: Any, handler: Any) -> CommissionParams:
        params = handler(data)
        if params.type is not None and params.section == ["overview"]:
            raise SpiderArgumentError("Argument type does not apply to the overview; leave it out or name a "
                                      "listing section too.")
        if not params.listings():
            raise SpiderArgumentError(f"No listing matches section={data.get('section')!r} and "
                                      f"type={data.get('type')!r}; see the spider's documentation.")
        return params

    @property
    def pixiv_credentials(self) -> tuple[str, ...]:
        return ("phpsessid",) if self.mode == "r18" else ()


class CommissionSpider(PixivSpider[CommissionParams]):
    name = "commission"
    pixiv_credentials: tuple[str, ...] = ()

    def use_arguments(self, args: CommissionParams) -> None:
        self.listings = args.listings()

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        for section, work_type in self.listings:
            if section == "overview":
                yield self.request(COMMISSION_OVERVIEW, {}, self.parse_listing,
                                   cb_kwargs={"section": section, "work_type": None, "page": 1})
            else:
                yield self.listing_page(section, work_type, 1)

    def listing_page(self, section: str, work_type: str, page: int) -> scrapy.Request:
        return self.request(COMMISSION_LISTING, {"mode": self.mode, "p": page}, self.parse_listing, section=section,
                            work_type=work_type, cb_kwargs={"section": section, "work_type": work_type, "page": page})

    def parse_listing(self, response: Response, section: str, work_type: str | None, page: int) -> Iterator[Any]:
        what = f"commission {section}/{work_type or '-'} p{page}"
        body = self.ajax_body(response, what)
        if body is None:
            return
        parsed = self.parsed(parse_commission_page, body, what)
        if parsed is None:
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
