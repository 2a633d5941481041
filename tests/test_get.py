"""``pixivcrawl get URL …``: every URL form mapped to its spider and arguments (the plan, no crawl), the batching
of URLs into crawls, ``-i`` files and the one-sentence refusals; then real crawls of the ``work``, ``illust_series``
and ``novel_series`` forms against the replica, with the command as a subprocess (the CLI is the subject): the
plan lines, the rows stored, the requests the replica saw, the summary table and the exit status."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pixivcrawl.cli import main
from pixivcrawl.cli.get import batches, read_targets
from pixivcrawl.replica.accounts import replica_account

from .conftest import crawl_env, table_rows

DATE = "2024/01/02/03/04/05"

#: every URL form and its plan line
PLANS = [
    ("https://www.pixiv.net/artworks/123", "work illust_id=123"),
    ("https://www.pixiv.net/en/artworks/123", "work illust_id=123"),
    ("https://www.pixiv.net/member_illust.php?mode=medium&illust_id=123", "work illust_id=123"),
    (f"https://i.pximg.net/img-original/img/{DATE}/123_p0.png", "work illust_id=123"),
    (f"https://i.pximg.net/c/250x250_80_a2/img-master/img/{DATE}/123_p0_square1200.jpg", "work illust_id=123"),
    (f"https://i.pximg.net/img-zip-ugoira/img/{DATE}/123_ugoira600x600.zip", "work illust_id=123"),
    ("https://www.pixiv.net/novel/show.php?id=20", "work novel_id=20"),
    (f"https://i.pximg.net/c/240x480_80/novel-cover-master/img/{DATE}/20_abc_master1200.jpg", "work novel_id=20"),
    ("https://www.pixiv.net/users/11", "user user_id=11"),
    ("https://www.pixiv.net/en/users/11", "user user_id=11"),
    ("https://www.pixiv.net/member.php?id=11", "user user_id=11"),
    ("https://www.pixiv.net/users/11/illustrations", "user user_id=11 type=illust"),
    ("https://www.pixiv.net/users/11/manga", "user user_id=11 type=manga"),
    ("https://www.pixiv.net/users/11/artworks", "user user_id=11 type=illust,manga"),
    ("https://www.pixiv.net/member_illust.php?id=11", "user user_id=11 type=illust,manga"),
    ("https://www.pixiv.net/users/11/novels", "user user_id=11 type=novel"),
    ("https://www.pixiv.net/users/11/illustrations/%E7%8C%AB", "user user_id=11 type=illust tag=猫"),
    ("https://www.pixiv.net/users/11/bookmarks/artworks", "bookmarks user_id=11 work=illust"),
    ("https://www.pixiv.net/users/11/bookmarks/novels?rest=hide", "bookmarks user_id=11 work=novel restrict=private"),
    ("https://www.pixiv.net/users/11/bookmarks/artworks/%E7%8C%AB", "bookmarks user_id=11 work=illust tag=猫"),
    ("https://www.pixiv.net/bookmark.php?id=11&rest=show", "bookmarks user_id=11 work=illust restrict=public"),
    ("https://www.pixiv.net/users/11/following", "following user_id=11"),
    ("https://www.pixiv.net/user/11/series/10", "illust_series series_id=10"),
    ("https://www.pixiv.net/novel/series/30", "novel_series series_id=30"),
]


@pytest.mark.parametrize(("url", "plan"), PLANS)
def test_every_url_form_has_its_plan(url, plan):
    (target,) = read_targets([url], [])
    assert target.plan_line() == f"{url} → {plan}"


def test_urls_of_one_spider_share_a_crawl_when_it_takes_a_list():
    urls = ["https://www.pixiv.net/artworks/1", "https://www.pixiv.net/user/5/series/10",
            "https://www.pixiv.net/novel/show.php?id=3", "https://www.pixiv.net/en/artworks/2",
            "https://www.pixiv.net/artworks/1", "https://www.pixiv.net/user/5/series/11",
            "https://www.pixiv.net/users/7", "https://www.pixiv.net/users/8", "https://www.pixiv.net/users/8/manga",
            "https://www.pixiv.net/users/7/bookmarks/artworks", "https://www.pixiv.net/users/8/bookmarks/artworks"]
    assert batches(read_targets(urls, [])) == [
        ("work", {"illust_id": "1,2", "novel_id": "3"}),
        ("illust_series", {"series_id": "10"}),
        ("illust_series", {"series_id": "11"}),
        ("user", {"user_id": "7,8"}),
        ("user", {"user_id": "8", "type": "manga"}),
        ("bookmarks", {"user_id": "7", "work": "illust"}),
        ("bookmarks", {"user_id": "8", "work": "illust"}),
    ]


def test_the_plan_is_printed_before_anything_runs(tmp_path, capsys):
    urls = tmp_path / "urls.txt"
    urls.write_text("# to keep\nhttps://www.pixiv.net/novel/series/30\n\n"
                    f"https://i.pximg.net/img-original/img/{DATE}/124_p0.png  # the second\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["get", "--plan", "https://www.pixiv.net/artworks/123", "-i", str(urls)])
    assert exc.value.code == 0
    assert capsys.readouterr().out.splitlines() == [
        "https://www.pixiv.net/artworks/123 → work illust_id=123",
        "https://www.pixiv.net/novel/series/30 → novel_series series_id=30",
        f"https://i.pximg.net/img-original/img/{DATE}/124_p0.png → work illust_id=124",
        "  scrapy crawl work -a illust_id=123,124",
        "  scrapy crawl novel_series -a series_id=30",
    ]


@pytest.mark.parametrize(("argv", "sentence"), [
    (["123"], "123 is a plain id: say what it is an id of, or give its pixiv URL."),
    (["https://example.com/artworks/1"], ("https://example.com/artworks/1 is not a pixiv URL (www.pixiv.net or "
                                         "i.pximg.net).")),
    ([], "give at least one pixiv URL, or -i FILE with one URL per line"),
    (["-s", "LOG_LEVEL", "https://www.pixiv.net/artworks/1"], "-s takes NAME=VALUE, not 'LOG_LEVEL'"),
    (["-i", "missing.txt"], "cannot read missing.txt"),
    (["-i", "bad.txt"], ("Line 2 of bad.txt: https://www.pixiv.net/ranking.php names no pixiv work, user or "
                        "series that pixivcrawl knows.")),
])
def test_what_get_cannot_crawl_is_one_sentence_and_exit_2(argv, sentence, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.txt").write_text("https://www.pixiv.net/artworks/1\nhttps://www.pixiv.net/ranking.php\n",
                                      encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["get", "--plan", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr()
    assert f"pixivcrawl: error: {sentence}" in err.err
    assert err.out == ""


def _get(tmp_path, replica, db_url: str, *urls: str, settings: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m pixivcrawl get URL … -s …`` in an empty folder, against the replica, with its credentials."""
    account = replica_account(0)
    options = {"PIXIV_MIRROR": replica.origin, "DATABASE_URL": db_url, "PIXIV_THROTTLE_APP_RATE": "0",
               "PIXIV_THROTTLE_WEB_RATE": "0", "PIXIV_API_CONCURRENCY": "4", "FILES_STORE": str(tmp_path / "files"),
               "RETRY_TIMES": "1", **(settings or {})}
    cmd = [sys.executable, "-m", "pixivcrawl", "get", *urls]
    for name, value in options.items():
        cmd += ["-s", f"{name}={value}"]
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    env = crawl_env(tmp_path, PIXIV_REFRESH_TOKEN=account.refresh_token, PIXIV_PHPSESSID=account.phpsessid)
    return subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)


