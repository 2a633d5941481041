"""App API JSON objects for the replica's world, in the key order and types of pixiv's real captures.

Reference captures (``tests/fixtures/app-api``): ``v1_illust_detail/pixivpy__126839540.json`` and
``v1_illust_ranking/pixivpy__day_2025-02-04.json`` for illusts, ``v1_illust_series/anowlbear.json``,
``v2_novel_series/anowlbear.json``, ``v2_novel_detail/anowlbear.json``,
``v1_ugoira_metadata/pixko__126473222.json``, ``webview_v2_novel/*.novel.json`` and ``v1_user_detail/*.json``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from .world import World

I = "https://i.pximg.net"  # noqa: E741 - pixiv's i.pximg.net, as S is s.pximg.net
S = "https://s.pximg.net"


def profile_image_url(world: World, uid: int, size: int = 170) -> str:
    return f"{I}/user-profile/img/2019/01/01/00/00/00/{uid}_{world.user_avatar_hash(uid)}_{size}.jpg"


def user_obj(world: World, uid: int) -> dict:
    name, account = world.user_name(uid)
    return {
        "id": uid,
        "name": name,
        "account": account,
        "profile_image_urls": {"medium": profile_image_url(world, uid)},
        "is_followed": False,
    }


#: the ``workspace`` fields of a profile (all empty in the replica, as in most captures)
WORKSPACE = ("pc", "monitor", "tool", "scanner", "tablet", "mouse", "printer", "desktop", "music", "desk", "chair",
             "comment")


def user_detail(world: World, uid: int) -> dict:
    """``/v1/user/detail``: user ``uid`` and their profile. Work and series counters are the world's (illusts count
    ugoira too); ``comment`` and ``is_premium`` are the web profile's (web_objects.web_user); the rest (birth,
    region, links, follows) is drawn per user, the same in every process."""
    rng = random.Random(f"{world.seed}:user-profile:{uid}")
    name, account = world.user_name(uid)
    types = [world.work(wid).type for wid in world.users[uid].work_ids]
    day = f"{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.8 else ""
    year = rng.randint(1970, 2005) if day and rng.random() < 0.6 else 0
    region, address_id = rng.choice((("", 0), ("東京都", 13), ("大阪府", 27)))
    twitter = account if rng.random() < 0.4 else ""
    user = {k: v for k, v in user_obj(world, uid).items() if k != "is_followed"}
    return {
        "user": {**user, "comment": f"{name}です。", "is_followed": False},
        "profile": {
            "webpage": f"https://{account}.example.net/" if rng.random() < 0.2 else None,
            "gender": rng.choice(("", "male", "female")), "birth": f"{year}-{day}" if year else "",
            "birth_day": day, "birth_year": year, "region": region, "address_id": address_id, "country_code": "",
            "job": "", "job_id": 0, "total_follow_users": rng.randrange(500), "total_mypixiv_users": rng.randrange(40),
            "total_illusts": len(types) - types.count("manga"), "total_manga": types.count("manga"),
            "total_novels": len(world.users[uid].novel_ids),
            "total_illust_bookmarks_public": rng.randrange(1000),
            "total_illust_series": sum(s.user_id == uid for s in world.illust_series.values()),
            "total_novel_series": sum(s.user_id == uid for s in world.novel_series.values()),
            "background_image_url": None, "twitter_account": twitter,
            "twitter_url": f"https://twitter.com/{twitter}" if twitter else None, "pawoo_url": None,
            "is_premium": uid % 7 == 0, "is_using_custom_profile_image": True,
        },
        "profile_publicity": {**dict.fromkeys(("gender", "region", "birth_day", "birth_year", "job"), "public"),
                              "pawoo": True},
        "workspace": {**dict.fromkeys(WORKSPACE, ""), "workspace_image_url": None},
    }


def work_image_urls(world: World, wid: int, page: int) -> dict:
    """The four App API image URLs of one page of a work."""
    work = world.work(wid)
    detail = world.work_detail(wid)
    path = world.work_stamp(work.id)
    name = f"{wid}_p{page}"
    return {
        "square_medium": f"{I}/c/360x360_70/img-master/img/{path}/{name}_square1200.jpg",
        "medium": f"{I}/c/540x540_70/img-master/img/{path}/{name}_master1200.jpg",
        "large": f"{I}/c/600x1200_90/img-master/img/{path}/{name}_master1200.jpg",
        "original": f"{I}/img-original/img/{path}/{name}.{detail.ext}",
    }


def ugoira_zip_url(world: World, wid: int, size: str = "600x600") -> str:
    work = world.work(wid)
    return f"{I}/img-zip-ugoira/img/{world.work_stamp(work.id)}/{wid}_ugoira{size}.zip"


def illust_obj(world: World, wid: int, *, detail: bool = False, comments: bool = False) -> dict:
    """An illust as lists send it; ``comments`` adds ``total_comments`` (single-work objects such as a
    series' first illust), ``detail`` adds that and ``comment_access_control`` (``/v1/illust/detail``)."""
    work = world.work(wid)
    d = world.work_detail(wid)
    page0 = work_image_urls(world, wid, 0)
    series = world.illust_series.get(work.series_id) if work.series_id else None
    obj = {
        "id": wid,
        "title": d.title,
        "type": work.type,
        "image_urls": {k: page0[k] for k in ("square_medium", "medium", "large")},
        "caption": d.caption,
        "restrict": 0,
        "user": user_obj(world, work.user_id),
        "tags": [{"name": t.name, "translated_name": t.translated_name} for t in d.tags],
        "tools": list(d.tools),
        "create_date": world.iso(work.created),
        "page_count": work.page_count,
        "width": d.sizes[0][0],
        "height": d.sizes[0][1],
        "sanity_level": d.sanity_level,
        "x_restrict": d.x_restrict,
        "series": {"id": series.id, "title": series_title(world, series.id)} if series else None,
        "meta_single_page": {"original_image_url": page0["original"]} if work.page_count == 1 else {},
        "meta_pages": [] if work.page_count == 1 else [
            {"image_urls": work_image_urls(world, wid, p)} for p in range(work.page_count)
        ],
        "total_view": d.total_view,
        "total_bookmarks": d.total_bookmarks,
        "is_bookmarked": False,
        "visible": True,
        "is_muted": False,
    }
    if detail or comments:
        obj["total_comments"] = d.total_comments
    obj["illust_ai_type"] = d.ai_type
    obj["illust_book_style"] = d.book_style
    if detail:
        obj["comment_access_control"] = 0
    elif wid % 10 == 3:  # as on about a tenth of the works in the 2025 ranking capture
        obj["restriction_attributes"] = ["restricted_mode"]
    how = world.hiding("illust", wid)
    if how == "visible_placeholder":
        as_visible_placeholder(obj)
    elif how is not None:
        as_placeholder(obj, how)
    elif world.restricted(wid):
        as_placeholder(obj)
    return obj


def placeholder_url(kind: str = "sanity_level") -> str:
    """pixiv's placeholder image for a hidden work: ``limit_{kind}_360.png`` (kinds: sanity_level, mypixiv,
    unviewable, unknown, r18, r18g)."""
    return f"{S}/common/images/limit_{kind}_360.png"


PLACEHOLDER = placeholder_url()


def as_placeholder(obj: dict, kind: str = "sanity_level") -> None:
    """What the App API sends for a work it will not show (protocol notes §6.1): visible false, blank
    title and tags, 100x100, zero counters, every image URL a ``limit_{kind}`` placeholder."""
    url = placeholder_url(kind)
    obj.update(title="", caption="", tags=[], tools=[], width=100, height=100, total_view=0, total_bookmarks=0,
               visible=False, page_count=1, meta_pages=[],
               image_urls=dict.fromkeys(obj["image_urls"], url),
               meta_single_page={"original_image_url": url})
    obj["user"] = {**obj["user"], "name": "", "account": ""}


def novel_as_placeholder(obj: dict, kind: str = "sanity_level") -> None:
    """A novel the App API will not show, as it sends illusts it will not show (:func:`as_placeholder`):
    visible false, blank title, caption and tags, zero counters, every cover URL a ``limit_{kind}``
    placeholder."""
    url = placeholder_url(kind)
    obj.update(title="", caption="", tags=[], total_view=0, total_bookmarks=0, visible=False,
               image_urls=dict.fromkeys(obj["image_urls"], url))
    obj["user"] = {**obj["user"], "name": "", "account": ""}


def novel_sanity_level(world: World, nid: int) -> int:
    """A novel's sanity level (2, 4 or 6), by which the App API hides it from accounts that may not see it
    on mobile. pixiv's novel objects do not carry it: the replica gives R-18 novels 6 and about one other
    novel in five 4."""
    if world.novel_detail(nid).x_restrict:
        return 6
    return 4 if random.Random(f"{world.seed}:novel-sl:{nid}").random() < 0.2 else 2


def for_viewer(obj: dict, sanity_level: int, sanity_limit: int, placeholder=as_placeholder) -> dict:
    """``obj`` as the App API shows it to an account whose sanity limit is ``sanity_limit`` (the highest
    ``sanity_level`` it shows on mobile): a placeholder copy (``limit_sanity_level``, visible false) when
    the work is above the limit, else ``obj`` itself. Objects are cached per id and shared by every account,
    so the original is never changed."""
    if sanity_level <= sanity_limit or obj.get("visible") is False:
        return obj
    hidden = dict(obj)
    placeholder(hidden, "sanity_level")
    return hidden


def as_visible_placeholder(obj: dict, kind: str = "sanity_level") -> None:
    """A work the App API still calls ``visible: true`` but shows only as its placeholder (mikf/gallery-dl#4327):
    title, tags and counters kept, a sensitive sanity level (4 or more), every image URL ``limit_{kind}``."""
    url = placeholder_url(kind)
    obj["image_urls"] = dict.fromkeys(obj["image_urls"], url)
    if obj.get("meta_single_page"):
        obj["meta_single_page"] = {"original_image_url": url}
    obj["meta_pages"] = [{"image_urls": dict.fromkeys(page["image_urls"], url)} for page in obj["meta_pages"]]
    obj["sanity_level"] = max(4, obj["sanity_level"])


def novel_as_hidden(obj: dict, kind: str = "mypixiv") -> None:
    """What the App API sends for a novel it will not show (a friends-only chapter of a series, as in
    auto-novel/auto-novel#219 and lifegpc/pixiv_downloader#640): visible false, blank title, caption and tags,
    ``text_length`` 0, zero counters, a ``limit_{kind}`` cover, the user's name blank; ``is_mypixiv_only`` for
    ``mypixiv``. Its webview is refused (:func:`refusal`)."""
    url = placeholder_url(kind)
    obj.update(title="", caption="", tags=[], text_length=0, total_bookmarks=0, total_view=0, total_comments=0,
               visible=False, is_mypixiv_only=kind == "mypixiv",
               image_urls=dict.fromkeys(obj["image_urls"], url))
    obj["user"] = {**obj["user"], "name": "", "account": "",
                   "profile_image_urls": {"medium": f"{S}/common/images/no_profile.png"}}


RESTRICTED_MESSAGE = "Your access is currently restricted."


def refusal(world: World, kind: str, wid: int) -> dict | None:
    """The App API error for the text (``/webview/v2/novel``) or ugoira metadata of a work hidden on purpose
    (World.hide): HTTP 404 with ``user_message`` "Your access is currently restricted."; None when it is shown."""
    if world.hiding(kind, wid) is None:
        return None
    return app_error("", RESTRICTED_MESSAGE)


def series_title(world: World, sid: int) -> str:
    return f"シリーズ{sid}"


def illust_series_detail(world: World, sid: int) -> dict:
    series = world.illust_series[sid]
    first = world.work(series.member_ids[0])
    d = world.work_detail(first.id)
    return {
        "id": sid,
        "title": series_title(world, sid),
        "caption": f"{series_title(world, sid)}の説明です。",
        "cover_image_urls": {
            "medium": f"{I}/c/782x410_80_a2_g5/illust-series-cover-original/img/{world.date_path(series.created)}/"
                      f"{world.user_avatar_hash(sid)}.jpg"
        },
        "series_work_count": len(series.member_ids),
        "create_date": world.iso(series.created),
        "width": d.sizes[0][0],
        "height": d.sizes[0][1],
        "user": user_obj(world, series.user_id),
    }


def novel_image_urls(world: World, nid: int) -> dict:
    novel = world.novel(nid)
    h = world.novel_detail(nid).cover_hash
    path = f"novel-cover-master/img/{world.date_path(novel.created)}/{nid}_{h}"
    return {
        "square_medium": f"{I}/c/128x128/{path}_square1200.jpg",
        "medium": f"{I}/c/176x352/{path}_master1200.jpg",
        "large": f"{I}/c/240x480_80/{path}_master1200.jpg",
    }


def novel_obj(world: World, nid: int) -> dict:
    novel = world.novel(nid)
    d = world.novel_detail(nid)
    series = world.novel_series.get(novel.series_id) if novel.series_id else None
    obj = {
        "id": nid,
        "title": d.title,
        "caption": d.caption,
        "restrict": 0,
        "x_restrict": d.x_restrict,
        "is_original": d.is_original,
        "image_urls": novel_image_urls(world, nid),
        "create_date": world.iso(novel.created),
        "tags": [
            {"name": t.name, "translated_name": t.translated_name, "added_by_uploaded_user": i < 3}
            for i, t in enumerate(d.tags)
        ],
        "page_count": d.page_count,
        "text_length": len(d.text),
        "user": user_obj(world, novel.user_id),
        "series": {"id": series.id, "title": novel_series_title(world, series.id)} if series else {},
        "is_bookmarked": False,
        "total_bookmarks": d.total_bookmarks,
        "total_view": d.total_view,
        "visible": True,
        "total_comments": d.total_comments,
        "is_muted": False,
        "is_mypixiv_only": False,
        "is_x_restricted": bool(d.x_restrict),
        "novel_ai_type": d.ai_type,
    }
    how = world.hiding("novel", nid)
    if how == "visible_placeholder":
        obj["image_urls"] = dict.fromkeys(obj["image_urls"], placeholder_url("sanity_level"))
    elif how is not None:
        novel_as_hidden(obj, how)
    return obj


def novel_series_title(world: World, sid: int) -> str:
    return f"小説シリーズ{sid}"


def novel_series_detail(world: World, sid: int) -> dict:
    series = world.novel_series[sid]
    caption = f"{novel_series_title(world, sid)}のあらすじ"
    return {
        "id": sid,
        "title": novel_series_title(world, sid),
        "caption": caption,
        "is_original": world.novel_detail(series.member_ids[0]).is_original,
        "is_concluded": sid % 2 == 0,
        "content_count": len(series.member_ids),
        "total_character_count": sum(len(world.novel_detail(n).text) for n in series.member_ids),
        "user": user_obj(world, series.user_id),
        "display_text": caption,
    }


def ugoira_metadata(world: World, wid: int, delays: Sequence[int] = ()) -> dict:
    """``/v1/ugoira/metadata``: the zip URL and one ``{"file", "delay"}`` per frame (delay in ms) — the work's
    own delays, or ``delays`` when given (the replica's ``ugoira_delays`` knob; the zip then has as many frames)."""
    frames = delays or world.work_detail(wid).frames
    return {
        "ugoira_metadata": {
            "zip_urls": {"medium": ugoira_zip_url(world, wid)},
            "frames": [{"file": f"{k:06d}.jpg", "delay": delay} for k, delay in enumerate(frames)],
        }
    }


def webview_novel(world: World, nid: int) -> dict:
    """The ``novel`` object that ``/webview/v2/novel`` embeds in its HTML (camelCase, ids as strings)."""
    novel = world.novel(nid)
    d = world.novel_detail(nid)
    series = world.novel_series.get(novel.series_id) if novel.series_id else None
    nav = None
    if series:
        idx = series.member_ids.index(nid)

        def _nav(other: int | None):
            if other is None:
                return None
            return {
                "id": other,
                "viewable": True,
                "contentOrder": str(series.member_ids.index(other) + 1),
                "title": world.novel_detail(other).title,
                "coverUrl": novel_image_urls(world, other)["large"],
                "viewableMessage": None,
            }

        nav = {
            "nextNovel": _nav(series.member_ids[idx + 1] if idx + 1 < len(series.member_ids) else None),
            "prevNovel": _nav(series.member_ids[idx - 1] if idx > 0 else None),
        }
    return {
        "id": str(nid),
        "title": d.title,
        "seriesId": str(series.id) if series else None,
        "seriesTitle": novel_series_title(world, series.id) if series else None,
        "seriesIsWatched": False if series else None,
        "userId": str(novel.user_id),
        "coverUrl": novel_image_urls(world, nid)["large"],
        "tags": [t.name for t in d.tags],
        "caption": d.caption,
        "cdate": world.iso(novel.created)[:10],
        "rating": {"like": d.total_bookmarks // 2, "bookmark": d.total_bookmarks, "view": d.total_view},
        "text": d.text,
        "marker": None,
        "illusts": [],
        "images": [],
        "seriesNavigation": nav,
        "glossaryItems": [],
        "replaceableItemIds": [],
        "aiType": d.ai_type,
        "isOriginal": d.is_original,
    }


def app_error(message: str, user_message: str = "") -> dict:
    """pixiv's App API error envelope."""
    return {"error": {"user_message": user_message, "message": message, "reason": "", "user_message_details": {}}}
