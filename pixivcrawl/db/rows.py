"""Rows for each item: the parent row and the child rows that replace the work's old ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from itemadapter import ItemAdapter

from pixivcrawl.items import (
    IllustItem,
    IllustSeriesItem,
    NovelItem,
    NovelSeriesItem,
    TagRef,
    UserItem,
)


def parse_time(value: str | None) -> datetime | None:
    """pixiv's ISO 8601 times as aware UTC datetimes (None stays None)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclass
class ItemRows:
    """Rows per table; ``replace`` names child tables whose rows for a parent id are replaced."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    replace: dict[str, tuple[str, int]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)


def _tag_rows(out: ItemRows, link_table: str, parent_col: str, parent_id: int, tags: list[TagRef]) -> None:
    out.replace[link_table] = (parent_col, parent_id)
    seen: set[str] = set()
    for position, tag in enumerate(tags):
        tag = tag if isinstance(tag, TagRef) else TagRef(**tag)
        if tag.name in seen:
            continue
        seen.add(tag.name)
        out.add("tags", {"name": tag.name, "translated_name": tag.translated_name})
        out.add(link_table, {parent_col: parent_id, "tag": tag.name, "position": position})


def item_rows(item: Any) -> ItemRows:
    """Convert one item into rows. Raises TypeError for an item type the database does not store."""
    out = ItemRows()
    a = ItemAdapter(item)
    if isinstance(item, UserItem):
        out.add("users", {k: a[k] for k in ("id", "name", "account", "profile_image_url", "raw")})
    elif isinstance(item, IllustItem):
        row = {k: a[k] for k in (
            "id", "user_id", "type", "title", "caption", "page_count", "width", "height", "sanity_level",
            "x_restrict", "restrict", "ai_type", "book_style", "total_view", "total_bookmarks", "total_comments",
            "visible", "series_id", "ugoira_zip_url", "ugoira_frames", "raw")}
        row["create_date"] = parse_time(item.create_date)
        out.add("illusts", row)
        out.replace["illust_pages"] = ("illust_id", item.id)
        for page in item.pages:
            p = ItemAdapter(page).asdict()
            out.add("illust_pages", {"illust_id": item.id, **p})
        _tag_rows(out, "illust_tags", "illust_id", item.id, item.tags)
    elif isinstance(item, IllustSeriesItem):
        row = {k: a[k] for k in ("id", "user_id", "title", "caption", "cover_url", "work_count", "raw")}
        row["create_date"] = parse_time(item.create_date)
        out.add("illust_series", row)
    elif isinstance(item, NovelItem):
        row = {k: a[k] for k in (
            "id", "user_id", "series_id", "series_order", "title", "caption", "page_count", "text_length",
            "x_restrict", "restrict", "is_original", "ai_type", "total_view", "total_bookmarks", "total_comments",
            "visible", "cover_url", "text", "raw", "webview_raw")}
        row["create_date"] = parse_time(item.create_date)
        out.add("novels", row)
        _tag_rows(out, "novel_tags", "novel_id", item.id, item.tags)
    elif isinstance(item, NovelSeriesItem):
        out.add("novel_series", {k: a[k] for k in (
            "id", "user_id", "title", "caption", "is_original", "is_concluded", "content_count",
            "total_character_count", "raw")})
    else:
        raise TypeError(f"no table stores {type(item).__name__} items")
    return out
