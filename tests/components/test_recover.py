"""The spiders' recovery of works the App API hides (pixivcrawl.spiders.recover), driven by hand: a
``limit_sanity_level`` placeholder becomes web Ajax requests with the cookie's session, and the answers a
whole record; every failure keeps the placeholder; without a session one hint at the end."""

from __future__ import annotations

import logging

import pytest
from scrapy import Request, signals

from pixivcrawl.items import IllustItem, UserItem
from pixivcrawl.replica import web_works
from pixivcrawl.spiders.base import PixivSpider
from pixivcrawl.spiders.recover import HINT

from .helpers import illust_item, json_response, make_crawler, work_ids, world


@pytest.fixture
def spider(monkeypatch):
    crawler = make_crawler()
    monkeypatch.setattr(PixivSpider, "has_web_session", True)
    return crawler.spider


def _stat(spider, name: str):
    return spider.crawler.stats.get_value(f"pixiv/{name}")


def _hidden(kind: str = "illust") -> IllustItem:
    item = illust_item(work_ids(kind, visible=False)[0])
    assert item.restriction == "sanity_level" and not item.visible
    return item


def _ajax(request: Request, body, status: int = 200, error: bool = False):
    return json_response(request.url, {"error": error, "message": "", "body": body if body is not None else []},
                         status=status, request=request)


def _follow(request: Request, response) -> list:
    return list(request.callback(response, **request.cb_kwargs))


def test_a_placeholder_becomes_web_requests_then_a_whole_record(spider):
    hidden = _hidden()
    (first,) = spider.recover_hidden(hidden)
    assert first.url == f"https://www.pixiv.net/ajax/illust/{hidden.id}?lang=en"
    assert first.headers["Referer"] == f"https://www.pixiv.net/artworks/{hidden.id}".encode()
    w = world()
    (pages,) = _follow(first, _ajax(first, web_works.illust_body(w, hidden.id, logged_in=True)))
    assert pages.url.startswith(f"https://www.pixiv.net/ajax/illust/{hidden.id}/pages?")
    out = _follow(pages, _ajax(pages, web_works.illust_pages(w, hidden.id, logged_in=True)))
    user, item = out
    assert isinstance(user, UserItem) and user.id == w.work(hidden.id).user_id and not user.whole
    assert isinstance(item, IllustItem) and item.id == hidden.id and item.visible and item.whole
    assert item.title == w.work_detail(hidden.id).title and item.restriction is None
    assert len(item.pages) == w.work(hidden.id).page_count and item.image_stamp == w.work_stamp(hidden.id)
    assert _stat(spider, "works/recovered") == 1


def test_an_ugoira_also_asks_for_its_frames(spider):
    w = world()
    hidden = _hidden("ugoira")
    (first,) = spider.recover_hidden(hidden)
    (pages,) = _follow(first, _ajax(first, web_works.illust_body(w, hidden.id, logged_in=True)))
    (meta,) = _follow(pages, _ajax(pages, web_works.illust_pages(w, hidden.id, logged_in=True)))
    assert "/ugoira_meta?" in meta.url
    *_, item = _follow(meta, _ajax(meta, web_works.ugoira_meta(w, hidden.id)))
    assert [f["delay"] for f in item.ugoira_frames] == list(w.work_detail(hidden.id).frames)
    assert item.ugoira_zip_url.endswith("_ugoira600x600.zip")
    # frames the web will not give: the work is still whole, counted as an ugoira without metadata
    (item,) = _follow(meta, _ajax(meta, None, status=403, error=True))  # its user was yielded already
    assert item.visible and item.ugoira_frames is None and _stat(spider, "ugoira/metadata_missing") == 1


@pytest.mark.parametrize("answer", [
    lambda r, w, wid: _ajax(r, None, status=404, error=True),  # pixiv's error envelope
    lambda r, w, wid: _ajax(r, web_works.illust_body(w, wid + 1, logged_in=True)),  # another work
    lambda r, w, wid: _ajax(r, {**web_works.illust_body(w, wid, logged_in=True), "illustType": 9}),  # malformed
    lambda r, w, wid: json_response(r.url, ["not", "an", "envelope"], request=r),
])
def test_every_refusal_keeps_the_placeholder(spider, answer):
    hidden = _hidden()
    (first,) = spider.recover_hidden(hidden)
    out = _follow(first, answer(first, world(), hidden.id))
    if out and isinstance(out[0], Request):  # a malformed body is found out once the pages are in
        out = _follow(out[0], _ajax(out[0], web_works.illust_pages(world(), hidden.id, logged_in=True)))
    assert out == [hidden] and _stat(spider, "works/recovery_failed") == 1
    assert _stat(spider, "works/recovered") is None


def test_a_failed_request_keeps_the_placeholder(spider):
    from twisted.python.failure import Failure

    hidden = _hidden()
    (first,) = spider.recover_hidden(hidden)
    failure = Failure(ConnectionError("reset"))
    failure.request = first
    assert list(first.errback(failure)) == [hidden]
    assert _stat(spider, "works/recovery_failed") == 1 and _stat(spider, "errors/request_failed") == 1


def test_without_a_session_one_hint_at_the_end(monkeypatch, caplog):
    crawler = make_crawler()
    spider = crawler.spider
    assert spider.has_web_session is False  # no engine, no PixivAuthMiddleware: no cookie
    hidden, other = (illust_item(wid) for wid in [w for k in ("illust", "manga", "ugoira")
                                                   for w in work_ids(k, visible=False)][:2])
    visible = illust_item(work_ids("illust")[0])
    assert list(spider.recover_hidden(hidden)) == [hidden]
    assert list(spider.recover_hidden(hidden)) == [hidden]  # the same work twice counts once
    assert list(spider.recover_hidden(other)) == [other]
    assert list(spider.recover_hidden(visible)) == [visible]  # nothing hidden: nothing to do
    assert _stat(spider, "works/hidden_unrecovered") == 2
    with caplog.at_level(logging.WARNING):
        crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    assert [r.getMessage() for r in caplog.records if r.name == spider.name] == [HINT % 2]
