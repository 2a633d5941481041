"""The database schema (SQLAlchemy Core). Changes to it go with a new alembic revision in migrations/."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


class JSONOrJSONB(sa.types.TypeDecorator):
    """``JSON(none_as_null=True)``, and ``JSONB(none_as_null=True)`` on PostgreSQL: what
    ``sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")`` (the migrations' type) is,
    without importing SQLAlchemy's PostgreSQL dialect on every SQLite crawl (25-50 ms of start-up) just to name
    JSONB. The same DDL, the same stored values; alembic sees no difference (tests/test_sql_store.py)."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(none_as_null=True)

    def load_dialect_impl(self, dialect: Any) -> sa.types.TypeEngine:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(sa.JSON(none_as_null=True))


JSONType = JSONOrJSONB()
Stamp = sa.DateTime(timezone=True)


def _crawl_columns() -> list[sa.Column]:
    return [
        sa.Column("first_seen_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
    ]


def _profile_columns() -> list[sa.Column]:
    """The profile of a user (``/v1/user/detail``, pixivcrawl.items.UserProfile): NULL until the ``user`` spider
    stored it; a user record without a profile (a work's or a listing's user) leaves them as they are."""
    return [
        sa.Column("comment", sa.Text),
        sa.Column("webpage", sa.Text),
        sa.Column("twitter_account", sa.Text),
        sa.Column("twitter_url", sa.Text),
        sa.Column("pawoo_url", sa.Text),
        sa.Column("gender", sa.String(16)),
        sa.Column("region", sa.Text),
        sa.Column("job", sa.Text),
        sa.Column("birth_day", sa.String(5)),
        sa.Column("birth_year", sa.Integer),
        sa.Column("is_premium", sa.Boolean),
        *(sa.Column(name, sa.Integer) for name in PROFILE_COUNTERS),
        sa.Column("background_image_url", sa.Text),
        sa.Column("workspace", JSONType),
        #: the answer but its user: {profile, profile_publicity, workspace}
        sa.Column("profile_raw", JSONType),
        #: when the profile was last stored (UTC)
        sa.Column("profile_fetched_at", Stamp),
    ]


#: the counters of a profile, as pixiv names them
PROFILE_COUNTERS = ("total_illusts", "total_manga", "total_novels", "total_illust_series", "total_novel_series",
                    "total_illust_bookmarks_public", "total_follow_users", "total_mypixiv_users")

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("account", sa.Text),
    sa.Column("profile_image_url", sa.Text),
    sa.Column("raw", JSONType, nullable=False),
    *_crawl_columns(),
    *_profile_columns(),
)

#: the columns of ``users`` a user record with a profile writes, and only such a record
PROFILE_COLUMNS = tuple(column.name for column in _profile_columns())

