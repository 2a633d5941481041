"""The replica's web Ajax work pages: ``/ajax/illust/{id}``, ``/ajax/illust/{id}/pages``,
``/ajax/illust/{id}/ugoira_meta`` and ``/ajax/novel/{id}`` (bodies of pixiv's ``{error, message, body}``
envelope).

Where the shapes come from:

- ``/ajax/illust/{id}``: the real captures ``tests/fixtures/web/ajax_illust/pixivutil2__*.json`` (2025,
  logged in; ``pixivutil2__67089412.json`` is an R-18 work seen without a session: every ``urls`` value
  null, and a ``noLoginData`` object) and ``tests/fixtures/ajax/ajax/illust/100412238.json`` (2022, no
  session);
- ``/ajax/illust/{id}/pages``: the real capture ``tests/fixtures/ajax/ajax/illust/100412238/pages.json``;
- ``/ajax/illust/{id}/ugoira_meta`` and ``/ajax/novel/{id}``: **no capture exists**; these shapes follow
  the documentation (protocol notes §3.2: PixivBatchDownloader's typed ``UgoiraMetaBody`` and
  ``NovelData``, gallery-dl's and PixivUtil2's readers), not a capture.

Values agree with the App API's for the same work (pixivcrawl.replica.app_objects): title, caption, tags
and their translations, counters, page sizes, the CDN URLs the replica serves (the same date path and
file names as the App API's ``meta_pages``), the ugoira zip and frame delays, the novel text the webview
sends. Dates are in UTC (``+00:00``) as in the Ajax captures, where the App API writes JST.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from . import app_objects as ao
from .app_objects import novel_series_title, series_title
from .web_objects import TYPE_CODES, illust_thumbnail, novel_thumbnail
from .world import EPOCH, World

_ZONES = ("responsive", "rectangle", "500x500", "header", "footer", "expandedFooter", "logo", "ad_logo",
          "relatedworks")
_NOVEL_ZONES = ("responsive", "rectangle", "500x500", "header", "footer", "expandedFooter", "logo")


def _utc(ts: int) -> str:
    """A world time (seconds after EPOCH) as the Ajax API writes it: ISO 8601 in UTC."""
    return (EPOCH + timedelta(seconds=ts)).astimezone(UTC).isoformat()


def _zones(names: tuple[str, ...], uri: str) -> dict:
    return {zone: {"url": f"https://pixon.ads-pixiv.net/show?zone_id={zone}&format=js&s=1&up=0&l=ja&uri={uri}"}
            for zone in names}


def _tags(world: World, author: int, tags) -> dict:
    """The ``tags`` object of a work page: the author's first tags locked, translations where the world has
    them (the App API's ``translated_name``)."""
    name, _ = world.user_name(author)
    out = []
    for i, tag in enumerate(tags):
        obj = {"tag": tag.name, "locked": i < 3, "deletable": i >= 3}
        if i < 3:
            obj.update(userId=str(author), userName=name)
        obj["romaji"] = tag.name
        if tag.translated_name is not None:
            obj["translation"] = {"en": tag.translated_name}
        out.append(obj)
    return {"authorId": str(author), "isLocked": False, "tags": out, "writable": True}


def _meta(title: str, description: str, canonical: str, header: str, image: str) -> dict:
    return {"meta": {
        "title": f"{title} - pixiv",
        "description": description,
        "canonical": f"https://www.pixiv.net{canonical}",
        "alternateLanguages": {"ja": f"https://www.pixiv.net{canonical}", "en": f"https://www.pixiv.net/en{canonical}"},
        "descriptionHeader": header,
        "ogp": {"description": description, "image": image, "title": f"{title} - pixiv", "type": "article"},
        "twitter": {"description": description, "image": image, "title": title, "card": "summary_large_image"},
    }}


def _neighbours(ids: list[int], wid: int) -> tuple[int | None, int | None]:
    """(newer, older) neighbour of ``wid`` in a user's works (oldest first)."""
    idx = ids.index(wid)
    return (ids[idx + 1] if idx + 1 < len(ids) else None), (ids[idx - 1] if idx > 0 else None)


def illust_series_nav(world: World, wid: int) -> dict | None:
    """``seriesNavData`` of a work in an illust/manga series (documentation: PixivBatchDownloader's
    ``ArtworkData``; the captures are of works in no series, where it is null)."""
    work = world.work(wid)
    if work.series_id is None:
        return None
    series = world.illust_series[work.series_id]
    idx = series.member_ids.index(wid)

    def _link(other: int | None) -> dict | None:
        if other is None:
            return None
        return {"title": world.work_detail(other).title, "order": series.member_ids.index(other) + 1, "id": str(other)}

    return {"seriesType": "manga", "seriesId": str(series.id), "title": series_title(world, series.id),
            "order": idx + 1, "isWatched": False, "isNotifying": False,
            "prev": _link(series.member_ids[idx - 1] if idx > 0 else None),
            "next": _link(series.member_ids[idx + 1] if idx + 1 < len(series.member_ids) else None)}


def _illust_urls(world: World, wid: int, *, logged_in: bool) -> dict:
    """The ``urls`` of a work page (its first page's), every value null for an R-18 work without a session."""
    page0 = ao.work_image_urls(world, wid, 0)
    square = page0["square_medium"]
    urls = {
        "mini": square.replace("/c/360x360_70/", "/c/48x48/"),
        "thumb": square.replace("/c/360x360_70/", "/c/250x250_80_a2/"),
        "small": page0["medium"],
        "regular": page0["large"].replace("/c/600x1200_90/", "/"),
        "original": page0["original"],
    }
    return dict.fromkeys(urls) if world.work_detail(wid).x_restrict and not logged_in else urls


def _no_login_data(world: World, wid: int, lang: str, newer: int | None, older: int | None) -> dict:
    """``noLoginData`` of a work page seen without a session: its breadcrumb (keyed by ``lang``) and neighbours."""
    return {
        "breadcrumbs": {"successor": [], "current": {lang: world.work_detail(wid).title}},
        "zengoIdWorks": [illust_thumbnail(world, w) for w in (newer, older) if w is not None],
        "zengoWorkData": {
            "nextWork": {"id": str(newer), "title": world.work_detail(newer).title} if newer else None,
            "prevWork": {"id": str(older), "title": world.work_detail(older).title} if older else None,
        },
    }


def illust_body(world: World, wid: int, *, logged_in: bool, lang: str = "ja") -> dict:
    """``/ajax/illust/{id}``'s body. Without a session an R-18 work comes with every ``urls`` value null
    (protocol notes §3.5), and every work with ``noLoginData`` (its breadcrumb keyed by the ``lang`` asked
    for), as in the logged-out captures. It is long because it is one literal of the body's 60-odd fields, in
    the captures' order."""
    work = world.work(wid)
    d = world.work_detail(wid)
    name, account = world.user_name(work.user_id)
    urls = _illust_urls(world, wid, logged_in=logged_in)
    kind = {"illust": "イラスト", "manga": "マンガ", "ugoira": "うごイラ"}[work.type]
    user_works = world.users[work.user_id].work_ids
    newer, older = _neighbours(user_works, wid)
    shown = [w for w in (newer, wid, older) if w is not None]
    revisions = world.revisions.get(wid, 0)
    title = f"#{d.tags[0].name} {d.title} - {name}の{kind}"
    body = {
        "illustId": str(wid),
        "illustTitle": d.title,
        "illustComment": d.caption,
        "id": str(wid),
        "title": d.title,
        "description": d.caption,
        "illustType": TYPE_CODES[work.type],
        "createDate": _utc(work.created),
        "uploadDate": _utc(world.upload_time(wid)),
        "restrict": 0,
        "xRestrict": d.x_restrict,
        "sl": d.sanity_level,
        "urls": urls,
        "tags": _tags(world, work.user_id, d.tags),
        "alt": title,
        "userId": str(work.user_id),
        "userName": name,
        "userAccount": account,
        # pixiv sends every work of the user, the neighbours of this one as small objects, the rest null
        "userIllusts": {str(w): illust_thumbnail(world, w) if w in shown else None for w in reversed(user_works)},
        "likeData": False,
        "width": d.sizes[0][0],
        "height": d.sizes[0][1],
        "pageCount": work.page_count,
        "bookmarkCount": d.total_bookmarks,
        "likeCount": d.total_bookmarks // 2,
        "commentCount": d.total_comments,
        "responseCount": 0,
        "viewCount": d.total_view,
        "bookStyle": str(d.book_style) if work.type == "manga" else d.book_style,  # as in the captures
        "isHowto": False,
        "isOriginal": wid % 3 == 0,
        "imageResponseOutData": [],
        "imageResponseData": [],
        "imageResponseCount": 0,
        "pollData": None,
        "seriesNavData": illust_series_nav(world, wid),
        "descriptionBoothId": None,
        "descriptionYoutubeId": None,
        "comicPromotion": None,
        "fanboxPromotion": None,
        "contestBanners": [],
        "isBookmarkable": logged_in,
        "bookmarkData": None,
        "contestData": None,
        "zoneConfig": _zones(_ZONES, "%2Fajax%2Fillust%2F_PARAM_"),
        "extraData": _meta(title, d.caption, f"/artworks/{wid}",
                           f"この作品「{d.title}」は「{d.tags[0].name}」等のタグがつけられた{kind}です。",
                           f"https://embed.pixiv.net/decorate.php?illust_id={wid}"),
        "titleCaptionTranslation": {"workTitle": None, "workCaption": None},
        "isUnlisted": False,
        "request": None,
        "commentOff": 0,
        "aiType": d.ai_type,
        "reuploadDate": _utc(world.upload_time(wid)) if revisions else None,
        "locationMask": False,
        "commissionLinkHidden": False,
        "isLoginOnly": False,
    }
    if not logged_in:
        body["noLoginData"] = _no_login_data(world, wid, lang, newer, older)
    return body


def illust_pages(world: World, wid: int, *, logged_in: bool) -> list[dict]:
    """``/ajax/illust/{id}/pages``'s body: every page's URLs (the App API's ``meta_pages``) and size. Null
    URLs for an R-18 work without a session, as ``/ajax/illust/{id}`` sends them."""
    work = world.work(wid)
    d = world.work_detail(wid)
    pages = []
    for page in range(work.page_count):
        urls = ao.work_image_urls(world, wid, page)
        out = {
            "thumb_mini": urls["square_medium"].replace("/c/360x360_70/", "/c/128x128/"),
            "small": urls["medium"],
            "regular": urls["large"].replace("/c/600x1200_90/", "/"),
            "original": urls["original"],
        }
        if d.x_restrict and not logged_in:
            out = dict.fromkeys(out)
        pages.append({"urls": out, "width": d.sizes[page][0], "height": d.sizes[page][1]})
    return pages


def ugoira_meta(world: World, wid: int) -> dict:
    """``/ajax/illust/{id}/ugoira_meta``'s body (documentation, no capture): the App API's zip (``src``,
    600x600), its 1920x1080 sibling (``originalSrc``), and the same frames and delays."""
    d = world.work_detail(wid)
    return {
        "src": ao.ugoira_zip_url(world, wid, "600x600"),
        "originalSrc": ao.ugoira_zip_url(world, wid, "1920x1080"),
        "mime_type": "image/jpeg",
        "frames": [{"file": f"{k:06d}.jpg", "delay": delay} for k, delay in enumerate(d.frames)],
    }


def novel_series_nav(world: World, nid: int) -> dict | None:
    novel = world.novel(nid)
    if novel.series_id is None:
        return None
    series = world.novel_series[novel.series_id]
    idx = series.member_ids.index(nid)

    def _link(other: int | None) -> dict | None:
        if other is None:
            return None
        return {"title": world.novel_detail(other).title, "order": series.member_ids.index(other) + 1,
                "id": str(other), "available": True}

    return {"seriesType": "novel", "seriesId": str(series.id), "title": novel_series_title(world, series.id),
            "isConcluded": series.id % 2 == 0, "isReplaceable": False, "order": idx + 1,
            "prev": _link(series.member_ids[idx - 1] if idx > 0 else None),
            "next": _link(series.member_ids[idx + 1] if idx + 1 < len(series.member_ids) else None)}


def novel_body(world: World, nid: int) -> dict:
    """``/ajax/novel/{id}``'s body (documentation, no capture): the text in ``content`` (the webview's
    ``text``), the App API's cover URL, tags and counters. It is long because it is one literal of the body's
    50-odd fields, in PixivBatchDownloader's order."""
    novel = world.novel(nid)
    d = world.novel_detail(nid)
    name, _ = world.user_name(novel.user_id)
    user_novels = world.users[novel.user_id].novel_ids
    newer, older = _neighbours(user_novels, nid)
    shown = {w for w in (newer, nid, older) if w is not None}
    title = f"{d.title} - {name}の小説"
    return {
        "bookmarkCount": d.total_bookmarks,
        "commentCount": d.total_comments,
        "markerCount": 0,
        "createDate": _utc(novel.created),
        "uploadDate": _utc(novel.created),
        "description": d.caption,
        "id": str(nid),
        "title": d.title,
        "likeCount": d.total_bookmarks // 2,
        "pageCount": str(d.page_count),  # a string in PixivBatchDownloader's NovelData
        "userId": str(novel.user_id),
        "userName": name,
        "viewCount": d.total_view,
        "isOriginal": d.is_original,
        "isBungei": False,
        "isUnlisted": False,
        "language": d.language,
        "xRestrict": d.x_restrict,
        "restrict": 0,
        "content": d.text,
        "coverUrl": ao.novel_image_urls(world, nid)["large"],
        "suggestedSettings": {"viewMode": 0, "themeBackground": 0, "themeSize": None, "themeSpacing": None},
        "isBookmarkable": True,
        "bookmarkData": None,
        "likeData": False,
        "pollData": None,
        "marker": None,
        "tags": _tags(world, novel.user_id, d.tags),
        "seriesNavData": novel_series_nav(world, nid),
        "descriptionBoothId": None,
        "descriptionYoutubeId": None,
        "comicPromotion": None,
        "fanboxPromotion": None,
        "contestBanners": [],
        "contestData": None,
        "request": None,
        "imageResponseOutData": [],
        "imageResponseData": [],
        "imageResponseCount": 0,
        "userNovels": {str(n): novel_thumbnail(world, n) if n in shown else None for n in reversed(user_novels)},
        "hasGlossary": False,
        "zoneConfig": _zones(_NOVEL_ZONES, "%2Fajax%2Fnovel%2F_PARAM_"),
        "extraData": _meta(title, d.caption, f"/novel/show.php?id={nid}",
                           f"この作品「{d.title}」は「{d.tags[0].name}」等のタグがつけられた小説です。",
                           f"https://embed.pixiv.net/novel_cover.php?novel_id={nid}"),
        "titleCaptionTranslation": {"workTitle": None, "workCaption": None},
        "textEmbeddedImages": None,
        "aiType": d.ai_type,
        "characterCount": len(d.text),
        "wordCount": len(d.text) // 2,
        "readingTime": len(d.text) // 8,
    }
