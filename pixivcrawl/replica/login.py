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

These are pixiv's pages as a browser sees them (``pixivcrawl login`` drives one through them); no crawl requests
them, so the replica's route table lists them as replica-only. The token endpoint that redeems the codes is
:mod:`pixivcrawl.replica.oauth`; the codes themselves live in :class:`pixivcrawl.replica.accounts.AuthCodes`.
"""

from __future__ import annotations

import html
import re
import secrets
from urllib.parse import urlencode

from aiohttp import web

from pixivcrawl.protocol import ACCOUNTS_HOST, APP_API_HOST, CALLBACK_PATH, CALLBACK_URL, LOGIN_PATH, WEB_HOST

from .accounts import AuthCodes, TokenStore
from .requestlog import note

_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_PIXIV_URL = re.compile(r"^https://([a-z0-9-]+\.)*pixiv\.net(/|$)")
WRONG_LOGIN = "Please check if your pixiv ID or email address and password were entered correctly."


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
    """The login pages on app-api.pixiv.net, accounts.pixiv.net and www.pixiv.net's front page."""

    #: no crawl calls these routes (pixiv's pages, but only a browser visits them): replica-only in the route table
    replica_only = True

    def __init__(self, tokens: TokenStore, codes: AuthCodes) -> None:
        self.tokens = tokens
        self.codes = codes

    def routes(self) -> dict[str, list[web.RouteDef]]:
        """Each host's login pages (GET pages refuse HEAD, as a browser never sends it)."""
        return {
            APP_API_HOST: [web.get(LOGIN_PATH, self.app_login, allow_head=False),
                           web.get(CALLBACK_PATH, self.callback, allow_head=False)],
            ACCOUNTS_HOST: [web.get("/login", self.web_login, allow_head=False),
                            web.post("/login", self.submit),
                            web.get("/post-redirect", self.post_redirect, allow_head=False)],
            WEB_HOST: [web.route("*", "/", self.front_page)],
        }

    def fallbacks(self) -> dict[str, list[web.RouteDef]]:
        """Where an unknown login page is answered "404 Not Found": every other path under app-api's
        ``/web/v1/``, every other path of accounts.pixiv.net."""
        return {APP_API_HOST: [web.route("*", "/web/v1/{tail:.*}", self.not_found)],
                ACCOUNTS_HOST: [web.route("*", "/{tail:.*}", self.not_found)]}

    @staticmethod
    async def not_found(request: web.Request) -> web.Response:
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

    async def app_login(self, request: web.Request) -> web.Response:
        """``GET app-api /web/v1/login?code_challenge=…&code_challenge_method=S256``: the form, for the app."""
        challenge = request.query.get("code_challenge", "")
        if not _CHALLENGE.match(challenge) or request.query.get("code_challenge_method") != "S256":
            return _page("Bad request", "<p>code_challenge (S256) is missing or malformed.</p>", 400)
        return self.form({"source": "app", "code_challenge": challenge})

    async def web_login(self, request: web.Request) -> web.Response:
        """``GET accounts /login?return_to=…``: the form, for the web (a logged-in session goes on at once)."""
        return_to = request.query.get("return_to", "")
        return_to = return_to if _PIXIV_URL.match(return_to) else f"https://{WEB_HOST}/"
        account = self.tokens.account_for_session(request.cookies.get("PHPSESSID"))
        if account is not None:  # already logged in
            note(request, account=account.user_id)
            return _redirect(return_to)
        return self.form({"source": "pc", "return_to": return_to})

    async def submit(self, request: web.Request) -> web.Response:
        """``POST accounts /login``: a right username and password set ``PHPSESSID`` and go on (the app: with a
        new authorization code, through the callback); a wrong one shows the form again with WRONG_LOGIN."""
        form = await request.post()
        source = str(form.get("source", "pc"))
        hidden = {k: str(form.get(k, "")) for k in (("source", "code_challenge") if source == "app"
                                                     else ("source", "return_to"))}
        if source == "app" and not _CHALLENGE.match(hidden["code_challenge"]):
            return _page("Bad request", "<p>code_challenge is missing or malformed.</p>", 400)
        account = self.tokens.account_for_login(str(form.get("username", "")), str(form.get("password", "")))
        if account is None:
            return self.form(hidden, WRONG_LOGIN)
        note(request, account=account.user_id)
        if source == "app":
            code = self.codes.issue(account, hidden["code_challenge"])
            target = f"{CALLBACK_URL}?" + urlencode({"state": secrets.token_urlsafe(16), "code": code})
        else:
            target = hidden["return_to"] if _PIXIV_URL.match(hidden["return_to"]) else f"https://{WEB_HOST}/"
        cookie = f"PHPSESSID={account.phpsessid}; Domain=.pixiv.net; Path=/; Secure; HttpOnly; SameSite=Lax"
        return _redirect(f"https://{ACCOUNTS_HOST}/post-redirect?" + urlencode({"return_to": target}), cookie)

    @staticmethod
    async def post_redirect(request: web.Request) -> web.Response:
        """``GET accounts /post-redirect?return_to=…``: on to a pixiv page."""
        target = request.query.get("return_to", "")
        if not _PIXIV_URL.match(target):
            return _page("Bad request", "<p>return_to must be a pixiv page.</p>", 400)
        return _redirect(target)

    async def callback(self, request: web.Request) -> web.Response:
        """``GET app-api /web/v1/users/auth/pixiv/callback?state=…&code=…``: on to ``pixiv://account/login``."""
        code = request.query.get("code", "")
        if code not in self.codes:
            return _page("Bad request", "<p>Unknown or used code.</p>", 400)
        return _redirect("pixiv://account/login?" + urlencode({"code": code, "via": "login"}))

    async def front_page(self, request: web.Request) -> web.Response:
        """``www.pixiv.net/``: says whether the session is logged in (the web login's last stop)."""
        account = self.tokens.account_for_session(request.cookies.get("PHPSESSID"))
        if account is None:
            return _page("pixiv", "<p>Welcome to pixiv (replica). You are not logged in.</p>")
        note(request, account=account.user_id)
        return _page("pixiv", f"<p>Welcome to pixiv (replica), user {account.user_id}.</p>")
