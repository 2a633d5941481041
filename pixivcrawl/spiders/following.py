"""``following``: the users a user follows, from the App API's ``/v1/user/following``, into ``follows`` and ``users``;
with ``works=1``, everything each of them published, as the ``user`` spider crawls it.

    scrapy crawl following                                  # the account's own public follows
    scrapy crawl following -a restrict=private              # its private follows (the account's own only)
    scrapy crawl following -a restrict=all                  # both lists
    scrapy crawl following -a user_id=5000001               # the public follows of another user
    scrapy crawl following -a user_id=https://www.pixiv.net/users/5000001/following
    scrapy crawl following -a works=1 -a incremental=1      # keep every artist followed current
    scrapy crawl following -a works=1 -a type=illust,manga  # their art only, no novels

pixiv lists the follows newest first, 30 a page, each as a *user preview* (the user and their newest works); a
``follows`` row per follow (``position`` 0 = the newest follow of its list) and a ``users`` row per followed user.
A follow listed again keeps its row and gets a new ``last_seen_at``: a follow whose ``last_seen_at`` is older than
the last crawl's is one the user undid. pixiv lists no further than offset 5000 (protocol notes §2.6): the spider
stops there with a warning.

With ``works=1`` each followed user is crawled by :class:`~pixivcrawl.spiders.user_works.UserWorksMixin` (profile,
illusts, manga and ugoira, novels with text, all stored whole and downloaded; ``type=`` chooses which, as the
``user`` spider's does). An incremental crawl (``incremental=1``) first reads the preview: a user whose profile is
stored and whose newest works (up to three illusts and three novels, all the preview shows; those of the kinds
``type=`` asks for) are all stored unchanged has nothing new, and costs no request at all — a re-run over hundreds of
artists with nothing new costs the token and one request per 30 of them. The others are crawled incrementally as the
``user`` spider does (at most two requests each when nothing is new). This relies on earlier runs having finished: a
re-upload of an older work, or a user crawl cut short, is found by a run without ``incremental=1`` (resume a killed
run with ``JOBDIR``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit

import scrapy
from pydantic import BeforeValidator, Field, field_validator, model_validator
from scrapy.http import Response

from pixivcrawl.endpoints import USER_FOLLOWING, follow
from pixivcrawl.items import FollowItem, IllustItem, NovelItem
from pixivcrawl.parsers.app_api import next_url
from pixivcrawl.parsers.follows import UserPreview, parse_user_preview
from pixivcrawl.urls import PixivUrlError, parse_ref

from .account import OwnAccountMixin
from .arguments import Flag, PixivParams, PositiveInt, SpiderArgumentError, comma_list
from .base import PixivSpider
from .params import IncrementalParam, MaxPagesParam, UserRef
from .user import WorkType
from .user_works import WORK_TYPES, UserWorksMixin

#: the highest ``offset`` pixiv takes on /v1/user/following (protocol notes §2.6)
FOLLOWING_OFFSET_CAP = 5000


class FollowingChoice(PixivParams):
    """Whose follows, and which list."""

    user_id: UserRef | None = Field(None, description="whose follows: a user id or user URL (default: the "
                                                      "account's own)")
    restrict: Literal["public", "private", "all"] = Field(
        "public", description="`public`, `private` (followed privately: the account's own follows only) or `all` "
                              "(both lists)")

    @model_validator(mode="before")
    @classmethod
    def _from_a_following_page(cls, data: Any) -> Any:
        """``user_id`` given as the URL of a user's following page: ``?rest=hide`` gives ``restrict=private``
        unless ``restrict`` is given."""
        if not isinstance(data, dict) or not isinstance(data.get("user_id"), str) or "restrict" in data:
            return data
        try:
            ref = parse_ref(data["user_id"], "user")
        except PixivUrlError:
            return data  # refused by the field, in its turn
        if ref.kind == "user" and ref.page == "following" and ref.restrict is not None:
            return {**data, "restrict": ref.restrict}
        return data


class FollowingWorks(PixivParams):
    """Whether the followed users' works are crawled too, and which of them."""

    works: Flag = Field(False, description="`1`: also crawl each followed user as the `user` spider does: profile, "
                                           "illusts, manga and ugoira, novels with text, stored whole and downloaded")
    type: Annotated[list[WorkType], BeforeValidator(comma_list)] = Field(
        list(WORK_TYPES), description="with `works=1`: comma-separated kinds of work crawled, as the `user` spider's "
                                      "`type`: `illust` (illusts and ugoira), `manga`, `novel`")

    @field_validator("type")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise SpiderArgumentError("Argument type must not be empty.")
        return value


