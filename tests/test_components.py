"""Small components on their own: the mirror rewrite, credentials, headers, settings."""

from __future__ import annotations

import json
import os
import pickle
from datetime import UTC

import pytest
from scrapy.settings import Settings

from pixivcrawl.addon import PixivAddon
from pixivcrawl.credentials import CredentialsError, Secret, load_credentials, write_credentials_file
from pixivcrawl.middlewares.headers import client_time_and_hash
from pixivcrawl.mirror import mirrored_url, parse_mirror


@pytest.mark.parametrize(("url", "expected"), [
    ("https://app-api.pixiv.net/v1/illust/detail?illust_id=1", "http://127.0.0.1:8321/v1/illust/detail?illust_id=1"),
    ("https://i.pximg.net/img-original/img/2020/01/01/00/00/00/1_p0.png",
     "http://127.0.0.1:8321/img-original/img/2020/01/01/00/00/00/1_p0.png"),
    ("https://oauth.secure.pixiv.net/auth/token", "http://127.0.0.1:8321/auth/token"),
    ("https://www.pixiv.net/ajax/illust/1?lang=en", "http://127.0.0.1:8321/ajax/illust/1?lang=en"),
    ("https://s.pximg.net/common/images/limit_unknown_360.png",
     "http://127.0.0.1:8321/common/images/limit_unknown_360.png"),
    ("https://example.com/x", None),
    ("https://pixiv.net.evil.example/x", None),
])
def test_mirror_rewrites_only_pixiv_hosts(url, expected):
    assert mirrored_url(url, "http", "127.0.0.1:8321") == expected


@pytest.mark.parametrize("origin", ["127.0.0.1:8321", "ftp://x", "http://127.0.0.1:8321/path", "http://"])
def test_mirror_origin_is_validated(origin):
    with pytest.raises(ValueError, match="PIXIV_MIRROR must be an origin"):
        parse_mirror(origin)


def test_secret_never_shows_itself():
    secret = Secret("abc-very-secret")
    assert "abc-very-secret" not in f"{secret} {secret!r} {[secret]} {secret:>20}"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert secret.reveal() == "abc-very-secret"


def test_credentials_precedence_and_file_mode(tmp_path, monkeypatch):
    path = tmp_path / "c" / "credentials.json"
    write_credentials_file(path, refresh_token="from-file", phpsessid="123_abc")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    monkeypatch.delenv("PIXIV_REFRESH_TOKEN", raising=False)
    monkeypatch.delenv("PIXIV_PHPSESSID", raising=False)
    settings = Settings({"PIXIV_CREDENTIALS_FILE": str(path)})
    creds = load_credentials(settings)
    assert creds.refresh_token.reveal() == "from-file" and creds.phpsessid.reveal() == "123_abc"
    monkeypatch.setenv("PIXIV_REFRESH_TOKEN", "from-env")
    assert load_credentials(settings).refresh_token.reveal() == "from-env"
    settings.set("PIXIV_REFRESH_TOKEN", "from-setting")
    assert load_credentials(settings).refresh_token.reveal() == "from-setting"
    monkeypatch.setenv("PIXIV_PHPSESSID", "PHPSESSID=9_zz; other=1")
    assert load_credentials(settings).phpsessid.reveal() == "9_zz"
    path.chmod(0o640)
    monkeypatch.delenv("PIXIV_PHPSESSID")
    with pytest.raises(CredentialsError, match="chmod 600"):
        load_credentials(settings)


def test_client_hash_matches_pixivs_recipe():
    from datetime import datetime

    stamp, digest = client_time_and_hash(datetime(2021, 2, 3, 4, 5, 6, tzinfo=UTC))
    assert stamp == "2021-02-03T04:05:06+00:00"
    import hashlib

    from pixivcrawl.protocol import HASH_SECRET
    assert digest == hashlib.md5((stamp + HASH_SECRET).encode()).hexdigest() and len(digest) == 32


def test_project_settings_are_safe_and_polite():
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "pixivcrawl.settings")
    settings = get_project_settings()
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert "pixivcrawl.addon.PixivAddon" in settings.getdict("ADDONS")
    PixivAddon().update_settings(settings)
    slots = settings.getdict("DOWNLOAD_SLOTS")
    # one metadata request at a time per API (paced by the throttle middleware); the CDN in parallel
    assert slots["app-api.pixiv.net"] == {"concurrency": 1, "delay": 0.0}
    assert slots["www.pixiv.net"] == {"concurrency": 1, "delay": 0.0}
    assert slots["i.pximg.net"]["concurrency"] > 1
    assert "429" not in [str(c) for c in settings.getlist("RETRY_HTTP_CODES")]


def test_explicit_slot_settings_win(tmp_path):
    settings = Settings({"PIXIV_API_CONCURRENCY": 2, "PIXIV_CDN_CONCURRENCY": 4,
                         "DOWNLOAD_SLOTS": {"i.pximg.net": {"concurrency": 16, "delay": 0}}})
    PixivAddon().update_settings(settings)
    slots = settings.getdict("DOWNLOAD_SLOTS")
    assert slots["app-api.pixiv.net"] == {"concurrency": 2, "delay": 0.0}
    assert slots["i.pximg.net"] == {"concurrency": 16, "delay": 0}
    assert json.loads(json.dumps(slots))["s.pximg.net"]["concurrency"] == 4
