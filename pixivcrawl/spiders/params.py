"""Reusable spider arguments: one small pydantic model per argument (or pair), combined by each spider's
own argument model (zyte-spider-templates' ``params.py`` style).

A spider's model lists its own fields in a class of its own, placed *last* among its bases, and the mixins
before it in reverse order: pydantic orders fields from the last base to the first, and that order is the
order of validation, of ``Unknown argument …; this spider takes: …`` and of the README table. A spider
whose argument means something more precise redeclares the field with its own ``description`` (it keeps its
place)::

    class RankingParams(IncrementalParam, MaxPagesParam, DateRangeParam, DateParam, RankingChoice):
        max_pages: PositiveInt | None = Field(None, description="stop each day after this many pages")

Values come from :mod:`pixivcrawl.spiders.arguments` types, which accept ``-a`` strings.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, Field, model_validator

from .arguments import Day, Flag, PositiveInt, SpiderArgumentError

#: the longest ``date_from``…``date_to`` range, in days (ten years)
MAX_RANGE_DAYS = 3660


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


class IllustIdParam(BaseModel):
    illust_id: PositiveInt | None = Field(None, description="an illust (or manga, ugoira) id: the spider stores "
                                                            "the work and crawls its series (a work in no series "
                                                            "is stored alone, with a warning)")


class NovelIdParam(BaseModel):
    novel_id: PositiveInt | None = Field(None, description="a novel id: the spider stores the novel and crawls "
                                                           "its series (a novel in no series is stored alone, "
                                                           "with a warning)")
