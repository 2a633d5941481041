"""Web parsers on every real capture of the ranking, search and commission endpoints, with concrete values."""

from __future__ import annotations

import pytest

from pixivcrawl.parsers.ajax import (
    AjaxError,
    ajax_body,
    parse_commission_page,
    parse_illust_thumbnail,
    parse_novel_thumbnail,
    parse_ranking_page,
    parse_search_page,
)
from pixivcrawl.parsers.common import ParseError

from .captures import load_fixture

A = "ajax/ajax/"


def test_ranking_php_weekly_illust():
    page = parse_ranking_page(load_fixture("ajax/ranking_format_json_mode_weekly_content_illust_p_1.json"))
    assert (page.mode, page.content, page.date, page.page, page.next_page, page.rank_total) == \
        ("weekly", "illust", "2022-08-23", 1, 2, 500)
    assert len(page.entries) == 50
    ranking, work, user = page.entries[0].ranking, page.entries[0].work, page.entries[0].user
    assert (ranking.rank, ranking.work_id, ranking.previous_rank, ranking.date) == (1, 100564879, 5, "2022-08-23")
    assert (ranking.rating_count, ranking.view_count) == (13557, 107138)
    assert (work.id, work.type, work.title, work.page_count, work.width, work.height) == \
        (100564879, "illust", "FILM RED", 1, 2937, 2541)
    assert work.create_date == "2022-08-18T00:00:18+09:00" and work.whole is False
    assert [t.name for t in work.tags][:2] == ["ワンピース", "シャンクス"]
    assert (user.id, user.name) == (83739, "yaai")  # the stand-in of the user name
    assert page.entries[-1].ranking.rank == 50 and page.entries[-1].ranking.work_id == 100603697


def test_ranking_error_body_is_a_parse_error():
    with pytest.raises(ParseError, match="not a ranking page"):
        parse_ranking_page({"error": "不正なリクエストです"})


@pytest.mark.parametrize(("fixture", "key", "count", "total", "first_id"), [
    ("search/illustrations/genshin_word_genshin_type_illust_and_ugoira_order_date_d_mode_all_s_mode_s_tag_full.json",
     "illust", 59, 178526, 100918095),
    ("search/manga/genshin_word_genshin_type_manga_order_date_d_mode_all_s_mode_s_tag_full.json",
     "manga", 59, 4764, None),
    ("search/top/genshin.json", "illust", 23, 176338, None),
    ("search/top/genshin.json", "manga", 24, 4707, None),
])
def test_search_pages(fixture, key, count, total, first_id):
    page = parse_search_page(ajax_body(load_fixture(A + fixture)), key)
    assert (len(page.thumbnails), page.total, page.last_page) == (count, total, None)  # 2022: no lastPage, ad removed
    works = [parse_illust_thumbnail(d) for d in page.thumbnails]
    assert all(w.whole is False and w.id > 0 and w.user_id > 0 for w in works)
    if first_id:
        assert works[0].id == first_id and works[0].tags[0].name == "原神" and works[0].width == 3000


def test_search_novels_in_top_capture():
    page = parse_search_page(ajax_body(load_fixture(A + "search/top/genshin.json")), "novel")
    novels = [parse_novel_thumbnail(d) for d in page.thumbnails]
    assert len(novels) == 8 and page.total == 6760 and all(n.text_length > 0 for n in novels)


def test_artworks_capture_is_the_top_body_and_is_refused_clearly():
    """The stored artworks capture is byte-identical to the top one (INDEX.md): no illustManga section."""
    body = ajax_body(load_fixture(
        A + "search/artworks/genshin_word_genshin_type_all_order_date_d_mode_all_s_mode_s_tag_full.json"))
    with pytest.raises(ParseError, match="search body has no 'illustManga'"):
        parse_search_page(body, "illustManga")


def test_older_artworks_captures():
    page = parse_search_page(
        ajax_body(load_fixture("web/ajax_search_artworks/pixivutil2__exact_kudryavka.json")), "illustManga")
    assert (len(page.thumbnails), page.total) == (60, 2302)
    first = parse_illust_thumbnail(page.thumbnails[0])
    assert (first.id, first.x_restrict, first.sanity_level, first.user_id) == (86282493, 1, 6, 16869813)


