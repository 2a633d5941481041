"""The replica's www.pixiv.net answers have the key trees of the real Ajax captures (tests/fixtures/ajax)."""

from __future__ import annotations

import urllib.parse

import pytest

from pixivcrawl.replica.accounts import replica_account

from .captures import load_fixture
from .shapes import compare, key_tree

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
