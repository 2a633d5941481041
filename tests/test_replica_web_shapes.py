"""The replica's www.pixiv.net answers have the key trees of the real Ajax captures (tests/fixtures/ajax)."""

from __future__ import annotations

import urllib.parse

import pytest

from pixivcrawl.replica.accounts import replica_account

from .captures import load_fixture
from .shapes import MAP_KEYS, compare, key_tree

COOKIE = {"Cookie": f"PHPSESSID={replica_account(2).phpsessid}"}
#: fields newer clients document but the 2022 captures lack: search lastPage (PBD, 2026 clients), thumbnail
#: aiType (protocol notes §3.2), novel language, and tagTranslation's language keys (pixivutil2 captures)
NEWER = frozenset({"lastPage", "aiType", "language", "en"})


def _web(replica, path: str):
    status, body = replica.json(path, host="www.pixiv.net", headers=COOKIE)
    assert status == 200, body
    return body


def _same(replica_value, capture, extra=NEWER):
    assert compare(key_tree(replica_value), key_tree(capture), extra) == []


def test_ranking_php(replica):
    body = _web(replica, "/ranking.php?format=json&mode=weekly&content=illust&p=1")
    _same(body, load_fixture("ajax/ranking_format_json_mode_weekly_content_illust_p_1.json"))
    assert len(body["contents"]) == 50 and body["page"] == 1 and body["prev"] is False


@pytest.mark.parametrize(("kind", "fixture"), [
    ("illustrations", ("ajax/ajax/search/illustrations/"
                       "genshin_word_genshin_type_illust_and_ugoira_order_date_d_mode_all_s_mode_s_tag_full.json")),
    ("manga", "ajax/ajax/search/manga/genshin_word_genshin_type_manga_order_date_d_mode_all_s_mode_s_tag_full.json"),
    ("artworks", "web/ajax_search_artworks/pixivutil2__exact_kudryavka.json"),
])
def test_search(replica, world, kind, fixture):
    tag = world.work_tags(world.works[0].id)[0].name
    body = _web(replica, f"/ajax/search/{kind}/{urllib.parse.quote(tag)}?word={urllib.parse.quote(tag)}"
                         f"&order=date_d&mode=all&s_mode=s_tag&p=1")
    capture = load_fixture(fixture)
    # the 2019-2021 pixivutil2 capture predates isMasked and tagTranslation's romaji (both in the 2022
    # captures); the message key is absent in all search captures
    _same(body, capture, NEWER | {"isMasked", "message", "romaji"})


COMMISSION_FIXTURES = [
    ("/ajax/commission/page/request", "request.json"),
    *[(f"/ajax/commission/page/request/complete/{t}?mode=all&p=1", f"request/complete/{t}_mode_all_p_1.json")
      for t in ("illust", "manga", "ugoira")],
    *[(f"/ajax/commission/page/request/creators/{t}?mode=all&p=1", f"request/creators/{t}_mode_all_p_1.json")
      for t in ("illust", "manga", "ugoira")],
    *[(f"/ajax/commission/page/request/in_progress/{t}?mode=all&p=1", f"request/in_progress/{t}_mode_all_p_1.json")
      for t in ("all", "illust", "manga", "ugoira")],
]


@pytest.mark.parametrize(("path", "fixture"), COMMISSION_FIXTURES, ids=[f for _, f in COMMISSION_FIXTURES])
def test_commission_pages(replica, path, fixture):
    body = _web(replica, path)
    # thumbnails of works in a series carry seriesId/seriesTitle (as in the overview capture); the
    # complete-listing captures happen to hold no such work
    _same(body, load_fixture(f"ajax/ajax/commission/page/{fixture}"), NEWER | {"seriesId", "seriesTitle"})
    assert body["error"] is False


def test_web_errors_use_the_ajax_envelope(replica):
    status, body = replica.json("/ajax/commission/page/request/creators/novel", host="www.pixiv.net")
    assert status == 404 and body == {"error": True, "message": "", "body": []}
    status, body = replica.json("/ranking.php?format=json&mode=daily_r18", host="www.pixiv.net")
    assert status == 403  # R-18 rankings need a logged-in session


# -- work pages: /ajax/illust/{id}, /pages (real captures); ugoira_meta and /ajax/novel have none ---------------

#: the 2025 captures of /ajax/illust/{id} seen logged in, one per work type
WORK_FIXTURES = [
    ("illust", 1, "web/ajax_illust/pixivutil2__32039274.json"),
    ("manga", 2, "web/ajax_illust/pixivutil2__28820443.json"),
    ("ugoira", 1, "web/ajax_illust/pixivutil2__46281014.json"),
]
#: what the 2022 capture (no session) predates: the 2025 fields, the ad_logo zone, tag romaji/translations
BEFORE_2025 = NEWER | {"reuploadDate", "locationMask", "commissionLinkHidden", "isLoginOnly", "ad_logo", "romaji",
                       "translation"}


