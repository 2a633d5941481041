"""The replica's oauth.secure.pixiv.net: the token endpoint ``POST /auth/token`` (pixiv-protocol.md §1.1-§1.6).

It answers the ``refresh_token`` grant (the crawler's) and the ``authorization_code`` grant of the app login
(``pixivcrawl login``; the code comes from the login pages, :mod:`pixivcrawl.replica.login`, and must come with the
``code_verifier`` whose S256 is the code's challenge and the app's ``redirect_uri``). A token is pixiv's token response
(§1.5: the fields at top level and again under ``response``); a refusal is pixiv's 400 with ``has_error`` and an
``errors.system.message`` (§1.6). Any other path answers ``{"error": "not_found"}`` (404).
"""

from __future__ import annotations

from aiohttp import web

from pixivcrawl.protocol import CALLBACK_URL, CLIENT_ID, CLIENT_SECRET, OAUTH_HOST, OAUTH_TOKEN_PATH, s256

from .accounts import Account, AuthCodes, TokenStore
from .requestlog import note
from .responses import json_response as _json, oauth_error
from .world import World


class OAuth:
    """The token endpoint: issues access tokens from ``tokens`` for refresh tokens and for ``codes``."""

    #: whether no crawl calls these routes (False: pixiv endpoints a crawl calls; True: replica-only in the route table)
    replica_only = False

    def __init__(self, world: World, tokens: TokenStore, codes: AuthCodes) -> None:
        self.world = world
        self.tokens = tokens
        self.codes = codes

    def routes(self) -> dict[str, list[web.RouteDef]]:
        return {OAUTH_HOST: [web.post(OAUTH_TOKEN_PATH, self.token)]}

    def fallbacks(self) -> dict[str, list[web.RouteDef]]:
        return {OAUTH_HOST: [web.route("*", "/{tail:.*}", self.not_found)]}

    @staticmethod
    async def not_found(request: web.Request) -> web.Response:
        return _json({"error": "not_found"}, 404)

    async def token(self, request: web.Request) -> web.Response:
        """``POST /auth/token`` (form: ``client_id``, ``client_secret``, ``grant_type`` and the grant's fields)."""
        form = await request.post()
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return oauth_error("Invalid client", "invalid_client")
        grant = form.get("grant_type")
        note(request, grant=grant)
        if grant == "authorization_code":
            return self.exchange(request, form)
        if grant != "refresh_token":
            return oauth_error("Invalid grant_type parameter or parameter missing")
        account = self.tokens.account_for_refresh(str(form.get("refresh_token", "")))
        if account is None:
            return oauth_error("Invalid refresh token")
        note(request, account=account.user_id)
        return _json(self.token_response(account))

    def exchange(self, request: web.Request, form) -> web.Response:
        """The ``authorization_code`` grant: ``code`` (single use, whatever the outcome), ``redirect_uri`` and
        ``code_verifier``."""
        grant = self.codes.redeem(str(form.get("code", "")))
        if grant is None:
            return oauth_error("Invalid authorization code")
        if form.get("redirect_uri") != CALLBACK_URL:
            return oauth_error("Invalid redirect_uri")
        if s256(str(form.get("code_verifier", ""))) != grant.challenge:
            return oauth_error("Invalid code_verifier")
        note(request, account=grant.account.user_id)
        return _json(self.token_response(grant.account))

    def token_response(self, account: Account) -> dict:
        """A new access token for ``account``, in pixiv's token response shape (fields at top level and
        under ``response``)."""
        access, expires_in = self.tokens.issue(account)
        name, acct = self.world.user_name(account.user_id)
        token = {
            "access_token": access,
            "expires_in": expires_in,
            "token_type": "bearer",
            "scope": "",
            "refresh_token": account.refresh_token,
            "user": {
                "profile_image_urls": {
                    "px_16x16": "https://s.pximg.net/common/images/no_profile_ss.png",
                    "px_50x50": "https://s.pximg.net/common/images/no_profile_s.png",
                    "px_170x170": "https://s.pximg.net/common/images/no_profile.png",
                },
                "id": str(account.user_id),
                "name": name,
                "account": acct,
                "mail_address": f"{acct}@example.invalid",
                "is_premium": False,
                "x_restrict": account.x_restrict,
                "is_mail_authorized": True,
                "require_policy_agreement": False,
            },
        }
        return {**token, "response": token}
