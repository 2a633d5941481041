"""Typed items. Pipelines read them through itemadapter; every field is plain data (no credentials).

``raw`` holds the JSON object the item was parsed from, as pixiv sent it, so nothing is lost when a
column is not (yet) parsed out.

A work or user record is either a **whole record** (``whole=True``: everything pixiv's detail gives — an App API
work object, a web Ajax work page) or a **listing record** (``whole=False``: the thumbnail a listing embeds — a
search hit, a ranking.php entry, a commission thumbnail — without pages, caption or counters). A listing record
never overwrites what a whole record stored; it fills a new row and refreshes the listing's own columns
(pixivcrawl.db.schema.LISTING_COLUMNS).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


@dataclass(kw_only=True, slots=True)
class TagRef:
    name: str
    translated_name: str | None = None


@dataclass(kw_only=True)
class UserItem:
    id: int
    name: str
    account: str | None = None
    profile_image_url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    #: False for a listing record (the short user records that listings embed): it updates name and image only
    whole: bool = True
    #: the profile (``/v1/user/detail``), on the user records of the ``user`` spider; None on the user of a work or
    #: a listing, which leaves the stored profile columns as they are
    profile: UserProfile | None = None


@dataclass(kw_only=True, slots=True)
class IllustPage:
    page: int
    original_url: str | None
    large_url: str | None = None
    medium_url: str | None = None
    square_medium_url: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(kw_only=True, slots=True)
class MediaRecord:
    """One file of a work as the files pipeline (pixivcrawl.pipelines.files) or the ugoira pipeline recorded it: a
    row of the ``media`` table, keyed by the work's id, ``kind`` and ``page``. Built by :meth:`downloaded`,
    :meth:`failed` and :meth:`converted`; the crawl memory (pixivcrawl.db.memory) holds those of earlier runs."""

    #: ``page`` (an image of the work), ``ugoira_zip`` (the frames), ``ugoira_webp`` | ``ugoira_apng`` |
    #: ``ugoira_gif`` (an animation converted from the zip)
    kind: str
    #: the page number from 0 (the order of ``meta_pages``); 0 for the ugoira files
    page: int
    #: the CDN URL (``i.pximg.net``) the file was downloaded from; None for a converted animation
    url: str | None
    #: where the file is, relative to ``FILES_STORE`` (pixivcrawl.pipelines.files.media_path); None when it failed
    path: str | None = None
    #: the file's length in bytes
    size: int | None = None
    #: the picture's width and height in pixels (None for a zip, and when it failed)
    width: int | None = None
    height: int | None = None
    #: hex SHA-256 of the stored bytes
    sha256: str | None = None
    #: ``downloaded``, ``converted`` or ``failed``
    status: str
    #: why the file failed (``HTTP 503 after 5 retries``, ``could not store: [Errno 28] No space left on device``),
    #: at most 500 characters; None otherwise
    error: str | None = None

    @classmethod
    def downloaded(cls, kind: str, page: int, url: str, path: str, *, size: int | None = None,
                   width: int | None = None, height: int | None = None, sha256: str | None = None) -> MediaRecord:
        """A file downloaded from ``url`` and stored under ``path``."""
        return cls(kind=kind, page=page, url=url, path=path, size=size, width=width, height=height, sha256=sha256,
                   status="downloaded")

    @classmethod
    def failed(cls, kind: str, page: int, url: str, error: str) -> MediaRecord:
        """A file that could not be downloaded or stored, and why (cut to 500 characters)."""
        return cls(kind=kind, page=page, url=url, status="failed", error=error[:500])

    @classmethod
    def converted(cls, kind: str, path: str, data: bytes, width: int, height: int) -> MediaRecord:
        """An animation written from the ugoira zip: its bytes ``data`` stored under ``path``."""
        return cls(kind=kind, page=0, url=None, path=path, size=len(data), width=width, height=height,
                   sha256=hashlib.sha256(data).hexdigest(), status="converted")


@dataclass(kw_only=True)
class IllustItem:
    """An illust, manga or ugoira with all its pages and tags."""

    id: int
    user_id: int
    type: str  # illust | manga | ugoira
    title: str
    caption: str
    create_date: str  # ISO 8601 as pixiv sends it (JST)
    page_count: int
    width: int
    height: int
    sanity_level: int
    x_restrict: int
    restrict: int
    ai_type: int | None
    book_style: int | None
    total_view: int
    total_bookmarks: int
    total_comments: int | None
    visible: bool
    series_id: int | None
    pages: list[IllustPage]
    tags: list[TagRef]
    ugoira_zip_url: str | None = None
    ugoira_frames: list[dict[str, Any]] | None = None  # [{"file": "000000.jpg", "delay": 60}, …]
    update_date: str | None = None
    #: upload stamp from the image URLs (see pixivcrawl.signature): changes when the work is re-uploaded
    image_stamp: str | None = None
    #: files of this work, filled by the files and ugoira pipelines: one record per page / ugoira file (a row of
    #: the ``media`` table each)
    media: list[MediaRecord] = field(default_factory=list)
    #: None when pixiv shows the work; else which kind of hiding pixiv's own flags say (see
    #: pixivcrawl.parsers.restriction): such a record updates only ``visible`` and ``restriction`` of a stored work
    restriction: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    #: False for a listing record (a thumbnail from search, ranking.php or commission pages): it never overwrites
    #: what a whole record (App API detail) stored, only fills a new row and refreshes the listing's own fields
    whole: bool = True

    #: True when the spider skipped the ugoira metadata because the database holds this work whole and
    #: unchanged (incremental and resumed crawls): the row keeps its frames and stays whole
    stored_whole: bool = False

    def missing(self) -> str | None:
        """What a stored row of this record lacks (the ``incomplete`` column of ``illusts``): ``listing`` for a
        listing record (``whole=False``: no pages, no caption or counters), ``ugoira_frames`` for an ugoira
        whole record without its ``/v1/ugoira/metadata`` (zip URL and frame delays), None for a whole record
        and for pixiv's placeholder of a hidden work (``visible=False`` or a ``restriction``: all pixiv shows of it)."""
        if not self.visible or self.restriction is not None or self.stored_whole:
            return None
        if not self.whole:
            return "listing"
        if self.type == "ugoira" and not self.ugoira_frames:
            return "ugoira_frames"
        return None


