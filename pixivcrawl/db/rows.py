"""Rows for each item: the parent row and the child rows that replace the work's old ones."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any

from pixivcrawl.items import (
    BookmarkItem,
    CommissionCreatorItem,
    CommissionRequestItem,
    FeedEntryItem,
    FollowItem,
    IllustItem,
    IllustPage,
    IllustSeriesItem,
    MediaRecord,
    NovelItem,
    NovelSeriesItem,
    RankingItem,
    SearchHitItem,
    TagRef,
    UserItem,
    UserProfile,
)
from pixivcrawl.parsers.restriction import is_hidden

from . import schema


def parse_time(value: str | None) -> datetime | None:
    """pixiv's ISO 8601 times as aware UTC datetimes (None stays None)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass
class ItemRows:
    """Rows per table of one item; ``replace`` names child tables whose rows for a parent id are replaced.

    ``whole`` is False for a listing record (``item.whole`` False) or a hidden record
    (pixivcrawl.parsers.restriction.is_hidden): its parent row only fills a new row or updates ``columns`` of an
    existing one, and it never displaces a whole record of the same batch (pixivcrawl.db.store.Batch).
    """

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    replace: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: (table, id) of the item's own row, for works and users; None for other items
    parent: tuple[str, int] | None = None
    #: False for a listing or hidden record (see above)
    whole: bool = True
    #: for a record that is not whole: the parent columns it may update on an existing row (a listing record's
    #: ``schema.LISTING_COLUMNS`` of its table, a hidden record's ``schema.HIDDEN_COLUMNS``)
    columns: tuple[str, ...] = ()
    #: a hidden record: unlike a listing record, it updates its ``columns`` on a whole record of the same batch too
    #: (as if written after it)
    hidden: bool = False

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)


def _tag_rows(out: ItemRows, link_table: str, parent_col: str, parent_id: int, tags: list[TagRef]) -> None:
    out.replace[link_table] = (parent_col, parent_id)
    seen: set[str] = set()
    for position, ref in enumerate(tags):
        tag = ref if isinstance(ref, TagRef) else TagRef(**ref)
        if tag.name in seen:
            continue
        seen.add(tag.name)
        out.add("tags", {"name": tag.name, "translated_name": tag.translated_name})
        out.add(link_table, {parent_col: parent_id, "tag": tag.name, "position": position})


_PAGE_FIELDS = tuple(f.name for f in fields(IllustPage))
_MEDIA_FIELDS = tuple(f.name for f in fields(MediaRecord))


