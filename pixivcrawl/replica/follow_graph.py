"""Who follows whom in the replica's world, and the follow feeds that come of it.

Each user follows a few others, drawn per user from the world's seed, so the graph is the same in every process
and never stored: :meth:`FollowGraph.following` lists them newest follow first, each followed publicly or
privately (about one in five). The first user (the replica's account 0) follows more, so that its lists span
several pages. A user's *follow feed* (``/v2/illust/follow``, ``/v1/novel/follow``) is the works of the users it
follows, newest first, as deep as pixiv serves it (:data:`FEED_DEPTH`); a *user preview* (``/v1/user/following``)
shows a followed user's newest works (:data:`PREVIEW_WORKS` of each kind).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from .world import World

#: how many works pixiv's follow feed serves at most: its ``next_url`` ends there (PixivUtil2#515 reports 2000 for
#: the following feed of an account without Premium)
FEED_DEPTH = 2000
#: the newest illusts (and, apart, novels) a user preview shows
PREVIEW_WORKS = 3
#: how many users the first user of the world follows (the others: 0 to OTHERS_FOLLOW)
FIRST_USER_FOLLOWS = 45
OTHERS_FOLLOW = 12
#: the share of follows that are private
PRIVATE_SHARE = 0.2
#: the restricts of a feed, and which follows each takes
FEED_RESTRICTS = {"public": ("public",), "private": ("private",), "all": ("public", "private")}


@dataclass(frozen=True, slots=True)
class Follow:
    """One user followed: who, and whether the follow is ``public`` or ``private``."""

    user_id: int
    restrict: str


class FollowGraph:
    """The follows of the world's users and their follow feeds (``feed_depth`` works at most)."""

    def __init__(self, world: World, feed_depth: int = FEED_DEPTH) -> None:
        self.world = world
        self.feed_depth = feed_depth
        self._following = lru_cache(maxsize=4096)(self._draw)

    def _draw(self, uid: int) -> tuple[Follow, ...]:
        user = self.world.user(uid)
        if user is None:
            return ()
        rng = random.Random(f"{self.world.seed}:follows:{uid}")
        others = [u for u in self.world.users if u != uid]
        count = FIRST_USER_FOLLOWS if user.index == 0 else rng.randint(0, OTHERS_FOLLOW)
        followed = rng.sample(others, min(count, len(others)))
        return tuple(Follow(f, "private" if rng.random() < PRIVATE_SHARE else "public") for f in followed)

    def following(self, uid: int) -> tuple[Follow, ...]:
        """Every user ``uid`` follows, the newest follow first (none for a user the world lacks)."""
        return self._following(uid)

    def followed(self, uid: int, restrict: str) -> list[int]:
        """The users ``uid`` follows with ``restrict`` (``public``, ``private``, or ``all`` of them), newest follow
        first."""
        kinds = FEED_RESTRICTS[restrict]
        return [f.user_id for f in self.following(uid) if f.restrict in kinds]

    def follows(self, follower: int, followed: int) -> bool:
        """Whether ``follower`` follows ``followed`` (publicly or privately): the ``is_followed`` of a user object
        ``follower`` sees."""
        return any(f.user_id == followed for f in self.following(follower))

    def illust_feed(self, uid: int, restrict: str) -> list[int]:
        """``/v2/illust/follow`` of ``uid``: the illusts, manga and ugoira of the users it follows with
        ``restrict``, newest first, at most ``feed_depth`` (work ids grow with their posting time)."""
        ids = (wid for f in self.followed(uid, restrict) for wid in self.world.users[f].work_ids)
        return sorted(ids, reverse=True)[:self.feed_depth]

    def novel_feed(self, uid: int, restrict: str) -> list[int]:
        """``/v1/novel/follow`` of ``uid``: the novels of the users it follows with ``restrict``, newest first, at
        most ``feed_depth``."""
        ids = (nid for f in self.followed(uid, restrict) for nid in self.world.users[f].novel_ids)
        return sorted(ids, reverse=True)[:self.feed_depth]

    def preview_works(self, uid: int) -> tuple[list[int], list[int]]:
        """The works a user preview of ``uid`` shows: its newest illusts (manga and ugoira included) and its newest
        novels, PREVIEW_WORKS of each at most, newest first."""
        user = self.world.users[uid]
        return user.work_ids[::-1][:PREVIEW_WORKS], user.novel_ids[::-1][:PREVIEW_WORKS]
