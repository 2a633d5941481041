"""The replica behaves like pixiv: auth errors, CDN Referer check, real image bytes, limits, faults, log."""

from __future__ import annotations

import http.client
import io
import time
import urllib.parse
import zipfile

import pytest
from PIL import Image

from pixivcrawl.parsers.app_api import parse_user_detail
from pixivcrawl.replica.app_objects import illust_obj, ugoira_metadata, work_image_urls
from pixivcrawl.replica.images import ImageFactory
from pixivcrawl.replica.world import World

OAUTH_ERROR = "Error occurred at the OAuth process. Please check your Access Token to fix this. Error Message: "


def test_app_api_refuses_missing_and_unknown_bearer(replica, world):
    wid = world.works[0].id
    status, body = replica.json(f"/v1/illust/detail?illust_id={wid}")
    assert status == 400 and body["error"]["message"] == OAUTH_ERROR + "invalid_request"
    status, body = replica.json(f"/v1/illust/detail?illust_id={wid}", headers={"Authorization": "Bearer nope"})
    assert status == 400 and body["error"]["message"] == OAUTH_ERROR + "invalid_grant"
    assert set(body["error"]) == {"user_message", "message", "reason", "user_message_details"}


def test_expired_token_is_refused(fresh_replica, world):
    fresh_replica.control("config", {"token_lifetime": 1})
    token = fresh_replica.token()
    auth = {"Authorization": f"Bearer {token}"}
    assert fresh_replica.json(f"/v1/illust/detail?illust_id={world.works[0].id}", headers=auth)[0] == 200
    time.sleep(1.2)
    status, body = fresh_replica.json(f"/v1/illust/detail?illust_id={world.works[0].id}", headers=auth)
    assert status == 400 and body["error"]["message"].endswith("invalid_grant")


def test_unknown_work_and_removed_endpoint(replica):
    auth = {"Authorization": f"Bearer {replica.token()}"}
    status, body = replica.json("/v1/illust/detail?illust_id=1", headers=auth)
    assert status == 404 and "削除" in body["error"]["user_message"]
    status, body = replica.json("/v1/novel/text?novel_id=1", headers=auth)
    assert status == 404 and body["error"]["user_message"] == "Specified end-point doesn't exist"


def test_user_detail_is_the_worlds_user(replica, world):
    auth = {"Authorization": f"Bearer {replica.token()}"}
    uid = world.works[0].user_id
    status, body = replica.json(f"/v1/user/detail?user_id={uid}&filter=for_ios", headers=auth)
    detail = parse_user_detail(body)
    shown = detail.profile
    types = [world.work(wid).type for wid in world.user(uid).work_ids]
    assert status == 200 and (detail.user.id, detail.user.name) == (uid, world.user_name(uid)[0])
    assert (shown.total_illusts, shown.total_manga) == (len(types) - types.count("manga"), types.count("manga"))
    assert shown.total_novels == len(world.user(uid).novel_ids)
    assert shown.total_illust_series == sum(s.user_id == uid for s in world.illust_series.values())
    assert replica.json(f"/v1/user/detail?user_id={uid}", headers=auth) == (status, body)  # the same every time
    # pixiv's 404 for a user who left (or never was), and the App API's bearer check
    status, body = replica.json("/v1/user/detail?user_id=1&filter=for_ios", headers=auth)
    assert (status, body["error"]["user_message"]) == (404, "User has left pixiv or the user ID does not exist.")
    assert set(body["error"]) == {"user_message", "message", "reason", "user_message_details"}
    status, body = replica.json(f"/v1/user/detail?user_id={uid}")
    assert status == 400 and body["error"]["message"] == OAUTH_ERROR + "invalid_request"


def _image_url(world, predicate) -> tuple:
    work = next(w for w in world.works if predicate(w))
    return work, work_image_urls(world, work.id, work.page_count - 1)


def test_cdn_needs_a_pixiv_referer_and_serves_real_images(replica, world):
    work, urls = _image_url(world, lambda w: w.page_count > 1)
    path = urllib.parse.urlsplit(urls["original"]).path
    assert replica.call(path, host="i.pximg.net")[0] == 403
    assert replica.call(path, host="i.pximg.net", headers={"Referer": "https://evil.example/"})[0] == 403
    status, _headers, body = replica.call(path, host="i.pximg.net", headers={"Referer": "https://www.pixiv.net/"})
    assert status == 200
    image = Image.open(io.BytesIO(body))
    assert image.size == world.work_detail(work.id).sizes[work.page_count - 1]
    assert image.format == {"jpg": "JPEG", "png": "PNG"}[world.work_detail(work.id).ext]
    again = replica.call(path, host="i.pximg.net", headers={"Referer": "https://app-api.pixiv.net/"})[2]
    assert again == body  # same URL, same bytes
    # a page the work does not have, or a wrong date path, is a 404 as on pixiv
    wrong = path.replace(f"_p{work.page_count - 1}.", f"_p{work.page_count}.")
    assert replica.call(wrong, host="i.pximg.net", headers={"Referer": "https://www.pixiv.net/"})[0] == 404