illusts = sa.Table(
    "illusts", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("caption", sa.Text, nullable=False),
    sa.Column("create_date", Stamp, nullable=False, index=True),
    sa.Column("page_count", sa.Integer, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("sanity_level", sa.SmallInteger, nullable=False),
    sa.Column("x_restrict", sa.SmallInteger, nullable=False),
    sa.Column("restrict", sa.SmallInteger, nullable=False),
    sa.Column("ai_type", sa.SmallInteger),
    sa.Column("book_style", sa.SmallInteger),
    sa.Column("total_view", sa.BigInteger, nullable=False),
    sa.Column("total_bookmarks", sa.BigInteger, nullable=False),
    sa.Column("total_comments", sa.BigInteger),
    sa.Column("visible", sa.Boolean, nullable=False),
    #: NULL for a whole record; else what the row lacks (IllustItem/NovelItem.missing): listing | ugoira_frames | text
    sa.Column("incomplete", sa.String(16)),
    sa.Column("series_id", sa.BigInteger, index=True),
    sa.Column("ugoira_zip_url", sa.Text),
    sa.Column("ugoira_frames", JSONType),
    sa.Column("update_date", Stamp),
    sa.Column("image_stamp", sa.String(19)),
    #: NULL when pixiv last showed the work whole; else the kind of hiding of the last hidden record seen
    #: (pixivcrawl.parsers.restriction: sanity_level, mypixiv, unviewable, private, r18, r18g, unknown, masked, hidden)
    sa.Column("restriction", sa.String(32)),
    sa.Column("raw", JSONType, nullable=False),
    *_crawl_columns(),
)

illust_pages = sa.Table(
    "illust_pages", metadata,
    sa.Column("illust_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("page", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("original_url", sa.Text),
    sa.Column("large_url", sa.Text),
    sa.Column("medium_url", sa.Text),
    sa.Column("square_medium_url", sa.Text),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
)

tags = sa.Table(
    "tags", metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("translated_name", sa.Text),
)

illust_tags = sa.Table(
    "illust_tags", metadata,
    sa.Column("illust_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("tag", sa.Text, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index("ix_illust_tags_tag", "tag"),
)

illust_series = sa.Table(
    "illust_series", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("caption", sa.Text, nullable=False),
    sa.Column("cover_url", sa.Text),
    sa.Column("work_count", sa.Integer, nullable=False),
    sa.Column("create_date", Stamp),
    sa.Column("raw", JSONType, nullable=False),
    *_crawl_columns(),
)

novels = sa.Table(
    "novels", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("series_id", sa.BigInteger, index=True),
    sa.Column("series_order", sa.Integer),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("caption", sa.Text, nullable=False),
    sa.Column("create_date", Stamp, nullable=False, index=True),
    sa.Column("page_count", sa.Integer, nullable=False),
    sa.Column("text_length", sa.Integer, nullable=False),
    sa.Column("x_restrict", sa.SmallInteger, nullable=False),
    sa.Column("restrict", sa.SmallInteger, nullable=False),
    sa.Column("is_original", sa.Boolean, nullable=False),
    sa.Column("ai_type", sa.SmallInteger),
    sa.Column("total_view", sa.BigInteger, nullable=False),
    sa.Column("total_bookmarks", sa.BigInteger, nullable=False),
    sa.Column("total_comments", sa.BigInteger),
    sa.Column("visible", sa.Boolean, nullable=False),
    #: NULL for a whole record; else what the row lacks (IllustItem/NovelItem.missing): listing | ugoira_frames | text
    sa.Column("incomplete", sa.String(16)),
    sa.Column("cover_url", sa.Text),
    sa.Column("text", sa.Text),
    sa.Column("language", sa.String(16)),
    sa.Column("update_date", Stamp),
    sa.Column("image_stamp", sa.String(19)),
    #: as illusts.restriction
    sa.Column("restriction", sa.String(32)),
    sa.Column("raw", JSONType, nullable=False),
    sa.Column("webview_raw", JSONType),
    *_crawl_columns(),
)

novel_tags = sa.Table(
    "novel_tags", metadata,
    sa.Column("novel_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("tag", sa.Text, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index("ix_novel_tags_tag", "tag"),
)

novel_series = sa.Table(
    "novel_series", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("caption", sa.Text, nullable=False),
    sa.Column("is_original", sa.Boolean),
    sa.Column("is_concluded", sa.Boolean),
    sa.Column("content_count", sa.Integer, nullable=False),
    sa.Column("total_character_count", sa.Integer),
    sa.Column("raw", JSONType, nullable=False),
    *_crawl_columns(),
)

search_hits = sa.Table(
    "search_hits", metadata,
    sa.Column("query_key", sa.Text, primary_key=True),
    sa.Column("work_type", sa.String(16), primary_key=True),
    sa.Column("work_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("query", JSONType, nullable=False),
    sa.Column("page", sa.Integer, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Index("ix_search_hits_work", "work_type", "work_id"),
    *_crawl_columns(),
)

rankings = sa.Table(
    "rankings", metadata,
    sa.Column("source", sa.String(8), primary_key=True),
    sa.Column("mode", sa.String(32), primary_key=True),
    sa.Column("content", sa.String(16), primary_key=True),
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("rank", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("work_type", sa.String(16), nullable=False),
    sa.Column("work_id", sa.BigInteger, nullable=False),
    sa.Column("previous_rank", sa.Integer),
    sa.Column("rating_count", sa.BigInteger),
    sa.Column("view_count", sa.BigInteger),
    sa.Column("raw", JSONType, nullable=False),
    sa.Index("ix_rankings_work", "work_type", "work_id"),
    *_crawl_columns(),
)

commission_requests = sa.Table(
    "commission_requests", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("work_type", sa.String(16), nullable=False),
    sa.Column("plan_id", sa.BigInteger),
    sa.Column("fan_user_id", sa.BigInteger, index=True),
    sa.Column("creator_user_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("price", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("proposal", sa.Text, nullable=False),
    sa.Column("proposal_html", sa.Text),
    sa.Column("proposal_lang", sa.String(16)),
    sa.Column("translations", JSONType, nullable=False),
    sa.Column("tags", JSONType, nullable=False),
    sa.Column("adult", sa.Boolean, nullable=False),
    sa.Column("anonymous", sa.Boolean, nullable=False),
    sa.Column("restricted", sa.Boolean, nullable=False),
    sa.Column("accept_collaborate", sa.Boolean, nullable=False),
    sa.Column("response_deadline", Stamp),
    sa.Column("post_deadline", Stamp),
    sa.Column("post_work_id", sa.BigInteger),
    sa.Column("plan_title", sa.Text),
    sa.Column("plan_standard_price", sa.Integer),
    sa.Column("collaborated_count", sa.Integer),
    sa.Column("raw", JSONType, nullable=False),
    *_crawl_columns(),
)

commission_creators = sa.Table(
    "commission_creators", metadata,
    sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("work_type", sa.String(16), primary_key=True),
    sa.Column("mode", sa.String(8), primary_key=True),
    *_crawl_columns(),
)

media = sa.Table(
    "media", metadata,
    sa.Column("work_id", sa.BigInteger, primary_key=True, autoincrement=False),
    # page | ugoira_zip | ugoira_webp | ugoira_apng | ugoira_gif
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("page", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("url", sa.Text),
    sa.Column("path", sa.Text),
    sa.Column("size", sa.BigInteger),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("sha256", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False),  # downloaded | failed | placeholder | converted
    sa.Column("error", sa.Text),
    *_crawl_columns(),
)

#: columns a listing record (an item with ``whole=False``) may update on an existing row; the rest stay as the
#: whole record left them (a hidden record, whole or listing, updates only HIDDEN_COLUMNS)
LISTING_COLUMNS = {
    "users": ("name", "profile_image_url"),
    "illusts": ("title", "page_count", "width", "height", "x_restrict", "update_date"),
    "novels": ("title", "text_length", "x_restrict", "update_date"),
}

#: the columns a hidden or placeholder record (pixivcrawl.parsers.restriction.is_hidden) updates on an existing row
HIDDEN_COLUMNS = ("visible", "restriction")

#: columns an upsert never overwrites with NULL (a later partial fetch must not erase what we have)
KEEP_IF_NULL = {
    "novels": ("text", "webview_raw", "series_order", "language", "update_date"),
    "illusts": ("ugoira_zip_url", "ugoira_frames", "update_date"),
    "tags": ("translated_name",),
}

#: the works users bookmarked (pixivcrawl.items.BookmarkItem): one row per owner and work, whatever the list it was
#: seen in (public or private: ``restrict``); ``last_seen_at`` is the last crawl that saw it (it plays the part of the
#: other tables' ``updated_at``), ``position`` where it stood then in its list (0 the newest)
bookmarks = sa.Table(
    "bookmarks", metadata,
    sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("work_type", sa.String(16), primary_key=True),
    sa.Column("work_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("restrict", sa.String(8), nullable=False),
    sa.Column("tags", JSONType),
    sa.Column("position", sa.Integer),
    sa.Column("first_seen_at", Stamp, nullable=False),
    sa.Column("last_seen_at", Stamp, nullable=False),
    sa.Index("ix_bookmarks_work", "work_type", "work_id"),
)
KEEP_IF_NULL["bookmarks"] = ("tags", "position")

#: who follows whom (App API ``/v1/user/following``); ``last_seen_at``: the last crawl that listed the follow
follows = sa.Table(
    "follows", metadata,
    sa.Column("follower_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("followed_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("restrict", sa.String(8), nullable=False),  # public | private
    sa.Column("position", sa.Integer, nullable=False),  # 0 = the newest follow of its list
    sa.Index("ix_follows_followed", "followed_id"),
    sa.Column("first_seen_at", Stamp, nullable=False),
    sa.Column("last_seen_at", Stamp, nullable=False),
)

#: the account's follow feed (``/v2/illust/follow``, ``/v1/novel/follow``), one row per work per day it was seen
feed_entries = sa.Table(
    "feed_entries", metadata,
    sa.Column("account_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("work_type", sa.String(16), primary_key=True),  # illust | novel
    sa.Column("restrict", sa.String(8), primary_key=True),  # public | private | all
    sa.Column("day", sa.Date, primary_key=True),  # UTC date of the crawl
    sa.Column("work_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("position", sa.Integer, nullable=False),  # 0 = the newest work of the feed that day
    sa.Index("ix_feed_entries_work", "work_type", "work_id"),
    *_crawl_columns(),
)
