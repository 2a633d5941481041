"""The replica's ``POST /_replica/hide``: works pixiv hides, in every API, keeping the key trees of the real captures
(tests/fixtures); their text, ugoira metadata and files refused."""

from __future__ import annotations

import json
import urllib.parse

from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.app_objects import placeholder_url, ugoira_zip_url, work_image_urls
from pixivcrawl.replica.search import Query, Search

from .captures import load_fixture
from .shapes import compare, key_tree

NEWER_ILLUST = frozenset({"illust_ai_type", "illust_book_style", "restriction_attributes", "total_comments",
                          "comment_access_control"})
COOKIE = {"Cookie": f"PHPSESSID={replica_account(0).phpsessid}"}
RESTRICTED = "Your access is currently restricted."


def _same(value, capture, extra=frozenset()):
    assert compare(key_tree(value), key_tree(capture), extra) == []


def _all_urls(obj: dict) -> list[str]:
    urls = [*obj["image_urls"].values(), *obj.get("meta_single_page", {}).values()]
    return urls + [u for page in obj.get("meta_pages", []) for u in page["image_urls"].values()]


def test_hidden_works_in_every_api_and_shown_again(fresh_replica, world):
    single = next(w for w in world.works if w.type == "illust" and w.page_count == 1 and not world.restricted(w.id))
    manga = next(w for w in world.works if w.type == "manga" and w.page_count > 2)
    ugoira = next(w for w in world.works if w.type == "ugoira")
    novel = next(iter(world.novel_series.values())).member_ids[1]
    hide = {"illusts": {str(single.id): "mypixiv", str(manga.id): "visible_placeholder",
                        str(ugoira.id): "sanity_level"},
            "novels": {str(novel): "mypixiv"}}
    assert fresh_replica.control("hide", hide) == hide
    bearer = {"Authorization": f"Bearer {fresh_replica.token()}"}

    # App API: pixiv's placeholder, in the shape of the real detail capture
    status, body = fresh_replica.json(f"/v1/illust/detail?illust_id={single.id}", headers=bearer)
    assert status == 200
    _same(body, load_fixture("app-api/v1_illust_detail/pixivpy__126839540.json"), NEWER_ILLUST)
    hidden = body["illust"]
    assert (hidden["visible"], hidden["title"], hidden["tags"], hidden["user"]["name"]) == (False, "", [], "")
    assert set(_all_urls(hidden)) == {placeholder_url("mypixiv")}
    # visible, its texts kept, but every URL of every page the sanity placeholder
    status, body = fresh_replica.json(f"/v1/illust/detail?illust_id={manga.id}", headers=bearer)
    shown = body["illust"]
    assert (shown["visible"], shown["title"], len(shown["meta_pages"])) == \
        (True, world.work_detail(manga.id).title, manga.page_count)
    assert set(_all_urls(shown)) == {placeholder_url("sanity_level")} and shown["sanity_level"] >= 4
    # a friends-only chapter in its series, as in the series capture; its text refused
    sid = world.novel(novel).series_id
    status, body = fresh_replica.json(f"/v2/novel/series?series_id={sid}", headers=bearer)
    _same(body, load_fixture("app-api/v2_novel_series/anowlbear.json"), {"novel_ai_type"})
    chapter = next(n for n in body["novels"] if n["id"] == novel)
    assert (chapter["visible"], chapter["is_mypixiv_only"], chapter["title"], chapter["caption"], chapter["tags"],
            chapter["text_length"]) == (False, True, "", "", [], 0)
    status, body = fresh_replica.json(f"/webview/v2/novel?id={novel}&viewer_version=20221031_ai", headers=bearer)
    assert status == 404 and body["error"]["user_message"] == RESTRICTED
    status, body = fresh_replica.json(f"/v1/ugoira/metadata?illust_id={ugoira.id}", headers=bearer)
    assert status == 404 and body["error"]["user_message"] == RESTRICTED
    # the files of a hidden work are refused too
    referer = {"Referer": "https://www.pixiv.net/"}
    for url in (work_image_urls(world, manga.id, 1)["original"], ugoira_zip_url(world, ugoira.id, "1920x1080")):
        parts = urllib.parse.urlsplit(url)
        assert fresh_replica.call(parts.path, host=parts.hostname, headers=referer)[0] == 404

    # web: the search thumbnail is masked, with the placeholder, and keeps the thumbnail's keys
    tag = world.work_tags(single.id)[0].name
    results = Search(world).results(Query(kind="artworks", word=tag, mode="all"))
    page = results.index(single.id) // 60 + 1
    status, body = fresh_replica.json(f"/ajax/search/artworks/{urllib.parse.quote(tag)}?mode=all&p={page}",
                                      host="www.pixiv.net", headers=COOKIE)
    thumbnails = {t["id"]: t for t in body["body"]["illustManga"]["data"] if "id" in t}
    masked = thumbnails[str(single.id)]
    other = next(t for i, t in thumbnails.items() if int(i) not in (single.id, manga.id, ugoira.id))
    _same(masked, other)
    assert (masked["isMasked"], masked["url"], masked["title"], masked["tags"]) == \
        (True, placeholder_url("mypixiv"), "", [])

    # shown again
    assert fresh_replica.control("hide", {"illusts": {str(single.id): None}, "novels": {str(novel): None}}) == \
        {"illusts": {str(manga.id): "visible_placeholder", str(ugoira.id): "sanity_level"}, "novels": {}}
    status, body = fresh_replica.json(f"/v1/illust/detail?illust_id={single.id}", headers=bearer)
    assert body["illust"]["visible"] is True and body["illust"]["title"] == world.work_detail(single.id).title
    status, _, _ = fresh_replica.call(f"/webview/v2/novel?id={novel}", headers=bearer)
    assert status == 200


def test_hide_refuses_unknown_works_and_ways(fresh_replica, world):
    for payload in ({"illusts": {"1": "mypixiv"}}, {"novels": {str(world.novels[0].id): "bogus"}},
                    {"illusts": ["not", "a", "map"]}):
        status, body = fresh_replica.json("/_replica/hide", data=json.dumps(payload).encode(),
                                          method="POST")
        assert status == 400 and "bad hide request" in body["error"]
    assert fresh_replica.control("hide") == {"illusts": {}, "novels": {}}
