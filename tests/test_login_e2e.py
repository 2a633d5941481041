"""``pixivcrawl login``: the PKCE browser login in real headless Chromium against the replica, then crawls that
use only the credentials file it wrote.

Chromium is required (``.ci/run`` installs Debian's ``chromium``): without it these tests fail, they do not skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from pixivcrawl.login import CALLBACK_URL, code_from_url, login_url, new_pkce, s256
from pixivcrawl.protocol import CLIENT_ID, CLIENT_SECRET
from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.login import WRONG_LOGIN

from .conftest import ROOT, crawl_env, run_crawl, table_rows
from .decorators import coroutine_test
from .shapes import key_tree


def _chromium() -> str:
    path = os.environ.get("PIXIV_CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed: the login tests drive a real browser (Debian: apt-get install "
                    "chromium, as .ci/run does) — or set PIXIV_CHROMIUM_PATH")
    return path


def _login(replica, tmp_path: Path, *args: str, account: int, password: str | None = None,
           env: dict | None = None) -> subprocess.CompletedProcess:
    """``pixivcrawl login --headless`` in a subprocess; the username comes as an option, the password from the
    environment (as the README recommends)."""
    acct = replica_account(account)
    full_env = crawl_env(tmp_path, PIXIV_MIRROR=replica.origin, PIXIV_CHROMIUM_PATH=_chromium(),
                         PIXIV_PASSWORD=password if password is not None else acct.password)
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "pixivcrawl", "login", "--headless", "--username", acct.username, "--timeout", "60",
           *args]
    return subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120)


def _secrets_absent(output: str, account: int) -> None:
    acct = replica_account(account)
    for secret in (acct.refresh_token, acct.phpsessid, acct.password):
        assert secret not in output


def _grants(replica, status: int | None = None) -> list[dict]:
    return [r for r in replica.requests() if r["path"] == "/auth/token" and r.get("grant") == "authorization_code"
            and (status is None or r["status"] == status)]


@coroutine_test
async def test_login_then_crawl_with_the_written_file_only(replica, world, tmp_path):
    replica.clear()
    done = _login(replica, tmp_path, account=1)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # the default place, under the HOME the crawl below also gets
    path = tmp_path / "home" / ".config" / "pixivcrawl" / "credentials.json"
    assert done.stdout.strip() == f"refresh token written to {path} (mode 0600)"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"refresh_token": replica_account(1).refresh_token}
    _secrets_absent(output, 1)

    # the browser went through pixiv's flow: login page with the S256 challenge, the form, post-redirect (whose
    # redirect to the callback carries the code); then one authorization_code grant for account 1
    log = replica.requests()
    login_page = next(r for r in log if r["host"] == "app-api.pixiv.net" and r["path"] == "/web/v1/login")
    query = parse_qs(login_page["query"])
    assert query["code_challenge_method"] == ["S256"] and query["client"] == ["pixiv-android"]
    assert len(query["code_challenge"][0]) == 43
    assert [(r["host"], r["method"], r["path"]) for r in log if r["host"] == "accounts.pixiv.net"] == [
        ("accounts.pixiv.net", "POST", "/login"), ("accounts.pixiv.net", "GET", "/post-redirect")]
    grants = _grants(replica)
    assert [(g["status"], g["account"]) for g in grants] == [(200, replica_account(1).user_id)]
    assert log.index(grants[0]) > log.index(login_page)

    # a crawl with no credential but that file (PIXIV_REFRESH_TOKEN unset, HOME shared)
    series = list(world.illust_series.values())[1]
    replica.clear()
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    result = await run_crawl("illust_series", {"series_id": series.id}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, credentials=False, settings={"PIXIV_FILES_IMAGE_SIZE": "none"})
    assert result.returncode == 0, result.output
    assert result.stats["finish_reason"] == "finished", result.output
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted(series.member_ids)
    app_requests = [r for r in replica.requests() if r["host"] == "app-api.pixiv.net"]
    assert app_requests and {r["account"] for r in app_requests} == {replica_account(1).user_id}
    _secrets_absent(result.output, 1)


def test_wrong_password_fails_clearly_and_writes_nothing(replica, tmp_path):
    replica.clear()
    creds = tmp_path / "creds.json"
    done = _login(replica, tmp_path, "--credentials-file", str(creds), account=0, password="not-the-password")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (f"pixivcrawl login: pixiv refused the login ({WRONG_LOGIN}); check the username "
                                   f"and password.")
    assert not creds.exists()
    assert not (tmp_path / "home" / ".config" / "pixivcrawl").exists()
    assert "not-the-password" not in done.stderr
    assert _grants(replica) == []
    posts = [r for r in replica.requests() if r["path"] == "/login" and r["method"] == "POST"]
    assert [(r["status"], r["account"]) for r in posts] == [(200, None)]  # the form again, nobody logged in


@coroutine_test
async def test_cookie_login_then_web_crawl(replica, world, tmp_path):
    replica.clear()
    creds = tmp_path / "secrets" / "pixiv.json"
    done = _login(replica, tmp_path, "--cookie", account=2, env={"PIXIV_CREDENTIALS_FILE": str(creds)})
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert done.stdout.strip() == f"refresh token and PHPSESSID cookie written to {creds} (mode 0600)"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert json.loads(creds.read_text()) == {"refresh_token": replica_account(2).refresh_token,
                                             "phpsessid": replica_account(2).phpsessid}
    _secrets_absent(output, 2)
    # the web login ended on www.pixiv.net as account 2
    front = [r for r in replica.requests() if r["host"] == "www.pixiv.net" and r["path"] == "/"]
    assert front and front[-1]["account"] == replica_account(2).user_id

    # an R-18 ranking needs the web session: only the file provides it
    replica.clear()
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    result = await run_crawl("ranking", {"mode": "daily_r18", "max_pages": "1"}, replica=replica, db_url=db_url,
                             tmp_path=tmp_path, credentials=False, env={"PIXIV_CREDENTIALS_FILE": str(creds)},
                             settings={"PIXIV_FILES_IMAGE_SIZE": "none"})
    assert result.stats["finish_reason"] == "finished", result.output
    assert table_rows(db_url, "select count(*) from rankings where mode = 'daily_r18'")[0][0] > 0
    web = [r for r in replica.requests() if r["path"] == "/ranking.php"]
    assert web and {(r["auth"], r["account"]) for r in web} == {("cookie", replica_account(2).user_id)}
    _secrets_absent(result.output, 2)


def test_missing_chromium_is_one_clear_sentence(tmp_path):
    env = crawl_env(tmp_path, PATH=str(tmp_path))  # no chromium on this PATH, no PIXIV_CHROMIUM_PATH
    done = subprocess.run([sys.executable, "-m", "pixivcrawl", "login"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == ("pixivcrawl login: No Chromium found: install it (Debian: apt-get install "
                                   "chromium) or give its path with --chromium or PIXIV_CHROMIUM_PATH.")


def test_headless_without_credentials_is_refused(replica, tmp_path):
    env = crawl_env(tmp_path, PIXIV_MIRROR=replica.origin, PIXIV_CHROMIUM_PATH=_chromium())
    done = subprocess.run([sys.executable, "-m", "pixivcrawl", "login", "--headless"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "--headless needs --username and --password" in done.stderr


# -- the PKCE pieces, without a browser ---------------------------------------------------------------------


def test_pkce_helpers():
    pkce = new_pkce()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", pkce.verifier) and pkce.challenge == s256(pkce.verifier)
    assert new_pkce().verifier != pkce.verifier
    # RFC 7636, appendix B
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    url = urlsplit(login_url(pkce.challenge))
    assert (url.scheme, url.netloc, url.path) == ("https", "app-api.pixiv.net", "/web/v1/login")
    assert parse_qs(url.query) == {"code_challenge": [pkce.challenge], "code_challenge_method": ["S256"],
                                   "client": ["pixiv-android"]}
    assert code_from_url("pixiv://account/login?code=abc&via=login") == "abc"
    assert code_from_url(f"{CALLBACK_URL}?state=s&code=xyz") == "xyz"
    assert code_from_url("https://www.pixiv.net/?code=abc") is None
    assert code_from_url("pixiv://account/login?via=login") is None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _call(replica, path: str, host: str, data: dict | None = None, cookie: str | None = None):
    """(status, headers, body) of one request to the replica, redirects not followed."""
    headers = {"X-Forwarded-Host": host}
    if cookie:
        headers["Cookie"] = cookie
    body = urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(f"{replica.origin}{path}", data=body, headers=headers)
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=30) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


def _code_for(replica, challenge: str, account: int = 0) -> str:
    acct = replica_account(account)
    status, _, page = _call(replica, urlsplit(login_url(challenge))._replace(scheme="", netloc="").geturl(),
                            "app-api.pixiv.net")
    assert status == 200 and 'autocomplete="current-password"' in page and challenge in page
    status, headers, _ = _call(replica, "/login", "accounts.pixiv.net", {
        "source": "app", "code_challenge": challenge, "username": acct.username, "password": acct.password})
    assert status == 302
    assert headers["Set-Cookie"].startswith(f"PHPSESSID={acct.phpsessid}; Domain=.pixiv.net;")
    redirect = urlsplit(headers["Location"])
    assert (redirect.netloc, redirect.path) == ("accounts.pixiv.net", "/post-redirect")
    status, headers, _ = _call(replica, f"{redirect.path}?{redirect.query}", "accounts.pixiv.net")
    callback = urlsplit(headers["Location"])
    assert status == 302 and f"https://{callback.netloc}{callback.path}" == CALLBACK_URL
    status, headers, _ = _call(replica, f"{callback.path}?{callback.query}", "app-api.pixiv.net")
    assert status == 302 and headers["Location"].startswith("pixiv://account/login?code=")
    assert headers["Location"].endswith("&via=login")
    return code_from_url(headers["Location"])


def _exchange(replica, code: str, verifier: str, **extra):
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code, "code_verifier": verifier,
            "grant_type": "authorization_code", "include_policy": "true", "redirect_uri": CALLBACK_URL, **extra}
    status, _, body = _call(replica, "/auth/token", "oauth.secure.pixiv.net", form)
    return status, json.loads(body)


def test_replica_code_is_single_use_and_bound_to_the_challenge(replica):
    pkce = new_pkce()
    code = _code_for(replica, pkce.challenge, account=1)
    status, body = _exchange(replica, code, new_pkce().verifier)  # another verifier
    assert status == 400 and body["error"] == "invalid_grant" and body["has_error"] is True
    assert body["errors"]["system"]["code"] == 1508
    status, body = _exchange(replica, code, pkce.verifier)  # the right one, but the code was used
    assert status == 400 and body["errors"]["system"]["message"] == "Invalid authorization code"

    pkce = new_pkce()
    code = _code_for(replica, pkce.challenge, account=1)
    status, body = _exchange(replica, code, pkce.verifier)
    assert status == 200
    assert body["refresh_token"] == body["response"]["refresh_token"] == replica_account(1).refresh_token
    assert body["user"]["id"] == str(replica_account(1).user_id)
    # the same shape as the refresh grant (which test_replica_shapes checks against pixiv's capture)
    refresh = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "refresh_token",
               "refresh_token": body["refresh_token"]}
    status, _, refreshed = _call(replica, "/auth/token", "oauth.secure.pixiv.net", refresh)
    assert status == 200 and key_tree(body) == key_tree(json.loads(refreshed))
    assert _exchange(replica, code, pkce.verifier)[0] == 400


def test_replica_login_form_rejects_a_wrong_password(replica):
    challenge = new_pkce().challenge
    status, headers, page = _call(replica, "/login", "accounts.pixiv.net", {
        "source": "app", "code_challenge": challenge, "username": "replica-user-0", "password": "wrong"})
    assert status == 200 and "Set-Cookie" not in headers
    assert f'<p role="alert" class="error">{WRONG_LOGIN}</p>' in page and challenge in page
    status, _, _ = _call(replica, "/web/v1/login?code_challenge=short&code_challenge_method=S256", "app-api.pixiv.net")
    assert status == 400


def test_replica_web_login_sets_the_session_and_skips_the_form_once_logged_in(replica):
    acct = replica_account(0)
    status, _, page = _call(replica, "/login?return_to=https%3A%2F%2Fwww.pixiv.net%2F", "accounts.pixiv.net")
    assert status == 200 and 'autocomplete="username"' in page
    status, headers, _ = _call(replica, "/login", "accounts.pixiv.net", {
        "source": "pc", "return_to": "https://www.pixiv.net/", "username": acct.username, "password": acct.password})
    assert status == 302 and f"PHPSESSID={acct.phpsessid};" in headers["Set-Cookie"]
    status, headers, _ = _call(replica, "/login?return_to=https%3A%2F%2Fwww.pixiv.net%2F", "accounts.pixiv.net",
                               cookie=f"PHPSESSID={acct.phpsessid}")
    assert status == 302 and headers["Location"] == "https://www.pixiv.net/"
    status, _, _ = _call(replica, "/post-redirect?return_to=https%3A%2F%2Fevil.example%2F", "accounts.pixiv.net")
    assert status == 400