class FollowingParams(IncrementalParam, FollowingWorks, MaxPagesParam, FollowingChoice):
    """``following``'s arguments."""

    max_pages: PositiveInt | None = Field(None, description="stop each follow list after this many pages (30 users "
                                                            "each)")
    incremental: Flag = Field(
        False, description="`1` (with `works=1`): a followed user whose profile is stored and whose newest works, as "
                           "the follow list shows them, are all stored unchanged is not crawled again (no request); "
                           "the others are crawled incrementally, as the `user` spider does")

    @model_validator(mode="after")
    def _incremental_needs_works(self) -> FollowingParams:
        if self.incremental and not self.works:
            raise SpiderArgumentError("Argument incremental=1 needs works=1: the follow list itself is always read "
                                      "whole.")
        return self


class FollowingSpider(OwnAccountMixin, UserWorksMixin, PixivSpider[FollowingParams]):
    name = "following"

    def use_arguments(self, args: FollowingParams) -> None:
        self.restricts = ("public", "private") if args.restrict == "all" else (args.restrict,)
        #: whose follows are listed: ``user_id``, or the account's own user (learned at start)
        self.follower_id = args.user_id

    async def start(self) -> AsyncIterator[Any]:
        """Learns the account's user when the arguments need it (no ``user_id``, or a private list), then starts."""
        if self.argument_error is None and (self.user_id is None or self.restrict != "public"):
            own = await self.own_user_id()
            if own is None:  # no token: the auth middleware stops the crawl and says why
                return
            self.follower_id = self.follower_id or own
            if self.follower_id != own:
                self.argument_error = SpiderArgumentError(
                    f"Argument restrict={self.restrict} needs the account's own follows: pixiv shows a user's private "
                    f"follows to no one else, and user {self.follower_id} is not the account's ({own}).")
        async for request in super().start():
            yield request

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        for restrict in self.restricts:
            yield self.request(USER_FOLLOWING, {"user_id": self.follower_id, "restrict": restrict, "filter": "for_ios"},
                               self.parse_following, cb_kwargs={"restrict": restrict})

    def parse_following(self, response: Response, restrict: str, page: int = 1, offset: int = 0) -> Iterator[Any]:
        """A page of ``/v1/user/following``: a follow and a user per preview, then the next page."""
        data = self.app_json(response, f"users followed by {self.follower_id} ({restrict}, page {page})")
        if data is None:
            return
        previews = data.get("user_previews")
        if not isinstance(previews, list):
            self.logger.error("Following page without a user_previews list: %s", response.url)
            self.count("errors/malformed")
            return
        for n, obj in enumerate(previews):
            preview = self.parsed(parse_user_preview, obj, "user preview")
            if preview is not None:
                yield from self.followed_user(preview, restrict, offset + n)
        url = self.parsed(next_url, data, "following page")
        if url:
            yield from self.next_page(url, restrict, page, offset + len(previews))

    def followed_user(self, preview: UserPreview, restrict: str, position: int) -> Iterator[Any]:
        """The followed user of ``preview`` and the follow (``position`` in its list, 0 = the newest); with
        ``works=1`` the user's crawl, unless an incremental crawl finds nothing new in the preview."""
        self.count("following/follows")
        yield FollowItem(follower_id=self.follower_id, followed_id=preview.user.id, restrict=restrict,
                         position=position)
        yield from self.once(preview.user)  # name and avatar; a profile the user's crawl stores still passes
        if not self.works:
            return
        if self.nothing_new(preview):
            self.count("following/users_unchanged")
            return
        self.count("following/users_crawled")
        yield from self.user_requests(preview.user.id, types=self.type)

    def nothing_new(self, preview: UserPreview) -> bool:
        """In an incremental crawl: whether a followed user is stored as an earlier crawl of theirs left them — their
        profile stored, and every work the preview shows (their newest illusts and novels) readable and stored
        unchanged — so that crawling them again would find nothing new."""
        if not self.incremental or preview.unreadable or not self.memory.profile_stored(preview.user.id):
            return False
        return all(self.known_unchanged(work) for work in preview.works() if self.wanted(work))

    def wanted(self, work: IllustItem | NovelItem) -> bool:
        """Whether the ``type`` argument asks for a work of this kind (an ugoira is an ``illust``)."""
        kind = "novel" if isinstance(work, NovelItem) else "manga" if work.type == "manga" else "illust"
        return kind in self.type

    def next_page(self, url: str, restrict: str, page: int, offset: int) -> Iterator[scrapy.Request]:
        """The page after ``page`` (``url``, pixiv's ``next_url``), unless ``max_pages`` or pixiv's offset cap ends
        the listing."""
        if self.max_pages is not None and page >= self.max_pages:
            return
        cursor = parse_qs(urlsplit(url).query).get("offset", [str(offset)])[0]
        offset = int(cursor) if cursor.isdigit() else offset
        if offset > FOLLOWING_OFFSET_CAP:
            self.logger.warning("pixiv lists no more than %d of the users a user follows: the %s follows of user %s "
                                "after the first %d are not listed.", FOLLOWING_OFFSET_CAP, restrict, self.follower_id,
                                offset)
            self.count("following/truncated")
            return
        yield follow(url, callback=self.parse_following, errback=self.on_error,
                     cb_kwargs={"restrict": restrict, "page": page + 1, "offset": offset})