@dataclass(kw_only=True)
class IllustSeriesItem:
    id: int
    user_id: int
    title: str
    caption: str
    cover_url: str | None
    work_count: int
    create_date: str | None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class NovelItem:
    id: int
    user_id: int
    series_id: int | None
    title: str
    caption: str
    create_date: str
    page_count: int
    text_length: int
    x_restrict: int
    restrict: int
    is_original: bool
    ai_type: int | None
    total_view: int
    total_bookmarks: int
    total_comments: int | None
    visible: bool
    cover_url: str | None
    tags: list[TagRef]
    text: str | None = None
    series_order: int | None = None
    language: str | None = None
    update_date: str | None = None
    image_stamp: str | None = None
    #: as IllustItem.restriction
    restriction: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    webview_raw: dict[str, Any] | None = None  # the webview's novel object, without its text
    #: False for a listing record (search or commission thumbnail), as IllustItem.whole
    whole: bool = True

    #: True when the spider skipped the text because the database holds this novel whole and unchanged
    stored_whole: bool = False

    def missing(self) -> str | None:
        """What a stored row of this record lacks (the ``incomplete`` column of ``novels``): ``listing`` for a
        listing record (``whole=False``), ``text`` for an App API record without its ``/webview/v2/novel``
        text, None for a whole record with its text and for pixiv's placeholder of a hidden novel (``visible=False`` or
        a ``restriction``)."""
        if not self.visible or self.restriction is not None or self.stored_whole:
            return None
        if not self.whole:
            return "listing"
        if self.text is None:
            return "text"
        return None


@dataclass(kw_only=True)
class NovelSeriesItem:
    id: int
    user_id: int
    title: str
    caption: str
    is_original: bool | None
    is_concluded: bool | None
    content_count: int
    total_character_count: int | None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class SearchHitItem:
    """One work found by a search: where it stood in the results."""

    query_key: str  # canonical form of the search (kind, word and every filter)
    query: dict[str, Any]
    work_type: str  # illust | novel
    work_id: int
    page: int
    position: int  # 1-based position on its page


