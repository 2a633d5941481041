"""The database as the crawler's memory across runs.

Loaded once per crawl, on first use (after the SQL pipeline has migrated the schema): each stored work's
signature (page count or text length, and the upload stamp of its image URLs — see pixivcrawl.signature),
whether a whole record of it is stored (its ``incomplete`` column is NULL: pages, ugoira frames, novel
text), and which files were downloaded from which URL. The dedupe pipeline classifies items with it, the
files pipeline skips files it already has, and spiders run with ``-a incremental=1`` stop listings once
they only meet works they know.
"""

from __future__ import annotations

import logging
import weakref
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from scrapy.crawler import Crawler

from pixivcrawl.db import schema
from pixivcrawl.db.store import make_engine, normalise_url

logger = logging.getLogger(__name__)

Signature = tuple[int | None, str | None]
_MEMORIES: weakref.WeakKeyDictionary[Crawler, CrawlMemory] = weakref.WeakKeyDictionary()


class CrawlMemory:
    def __init__(self, database_url: str, files_store: str | None = None) -> None:
        self.url = database_url
        self.files_root = local_store_root(files_store)
        self._works: dict[tuple[str, int], tuple[Signature, bool]] | None = None
        self._media: dict[tuple[int, str, int], tuple[str, str]] = {}
        #: works whose stored row is pixiv's stand-in (``visible`` false or a ``restriction``)
        self._hidden: set[tuple[str, int]] = set()

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlMemory:
        """The crawl's memory (one per crawler)."""
        memory = _MEMORIES.get(crawler)
        if memory is None:
            memory = cls(crawler.settings.get("DATABASE_URL") or "", crawler.settings.get("FILES_STORE"))
            _MEMORIES[crawler] = memory
        return memory

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
                # a whole record lacks nothing (``incomplete`` is NULL: pages, ugoira frames, novel text), or is
                # pixiv's placeholder for a work it will not show (whose stored record stays as it was)
                i = schema.illusts
                whole = sa.or_(i.c.incomplete.is_(None), i.c.visible.is_(False), i.c.restriction.isnot(None))
                hidden = sa.or_(i.c.visible.is_(False), i.c.restriction.isnot(None))
                for wid, pages, stamp, full, stand_in in conn.execute(
                        sa.select(i.c.id, i.c.page_count, i.c.image_stamp, whole, hidden)):
                    self._works[("illust", wid)] = ((pages, stamp), bool(full))
                    if stand_in:
                        self._hidden.add(("illust", wid))
                n = schema.novels
                whole = sa.or_(n.c.incomplete.is_(None), n.c.visible.is_(False), n.c.restriction.isnot(None))
                hidden = sa.or_(n.c.visible.is_(False), n.c.restriction.isnot(None))
                for nid, length, stamp, full, stand_in in conn.execute(
                        sa.select(n.c.id, n.c.text_length, n.c.image_stamp, whole, hidden)):
                    self._works[("novel", nid)] = ((length, stamp), bool(full))
                    if stand_in:
                        self._hidden.add(("novel", nid))
                if sa.inspect(conn).has_table("media"):
                    m = schema.media
                    for wid, kind, page, url, path in conn.execute(
                            sa.select(m.c.work_id, m.c.kind, m.c.page, m.c.url, m.c.path)
                            .where(m.c.status.in_(("downloaded", "converted")))):
                        self._media[(wid, kind, page)] = (url, path)
        finally:
            engine.dispose()
        logger.info("Crawl memory: %d works and %d files known from earlier runs", len(self._works), len(self._media))

    @property
    def works(self) -> dict[tuple[str, int], tuple[Signature, bool]]:
        if self._works is None:
            self._load()
        return self._works  # type: ignore[return-value]

    # -- works ---------------------------------------------------------------------------------------

    def work_state(self, kind: str, wid: int, signature: Signature, complete: bool) -> str:
        """``new``, ``updated`` (changed, or now a whole record of a work known only from listings or stored as
        pixiv's stand-in for a hidden work) or ``unchanged``."""
        known = self.works.get((kind, wid))
        if known is None:
            return "new"
        old_signature, old_full = known
        if old_signature != signature or (complete and (not old_full or (kind, wid) in self._hidden)):
            return "updated"  # changed, or now whole where a listing or pixiv's stand-in was stored
        return "unchanged"

    def remember(self, kind: str, wid: int, signature: Signature, complete: bool) -> None:
        """Note a work's signature as written now (a hidden record of a stored work is never remembered: what
        is stored did not change)."""
        old = self.works.get((kind, wid))
        self.works[(kind, wid)] = (signature, complete or bool(old and old[0] == signature and old[1]))

    def known_unchanged(self, kind: str, wid: int, signature: Signature, *, need_full: bool = True) -> bool:
        """Whether the database holds this work with this signature (and, with ``need_full``, whole), and not
        as pixiv's stand-in for a hidden work (a record pixiv shows again is a change)."""
        known = self.works.get((kind, wid))
        return known is not None and known[0] == signature and (known[1] or not need_full) and \
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
        return known[1] if known is not None and known[0] == url else None

    def stored_media(self, wid: int, kind: str, page: int) -> tuple[str, str] | None:
        """(url, path) of a file of this kind an earlier run stored (downloaded or converted) and that is still
        in the store, whatever its URL; None otherwise."""
        self.works  # noqa: B018 - loads on first use
        known = self._media.get((wid, kind, page))
        if known is None or (self.files_root is not None and not (self.files_root / known[1]).is_file()):
            return None
        return known

    def remember_file(self, wid: int, kind: str, page: int, url: str, path: str) -> None:
        self._media[(wid, kind, page)] = (url, path)

    # -- rankings ------------------------------------------------------------------------------------

    def complete_ranking_days(self, source: str, mode: str, content: str) -> set[date]:
        """Days whose ranking is stored whole (ranks 1..n without a gap)."""
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


def local_store_root(store: str | None) -> Path | None:
    """The folder of a local FILES_STORE (None for remote stores, whose files are not checked)."""
    if not store:
        return None
    if store.startswith("file://"):
        return Path(store[7:])
    if "://" in store:
        return None
    return Path(store)
