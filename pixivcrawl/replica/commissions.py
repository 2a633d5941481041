"""Commission requests ("リクエスト") of the replica's world: plans of creators, requests of fans,
some complete (with the work that fulfilled them), the rest in progress."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .details import kana_word
from .world import World

REQUEST_BASE = 100_000
PLAN_BASE = 200_000
PRICES = (1000, 3000, 5000, 8000, 12000, 30000)
LANGS = ("ja", "en", "zh")


@dataclass(frozen=True, slots=True)
class Plan:
    id: int
    creator_id: int
    price: int
    title: str
    title_lang: str
    accepts: tuple[str, ...]
    adult: bool
    anonymous: bool


@dataclass(frozen=True, slots=True)
class CommissionRequest:
    id: int
    plan_id: int
    creator_id: int
    fan_id: int | None  # None when the fan asked anonymously
    work_type: str  # illust | manga | ugoira | novel
    status: str  # complete | inProgress
    price: int
    proposal: str
    proposal_lang: str
    tags: tuple[str, ...]
    adult: bool
    anonymous: bool
    created: int
    post_work_id: int | None


class Commissions:
    def __init__(self, world: World) -> None:
        self.world = world
        rng = random.Random(world.seed * 31 + 7)
        users = sorted(world.users)
        self.creators = [u for i, u in enumerate(users) if i % 5 in (0, 2) and world.users[u].work_ids]
        self.plans: dict[int, Plan] = {}
        for creator in self.creators:
            pid = PLAN_BASE + world.users[creator].index
            accepts = tuple(t for t in ("illust", "manga", "ugoira", "novel") if rng.random() < 0.6) or ("illust",)
            self.plans[creator] = Plan(pid, creator, rng.choice(PRICES), kana_word(rng, 2, 5), rng.choice(LANGS),
                                       accepts, rng.random() < 0.3, rng.random() < 0.7)
        n = max(60, world.n_works // 10)
        span = world.works[-1].created
        requests = []
        for k in range(n):
            creator = rng.choice(self.creators)
            plan = self.plans[creator]
            work_type = rng.choice(plan.accepts)
            created = int(span * k / n) + rng.randrange(1000)
            done = rng.random() < 0.6
            post = None
            if done:
                post = self._fulfilling_work(creator, work_type, created)
            anonymous = plan.anonymous and rng.random() < 0.3
            fan = None if anonymous else rng.choice(users)
            requests.append(CommissionRequest(
                id=REQUEST_BASE + k, plan_id=plan.id, creator_id=creator, fan_id=fan, work_type=work_type,
                status="complete" if post else "inProgress", price=plan.price + rng.choice((0, 0, 500, 1000)),
                proposal="。".join(kana_word(rng, 3, 9) for _ in range(rng.randint(2, 6))) + "。",
                proposal_lang=rng.choice(("ja", "ja", "en")), tags=tuple(t.name for t in rng.sample(world.tags, 3)),
                adult=plan.adult and rng.random() < 0.5, anonymous=anonymous, created=created, post_work_id=post))
        #: newest first, as pixiv lists them
        self.requests = sorted(requests, key=lambda r: -r.created)
        self.by_id = {r.id: r for r in requests}

    def _fulfilling_work(self, creator: int, work_type: str, after: int) -> int | None:
        user = self.world.users[creator]
        if work_type == "novel":
            ids = [n for n in user.novel_ids if self.world.novel(n).created > after]
        else:
            ids = [w for w in user.work_ids
                   if self.world.work(w).type == work_type and self.world.work(w).created > after]
        return ids[0] if ids else None

    def listing(self, status: str, work_type: str, mode: str) -> list[CommissionRequest]:
        out = []
        for r in self.requests:
            if r.status != status or work_type not in ("all", r.work_type):
                continue
            if (mode == "safe" and r.adult) or (mode == "r18" and not r.adult):
                continue
            out.append(r)
        return out

    def creators_for(self, work_type: str, mode: str) -> list[int]:
        out = []
        for creator in self.creators:
            plan = self.plans[creator]
            if work_type not in plan.accepts or (mode == "r18" and not plan.adult) or (mode == "safe" and plan.adult):
                continue
            out.append(creator)
        return out
