"""The replica's login pages: pixiv's browser login with PKCE (app) and the web login that sets ``PHPSESSID``.

The app flow (pixiv-protocol.md §1.4): ``GET app-api /web/v1/login?code_challenge=…&code_challenge_method=S256
&client=pixiv-android`` shows the login form, which posts to ``accounts.pixiv.net/login``; a right username and
password set the account's ``PHPSESSID`` on ``.pixiv.net`` and redirect through ``accounts.pixiv.net/post-redirect``
to ``app-api /web/v1/users/auth/pixiv/callback?state=…&code=…``, which redirects to
``pixiv://account/login?code=…&via=login``. The code is single-use, lives ``CODE_LIFETIME`` seconds and is
bound to the challenge: ``POST /auth/token`` with ``grant_type=authorization_code`` must bring the verifier
whose S256 is that challenge. The web flow (``accounts.pixiv.net/login?return_to=https://www.pixiv.net/``) uses
the same form and ends on www.pixiv.net with the session cookie. A wrong password shows the form again, with
the error in a ``role="alert"`` element.
"""

from __future__ import annotations

import html
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from pixivcrawl.hosts import ACCOUNTS_HOST, APP_API_HOST, WEB_HOST
from pixivcrawl.login import CALLBACK_PATH, CALLBACK_URL, LOGIN_PATH, s256

from .accounts import Account
from .responses import json_response as _json, oauth_error

#: pixiv's codes expire about 30 seconds after the login (gallery-dl's warning, pixiv-protocol.md §1.4)
CODE_LIFETIME = 30.0
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_PIXIV_URL = re.compile(r"^https://([a-z0-9-]+\.)*pixiv\.net(/|$)")
WRONG_LOGIN = "Please check if your pixiv ID or email address and password were entered correctly."


@dataclass(frozen=True)
class _Grant:
    account: Account
    challenge: str
    expires: float


def _redirect(location: str, cookie: str | None = None) -> web.Response:
    headers = {"Location": location}
    if cookie:
        headers["Set-Cookie"] = cookie
    return web.Response(status=302, headers=headers)


def _page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(status=status, content_type="text/html", charset="utf-8",
                        text=f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
                             f"</head>\n<body>\n{body}\n</body></html>\n")


