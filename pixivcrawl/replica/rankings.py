"""Rankings of the replica's world: per date, mode and content, deterministic, with yesterday's ranks.

A ranking for date D ranks recent works posted up to the end of D (JST): each mode looks at its own
number of latest works (so that even a small world fills several pages), filters them (R-18 or not,
rookies, originals, AI, content type) and orders them by bookmarks times a per-day random factor.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from .world import EPOCH, JST, World

#: web mode -> (latest works looked at, rank_total cap, x_restrict wanted, extra filter name)
WEB_MODES: dict[str, tuple[int, int, int, str | None]] = {
    "daily": (1500, 500, 0, None),
    "weekly": (3000, 500, 0, None),
    "monthly": (6000, 500, 0, None),
    "rookie": (3000, 500, 0, "rookie"),
    "original": (3000, 300, 0, "original"),
    "male": (1500, 500, 0, "male"),
    "female": (1500, 500, 0, "female"),
    "daily_ai": (3000, 50, 0, "ai"),
    "daily_r18": (6000, 100, 1, None),
    "weekly_r18": (12000, 100, 1, None),
    "male_r18": (6000, 100, 1, "male"),
    "female_r18": (6000, 100, 1, "female"),
    "daily_r18_ai": (20000, 50, 1, "ai"),
    "r18g": (30000, 100, 2, None),
}
#: which contents each mode accepts ("all" is always accepted)
CONTENTS: dict[str, tuple[str, ...]] = {
    "daily": ("illust", "ugoira", "manga"),
    "weekly": ("illust", "ugoira", "manga"),
    "monthly": ("illust", "manga"),
    "rookie": ("illust", "manga"),
    "daily_r18": ("illust", "ugoira", "manga"),
    "weekly_r18": ("illust", "ugoira", "manga"),
}
#: App API mode -> (web mode, content)
APP_MODES: dict[str, tuple[str, str]] = {
    "day": ("daily", "all"), "week": ("weekly", "all"), "month": ("monthly", "all"),
    "day_male": ("male", "all"), "day_female": ("female", "all"), "week_original": ("original", "all"),
    "week_rookie": ("rookie", "all"), "day_manga": ("daily", "manga"), "week_manga": ("weekly", "manga"),
    "month_manga": ("monthly", "manga"), "week_rookie_manga": ("rookie", "manga"),
    "day_r18": ("daily_r18", "all"), "day_male_r18": ("male_r18", "all"), "day_female_r18": ("female_r18", "all"),
    "week_r18": ("weekly_r18", "all"), "week_r18g": ("r18g", "all"), "day_ai": ("daily_ai", "all"),
    "day_r18_ai": ("daily_r18_ai", "all"),
}
NOVEL_APP_MODES = ("day", "week", "day_male", "day_female", "week_rookie", "day_r18")
PAGE = 50


def content_allowed(mode: str, content: str) -> bool:
    return mode in WEB_MODES and (content == "all" or content in CONTENTS.get(mode, ()))


def _factor(seed: int, day: date, mode: str, wid: int) -> float:
    digest = hashlib.blake2b(f"{seed}:{day}:{mode}:{wid}".encode(), digest_size=4).digest()
    return 0.5 + int.from_bytes(digest, "big") / 2**32


class Rankings:
    def __init__(self, world: World) -> None:
        self.world = world
        self.ranked = lru_cache(maxsize=512)(self._ranked)
        self.novels_ranked = lru_cache(maxsize=128)(self._novels_ranked)
        half = len(world.users) // 2
        self._rookies = {uid for uid, user in world.users.items() if user.index >= half}

    @property
    def latest(self) -> date:
        """The newest ranking date: the day of the world's last work."""
        return (EPOCH + timedelta(seconds=self.world.works[-1].created)).date()

    @property
    def earliest(self) -> date:
        return (EPOCH + timedelta(seconds=self.world.works[min(len(self.world.works) - 1, 100)].created)).date()

    def _day_end(self, day: date) -> int:
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=JST)
        return int((end - EPOCH).total_seconds())

    def _keep(self, wid: int, x_restrict: int, extra: str | None, content: str) -> bool:
        work = self.world.work(wid)
        detail = self.world.work_detail(wid)
        if detail.x_restrict != x_restrict or content not in ("all", work.type):
            return False
        if extra == "rookie":
            return work.user_id in self._rookies
        if extra == "original":
            return wid % 3 == 0
        if extra == "male":
            return wid % 2 == 0
        if extra == "female":
            return wid % 2 == 1
        if extra == "ai":
            return detail.ai_type == 2
        return True

    def _ranked(self, day: date, mode: str, content: str) -> tuple[int, ...]:
        """Work ids in rank order (rank 1 first) for one ranking."""
        looked_at, cap, x_restrict, extra = WEB_MODES[mode]
        stop = self.world.works_created_between(0, self._day_end(day)).stop
        ids = [self.world.works[i].id for i in range(max(0, stop - looked_at), stop)]
        ids = [w for w in ids if self._keep(w, x_restrict, extra, content)]
        ids.sort(key=lambda w: (-(self.world.work_detail(w).total_bookmarks + 1) * _factor(
            self.world.seed, day, mode, w), w))
        return tuple(ids[:cap])

    def rank_of(self, day: date, mode: str, content: str, wid: int) -> int:
        """The work's rank on ``day`` (0 when it was not ranked), for ``yes_rank``."""
        if day < self.earliest:
            return 0
        try:
            return self.ranked(day, mode, content).index(wid) + 1
        except ValueError:
            return 0

    def _novels_ranked(self, day: date, mode: str) -> tuple[int, ...]:
        end = self._day_end(day)
        ids = [n.id for n in self.world.novels if n.created < end][-2000:]
        r18 = mode.endswith("r18")
        ids = [n for n in ids if bool(self.world.novel_detail(n).x_restrict) == r18]
        ids.sort(key=lambda n: (-(self.world.novel_detail(n).total_bookmarks + 1) * _factor(
            self.world.seed, day, mode, n), n))
        return tuple(ids[: 100 if r18 else 300])