def test_get_crawls_works_and_series_from_their_urls(replica, world, db_url, tmp_path):
    illust_series = list(world.illust_series.values())[2]
    novel_series = list(world.novel_series.values())[2]
    work = next(w for w in world.works if w.series_id is None and w.type == "manga")
    novel = next(n for n in world.novels if n.series_id is None)
    urls = [f"https://www.pixiv.net/en/artworks/{work.id}",
            f"https://www.pixiv.net/user/{illust_series.user_id}/series/{illust_series.id}",
            f"https://www.pixiv.net/novel/show.php?id={novel.id}",
            f"https://www.pixiv.net/novel/series/{novel_series.id}"]
    replica.clear()
    proc = _get(tmp_path, replica, db_url, *urls)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:4] == [f"{urls[0]} → work illust_id={work.id}",
                         f"{urls[1]} → illust_series series_id={illust_series.id}",
                         f"{urls[2]} → work novel_id={novel.id}",
                         f"{urls[3]} → novel_series series_id={novel_series.id}"]
    assert f"  scrapy crawl work -a illust_id={work.id} -a novel_id={novel.id}" in lines

    illusts = {r[0] for r in table_rows(db_url, "select id from illusts")}
    assert illusts == {work.id, *illust_series.member_ids}
    novels = dict(table_rows(db_url, "select id, text from novels"))
    assert novels == {n: world.novel_detail(n).text for n in [novel.id, *novel_series.member_ids]}
    media = dict(table_rows(db_url, "select work_id, count(*) from media where status = 'downloaded' "
                                    f"and work_id = {work.id} group by work_id"))
    assert media == {work.id: work.page_count}
    paths = {r["path"] for r in replica.requests()}
    assert {"/v1/illust/detail", "/v1/illust/series", "/v2/novel/detail", "/v2/novel/series"} <= paths

    # the summary table the demo prints: rows per table, requests, errors, seconds, finish reasons
    assert "Summary" in lines
    assert f"{'illusts':<22}{len(illusts):>12,}" in lines
    assert f"{'errors':<22}{0:>12,}" in lines
    assert lines[-1] == f"{'finish reasons':<22}{'finished':>12}"
    assert "progress" not in proc.stderr and " items [" not in proc.stderr  # stderr is no terminal


def test_get_exit_status_is_the_worst_of_its_crawls(replica, world, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    work = world.works[0]
    proc = _get(tmp_path, replica, db_url, f"https://www.pixiv.net/artworks/{work.id}",
                "https://www.pixiv.net/artworks/99999999", settings={"PIXIV_PROGRESS": "1"})
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert table_rows(db_url, "select id from illusts") == [(work.id,)]
    assert "illust 99999999: pixiv answered HTTP 404" in proc.stderr
    assert "work: " in proc.stderr and "requests " in proc.stderr  # the progress line, asked for with -s


def test_get_refuses_an_unusable_database_before_crawling(replica, tmp_path):
    replica.clear()
    proc = _get(tmp_path, replica, f"sqlite:///{tmp_path / 'no' / 'such' / 'x.db'}",
                "https://www.pixiv.net/artworks/100000000")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "pixivcrawl: Cannot use the database DATABASE_URL=" in proc.stderr
    assert replica.requests() == []