class LoginPages:
    """The login endpoints on app-api.pixiv.net, accounts.pixiv.net and www.pixiv.net's front page."""

    def __init__(self, replica) -> None:  # replica: pixivcrawl.replica.server.Replica
        self.replica = replica
        self._grants: dict[str, _Grant] = {}

    @staticmethod
    def serves(host: str, path: str) -> bool:
        return (host == ACCOUNTS_HOST or (host == APP_API_HOST and path.startswith("/web/v1/"))
                or (host == WEB_HOST and path == "/"))

    async def handle(self, host: str, request: web.BaseRequest, entry: dict) -> web.Response:
        path, query = request.path, request.query
        if host == APP_API_HOST and path == LOGIN_PATH and request.method == "GET":
            return self.app_login(query)
        if host == APP_API_HOST and path == CALLBACK_PATH and request.method == "GET":
            return self.callback(query)
        if host == ACCOUNTS_HOST and path == "/login" and request.method == "POST":
            return await self.submit(request, entry)
        if host == ACCOUNTS_HOST and path == "/login" and request.method == "GET":
            return self.web_login(request, entry)
        if host == ACCOUNTS_HOST and path == "/post-redirect" and request.method == "GET":
            target = query.get("return_to", "")
            if not _PIXIV_URL.match(target):
                return _page("Bad request", "<p>return_to must be a pixiv page.</p>", 400)
            return _redirect(target)
        if host == WEB_HOST and path == "/":
            return self.front_page(request, entry)
        return _page("Not found", "<p>404 Not Found</p>", 404)

    # -- pages ---------------------------------------------------------------------------------------

    @staticmethod
    def form(hidden: dict[str, str], error: str | None = None, status: int = 200) -> web.Response:
        fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in hidden.items())
        alert = f'<p role="alert" class="error">{html.escape(error)}</p>' if error else ""
        return _page("Login | pixiv", f"""<h1>pixiv login</h1>
{alert}<form method="post" action="https://{ACCOUNTS_HOST}/login">{fields}
<label>pixiv ID or email address <input type="text" name="username" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit">Log In</button>
</form>""", status)

    def app_login(self, query) -> web.Response:
        challenge = query.get("code_challenge", "")
        if not _CHALLENGE.match(challenge) or query.get("code_challenge_method") != "S256":
            return _page("Bad request", "<p>code_challenge (S256) is missing or malformed.</p>", 400)
        return self.form({"source": "app", "code_challenge": challenge})

    def web_login(self, request: web.BaseRequest, entry: dict) -> web.Response:
        return_to = request.query.get("return_to", "")
        return_to = return_to if _PIXIV_URL.match(return_to) else f"https://{WEB_HOST}/"
        account = self.replica.tokens.account_for_session(request.cookies.get("PHPSESSID"))
        if account is not None:  # already logged in
            entry["account"] = account.user_id
            return _redirect(return_to)
        return self.form({"source": "pc", "return_to": return_to})

    async def submit(self, request: web.BaseRequest, entry: dict) -> web.Response:
        form = await request.post()
        source = str(form.get("source", "pc"))
        hidden = {k: str(form.get(k, "")) for k in (("source", "code_challenge") if source == "app"
                                                     else ("source", "return_to"))}
        if source == "app" and not _CHALLENGE.match(hidden["code_challenge"]):
            return _page("Bad request", "<p>code_challenge is missing or malformed.</p>", 400)
        account = self.replica.tokens.account_for_login(str(form.get("username", "")), str(form.get("password", "")))
        if account is None:
            return self.form(hidden, WRONG_LOGIN)
        entry["account"] = account.user_id
        if source == "app":
            now = time.monotonic()
            self._grants = {c: g for c, g in self._grants.items() if g.expires > now}
            code = secrets.token_urlsafe(32)
            self._grants[code] = _Grant(account, hidden["code_challenge"], now + CODE_LIFETIME)
            target = f"{CALLBACK_URL}?" + urlencode({"state": secrets.token_urlsafe(16), "code": code})
        else:
            target = hidden["return_to"] if _PIXIV_URL.match(hidden["return_to"]) else f"https://{WEB_HOST}/"
        cookie = f"PHPSESSID={account.phpsessid}; Domain=.pixiv.net; Path=/; Secure; HttpOnly; SameSite=Lax"
        return _redirect(f"https://{ACCOUNTS_HOST}/post-redirect?" + urlencode({"return_to": target}), cookie)

    def callback(self, query) -> web.Response:
        code = query.get("code", "")
        if code not in self._grants:
            return _page("Bad request", "<p>Unknown or used code.</p>", 400)
        return _redirect("pixiv://account/login?" + urlencode({"code": code, "via": "login"}))

    def front_page(self, request: web.BaseRequest, entry: dict) -> web.Response:
        account = self.replica.tokens.account_for_session(request.cookies.get("PHPSESSID"))
        if account is None:
            return _page("pixiv", "<p>Welcome to pixiv (replica). You are not logged in.</p>")
        entry["account"] = account.user_id
        return _page("pixiv", f"<p>Welcome to pixiv (replica), user {account.user_id}.</p>")

    # -- token endpoint --------------------------------------------------------------------------------

    def exchange(self, form, entry: dict) -> web.Response:
        """``POST /auth/token`` with ``grant_type=authorization_code``."""
        grant = self._grants.pop(str(form.get("code", "")), None)  # single use, whatever the outcome
        if grant is None or time.monotonic() > grant.expires:
            return oauth_error("Invalid authorization code")
        if form.get("redirect_uri") != CALLBACK_URL:
            return oauth_error("Invalid redirect_uri")
        if s256(str(form.get("code_verifier", ""))) != grant.challenge:
            return oauth_error("Invalid code_verifier")
        entry["account"] = grant.account.user_id
        return _json(self.replica.token_response(grant.account))