def _work_of(world, kind: str, pages: int, **detail) -> int:
    return next(w.id for w in world.works if w.type == kind and w.page_count >= pages and w.series_id is None
                and all(getattr(world.work_detail(w.id), k) == v for k, v in detail.items()))


@pytest.mark.parametrize(("kind", "pages", "fixture"), WORK_FIXTURES, ids=[k for k, _, _ in WORK_FIXTURES])
def test_ajax_illust_logged_in(replica, world, kind, pages, fixture):
    body = _web(replica, f"/ajax/illust/{_work_of(world, kind, pages)}?lang=en")
    _same(body, load_fixture(fixture), frozenset())
    assert body["error"] is False and "noLoginData" not in body["body"]


def test_ajax_illust_of_a_series_member(replica, world):
    series = next(iter(world.illust_series.values()))
    page = _web(replica, f"/ajax/illust/{series.member_ids[1]}")
    _same(page, load_fixture(WORK_FIXTURES[1][2]), frozenset())
    nav = page["body"]["seriesNavData"]
    assert (nav["seriesId"], nav["order"], nav["prev"]["id"]) == (str(series.id), 2, str(series.member_ids[0]))


def test_ajax_illust_without_a_session(replica, world):
    # an R-18 work: every URL null and noLoginData, as in the capture of one seen logged out
    r18 = _work_of(world, "illust", 1, x_restrict=1)
    status, body = replica.json(f"/ajax/illust/{r18}?lang=en", host="www.pixiv.net")
    assert status == 200
    _same(body, load_fixture("web/ajax_illust/pixivutil2__67089412.json"), frozenset())
    assert set(body["body"]["urls"].values()) == {None}
    # a sensitive but not R-18 work is shown whole, as in the 2022 capture of one (sl 6, xRestrict 0)
    sensitive = _work_of(world, "illust", 1, x_restrict=0, sanity_level=6)
    status, body = replica.json(f"/ajax/illust/{sensitive}", host="www.pixiv.net")
    assert status == 200 and body["body"]["urls"]["original"].startswith("https://i.pximg.net/img-original/")
    capture = load_fixture("ajax/ajax/illust/100412238.json")
    capture["body"].pop("storableTags")  # dropped by pixiv since (absent from every 2025 capture)
    _same(body, capture, BEFORE_2025)


def test_ajax_illust_pages(replica, world):
    wid = _work_of(world, "manga", 3)
    body = _web(replica, f"/ajax/illust/{wid}/pages")
    _same(body, load_fixture("ajax/ajax/illust/100412238/pages.json"), frozenset())
    assert len(body["body"]) == world.work(wid).page_count


def test_ajax_work_errors_are_pixivs(replica, world):
    status, body = replica.json(f"/ajax/illust/{world.works[-1].id + 1}", host="www.pixiv.net", headers=COOKIE)
    assert status == 404 and body == load_fixture("web/ajax_illust/pixivutil2__123_error.json")
    status, body = replica.json(f"/ajax/illust/{_work_of(world, 'illust', 1)}/ugoira_meta", host="www.pixiv.net",
                                headers=COOKIE)
    assert status == 400 and body["error"] is True and body["body"] == []
    status, body = replica.json(f"/ajax/novel/{world.novels[-1].id + 1}", host="www.pixiv.net", headers=COOKIE)
    assert status == 404 and body == {"error": True, "message": "", "body": []}


@pytest.mark.parametrize("fixture", [
    "ajax/ajax/user/9153585/profile/all.json",
    "web/ajax_user_profile_all/pixivutil2__14095911.json",
    "web/ajax_user_profile_all/pixivutil2__26357.json",
    "web/ajax_user_profile_all/pixivutil2__4991959.json",
    "web/ajax_user_profile_all/pixivutil2__1233_noimage.json",
])
def test_user_profile_all(replica, world, fixture):
    # the first user of the test world has works of every kind, an illust series and a novel series
    uid = next(iter(world.users))
    body = _web(replica, f"/ajax/user/{uid}/profile/all")
    assert body["body"]["illusts"] and body["body"]["mangaSeries"] and body["body"]["novelSeries"]
    # request.showRequestSentTab is in the 2022 capture (9153585), not in the older pixivutil2 ones; the works are
    # maps of id → null
    maps = MAP_KEYS | {"manga", "novels"}
    assert compare(key_tree(body, maps=maps), key_tree(load_fixture(fixture), maps=maps),
                   NEWER | {"showRequestSentTab"}) == []


def test_user_profile_all_of_a_user_who_left(replica):
    status, body = replica.json("/ajax/user/1/profile/all", host="www.pixiv.net", headers=COOKIE)
    assert status == 404
    _same(body, load_fixture("web/ajax_user_profile_all/pixivutil2__1_error_nouser.json"))
    assert body == load_fixture("web/ajax_user_profile_all/pixivutil2__1_error_nouser.json")