@pytest.mark.parametrize(("fixture", "n_requests", "first", "creator", "fan", "price", "post", "n_users", "n_works",
                          "has_next"), [
    ("request.json", 84, 96998, 1175726, 39686793, 0, 100210052, 120, 137, None),
    ("request/complete/illust_mode_all_p_1.json", 60, 83674, 13829843, 60911970, 0, 99502143, 94, 50, True),
    ("request/complete/manga_mode_all_p_1.json", 50, 102052, 31138436, 83205031, 0, 100869004, 45, 43, True),
    ("request/complete/ugoira_mode_all_p_1.json", 52, 76981, 6794018, 70730130, 0, 98455737, 60, 29, True),
    ("request/in_progress/all_mode_all_p_1.json", 24, 104308, 18171434, 12429069, 5000, None, 40, 0, True),
    ("request/in_progress/illust_mode_all_p_1.json", 24, 104308, 18171434, 12429069, 5000, None, 40, 0, True),
    ("request/in_progress/manga_mode_all_p_1.json", 24, 103804, 29543491, 600379, 10000, None, 32, 0, True),
    ("request/in_progress/ugoira_mode_all_p_1.json", 6, 102808, 73268284, None, 5000, None, 10, 0, False),
])
def test_commission_request_pages(fixture, n_requests, first, creator, fan, price, post, n_users, n_works, has_next):
    page = parse_commission_page(ajax_body(load_fixture(A + "commission/page/" + fixture)))
    assert page.errors == []
    assert (len(page.requests), len(page.users), len(page.works), page.has_next) == \
        (n_requests, n_users, n_works, has_next)
    r = page.requests[0]
    assert (r.id, r.creator_user_id, r.fan_user_id, r.price, r.post_work_id, r.currency) == \
        (first, creator, fan, price, post, "JPY")
    assert r.status == ("complete" if post else "inProgress") and r.proposal


def test_commission_overview_details():
    page = parse_commission_page(ajax_body(load_fixture(A + "commission/page/request.json")))
    r = page.requests[0]
    assert (r.plan_title, r.plan_standard_price, r.work_type) == ("イラストプラン", 55000, "illust")
    assert r.plan_id == int(load_fixture(A + "commission/page/request.json")["body"]["requests"][0]["planId"])
    assert r.translations and r.translations[0]["requestProposalLang"] == "en"
    statuses = [q.status for q in page.requests]
    assert statuses.count("complete") == 72 and statuses.count("inProgress") == 12
    assert sum(q.fan_user_id is None for q in page.requests) == 43
    assert page.works[0].id == 100862140 and page.novels[0].id == 18019645
    assert page.users[0].id == 4173284 and page.users[0].name == "owatp__hug"  # a stand-in
    assert page.creator_ids[0] == 4173284 and len(page.creator_ids) == 12


@pytest.mark.parametrize(("work_type", "first"), [("illust", 14354146), ("manga", 79559656), ("ugoira", 69238890)])
def test_commission_creator_pages(work_type, first):
    page = parse_commission_page(ajax_body(load_fixture(
        A + f"commission/page/request/creators/{work_type}_mode_all_p_1.json")))
    assert page.creator_ids[0] == first and len(page.creator_ids) == 48 and page.has_next is True
    assert page.requests == [] and page.users == []


def test_ajax_error_envelopes():
    with pytest.raises(AjaxError, match="An unknown error occurred"):
        ajax_body(load_fixture("web/ajax_error/pixivutil2__unknown_error.json"))
    with pytest.raises(AjaxError, match="General Error"):
        ajax_body(load_fixture("web/ajax_illust/pixivutil2__123_error.json"))
    with pytest.raises(ParseError, match="not an Ajax envelope"):
        ajax_body(["not", "an", "envelope"])


def test_a_bad_request_object_is_skipped_not_fatal():
    body = ajax_body(load_fixture(A + "commission/page/request/in_progress/ugoira_mode_all_p_1.json"))
    body["requests"][0]["requestId"] = "not-a-number"
    page = parse_commission_page(body)
    assert len(page.requests) == 5 and len(page.errors) == 1
    assert "not a pixiv id" in str(page.errors[0])
