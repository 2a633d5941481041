"""The replica's generated pixiv: users, works, series and novels, deterministic for a seed and a size.

The skeleton (who made which work, which series holds which works, when each was posted) is drawn once
at start-up in one pass over a seeded RNG, so a 100,000-work world costs well under a second. Everything
else about a work (title, tags, sizes, counters, text) is derived on demand from a per-id RNG
(:mod:`pixivcrawl.replica.details`), so it is the same on every request and in every process started with the
same seed and size. The world also holds what the control API changes: re-uploads (``reupload``) and works hidden on
purpose (``hide``).
"""

from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from . import details
from .details import NovelDetail, Tag, WorkDetail, make_tags

JST = timezone(timedelta(hours=9))
EPOCH = datetime(2019, 1, 1, tzinfo=JST)
SPAN_SECONDS = int(6.5 * 365 * 86400)  # works are spread from 2019-01-01 to mid-2025

USER_BASE = 5_000_000
ILLUST_BASE = 100_000_000
NOVEL_BASE = 20_000_000
ILLUST_SERIES_BASE = 10_000
NOVEL_SERIES_BASE = 1_000_000

#: The first illust series and the first novel series are made large on purpose, so that demos and tests
#: always have a series that spans several pages.
FIRST_ILLUST_SERIES_SIZE = 75
FIRST_NOVEL_SERIES_SIZE = 45


def _iso(ts: int) -> str:
    return (EPOCH + timedelta(seconds=ts)).isoformat()


#: ways pixiv hides a work (``POST /_replica/hide``): a ``limit_<kind>`` placeholder kind (``visible: false``, blank
#: title, caption and tags, every image URL the placeholder; a novel as a friends-only chapter: also
#: ``is_mypixiv_only`` for ``mypixiv``, ``text_length`` 0, and its webview refused), or ``visible_placeholder``:
#: ``visible: true`` and every other value kept, but every image URL ``limit_sanity_level`` (sanity level 4+)
HIDE_KINDS = ("sanity_level", "mypixiv", "unviewable", "unknown", "r18", "r18g", "visible_placeholder")


@dataclass(slots=True)
class User:
    id: int
    index: int
    work_ids: list[int] = field(default_factory=list)
    novel_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Work:
    id: int
    user_id: int
    type: str  # illust | manga | ugoira
    page_count: int
    created: int  # seconds after EPOCH
    series_id: int | None = None
    series_order: int = 0


@dataclass(slots=True)
class Series:
    id: int
    user_id: int
    member_ids: list[int]
    created: int


@dataclass(slots=True)
class Novel:
    id: int
    user_id: int
    created: int
    series_id: int | None = None
    series_order: int = 0


