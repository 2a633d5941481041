"""Reusable spider arguments: one small pydantic model per argument (or pair), combined by each spider's
own argument model (zyte-spider-templates' ``params.py`` style).

A spider's model lists its own fields in a class of its own, placed *last* among its bases, and the mixins
before it in reverse order: pydantic orders fields from the last base to the first, and that order is the
order of validation, of ``Unknown argument …; this spider takes: …`` and of the README table. A spider
whose argument means something more precise redeclares the field with its own ``description`` (it keeps its
place)::

    class RankingParams(IncrementalParam, MaxPagesParam, DateRangeParam, DateParam, RankingChoice):
        max_pages: PositiveInt | None = Field(None, description="stop each day after this many pages")

Values come from :mod:`pixivcrawl.spiders.arguments` types, which accept ``-a`` strings, and from the id
types below, which also accept the pixiv URL a user copies (:mod:`pixivcrawl.urls`): ``IllustRef`` takes
``123``, ``https://www.pixiv.net/artworks/123`` or an ``i.pximg.net`` image of it and gives the id ``123``;
``IllustRefList`` takes several, separated by commas, and gives ``[123, …]`` (in the given order, each once).
A URL of another kind is refused with one sentence: ``Argument illust_id takes an illust id or an artworks URL
like https://www.pixiv.net/artworks/123; https://www.pixiv.net/users/1 is a user.``
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, WithJsonSchema, model_validator

from pixivcrawl.urls import TAKES, Kind, PixivUrlError, expect_ref

from .arguments import Day, Flag, PositiveInt, SpiderArgumentError, comma_list

#: the longest ``date_from``…``date_to`` range, in days (ten years)
MAX_RANGE_DAYS = 3660
#: the JSON-schema ``format`` of an argument that takes an id or a pixiv URL (README's tables: "id or URL")
REF_FORMAT = "pixiv-id-or-url"


def _one_ref(kind: Kind) -> Callable[[Any, ValidationInfo], int]:
    def check(value: Any, info: ValidationInfo) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        try:
            return expect_ref(str(info.field_name), kind, value).id
        except PixivUrlError as exc:
            raise SpiderArgumentError(str(exc)) from None
    return check


def _ref_list(kind: Kind) -> Callable[[Any, ValidationInfo], list[int]]:
    one = _one_ref(kind)

    def check(value: Any, info: ValidationInfo) -> list[int]:
        values = comma_list(value)
        if not values:
            raise SpiderArgumentError(f"Argument {info.field_name} takes {TAKES[kind]} (several separated by "
                                      f"commas), not {str(value)!r}.")
        return list(dict.fromkeys(one(v, info) for v in values))
    return check


def _ref_type(kind: Kind) -> Any:
    return Annotated[int, BeforeValidator(_one_ref(kind)),
                     WithJsonSchema({"type": "integer", "minimum": 1, "format": REF_FORMAT})]


def _ref_list_type(kind: Kind) -> Any:
    return Annotated[list[int], BeforeValidator(_ref_list(kind)),
                     WithJsonSchema({"type": "array", "items": {"type": "integer", "minimum": 1,
                                                                "format": REF_FORMAT}})]


#: an illust (manga, ugoira) id, or its artworks, ``member_illust.php`` or ``i.pximg.net`` URL → the id
IllustRef = _ref_type("illust")
#: a novel id, or its ``novel/show.php?id=`` URL or cover image → the id
NovelRef = _ref_type("novel")
#: a user id, or a ``/users/ID`` URL (any of its sub-pages) → the id
UserRef = _ref_type("user")
#: an illust series id, or its ``/user/ID/series/S`` URL → the series id
IllustSeriesRef = _ref_type("illust_series")
#: a novel series id, or its ``/novel/series/ID`` URL → the id
NovelSeriesRef = _ref_type("novel_series")
#: comma-separated lists of the same → ``[id, …]``, each once, in the given order
IllustRefList = _ref_list_type("illust")
NovelRefList = _ref_list_type("novel")
UserRefList = _ref_list_type("user")
IllustSeriesRefList = _ref_list_type("illust_series")
NovelSeriesRefList = _ref_list_type("novel_series")


class MaxPagesParam(BaseModel):
    max_pages: PositiveInt | None = Field(None, description="stop each listing after this many pages")


class IncrementalParam(BaseModel):
    incremental: Flag = Field(
        False, description="`1`: works the database holds unchanged are not fetched again (nor their ugoira "
                           "frames or novel text), and a listing that shows the newest first stops after "
                           "`PIXIV_INCREMENTAL_STOP` of them in a row")


class DetailsParam(BaseModel):
    details: Flag = Field(
        False, description="`1`: fetch each work's whole record from the App API (`/v1/illust/detail`, "
                           "`/v2/novel/detail`: all pages, counters, ugoira frames; novels with text) — needed "
                           "for image downloads; needs `PIXIV_REFRESH_TOKEN`")


class DateParam(BaseModel):
    date: Day | None = Field(None, description="one day, `YYYY-MM-DD` or `YYYYMMDD`")


class DateRangeParam(BaseModel):
    """``date_from`` … ``date_to``: given together, in order, at most ten years apart."""

    date_from: Day | None = Field(None, description="first day of a range of past days, each day crawled "
                                                    "(with `date_to`)")
    date_to: Day | None = Field(None, description="last day of that range, at most ten years after `date_from`")

    @model_validator(mode="after")
    def _a_range(self) -> DateRangeParam:
        if (self.date_from is None) != (self.date_to is None):
            raise SpiderArgumentError("Give both -a date_from=… and -a date_to=….")
        if self.date_from is not None and self.date_to is not None:
            if self.date_from > self.date_to:
                raise SpiderArgumentError("Argument date_from must not be later than date_to.")
            if (self.date_to - self.date_from).days > MAX_RANGE_DAYS:
                raise SpiderArgumentError("A date range may span at most ten years.")
        return self

    def days(self) -> list[date]:
        """Every day from ``date_from`` to ``date_to``, both included ([] without a range)."""
        if self.date_from is None or self.date_to is None:
            return []
        return [self.date_from + timedelta(days=n) for n in range((self.date_to - self.date_from).days + 1)]


class SeriesIdParam(BaseModel):
    series_id: PositiveInt | None = Field(None, description="the series id — or instead the id of one of its works")


class IllustSeriesIdParam(BaseModel):
    series_id: IllustSeriesRef | None = Field(
        None, description="the series id or its URL (`https://www.pixiv.net/user/1/series/10`) — or instead "
                          "one of its works")


class NovelSeriesIdParam(BaseModel):
    series_id: NovelSeriesRef | None = Field(
        None, description="the series id or its URL (`https://www.pixiv.net/novel/series/30`) — or instead "
                          "one of its novels")


class IllustIdParam(BaseModel):
    illust_id: IllustRef | None = Field(None, description="an illust (or manga, ugoira) id or URL: the spider "
                                                          "stores the work and crawls its series (a work in no "
                                                          "series is stored alone, with a warning)")


class NovelIdParam(BaseModel):
    novel_id: NovelRef | None = Field(None, description="a novel id or URL: the spider stores the novel and "
                                                        "crawls its series (a novel in no series is stored "
                                                        "alone, with a warning)")
