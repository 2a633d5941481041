"""The replica's App API hides works above an account's sanity limit, in every App endpoint, as pixiv's
``limit_sanity_level`` placeholders, while its web Ajax work pages show them whole to the same account, with
values equal to the App API's (ugoira_meta and /ajax/novel have no capture: their values are checked here)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pixivcrawl.parsers.app_api import parse_webview_novel
from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.app_objects import novel_sanity_level
from pixivcrawl.replica.rankings import Rankings

PLACEHOLDER = "https://s.pximg.net/common/images/limit_sanity_level_360.png"


def _cookie(account: int) -> dict:
    return {"Cookie": f"PHPSESSID={replica_account(account).phpsessid}"}


def _web(replica, path: str, account: int | None = 0):
    status, body = replica.json(path, host="www.pixiv.net", headers=_cookie(account) if account is not None else {})
    assert status == 200 and body["error"] is False, body
    return body["body"]


def _app(replica, path: str, bearer: str) -> dict:
    status, body = replica.json(path, headers={"Authorization": f"Bearer {bearer}"})
    assert status == 200, body
    return body


def _served(replica, url: str) -> bool:
    parts = urlsplit(url)
    return replica.call(parts.path, host=parts.hostname, headers={"Referer": "https://www.pixiv.net/"})[0] == 200


def test_an_accounts_sanity_limit_hides_works_in_every_app_endpoint(fresh_replica, world):
    fresh_replica.control("account", {"account": 0, "app_sanity_limit": 4})
    limited, other = fresh_replica.token(0), fresh_replica.token(1)
    series = next(s for s in world.illust_series.values()
                  if any(world.work_detail(w).sanity_level == 6 for w in s.member_ids[-30:]))
    hidden = {w for w in series.member_ids[-30:] if world.work_detail(w).sanity_level == 6}

    page = _app(fresh_replica, f"/v1/illust/series?illust_series_id={series.id}", limited)["illusts"]
    assert {o["id"] for o in page} == set(series.member_ids[-30:])  # the newest first
    assert {o["id"] for o in page if not o["visible"]} == hidden
    for obj in page:
        if obj["id"] in hidden:
            assert obj["title"] == "" and obj["tags"] == [] and obj["image_urls"]["large"] == PLACEHOLDER
            assert obj["meta_single_page"] == {"original_image_url": PLACEHOLDER}
    one = min(hidden)
    assert _app(fresh_replica, f"/v1/illust/detail?illust_id={one}", limited)["illust"]["visible"] is False
    # another account, and the cached objects, are untouched
    assert _app(fresh_replica, f"/v1/illust/detail?illust_id={one}", other)["illust"]["visible"] is True
    assert all(o["visible"] for o in _app(fresh_replica, f"/v1/illust/series?illust_series_id={series.id}",
                                          other)["illusts"])
    # rankings and novels too
    day = Rankings(world).latest
    ranked = _app(fresh_replica, f"/v1/illust/ranking?mode=day&date={day}", limited)["illusts"]
    assert {o["id"] for o in ranked if not o["visible"]} == {
        o["id"] for o in ranked if world.work_detail(o["id"]).sanity_level == 6 or world.restricted(o["id"])}
    novel = next(n.id for n in world.novels if novel_sanity_level(world, n.id) == 6)
    obj = _app(fresh_replica, f"/v2/novel/detail?novel_id={novel}", limited)["novel"]
    assert obj["visible"] is False and obj["image_urls"]["large"] == PLACEHOLDER and obj["title"] == ""
    assert _app(fresh_replica, f"/v2/novel/detail?novel_id={novel}", other)["novel"]["visible"] is True
    # the web shows the same work whole to the limited account
    assert _web(fresh_replica, f"/ajax/illust/{one}")["title"] == world.work_detail(one).title
    # the knob for every account, and back to the replica's default for account 0
    fresh_replica.control("config", {"app_sanity_limit": 2})
    fresh_replica.control("account", {"account": 0, "app_sanity_limit": None})
    sl4 = next(w for w in series.member_ids if world.work_detail(w).sanity_level == 4)
    assert _app(fresh_replica, f"/v1/illust/detail?illust_id={sl4}", limited)["illust"]["visible"] is False


def test_web_work_pages_agree_with_the_app_api(replica, world):
    bearer = replica.token(1)
    manga = next(w.id for w in world.works if w.type == "manga" and w.page_count >= 3)
    app = _app(replica, f"/v1/illust/detail?illust_id={manga}", bearer)["illust"]
    body = _web(replica, f"/ajax/illust/{manga}")
    assert (body["title"], body["illustComment"], body["pageCount"], body["width"], body["viewCount"]) == \
        (app["title"], app["caption"], app["page_count"], app["width"], app["total_view"])
    assert [t["tag"] for t in body["tags"]["tags"]] == [t["name"] for t in app["tags"]]
    assert [t.get("translation", {}).get("en") for t in body["tags"]["tags"]] == \
        [t["translated_name"] for t in app["tags"]]
    pages = _web(replica, f"/ajax/illust/{manga}/pages")
    assert [p["urls"]["original"] for p in pages] == [p["image_urls"]["original"] for p in app["meta_pages"]]
    assert [p["urls"]["small"] for p in pages] == [p["image_urls"]["medium"] for p in app["meta_pages"]]
    assert all(_served(replica, url) for p in pages for url in p["urls"].values())
    assert all(_served(replica, url) for url in body["urls"].values())

    ugoira = next(w.id for w in world.works if w.type == "ugoira" and not world.work_detail(w.id).x_restrict)
    meta = _web(replica, f"/ajax/illust/{ugoira}/ugoira_meta")
    app_meta = _app(replica, f"/v1/ugoira/metadata?illust_id={ugoira}", bearer)["ugoira_metadata"]
    assert meta["src"] == app_meta["zip_urls"]["medium"] and meta["frames"] == app_meta["frames"]
    assert meta["originalSrc"] == meta["src"].replace("_ugoira600x600.zip", "_ugoira1920x1080.zip")
    assert _served(replica, meta["originalSrc"]) and meta["mime_type"] == "image/jpeg"

    nid = next(n.id for n in world.novels if n.series_id is not None)
    novel = _web(replica, f"/ajax/novel/{nid}")
    app_novel = _app(replica, f"/v2/novel/detail?novel_id={nid}", bearer)["novel"]
    status, _, html = replica.call(f"/webview/v2/novel?id={nid}", headers={"Authorization": f"Bearer {bearer}"})
    assert status == 200 and novel["content"] == parse_webview_novel(html.decode()).text
    assert (novel["title"], novel["coverUrl"], novel["characterCount"]) == \
        (app_novel["title"], app_novel["image_urls"]["large"], app_novel["text_length"])
    assert novel["seriesNavData"]["seriesId"] == str(app_novel["series"]["id"])


def test_web_without_a_session_hides_r18(replica, world):
    r18 = next(w.id for w in world.works if w.type == "ugoira" and world.work_detail(w.id).x_restrict)
    assert set(_web(replica, f"/ajax/illust/{r18}", account=None)["urls"].values()) == {None}
    assert {u for p in _web(replica, f"/ajax/illust/{r18}/pages", account=None) for u in p["urls"].values()} == {None}
    status, body = replica.json(f"/ajax/illust/{r18}/ugoira_meta", host="www.pixiv.net")
    assert status == 403 and body["error"] is True and body["body"] == []
    novel = next(n.id for n in world.novels if world.novel_detail(n.id).x_restrict)
    status, body = replica.json(f"/ajax/novel/{novel}", host="www.pixiv.net")
    assert status == 403 and body["error"] is True
    # with the session, whole
    assert _web(replica, f"/ajax/illust/{r18}")["urls"]["original"].startswith("https://i.pximg.net/")
    assert _web(replica, f"/ajax/novel/{novel}")["content"] == world.novel_detail(novel).text