class World:
    """A deterministic pixiv of ``works`` illusts/manga/ugoira and about a quarter as many novels."""

    def __init__(self, seed: int = 1, works: int = 2000) -> None:
        if works < 10:
            raise ValueError("a world needs at least 10 works")
        self.seed = seed
        self.n_works = works
        self.n_novels = max(10, works // 4)
        rng = random.Random(seed)
        self.tags = make_tags(rng)
        n_users = max(5, works // 20)
        self.users: dict[int, User] = {USER_BASE + u: User(USER_BASE + u, u) for u in range(n_users)}
        user_ids = list(self.users)
        weights = [1.0 / (k + 1) ** 0.7 for k in range(n_users)]
        # the first user is prolific, so that the first series can be large
        weights[0] = max(weights[0], sum(weights) * 0.05)

        step = SPAN_SECONDS // works
        self.works: list[Work] = []
        owners = rng.choices(user_ids, weights=weights, k=works)
        for i, uid in enumerate(owners):
            wid = ILLUST_BASE + i
            created = i * step + rng.randrange(max(1, step))
            work = Work(id=wid, user_id=uid, type="illust", page_count=1, created=created)
            self.works.append(work)
            self.users[uid].work_ids.append(wid)
        self.illust_series: dict[int, Series] = {}
        self._make_series(rng, user_ids, "work_ids", self.illust_series, ILLUST_SERIES_BASE,
                          FIRST_ILLUST_SERIES_SIZE, self._work_by_id)
        for work in self.works:
            r = rng.random()
            if work.series_id is not None:
                work.type = "manga" if r < 0.7 else ("illust" if r < 0.9 else "ugoira")
            else:
                work.type = "illust" if r < 0.72 else ("manga" if r < 0.9 else "ugoira")
            if work.type == "manga":
                work.page_count = rng.randint(2, 12)
            elif work.type == "illust":
                work.page_count = 1 if rng.random() < 0.7 else rng.randint(2, 5)
            else:
                work.page_count = 1

        nstep = SPAN_SECONDS // self.n_novels
        self.novels: list[Novel] = []
        novel_owners = rng.choices(user_ids, weights=weights, k=self.n_novels)
        for j, uid in enumerate(novel_owners):
            nid = NOVEL_BASE + j
            self.novels.append(Novel(id=nid, user_id=uid, created=j * nstep + rng.randrange(max(1, nstep))))
            self.users[uid].novel_ids.append(nid)
        self.novel_series: dict[int, Series] = {}
        self._make_series(rng, user_ids, "novel_ids", self.novel_series, NOVEL_SERIES_BASE,
                          FIRST_NOVEL_SERIES_SIZE, self._novel_by_id)
        self._work_created = [w.created for w in self.works]
        #: re-uploads: work id -> how many times it was re-uploaded (each moves its upload time a day on)
        self.revisions: dict[int, int] = {}
        #: works pixiv hides on purpose (``POST /_replica/hide``): ("illust" | "novel", id) -> how (HIDE_KINDS)
        self.hidden: dict[tuple[str, int], str] = {}

    # -- construction helpers -------------------------------------------------------------------------

    def _make_series(self, rng, user_ids, attr, out, base, first_size, lookup) -> None:
        # the most prolific user owns the first, large series
        first_owner = max(user_ids, key=lambda u: (len(getattr(self.users[u], attr)), -u))
        next_id = base
        for uid in [first_owner] + [u for u in user_ids if u != first_owner]:
            members = getattr(self.users[uid], attr)
            if uid == first_owner:
                runs = [(0, min(first_size, len(members)))]
            elif len(members) >= 3 and rng.random() < 0.3:
                length = rng.randint(2, min(len(members), 60))
                start = rng.randrange(0, len(members) - length + 1)
                runs = [(start, start + length)]
            else:
                runs = []
            for start, stop in runs:
                ids = members[start:stop]
                if len(ids) < 2:
                    continue
                series = Series(id=next_id, user_id=uid, member_ids=ids, created=lookup(ids[0]).created)
                for order, mid in enumerate(ids, 1):
                    obj = lookup(mid)
                    obj.series_id, obj.series_order = next_id, order
                out[next_id] = series
                next_id += 1

    def _work_by_id(self, wid: int) -> Work:
        return self.works[wid - ILLUST_BASE]

    def _novel_by_id(self, nid: int) -> Novel:
        return self.novels[nid - NOVEL_BASE]

    # -- look-ups -------------------------------------------------------------------------------------

    def work(self, wid: int) -> Work | None:
        i = wid - ILLUST_BASE
        return self.works[i] if 0 <= i < len(self.works) else None

    def novel(self, nid: int) -> Novel | None:
        i = nid - NOVEL_BASE
        return self.novels[i] if 0 <= i < len(self.novels) else None

    def user(self, uid: int) -> User | None:
        return self.users.get(uid)

    def works_created_between(self, start: int, stop: int) -> range:
        """Indices of works created in [start, stop) (seconds after EPOCH); works are in creation order."""
        lo = bisect.bisect_left(self._work_created, start)
        hi = bisect.bisect_left(self._work_created, stop)
        return range(lo, hi)

    def iso(self, ts: int) -> str:
        return _iso(ts)

    def restricted(self, wid: int) -> bool:
        """Works the App API shows only as pixiv's placeholder (sensitive works hidden on mobile): about
        one in a hundred, never in a series."""
        work = self.work(wid)
        return work is not None and work.series_id is None and wid % 101 == 7

    def check_hide(self, kind: str, wid: int, how: object) -> None:
        """ValueError (one sentence) unless :meth:`hide` can hide ``wid`` that way: ``kind`` "illust" or "novel",
        a work of this world, ``how`` one of HIDE_KINDS or None."""
        if kind not in ("illust", "novel"):
            raise ValueError(f"no {kind} works: illusts or novels")
        if (self.work(wid) if kind == "illust" else self.novel(wid)) is None:
            raise ValueError(f"no {kind} {wid}")
        if how is not None and how not in HIDE_KINDS:
            shown = json.dumps(how, ensure_ascii=False) if isinstance(how, str | int | float | bool) else \
                "a " + ("list" if isinstance(how, list) else "object")
            raise ValueError(f"unknown way of hiding {kind} {wid}: {shown} (one of {', '.join(HIDE_KINDS)}, "
                             "or null to show it again)")

    def hide(self, kind: str, wid: int, how: str | None) -> None:
        """Hide work ``wid`` (``kind`` "illust" or "novel") the way ``how`` names (one of HIDE_KINDS), or show
        it again (``how`` None). ValueError for an unknown kind, work or way (see :meth:`check_hide`)."""
        self.check_hide(kind, wid, how)
        if how is None:
            self.hidden.pop((kind, wid), None)
        else:
            self.hidden[(kind, wid)] = how

    def hiding(self, kind: str, wid: int) -> str | None:
        """How this illust or novel is hidden on purpose (HIDE_KINDS), None when it is not (the App API
        also shows ``restricted`` illusts as its ``sanity_level`` placeholder)."""
        return self.hidden.get((kind, wid))

    def upload_time(self, wid: int) -> int:
        """When the work's current images were uploaded: its creation, moved a day on per re-upload."""
        return self.work(wid).created + self.revisions.get(wid, 0) * 86400

    def work_stamp(self, wid: int) -> str:
        """The date path of the work's image URLs (it changes when the work is re-uploaded)."""
        return self.date_path(self.upload_time(wid))

    def reupload(self, wid: int, add_page: bool = False) -> None:
        """Re-upload a work, as its artist would: new image URLs and bytes, optionally one page more."""
        work = self.work(wid)
        self.revisions[wid] = self.revisions.get(wid, 0) + 1
        if add_page and work.type != "ugoira":
            work.page_count += 1
        World.work_detail.cache_clear()

    def date_path(self, ts: int) -> str:
        """The ``YYYY/MM/DD/hh/mm/ss`` part of a CDN URL for a work posted at ``ts``."""
        return (EPOCH + timedelta(seconds=ts)).strftime("%Y/%m/%d/%H/%M/%S")

    def user_name(self, uid: int) -> tuple[str, str]:
        """(name, account) of user ``uid``."""
        return details.user_name(self.seed, uid)

    def user_avatar_hash(self, uid: int) -> str:
        return details.avatar_hash(self.seed, uid)

    def work_tags(self, wid: int) -> tuple[Tag, ...]:
        """A work's tags without building its whole detail (the first draws of the same RNG)."""
        return details.draw_work_tags(details.work_rng(self.seed, wid), self.tags)

    @lru_cache(maxsize=65536)  # noqa: B019 - one World per replica process, cache bounded
    def work_detail(self, wid: int) -> WorkDetail:
        """Work ``wid``'s title, tags, sizes, counters … (pixivcrawl.replica.details.work_detail)."""
        work = self.work(wid)
        assert work is not None
        in_series = bool(work.series_id and self.illust_series.get(work.series_id))
        return details.work_detail(self.seed, self.tags, wid, work.type, work.page_count,
                                   work.series_order if in_series else None)

    def novel_tags(self, nid: int) -> tuple[Tag, ...]:
        """A novel's tags without building its whole detail."""
        return details.draw_novel_tags(details.novel_rng(self.seed, nid), self.tags)

    @lru_cache(maxsize=16384)  # noqa: B019 - one World per replica process, cache bounded
    def novel_detail(self, nid: int) -> NovelDetail:
        """Novel ``nid``'s title, tags, text, counters … (pixivcrawl.replica.details.novel_detail)."""
        novel = self.novel(nid)
        assert novel is not None
        return details.novel_detail(self.seed, self.tags, nid, novel.series_order if novel.series_id else None)

    def summary(self) -> dict:
        """What tests and the demo need to know about this world: its series and their members, the
        newest ranking day (the day of the last work) and the start of that week."""
        latest = (EPOCH + timedelta(seconds=self.works[-1].created)).date()
        return {
            "latest_ranking_date": latest.isoformat(),
            "ranking_week_start": (latest - timedelta(days=6)).isoformat(),
            "seed": self.seed,
            "works": self.n_works,
            "novels": self.n_novels,
            "users": len(self.users),
            "illust_series": {str(s.id): s.member_ids for s in self.illust_series.values()},
            "novel_series": {str(s.id): s.member_ids for s in self.novel_series.values()},
        }