def test_ugoira_zip_matches_metadata(replica, world):
    work = next(w for w in world.works if w.type == "ugoira")
    meta = ugoira_metadata(world, work.id)["ugoira_metadata"]
    path = urllib.parse.urlsplit(meta["zip_urls"]["medium"]).path
    status, headers, body = replica.call(path, host="i.pximg.net", headers={"Referer": "https://www.pixiv.net/"})
    assert status == 200 and headers["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert names == [f["file"] for f in meta["frames"]]
    big = path.replace("600x600", "1920x1080")
    assert replica.call(big, host="i.pximg.net", headers={"Referer": "https://www.pixiv.net/"})[0] == 200


def test_ugoira_zip_bytes_depend_on_the_world_only(monkeypatch):
    """Two replica processes of one world serve the same zip for one URL, whenever each builds it: its entries are
    dated with the work's upload (the date path of its URLs), not the current time."""
    world = World(seed=7, works=500)
    work = next(w for w in world.works if w.type == "ugoira")
    zips = []
    for now in (1_700_000_000.0, 1_800_000_123.0):  # two builds three years apart, as two processes may be
        monkeypatch.setattr(time, "time", lambda now=now: now)
        zips.append(ImageFactory(World(seed=7, works=500)).ugoira_zip(work.id, "600x600"))
    monkeypatch.undo()
    assert zips[0] == zips[1]
    stamp = tuple(int(part) for part in world.work_stamp(work.id).split("/"))
    entries = zipfile.ZipFile(io.BytesIO(zips[0])).infolist()
    assert entries and all(e.date_time == (*stamp[:5], stamp[5] // 2 * 2) for e in entries)  # DOS time: 2 s steps
    world.reupload(work.id)  # a re-upload: new images, dated with the new upload
    again = ImageFactory(world).ugoira_zip(work.id, "600x600")
    assert again != zips[0]
    assert zipfile.ZipFile(io.BytesIO(again)).infolist()[0].date_time[:3] != stamp[:3]


def test_rate_limit_per_account(fresh_replica, world):
    fresh_replica.control("config", {"rate_limit": 5, "rate_window": 60, "app_limit_status": 403})
    auth0 = {"Authorization": f"Bearer {fresh_replica.token(0)}"}
    auth1 = {"Authorization": f"Bearer {fresh_replica.token(1)}"}
    path = f"/v1/illust/detail?illust_id={world.works[0].id}"
    statuses = [fresh_replica.json(path, headers=auth0)[0] for _ in range(7)]
    assert statuses == [200] * 5 + [403] * 2
    _status, body = fresh_replica.json(path, headers=auth0)
    assert body["error"]["message"] == "Rate Limit"
    assert fresh_replica.json(path, headers=auth1)[0] == 200  # the budget is per account


def _raw_get(origin: str, path: str) -> tuple[int | None, bytes | Exception]:
    parts = urllib.parse.urlsplit(origin)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path, headers={"X-Forwarded-Host": "i.pximg.net", "Referer": "https://www.pixiv.net/"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    except Exception as exc:  # the faults under test
        return None, exc
    finally:
        conn.close()


@pytest.mark.parametrize(("knob", "check"), [
    ("fault_5xx", lambda status, body: status in (500, 502, 503, 504)),
    ("fault_reset", lambda status, body: status is None and isinstance(body, ConnectionError)),
    ("fault_truncate", lambda status, body: status is None and isinstance(body, http.client.IncompleteRead)),
])
def test_fault_injection(fresh_replica, world, knob, check):
    path = urllib.parse.urlsplit(work_image_urls(world, world.works[0].id, 0)["original"]).path
    fresh_replica.control("config", {knob: 1.0})
    status, body = _raw_get(fresh_replica.origin, path)
    assert check(status, body), (status, body)
    fresh_replica.control("config", {knob: 0.0})
    assert _raw_get(fresh_replica.origin, path)[0] == 200
    faults = [r["fault"] for r in fresh_replica.requests()]
    assert faults == [knob.removeprefix("fault_"), None]


def test_request_log_records_what_tests_need(fresh_replica, world):
    fresh_replica.clear()
    fresh_replica.json(f"/v1/illust/detail?illust_id={world.works[0].id}")
    entry = fresh_replica.requests()[-1]
    assert entry["host"] == "app-api.pixiv.net" and entry["path"] == "/v1/illust/detail"
    assert entry["status"] == 400 and entry["auth"] is None and entry["query"].startswith("illust_id=")


def test_world_is_deterministic_and_scales_to_100k():
    a, b = World(seed=7, works=500), World(seed=7, works=500)
    assert [(w.id, w.user_id, w.type, w.page_count) for w in a.works] == \
           [(w.id, w.user_id, w.type, w.page_count) for w in b.works]
    assert illust_obj(a, a.works[42].id) == illust_obj(b, b.works[42].id)
    assert World(seed=8, works=500).work_detail(a.works[42].id) != a.work_detail(a.works[42].id)
    big = World(seed=1, works=100_000)
    assert len(big.works) == 100_000 and len(big.novels) == 25_000
    assert all(len(s.member_ids) >= 2 for s in big.illust_series.values())
    member_ids = [m for s in big.illust_series.values() for m in s.member_ids]
    assert len(member_ids) == len(set(member_ids))  # a work is in at most one series
