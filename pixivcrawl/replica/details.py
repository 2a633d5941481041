"""What the replica's world says about one work, novel or user beyond its skeleton: titles, captions, tags, image
sizes, counters, novel text, user names, each derived on demand from a per-id RNG.

Every function here is pure: the same seed and id give the same answer in every process, so a work's detail never
needs storing. :class:`pixivcrawl.replica.world.World` caches and serves them (``work_detail``, ``novel_detail``,
``user_name``); the shapes follow the fields the App API and the web Ajax API send (``app_objects``, ``web_objects``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

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
#: how many tags a world has
TAG_COUNT = 400


@dataclass(slots=True)
class Tag:
    name: str
    translated_name: str | None


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


def kana_word(rng: random.Random, lo: int = 2, hi: int = 5) -> str:
    """A made-up Japanese word of ``lo`` to ``hi`` kana."""
    return "".join(rng.choice(_KANA) for _ in range(rng.randint(lo, hi)))


def make_tags(rng: random.Random) -> list[Tag]:
    """The world's TAG_COUNT tags, half of them with an English translation (``translated_name``)."""
    tags: list[Tag] = []
    seen: set[str] = set()
    while len(tags) < TAG_COUNT:
        name = kana_word(rng, 2, 6)
        if rng.random() < 0.3:
            name += "".join(rng.choice(["イラスト", "漫画", "オリジナル", "創作", "1000users入り"]))
        if name in seen:
            continue
        seen.add(name)
        translated = (" ".join(rng.choice(_WORDS_EN) for _ in range(rng.randint(1, 2)))
                      if rng.random() < 0.5 else None)
        tags.append(Tag(name, translated))
    return tags


def work_rng(seed: int, wid: int) -> random.Random:
    """The RNG a work's detail is drawn from (its tags first)."""
    return random.Random(seed * 1_000_003 + wid)


def novel_rng(seed: int, nid: int) -> random.Random:
    """The RNG a novel's detail is drawn from (its tags first)."""
    return random.Random(seed * 2_000_029 + nid)


def draw_work_tags(rng: random.Random, tags: list[Tag]) -> tuple[Tag, ...]:
    return tuple(rng.sample(tags, rng.randint(2, 10)))


def draw_novel_tags(rng: random.Random, tags: list[Tag]) -> tuple[Tag, ...]:
    return tuple(rng.sample(tags, rng.randint(1, 8)))


def _sizes(rng: random.Random, kind: str, page_count: int) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]]:
    """(page sizes, ugoira frame delays) of a work of type ``kind``."""
    if kind == "manga":
        base = (rng.choice([1000, 1200, 1240]), rng.choice([1414, 1600, 1754]))
        sizes = tuple(base for _ in range(page_count))
    else:
        sizes = tuple((rng.randint(60, 200) * 8, rng.randint(60, 220) * 8) for _ in range(page_count))
    frames: tuple[int, ...] = ()
    if kind == "ugoira":
        sizes = ((rng.choice([480, 600]), rng.choice([480, 600])),)
        frames = tuple(rng.choice([30, 40, 50, 60, 70, 80, 100, 120]) for _ in range(rng.randint(4, 16)))
    return sizes, frames


def work_detail(seed: int, tags: list[Tag], wid: int, kind: str, page_count: int, series_order: int | None
                ) -> WorkDetail:
    """Work ``wid``'s detail: ``kind`` illust | manga | ugoira, ``series_order`` its place in its series (None
    when in none: its title then has no ``【n】``)."""
    rng = work_rng(seed, wid)
    work_tags = draw_work_tags(rng, tags)
    sizes, frames = _sizes(rng, kind, page_count)
    sanity = rng.choices([2, 4, 6], weights=[80, 10, 10])[0]
    r = rng.random()
    x_restrict = (2 if r < 0.1 else 1) if sanity == 6 and r < 0.7 else 0
    views = int(rng.paretovariate(1.2) * 300)
    title = f"{kana_word(rng)}【{series_order}】" if series_order is not None else kana_word(rng, 2, 7)
    return WorkDetail(
        title=title,
        caption=f"{kana_word(rng, 4, 12)}<br />{kana_word(rng, 3, 9)}" if rng.random() < 0.7 else "",
        tags=work_tags,
        tools=tuple(rng.sample(_TOOLS, rng.randint(0, 2))),
        sizes=sizes,
        ext="jpg" if kind == "ugoira" or rng.random() < 0.75 else "png",
        sanity_level=sanity,
        x_restrict=x_restrict,
        ai_type=2 if rng.random() < 0.08 else 1,
        book_style=1 if kind == "manga" and rng.random() < 0.3 else 0,
        total_view=views,
        total_bookmarks=int(views * rng.uniform(0.02, 0.2)),
        total_comments=int(views * rng.uniform(0, 0.005)),
        frames=frames,
    )


def _novel_text(rng: random.Random, pages: int) -> str:
    """A novel's text in pixiv's markup: ``[newpage]`` between pages, ``[chapter:…]``, ``[[rb:… > …]]``."""
    chunks = []
    for p in range(pages):
        if p:
            chunks.append("[newpage]")
        if rng.random() < 0.4:
            chunks.append(f"[chapter:{kana_word(rng, 2, 6)}]")
        for _ in range(rng.randint(3, 12)):
            sentence = "".join(kana_word(rng, 1, 4) for _ in range(rng.randint(3, 12))) + "。"
            if rng.random() < 0.1:
                sentence += f"[[rb:漢字 > {kana_word(rng, 2, 3)}]]"
            chunks.append(sentence)
    return "\n".join(chunks)


def novel_detail(seed: int, tags: list[Tag], nid: int, series_order: int | None) -> NovelDetail:
    """Novel ``nid``'s detail; ``series_order`` its place in its series (None when in none)."""
    rng = novel_rng(seed, nid)
    novel_tags = draw_novel_tags(rng, tags)
    language = rng.choices(["ja", "en", "zh-cn"], weights=[8, 1, 1])[0]
    pages = rng.randint(1, 6)
    text = _novel_text(rng, pages)
    views = int(rng.paretovariate(1.3) * 200)
    x_restrict = 1 if rng.random() < 0.05 else 0
    return NovelDetail(
        title=kana_word(rng, 3, 8) + (f" {series_order}" if series_order is not None else ""),
        caption=kana_word(rng, 5, 15),
        tags=novel_tags,
        language=language,
        text=text,
        page_count=pages,
        x_restrict=x_restrict,
        is_original=rng.random() < 0.5,
        ai_type=2 if rng.random() < 0.05 else 1,
        total_view=views,
        total_bookmarks=int(views * rng.uniform(0.02, 0.2)),
        total_comments=int(views * rng.uniform(0, 0.01)),
        cover_hash=hashlib.md5(f"{seed}:n{nid}".encode(), usedforsecurity=False).hexdigest(),
    )


def user_name(seed: int, uid: int) -> tuple[str, str]:
    """(name, account) of user ``uid``: a kana name and an ``user_<hex id><syllable>`` account."""
    rng = random.Random(seed * 7_919 + uid)
    return kana_word(rng, 2, 4), f"user_{uid:x}{rng.choice(_SYLLABLES)}"


def avatar_hash(seed: int, uid: int) -> str:
    """The hash in user ``uid``'s avatar URL."""
    return hashlib.md5(f"{seed}:{uid}".encode(), usedforsecurity=False).hexdigest()
