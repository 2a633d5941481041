"""What the replica's world says about one user's works: the lists the App API pages through (``/v1/user/illusts``,
``/v1/user/novels``) and the web's ``/ajax/user/{id}/profile/all``, all derived from the world's skeleton (who made
which work and series), so that they are the same in every process and agree with ``/v1/user/detail``'s counters.

Reference captures: ``tests/fixtures/app-api/v1_user_illusts/*.json``, ``v1_user_novels/*.json``,
``tests/fixtures/web/ajax_user_profile_all/*.json`` and ``tests/fixtures/ajax/ajax/user/9153585/profile/all.json``
(the one with ``mangaSeries``).
"""

from __future__ import annotations

from .app_objects import illust_series_detail, novel_series_title, series_title
from .world import World

#: ``/v1/user/illusts``'s ``type``: illust (illusts and ugoira), manga, or none (every work)
ILLUST_TYPES = {"illust": ("illust", "ugoira"), "manga": ("manga",)}


def user_work_ids(world: World, uid: int, kind: str | None = None) -> list[int]:
    """User ``uid``'s illusts, manga and ugoira, newest first (``/v1/user/illusts``): those of ``kind``
    (``illust``: illusts and ugoira; ``manga``), or every one for None. [] for a user the world lacks."""
    user = world.user(uid)
    if user is None:
        return []
    types = ILLUST_TYPES.get(kind or "", ("illust", "ugoira", "manga"))
    return [wid for wid in reversed(user.work_ids) if world.work(wid).type in types]


def user_novel_ids(world: World, uid: int) -> list[int]:
    """User ``uid``'s novels, newest first (``/v1/user/novels``); [] for a user the world lacks."""
    user = world.user(uid)
    return list(reversed(user.novel_ids)) if user is not None else []


def illust_series_ids(world: World, uid: int) -> list[int]:
    """User ``uid``'s illust (manga) series, newest first."""
    return sorted((s.id for s in world.illust_series.values() if s.user_id == uid), reverse=True)


def novel_series_ids(world: World, uid: int) -> list[int]:
    """User ``uid``'s novel series, newest first."""
    return sorted((s.id for s in world.novel_series.values() if s.user_id == uid), reverse=True)


def _id_map(ids: list[int]) -> dict[str, None] | list:
    """pixiv's map of work ids (id → null, newest first), or ``[]`` when it is empty."""
    return dict.fromkeys(map(str, ids)) if ids else []


def manga_series_entry(world: World, sid: int) -> dict:
    """One ``mangaSeries`` entry, in the capture's key order."""
    series = world.illust_series[sid]
    detail = illust_series_detail(world, sid)
    first, latest = series.member_ids[0], series.member_ids[-1]
    return {
        "id": str(sid), "userId": str(series.user_id), "title": series_title(world, sid), "description": "",
        "caption": detail["caption"], "total": len(series.member_ids), "content_order": None, "url": None,
        "coverImageSl": None, "firstIllustId": str(first), "latestIllustId": str(latest),
        "createDate": world.iso(series.created), "updateDate": world.iso(world.work(latest).created),
        "watchCount": None, "isWatched": False, "isNotifying": False,
    }


def novel_series_entry(world: World, sid: int) -> dict:
    """One ``novelSeries`` entry (no capture lists one: the fields pixiv's web client reads of a novel series)."""
    series = world.novel_series[sid]
    first, latest = series.member_ids[0], series.member_ids[-1]
    name, _ = world.user_name(series.user_id)
    return {
        "id": str(sid), "userId": str(series.user_id), "userName": name, "xRestrict": 0,
        "isOriginal": world.novel_detail(first).is_original, "isConcluded": sid % 2 == 0,  # as /v2/novel/series says
        "title": novel_series_title(world, sid), "caption": f"{novel_series_title(world, sid)}のあらすじ",
        "language": "ja", "tags": [],
        "publishedContentCount": len(series.member_ids), "total": len(series.member_ids),
        "firstNovelId": str(first), "latestNovelId": str(latest), "createDate": world.iso(series.created),
        "updateDate": world.iso(world.novel(latest).created), "isWatched": False, "isNotifying": False,
    }


def profile_all(world: World, uid: int) -> dict:
    """The body of ``/ajax/user/{uid}/profile/all``: every work id (illusts with ugoira, manga, novels) and every
    series of user ``uid``, newest first, in the captures' key order."""
    return {
        "illusts": _id_map(user_work_ids(world, uid, "illust")),
        "manga": _id_map(user_work_ids(world, uid, "manga")),
        "novels": _id_map(user_novel_ids(world, uid)),
        "mangaSeries": [manga_series_entry(world, sid) for sid in illust_series_ids(world, uid)],
        "novelSeries": [novel_series_entry(world, sid) for sid in novel_series_ids(world, uid)],
        "pickup": [],
        "bookmarkCount": {"public": {"illust": 0, "novel": 0}, "private": {"illust": 0, "novel": 0}},
        "externalSiteWorksStatus": {"booth": False, "sketch": False, "vroidHub": False},
        "request": {"showRequestTab": False, "showRequestSentTab": False,
                    "postWorks": {"artworks": [], "novels": []}},
    }
