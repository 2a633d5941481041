"""The replica's generated pixiv: users, works, series and novels, deterministic for a seed and a size.

The skeleton (who made which work, which series holds which works, when each was posted) is drawn once
at start-up in one pass over a seeded RNG, so a 100,000-work world costs well under a second. Everything
else about a work (title, tags, sizes, counters, text) is derived on demand from a per-id RNG, so it is the
same on every request and in every process started with the same seed and size.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

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

_SYLLABLES = (  # noqa: SIM905 - a word list reads better as one string
    "ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho ma mi mu me mo "
    "ya yu yo ra ri ru re ro wa n ga gi gu ge go za ji zu ze zo da de do ba bi bu be bo pa pi pu pe po"
).split()
_KANA = (
    "かきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわんがぎぐげござじずぜぞだでどばびぶべぼ"
)
_WORDS_EN = (  # noqa: SIM905 - a word list reads better as one string
    "sky sea girl boy cat dog flower night star rain snow summer winter spring autumn city forest "
    "dragon knight witch robot school idol music light shadow dream moon sun river mountain festival"
).split()
_TOOLS = ["SAI", "CLIP STUDIO PAINT", "Photoshop", "Procreate", "Krita", "MediBang Paint"]


def _iso(ts: int) -> str:
    return (EPOCH + timedelta(seconds=ts)).isoformat()


def _kana_word(rng: random.Random, lo: int = 2, hi: int = 5) -> str:
    return "".join(rng.choice(_KANA) for _ in range(rng.randint(lo, hi)))


#: ways pixiv hides a work (``POST /_replica/hide``): a ``limit_<kind>`` placeholder kind (``visible: false``, blank
#: title, caption and tags, every image URL the placeholder; a novel as a friends-only chapter: also
#: ``is_mypixiv_only`` for ``mypixiv``, ``text_length`` 0, and its webview refused), or ``visible_placeholder``:
#: ``visible: true`` and every other value kept, but every image URL ``limit_sanity_level`` (sanity level 4+)
HIDE_KINDS = ("sanity_level", "mypixiv", "unviewable", "unknown", "r18", "r18g", "visible_placeholder")


@dataclass(slots=True)
class Tag:
    name: str
    translated_name: str | None


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


@dataclass(slots=True, frozen=True)
class WorkDetail:
    title: str
    caption: str
    tags: tuple[Tag, ...]
    tools: tuple[str, ...]
    sizes: tuple[tuple[int, int], ...]  # (width, height) per page
    ext: str  # original file extension
    sanity_level: int
    x_restrict: int
    ai_type: int
    book_style: int
    total_view: int
    total_bookmarks: int
    total_comments: int
    frames: tuple[int, ...]  # ugoira frame delays in ms; empty for other types


@dataclass(slots=True, frozen=True)
class NovelDetail:
    title: str
    caption: str
    tags: tuple[Tag, ...]
    language: str
    text: str
    page_count: int
    x_restrict: int
    is_original: bool
    ai_type: int
    total_view: int
    total_bookmarks: int
    total_comments: int
    cover_hash: str


class World:
    """A deterministic pixiv of ``works`` illusts/manga/ugoira and about a quarter as many novels."""

    def __init__(self, seed: int = 1, works: int = 2000) -> None:
        if works < 10:
            raise ValueError("a world needs at least 10 works")
        self.seed = seed
        self.n_works = works
        self.n_novels = max(10, works // 4)
        rng = random.Random(seed)
        self.tags = self._make_tags(rng)
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

    @staticmethod
    def _make_tags(rng: random.Random) -> list[Tag]:
        tags: list[Tag] = []
        seen: set[str] = set()
        while len(tags) < 400:
            name = _kana_word(rng, 2, 6)
            if rng.random() < 0.3:
                name += "".join(rng.choice(["イラスト", "漫画", "オリジナル", "創作", "1000users入り"]))
            if name in seen:
                continue
            seen.add(name)
            translated = (" ".join(rng.choice(_WORDS_EN) for _ in range(rng.randint(1, 2)))
                          if rng.random() < 0.5 else None)
            tags.append(Tag(name, translated))
        return tags

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
        rng = random.Random(self.seed * 7_919 + uid)
        return _kana_word(rng, 2, 4), f"user_{uid:x}{rng.choice(_SYLLABLES)}"

    def user_avatar_hash(self, uid: int) -> str:
        return hashlib.md5(f"{self.seed}:{uid}".encode(), usedforsecurity=False).hexdigest()

    def _draw_work_tags(self, rng: random.Random) -> tuple[Tag, ...]:
        return tuple(rng.sample(self.tags, rng.randint(2, 10)))

    def work_tags(self, wid: int) -> tuple[Tag, ...]:
        """A work's tags without building its whole detail (the first draws of the same RNG)."""
        return self._draw_work_tags(random.Random(self.seed * 1_000_003 + wid))

    @lru_cache(maxsize=65536)  # noqa: B019 - one World per replica process, cache bounded
    def work_detail(self, wid: int) -> WorkDetail:
        work = self.work(wid)
        assert work is not None
        rng = random.Random(self.seed * 1_000_003 + wid)
        tags = self._draw_work_tags(rng)
        if work.type == "manga":
            base = (rng.choice([1000, 1200, 1240]), rng.choice([1414, 1600, 1754]))
            sizes = tuple(base for _ in range(work.page_count))
        else:
            sizes = tuple((rng.randint(60, 200) * 8, rng.randint(60, 220) * 8) for _ in range(work.page_count))
        frames: tuple[int, ...] = ()
        if work.type == "ugoira":
            sizes = ((rng.choice([480, 600]), rng.choice([480, 600])),)
            frames = tuple(rng.choice([30, 40, 50, 60, 70, 80, 100, 120]) for _ in range(rng.randint(4, 16)))
        sanity = rng.choices([2, 4, 6], weights=[80, 10, 10])[0]
        r = rng.random()
        x_restrict = (2 if r < 0.1 else 1) if sanity == 6 and r < 0.7 else 0
        views = int(rng.paretovariate(1.2) * 300)
        series = self.illust_series.get(work.series_id) if work.series_id else None
        title = f"{_kana_word(rng)}【{work.series_order}】" if series else _kana_word(rng, 2, 7)
        return WorkDetail(
            title=title,
            caption=f"{_kana_word(rng, 4, 12)}<br />{_kana_word(rng, 3, 9)}" if rng.random() < 0.7 else "",
            tags=tags,
            tools=tuple(rng.sample(_TOOLS, rng.randint(0, 2))),
            sizes=sizes,
            ext="jpg" if work.type == "ugoira" or rng.random() < 0.75 else "png",
            sanity_level=sanity,
            x_restrict=x_restrict,
            ai_type=2 if rng.random() < 0.08 else 1,
            book_style=1 if work.type == "manga" and rng.random() < 0.3 else 0,
            total_view=views,
            total_bookmarks=int(views * rng.uniform(0.02, 0.2)),
            total_comments=int(views * rng.uniform(0, 0.005)),
            frames=frames,
        )

    def _draw_novel_tags(self, rng: random.Random) -> tuple[Tag, ...]:
        return tuple(rng.sample(self.tags, rng.randint(1, 8)))

    @staticmethod
    def _draw_novel_language(rng: random.Random) -> str:
        return rng.choices(["ja", "en", "zh-cn"], weights=[8, 1, 1])[0]

    def novel_tags(self, nid: int) -> tuple[Tag, ...]:
        return self._draw_novel_tags(random.Random(self.seed * 2_000_029 + nid))

    @lru_cache(maxsize=16384)  # noqa: B019 - one World per replica process, cache bounded
    def novel_detail(self, nid: int) -> NovelDetail:
        novel = self.novel(nid)
        assert novel is not None
        rng = random.Random(self.seed * 2_000_029 + nid)
        tags = self._draw_novel_tags(rng)
        language = self._draw_novel_language(rng)
        pages = rng.randint(1, 6)
        chunks = []
        for p in range(pages):
            if p:
                chunks.append("[newpage]")
            if rng.random() < 0.4:
                chunks.append(f"[chapter:{_kana_word(rng, 2, 6)}]")
            for _ in range(rng.randint(3, 12)):
                sentence = "".join(_kana_word(rng, 1, 4) for _ in range(rng.randint(3, 12))) + "。"
                if rng.random() < 0.1:
                    sentence += f"[[rb:漢字 > {_kana_word(rng, 2, 3)}]]"
                chunks.append(sentence)
        text = "\n".join(chunks)
        views = int(rng.paretovariate(1.3) * 200)
        x_restrict = 1 if rng.random() < 0.05 else 0
        return NovelDetail(
            title=_kana_word(rng, 3, 8) + (f" {novel.series_order}" if novel.series_id else ""),
            caption=_kana_word(rng, 5, 15),
            tags=tags,
            language=language,
            text=text,
            page_count=pages,
            x_restrict=x_restrict,
            is_original=rng.random() < 0.5,
            ai_type=2 if rng.random() < 0.05 else 1,
            total_view=views,
            total_bookmarks=int(views * rng.uniform(0.02, 0.2)),
            total_comments=int(views * rng.uniform(0, 0.01)),
            cover_hash=hashlib.md5(f"{self.seed}:n{nid}".encode(), usedforsecurity=False).hexdigest(),
        )

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
