"""The database schema (SQLAlchemy Core). Changes to it go with a new alembic revision in migrations/."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

JSONType = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
Stamp = sa.DateTime(timezone=True)


def _crawl_columns() -> list[sa.Column]:
    return [
        sa.Column("first_seen_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
    ]


users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("account", sa.Text),
    sa.Column("profile_image_url", sa.Text),
    sa.Column("raw", JSONType, nullable=False),
    *_crawl_columns(),
)

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
    sa.Column("series_id", sa.BigInteger, index=True),
    sa.Column("ugoira_zip_url", sa.Text),
    sa.Column("ugoira_frames", JSONType),
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
    sa.Column("cover_url", sa.Text),
    sa.Column("text", sa.Text),
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

#: columns an upsert never overwrites with NULL (a later partial fetch must not erase what we have)
KEEP_IF_NULL = {
    "illusts": ("ugoira_zip_url", "ugoira_frames"),
    "novels": ("text", "webview_raw", "series_order"),
    "tags": ("translated_name",),
}