@dataclass(kw_only=True)
class RankingItem:
    """One position of one ranking on one day."""

    source: str  # web (ranking.php) | app (App API)
    mode: str
    content: str
    date: str  # YYYY-MM-DD
    rank: int
    work_type: str  # illust | novel
    work_id: int
    previous_rank: int | None  # yes_rank: yesterday's rank, 0 when unranked; None when the API does not say
    rating_count: int | None = None
    view_count: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class CommissionRequestItem:
    id: int
    status: str  # complete | inProgress
    work_type: str
    plan_id: int | None
    fan_user_id: int | None  # None for anonymous requests
    creator_user_id: int
    price: int
    currency: str
    proposal: str
    proposal_html: str | None
    proposal_lang: str | None
    translations: list[dict[str, Any]]
    tags: list[str]
    adult: bool
    anonymous: bool
    restricted: bool
    accept_collaborate: bool
    response_deadline: str | None
    post_deadline: str | None
    post_work_id: int | None
    plan_title: str | None
    plan_standard_price: int | None
    collaborated_count: int | None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class CommissionCreatorItem:
    """A creator listed as accepting requests for a work type."""

    user_id: int
    work_type: str
    mode: str


@dataclass(kw_only=True)
class BookmarkItem:
    """One work in a user's bookmarks, as their bookmark list shows it (``/v1/user/bookmarks/illust`` and
    ``/v1/user/bookmarks/novel``): a row of the ``bookmarks`` table, keyed by owner, work type and work id. The work
    itself is its own IllustItem or NovelItem."""

    #: the user whose bookmark it is
    user_id: int
    #: ``illust`` (illusts, manga and ugoira) or ``novel``
    work_type: str
    work_id: int
    #: ``public`` or ``private``: the list it was seen in
    restrict: str
    #: the bookmark's own tags, as pixiv gives them; None when the list does not say (the App API's never does)
    tags: list[str] | None = None
    #: where it stood in its list (one owner, work type and restrict) when last seen, 0 the newest bookmark; None
    #: when the list was narrowed by a bookmark tag (then a stored position is kept)
    position: int | None = None


@dataclass(kw_only=True, frozen=True, slots=True)
class UserProfile:
    """A user's profile as ``GET /v1/user/detail?user_id=&filter=for_ios`` gives it: the profile columns of ``users``
    (pixivcrawl.parsers.app_api.parse_user_detail builds it; pixivcrawl.parsers.users.profile_record puts it on the
    user record). Texts pixiv sends empty are None."""

    #: ``user.comment``: the profile text ("" when none)
    comment: str
    #: ``profile.webpage``, ``twitter_account`` (without ``@``), ``twitter_url``, ``pawoo_url``
    webpage: str | None
    twitter_account: str | None
    twitter_url: str | None
    pawoo_url: str | None
    #: ``profile.gender`` (``male`` | ``female``), ``region``, ``job``, ``birth_day`` (``MM-DD``), ``birth_year``:
    #: what the user made public
    gender: str | None
    region: str | None
    job: str | None
    birth_day: str | None
    birth_year: int | None
    #: ``profile.is_premium``
    is_premium: bool
    #: ``profile.total_*``: pixiv's counters when the profile was read (illusts count ugoira too)
    total_illusts: int
    total_manga: int
    total_novels: int
    total_illust_series: int
    total_novel_series: int
    total_illust_bookmarks_public: int
    total_follow_users: int
    total_mypixiv_users: int
    #: ``profile.background_image_url``: the profile's header image on the CDN
    background_image_url: str | None
    #: ``workspace``: the user's tools and desk as pixiv sends them (``pc``, ``monitor``, ``tool``, …,
    #: ``workspace_image_url``), or None
    workspace: dict[str, Any] | None
    #: the answer but its ``user``: ``{profile, profile_publicity, workspace}``
    raw: dict[str, Any]


@dataclass(kw_only=True)
class FollowItem:
    """One user a user follows (App API ``/v1/user/following``): a row of ``follows``, keyed by follower and
    followed. A follow seen again updates its ``restrict``, ``position`` and ``last_seen_at``."""

    #: the user whose follows these are
    follower_id: int
    #: the user followed
    followed_id: int
    #: ``public`` or ``private`` (a private follow shows only in the follower's own list)
    restrict: str
    #: where the follow stood in its list (``/v1/user/following?restrict=…``), 0 = the newest follow
    position: int


@dataclass(kw_only=True)
class FeedEntryItem:
    """One work of the account's follow feed (App API ``/v2/illust/follow``, ``/v1/novel/follow``) as it stood on
    the day of the crawl: a row of ``feed_entries``, keyed by account, work type, restrict, day and work."""

    #: the pixiv user id of the crawl's account (the feed is always the account's own)
    account_id: int
    work_type: str  # illust | novel
    work_id: int
    #: the feed asked for: ``public``, ``private`` (works of the users followed privately) or ``all``
    restrict: str
    #: the UTC date of the crawl, ``YYYY-MM-DD``
    day: str
    #: where the work stood in the feed that day, 0 = the newest
    position: int
