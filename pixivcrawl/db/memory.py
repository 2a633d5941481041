"""The database as the crawler's memory across runs: :class:`CrawlMemory`, a Scrapy extension.

Enabled in ``EXTENSIONS`` (pixivcrawl.settings) and found through the crawler: :func:`crawl_memory`
(``crawler.get_extension(CrawlMemory)``). It reads ``DATABASE_URL`` (empty: it knows nothing from earlier runs,
and still remembers what this crawl meets — the dedupe pipeline uses it without the SQL pipeline) and
``FILES_STORE``.

Loaded once per crawl, on first use (after the SQL pipeline has migrated the schema): each stored work's
signature (page count or text length, and the upload stamp of its image URLs — see pixivcrawl.signature),
whether a whole record of it is stored (its ``incomplete`` column is NULL: pages, ugoira frames, novel
text), and which files were downloaded from which URL. The dedupe pipeline classifies items with it, the
files pipeline skips files it already has, and spiders run with ``-a incremental=1`` stop listings once
they only meet works (or, for the ``bookmarks`` spider, bookmarks) they know.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from scrapy.crawler import Crawler

from pixivcrawl.db import schema
from pixivcrawl.db.store import make_engine, normalise_url
from pixivcrawl.items import MediaRecord

logger = logging.getLogger(__name__)

#: what tells that a work changed (pixivcrawl.signature.work_signature): (page count of an illust or text length
#: of a novel, upload stamp ``YYYY/MM/DD/hh/mm/ss`` of its image URLs or None)
Signature = tuple[int | None, str | None]


class KnownWork(NamedTuple):
    """What the memory knows of a work stored (or written by this crawl)."""

    #: the stored record's signature
    signature: Signature
    #: True when the stored row lacks nothing (its ``incomplete`` column is NULL), or is pixiv's stand-in for a
    #: work it hides (a record that stays as it was); False for a listing record, or a whole record without its
    #: ugoira frames or novel text
    whole: bool


def crawl_memory(crawler: Crawler) -> CrawlMemory:
    """The crawl's memory: the :class:`CrawlMemory` extension of ``crawler`` (one per crawler). Raises
    RuntimeError naming the setting when it is not enabled in ``EXTENSIONS``."""
    memory = crawler.get_extension(CrawlMemory)
    if memory is None:
        raise RuntimeError("pixivcrawl needs its crawl memory: enable pixivcrawl.db.memory.CrawlMemory in EXTENSIONS")
    return memory


class CrawlMemory:
    """Works and files the database holds (see the module docstring); a Scrapy extension, never switched off."""

    def __init__(self, database_url: str, files_store: str | None = None) -> None:
        self.url = database_url
        self.files_root = local_store_root(files_store)
        self._works: dict[tuple[str, int], KnownWork] | None = None
        #: (work id, kind, page) -> the file stored of it (downloaded or converted)
        self._media: dict[tuple[int, str, int], MediaRecord] = {}
        #: works whose stored row is pixiv's stand-in (``visible`` false or a ``restriction``)
        self._hidden: set[tuple[str, int]] = set()
        #: (owner, work type) -> {work id: restrict} of the bookmarks stored, read on first use per owner and type
        self._bookmarks: dict[tuple[int, str], dict[int, str]] = {}
        #: users whose profile is stored (loaded on first use by profile_stored)
        self._profiles: set[int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlMemory:
        return cls(crawler.settings.get("DATABASE_URL") or "", crawler.settings.get("FILES_STORE"))

    # -- loading -------------------------------------------------------------------------------------

    def _load(self) -> None:
        self._works = {}
        if not self.url:
            return
        engine = make_engine(normalise_url(self.url))
        try:
            with engine.connect() as conn:
                if not sa.inspect(conn).has_table("illusts"):
                    return
                self._load_works(conn, "illust", schema.illusts, schema.illusts.c.page_count)
                self._load_works(conn, "novel", schema.novels, schema.novels.c.text_length)
                if sa.inspect(conn).has_table("media"):
                    m = schema.media
                    for wid, kind, page, url, path, status in conn.execute(
                            sa.select(m.c.work_id, m.c.kind, m.c.page, m.c.url, m.c.path, m.c.status)
                            .where(m.c.status.in_(("downloaded", "converted")))):
                        self._media[(wid, kind, page)] = MediaRecord(kind=kind, page=page, url=url, path=path,
                                                                     status=status)
        finally:
            engine.dispose()
        logger.info("Crawl memory: %d works and %d files known from earlier runs", len(self._works), len(self._media))

    def _load_works(self, conn: sa.Connection, kind: str, table: sa.Table, length: sa.Column) -> None:
        """Every stored work of ``table`` (``illusts`` with its page count, ``novels`` with its text length)."""
        assert self._works is not None
        hidden = sa.or_(table.c.visible.is_(False), table.c.restriction.isnot(None))
        # a whole record lacks nothing (``incomplete`` is NULL: pages, ugoira frames, novel text), or is pixiv's
        # placeholder for a work it will not show (whose stored record stays as it was)
        whole = sa.or_(table.c.incomplete.is_(None), hidden)
        for wid, size, stamp, is_whole, stand_in in conn.execute(
                sa.select(table.c.id, length, table.c.image_stamp, whole, hidden)):
            self._works[(kind, wid)] = KnownWork((size, stamp), bool(is_whole))
            if stand_in:
                self._hidden.add((kind, wid))

    @property
    def works(self) -> dict[tuple[str, int], KnownWork]:
        """(``illust`` | ``novel``, id) -> what is known of the work (loaded on first use)."""
        if self._works is None:
            self._load()
        return self._works  # type: ignore[return-value]

    # -- works ---------------------------------------------------------------------------------------

    def work_state(self, kind: str, wid: int, signature: Signature, whole: bool) -> str:
        """``new``, ``updated`` (changed, or now a record lacking nothing — ``whole`` — of a work known only from
        listings or stored as pixiv's stand-in for a hidden work) or ``unchanged``."""
        known = self.works.get((kind, wid))
        if known is None:
            return "new"
        if known.signature != signature or (whole and (not known.whole or (kind, wid) in self._hidden)):
            return "updated"  # changed, or now whole where a listing or pixiv's stand-in was stored
        return "unchanged"

    def remember(self, kind: str, wid: int, signature: Signature, whole: bool) -> None:
        """Note a work's signature as written now (a hidden record of a stored work is never remembered: what
        is stored did not change)."""
        old = self.works.get((kind, wid))
        self.works[(kind, wid)] = KnownWork(signature, whole or bool(old and old.signature == signature and old.whole))

    def known_unchanged(self, kind: str, wid: int, signature: Signature, *, need_whole: bool = True) -> bool:
        """Whether the database holds this work with this signature (and, with ``need_whole``, lacking nothing),
        and not as pixiv's stand-in for a hidden work (a record pixiv shows again is a change)."""
        known = self.works.get((kind, wid))
        return known is not None and known.signature == signature and (known.whole or not need_whole) and \
            (kind, wid) not in self._hidden

    def stored(self, kind: str, wid: int) -> bool:
        """Whether the database (or this crawl) holds a row of this work."""
        return (kind, wid) in self.works

    def stored_hidden(self, kind: str, wid: int) -> bool:
        """Whether the stored row of this work is pixiv's stand-in (``visible`` false or a ``restriction``)."""
        self.works  # noqa: B018 - loads on first use
        return (kind, wid) in self._hidden

    def remember_visibility(self, kind: str, wid: int, *, hidden: bool) -> None:
        """Note what this crawl stored of a work: its stand-in (``hidden``) or a record pixiv shows."""
        if hidden:
            self._hidden.add((kind, wid))
        else:
            self._hidden.discard((kind, wid))

    # -- files ---------------------------------------------------------------------------------------

    def stored_file(self, wid: int, kind: str, page: int, url: str) -> str | None:
        """The path of a file an earlier run downloaded from this very URL, if it is still in the store."""
        known = self.stored_media(wid, kind, page)
        return known.path if known is not None and known.url == url else None

    def stored_media(self, wid: int, kind: str, page: int) -> MediaRecord | None:
        """The file of this kind an earlier run (or this crawl) stored — downloaded or converted, whatever its URL —
        and that is still in the store (checked on a local ``FILES_STORE``); None otherwise. Only its ``kind``,
        ``page``, ``url``, ``path`` and ``status`` are known."""
        self.works  # noqa: B018 - loads on first use
        known = self._media.get((wid, kind, page))
        if known is None or (self.files_root is not None and not (self.files_root / known.path).is_file()):
            return None
        return known

    def remember_file(self, wid: int, media: MediaRecord) -> None:
        """Note a file of work ``wid`` this crawl stored (downloaded or converted)."""
        self._media[(wid, media.kind, media.page)] = media

    # -- rankings ------------------------------------------------------------------------------------

    def complete_ranking_days(self, source: str, mode: str, content: str) -> set[date]:
        """Days whose ranking is stored without a gap (ranks 1..n)."""
        if not self.url:
            return set()
        engine = make_engine(normalise_url(self.url))
        try:
            with engine.connect() as conn:
                if not sa.inspect(conn).has_table("rankings"):
                    return set()
                r = schema.rankings
                rows = conn.execute(sa.select(r.c.date, sa.func.count(), sa.func.max(r.c.rank))
                                    .where(r.c.source == source, r.c.mode == mode, r.c.content == content)
                                    .group_by(r.c.date))
                return {d if isinstance(d, date) else date.fromisoformat(str(d)) for d, n, top in rows if n == top}
        finally:
            engine.dispose()

    # -- bookmarks -----------------------------------------------------------------------------------

    def bookmarks(self, user_id: int, work_type: str) -> dict[int, str]:
        """The bookmarks of user ``user_id``'s ``work_type`` list (``illust`` or ``novel``) the database holds:
        work id -> restrict (``public`` | ``private``). Read once per owner and work type ({} without a database);
        the crawl's own bookmarks are not added (a crawl reads a list once)."""
        key = (user_id, work_type)
        if key not in self._bookmarks:
            self._bookmarks[key] = self._load_bookmarks(user_id, work_type) if self.url else {}
        return self._bookmarks[key]

    def _load_bookmarks(self, user_id: int, work_type: str) -> dict[int, str]:
        engine = make_engine(normalise_url(self.url))
        try:
            with engine.connect() as conn:
                if not sa.inspect(conn).has_table("bookmarks"):
                    return {}
                b = schema.bookmarks
                return dict(conn.execute(sa.select(b.c.work_id, b.c.restrict)
                                         .where(b.c.user_id == user_id, b.c.work_type == work_type)).all())
        finally:
            engine.dispose()

    # -- users ---------------------------------------------------------------------------------------

    def profile_stored(self, user_id: int) -> bool:
        """Whether the database holds user ``user_id``'s profile (``/v1/user/detail``: ``users.profile_raw`` is set),
        or this crawl stored it (:meth:`remember_profile`). The stored profiles are read once, on first use."""
        if self._profiles is None:
            self._profiles = self._load_profiles()
        return user_id in self._profiles

    def remember_profile(self, user_id: int) -> None:
        """Note that this crawl stored user ``user_id``'s profile."""
        if self._profiles is None:
            self._profiles = self._load_profiles()
        self._profiles.add(user_id)

    def _load_profiles(self) -> set[int]:
        if not self.url:
            return set()
        engine = make_engine(normalise_url(self.url))
        try:
            with engine.connect() as conn:
                if "profile_raw" not in {c["name"] for c in sa.inspect(conn).get_columns("users")}:
                    return set()
                u = schema.users
                return set(conn.scalars(sa.select(u.c.id).where(u.c.profile_raw.isnot(None))))
        except sa.exc.NoSuchTableError:
            return set()
        finally:
            engine.dispose()


def local_store_root(store: str | None) -> Path | None:
    """The folder of a local FILES_STORE (None for remote stores, whose files are not checked)."""
    if not store:
        return None
    if store.startswith("file://"):
        return Path(store[7:])
    if "://" in store:
        return None
    return Path(store)
