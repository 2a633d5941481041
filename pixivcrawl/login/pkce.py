"""pixiv's app login as a protocol (docs: pixiv-protocol.md §1.1, §1.3, §1.4): a PKCE verifier and its S256
challenge, the login page's URL, the authorization ``code`` in the redirect that ends the login, and the
``authorization_code`` grant on ``https://oauth.secure.pixiv.net/auth/token`` that trades it for a refresh token.
No browser here: pixivcrawl.login.browser drives one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp

from pixivcrawl.protocol import (
    APP_API,
    APP_API_HOST,
    CALLBACK_PATH,
    CALLBACK_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    LOGIN_PATH,
    OAUTH_HOST,
    OAUTH_TOKEN_URL,
    s256,
)

from .options import LoginError

#: The client the code exchange presents itself as (gallery-dl and PixivUtil2 use the same).
EXCHANGE_USER_AGENT = "PixivAndroidApp/5.0.234 (Android 11; Pixel 5)"


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair: the ``code_verifier`` kept for the exchange, the ``code_challenge`` sent to the login page."""

    verifier: str
    challenge: str


def new_pkce() -> Pkce:
    verifier = secrets.token_urlsafe(32)  # 32 random bytes, URL-safe base64 without padding: 43 characters
    return Pkce(verifier, s256(verifier))


def login_url(challenge: str) -> str:
    """The app login page on app-api.pixiv.net for this ``code_challenge`` (method S256, client pixiv-android)."""
    query = urlencode({"code_challenge": challenge, "code_challenge_method": "S256", "client": "pixiv-android"})
    return f"{APP_API}{LOGIN_PATH}?{query}"


def code_from_url(url: str) -> str | None:
    """The authorization code in a ``pixiv://…?code=`` deep link or a callback URL, else None."""
    parts = urlsplit(url)
    is_deep_link = parts.scheme == "pixiv"
    is_callback = parts.scheme == "https" and parts.hostname == APP_API_HOST and parts.path == CALLBACK_PATH
    if not (is_deep_link or is_callback):
        return None
    codes = parse_qs(parts.query).get("code")
    return codes[0] if codes and codes[0] else None


class CodeCatcher:
    """Watches the browser's URLs for the authorization code: ``code`` is the first one seen, else None."""

    def __init__(self) -> None:
        self.code: str | None = None

    def see(self, url: str | None) -> None:
        if self.code is None and url:
            self.code = code_from_url(url)


async def exchange_code(code: str, verifier: str, mirror: str | None = None) -> dict[str, str]:
    """POST the authorization_code grant (to the replica at origin ``mirror`` when given); ``{"refresh_token":
    …}`` of pixiv's answer. LoginError when the token endpoint cannot be reached or refuses the code."""
    url, headers = OAUTH_TOKEN_URL, {"User-Agent": EXCHANGE_USER_AGENT}
    if mirror:
        from pixivcrawl.mirror import mirrored_url, parse_mirror

        url = mirrored_url(OAUTH_TOKEN_URL, *parse_mirror(mirror))
        headers["X-Forwarded-Host"] = OAUTH_HOST
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code, "code_verifier": verifier,
            "grant_type": "authorization_code", "include_policy": "true", "redirect_uri": CALLBACK_URL}
    try:
        async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
                    session.post(url, data=form, headers=headers) as resp):
            status = resp.status
            try:
                data = await resp.json(content_type=None)
            except ValueError:
                data = None
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise LoginError(f"The token endpoint could not be reached ({type(exc).__name__}); try again.") from None
    data = data if isinstance(data, dict) else {}
    token = data.get("refresh_token") or (data.get("response") or {}).get("refresh_token")
    if status != 200 or not token:
        message = ((data.get("errors") or {}).get("system") or {}).get("message")
        raise LoginError(f"pixiv refused the login code (HTTP {status}: {message or 'no message'}); run pixivcrawl "
                         f"login again, the code expires about 30 seconds after logging in.")
    return {"refresh_token": token}
