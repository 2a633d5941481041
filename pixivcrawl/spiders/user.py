"""``user``: everything one or more users published — the profile, every illust, manga and ugoira, every novel
with its text, and with ``series=1`` every series (pixivcrawl.spiders.user_works).

    scrapy crawl user -a user_id=5000000
    scrapy crawl user -a user_id=5000000,https://www.pixiv.net/users/5000001 -a type=illust,manga -a tag=オリジナル
    scrapy crawl user -a user_id=5000000 -a series=1 -a incremental=1
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

import scrapy
from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from .arguments import Flag, PixivParams, SpiderArgumentError, Text, comma_list
from .base import PixivSpider
from .params import IncrementalParam, UserRefList
from .user_works import WORK_TYPES, UserWorksMixin

WorkType = Literal["illust", "manga", "novel"]


class UserChoice(PixivParams):
    """Whose works, which of them, and whether their series too."""

    user_id: UserRefList = Field(description="user ids or URLs, separated by commas: "
                                             "`11,https://www.pixiv.net/users/12`")
    type: Annotated[list[WorkType], BeforeValidator(comma_list)] = Field(
        list(WORK_TYPES), description="comma-separated kinds of work: `illust` (illusts and ugoira), `manga`, "
                                      "`novel`")
    tag: Text | None = Field(None, description="keep only the works with this tag (its name or English "
                                               "translation, any case), picked from the App API listings")
    series: Flag = Field(False, description="`1`: also crawl every series of the user (`/ajax/user/{id}/profile/all`) "
                                            "whole, as `illust_series` and `novel_series` do")

    @field_validator("type", "tag")
    @classmethod
    def _not_empty(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and not value:
            raise SpiderArgumentError(f"Argument {info.field_name} must not be empty.")
        return value


class UserParams(IncrementalParam, UserChoice):
    incremental: Flag = Field(
        False, description="`1`: a stored profile is not fetched again, works stored unchanged are not either, and "
                           "each listing stops after `PIXIV_INCREMENTAL_STOP` of them in a row: a user with "
                           "nothing new costs two requests")


class UserSpider(UserWorksMixin, PixivSpider[UserParams]):
    name = "user"

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        for user_id in dict.fromkeys(self.user_id):
            yield from self.user_requests(user_id, types=self.type, tag=self.tag, series=self.series)
