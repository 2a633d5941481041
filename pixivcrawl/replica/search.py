"""Search over the replica's world with the filters of pixiv's Ajax search.

Tag look-ups use an inverted index built on first use (one pass over the works' tags); title/caption
searches scan the works. Results of a query are cached, so paging through them is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from .world import EPOCH, ILLUST_BASE, JST, NOVEL_BASE, World

ILLUST_PAGE = 60
NOVEL_PAGE = 24
#: search type in the URL -> (body key, default type filter)
SEARCH_KINDS = {
    "artworks": ("illustManga", "all"),
    "illustrations": ("illust", "illust_and_ugoira"),
    "manga": ("manga", "manga"),
    "novels": ("novel", "all"),
}
TYPE_FILTERS = {
    "all": ("illust", "manga", "ugoira"),
    "illust_and_ugoira": ("illust", "ugoira"),
    "illust": ("illust",),
    "manga": ("manga",),
    "ugoira": ("ugoira",),
}


@dataclass(frozen=True)
class Query:
    kind: str  # artworks | illustrations | manga | novels
    word: str
    s_mode: str = "s_tag_full"
    order: str = "date_d"
    mode: str = "all"  # all | safe | r18 (already downgraded to safe without a session)
    type: str = "all"
    wlt: int | None = None
    wgt: int | None = None
    hlt: int | None = None
    hgt: int | None = None
    ratio: float | None = None
    tool: str | None = None
    scd: date | None = None
    ecd: date | None = None
    blt: int | None = None
    bgt: int | None = None
    work_lang: str | None = None
    ai_type: int | None = None


def _ts(day: date, end: bool = False) -> int:
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=JST)
    return int((moment - EPOCH).total_seconds())


class Search:
    def __init__(self, world: World) -> None:
        self.world = world
        self._work_index: dict[str, list[int]] | None = None
        self._novel_index: dict[str, list[int]] | None = None
        self.results = lru_cache(maxsize=256)(self._results)

    def _index(self, novels: bool) -> dict[str, list[int]]:
        if novels:
            if self._novel_index is None:
                self._novel_index = {}
                for novel in self.world.novels:
                    for tag in self.world.novel_tags(novel.id):
                        self._novel_index.setdefault(tag.name, []).append(novel.id)
            return self._novel_index
        if self._work_index is None:
            self._work_index = {}
            for work in self.world.works:
                for tag in self.world.work_tags(work.id):
                    self._work_index.setdefault(tag.name, []).append(work.id)
        return self._work_index

    def _candidates(self, q: Query) -> list[int]:
        novels = q.kind == "novels"
        if q.s_mode in ("s_tag_full", "s_tag"):
            index = self._index(novels)
            if q.s_mode == "s_tag_full":
                return list(index.get(q.word, ()))
            found: set[int] = set()
            for name, ids in index.items():
                if q.word in name:
                    found.update(ids)
            return sorted(found)
        # s_tc: title and caption
        if novels:
            return [n.id for n in self.world.novels
                    if q.word in (d := self.world.novel_detail(n.id)).title or q.word in d.caption]
        return [w.id for w in self.world.works
                if q.word in (d := self.world.work_detail(w.id)).title or q.word in d.caption]

    def _keep_work(self, q: Query, wid: int) -> bool:
        work = self.world.work(wid)
        d = self.world.work_detail(wid)
        if work.type not in TYPE_FILTERS[q.type]:
            return False
        if (q.mode == "safe" and d.x_restrict) or (q.mode == "r18" and not d.x_restrict):
            return False
        width, height = d.sizes[0]
        if (q.wlt and width < q.wlt) or (q.wgt and width > q.wgt) or (q.hlt and height < q.hlt) or \
                (q.hgt and height > q.hgt):
            return False
        if q.ratio is not None:
            if (q.ratio > 0 and width <= height) or (q.ratio < 0 and height <= width):
                return False
            if q.ratio == 0 and abs(width - height) > 0.1 * max(width, height):
                return False
        if q.tool and q.tool not in d.tools:
            return False
        if (q.blt and d.total_bookmarks < q.blt) or (q.bgt and d.total_bookmarks > q.bgt):
            return False
        if q.ai_type == 1 and d.ai_type == 2:
            return False
        return self._in_dates(q, work.created)

    def _keep_novel(self, q: Query, nid: int) -> bool:
        novel = self.world.novel(nid)
        d = self.world.novel_detail(nid)
        if (q.mode == "safe" and d.x_restrict) or (q.mode == "r18" and not d.x_restrict):
            return False
        if q.work_lang and d.language != q.work_lang:
            return False
        if (q.blt and d.total_bookmarks < q.blt) or (q.bgt and d.total_bookmarks > q.bgt):
            return False
        if q.ai_type == 1 and d.ai_type == 2:
            return False
        return self._in_dates(q, novel.created)

    @staticmethod
    def _in_dates(q: Query, created: int) -> bool:
        if q.scd and created < _ts(q.scd):
            return False
        return not (q.ecd and created >= _ts(q.ecd, end=True))

    def _results(self, q: Query) -> tuple[int, ...]:
        novels = q.kind == "novels"
        keep = self._keep_novel if novels else self._keep_work
        ids = [i for i in self._candidates(q) if keep(q, i)]
        if q.order.startswith("popular"):
            detail = self.world.novel_detail if novels else self.world.work_detail
            ids.sort(key=lambda i: (-detail(i).total_bookmarks, -i))
        elif q.order == "date":
            ids.sort()
        else:
            ids.sort(reverse=True)
        return tuple(ids)

    @staticmethod
    def is_novel_id(i: int) -> bool:
        return NOVEL_BASE <= i < ILLUST_BASE