def _pick(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a dataclass item, read as attributes (ItemAdapter's per-field dispatch cost more
    than the rest of the conversion)."""
    return {name: getattr(obj, name) for name in names}


def item_rows(item: Any) -> ItemRows:
    """Convert one item into rows. Raises TypeError for an item type the database does not store.

    A listing record (``item.whole`` False) becomes rows that are not whole (``ItemRows.whole``): its parent row
    updates only ``schema.LISTING_COLUMNS`` of an existing row, and an illust's pages are left as they are.
    A hidden or placeholder illust/novel record (:func:`pixivcrawl.parsers.restriction.is_hidden`), whole or
    listing, becomes the work's row alone, updating only ``schema.HIDDEN_COLUMNS``: a new row stores what
    pixiv gave; an existing row gets only its ``visible`` and ``restriction``, and keeps its texts, pages, tags,
    ``media`` rows, ugoira frames and text (no child row is written or replaced)."""
    out = _rows_of(item)
    if out.whole or out.parent is None:
        return out
    out.columns = schema.HIDDEN_COLUMNS if out.hidden else schema.LISTING_COLUMNS.get(out.parent[0], ())
    return out


def _rows_of(item: Any) -> ItemRows:
    """The rows of ``item``, with ``whole`` and ``hidden`` set (see :func:`item_rows`)."""
    hidden = isinstance(item, (IllustItem, NovelItem)) and is_hidden(item)
    out = ItemRows(whole=not hidden and getattr(item, "whole", True), hidden=hidden)
    if isinstance(item, UserItem):
        out.parent = ("users", item.id)
        out.add("users", {**_pick(item, ("id", "name", "account", "profile_image_url", "raw")),
                          **profile_row(item.profile)})
    elif isinstance(item, IllustItem):
        _illust_rows(out, item)
    elif isinstance(item, IllustSeriesItem):
        row = _pick(item, ("id", "user_id", "title", "caption", "cover_url", "work_count", "raw"))
        row["create_date"] = parse_time(item.create_date)
        out.add("illust_series", row)
    elif isinstance(item, NovelItem):
        _novel_rows(out, item)
    elif isinstance(item, NovelSeriesItem):
        out.add("novel_series", _pick(item, (
            "id", "user_id", "title", "caption", "is_original", "is_concluded", "content_count",
            "total_character_count", "raw")))
    elif isinstance(item, SearchHitItem):
        out.add("search_hits", _pick(item, ("query_key", "query", "work_type", "work_id", "page", "position")))
    elif isinstance(item, RankingItem):
        row = _pick(item, ("source", "mode", "content", "rank", "work_type", "work_id", "previous_rank",
                                 "rating_count", "view_count", "raw"))
        row["date"] = date.fromisoformat(item.date)
        out.add("rankings", row)
    elif isinstance(item, CommissionRequestItem):
        row = _pick(item, (
            "id", "status", "work_type", "plan_id", "fan_user_id", "creator_user_id", "price", "currency",
            "proposal", "proposal_html", "proposal_lang", "translations", "tags", "adult", "anonymous",
            "restricted", "accept_collaborate", "post_work_id", "plan_title", "plan_standard_price",
            "collaborated_count", "raw"))
        row["response_deadline"] = parse_time(item.response_deadline)
        row["post_deadline"] = parse_time(item.post_deadline)
        out.add("commission_requests", row)
    elif isinstance(item, CommissionCreatorItem):
        out.add("commission_creators", _pick(item, ("user_id", "work_type", "mode")))
    elif isinstance(item, BookmarkItem):
        out.add("bookmarks", _pick(item, ("user_id", "work_type", "work_id", "restrict", "tags", "position")))
    elif isinstance(item, FollowItem):
        out.add("follows", _pick(item, ("follower_id", "followed_id", "restrict", "position")))
    elif isinstance(item, FeedEntryItem):
        row = _pick(item, ("account_id", "work_type", "work_id", "restrict", "position"))
        row["day"] = date.fromisoformat(item.day)
        out.add("feed_entries", row)
    else:
        raise TypeError(f"no table stores {type(item).__name__} items")
    return out


def _illust_rows(out: ItemRows, item: IllustItem) -> None:
    """An illust's row; unless it is hidden, its ``media`` rows, its pages (a whole record's) and its tags."""
    out.parent = ("illusts", item.id)
    row = _pick(item, (
        "id", "user_id", "type", "title", "caption", "page_count", "width", "height", "sanity_level",
        "x_restrict", "restrict", "ai_type", "book_style", "total_view", "total_bookmarks", "total_comments",
        "visible", "series_id", "ugoira_zip_url", "ugoira_frames", "image_stamp", "restriction", "raw"))
    row["incomplete"] = item.missing()
    row["create_date"] = parse_time(item.create_date)
    row["update_date"] = parse_time(item.update_date)
    out.add("illusts", row)
    if out.hidden:
        return
    for media in item.media:
        out.add("media", {"work_id": item.id, **_pick(media, _MEDIA_FIELDS)})
    if item.whole:  # listings carry no page URLs: the pages a whole record stored stay
        out.replace["illust_pages"] = ("illust_id", item.id)
        for page in item.pages:
            out.add("illust_pages", {"illust_id": item.id, **_pick(page, _PAGE_FIELDS)})
    _tag_rows(out, "illust_tags", "illust_id", item.id, item.tags)


def _novel_rows(out: ItemRows, item: NovelItem) -> None:
    """A novel's row and, unless it is hidden, its tags."""
    out.parent = ("novels", item.id)
    row = _pick(item, (
        "id", "user_id", "series_id", "series_order", "title", "caption", "page_count", "text_length",
        "x_restrict", "restrict", "is_original", "ai_type", "total_view", "total_bookmarks", "total_comments",
        "visible", "cover_url", "text", "language", "image_stamp", "restriction", "raw", "webview_raw"))
    row["incomplete"] = item.missing()
    row["create_date"] = parse_time(item.create_date)
    row["update_date"] = parse_time(item.update_date)
    out.add("novels", row)
    if not out.hidden:
        _tag_rows(out, "novel_tags", "novel_id", item.id, item.tags)


def profile_row(profile: UserProfile | None) -> dict[str, Any]:
    """The profile columns of a ``users`` row (schema.PROFILE_COLUMNS), stamped now; {} without a profile: a row
    without them leaves those of a stored user as they are (pixivcrawl.db.store writes only the columns a row
    has)."""
    if profile is None:
        return {}
    row = {name: getattr(profile, name) for name in schema.PROFILE_COLUMNS
           if name not in ("profile_raw", "profile_fetched_at")}
    return {**row, "profile_raw": profile.raw, "profile_fetched_at": datetime.now(UTC)}
