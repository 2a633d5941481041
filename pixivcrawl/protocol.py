"""What the crawler and the replica both know about pixiv's protocol: host names, base URLs, the Android app's
OAuth client identity and the app login (OAuth with PKCE) paths.

This module is the only part of ``pixivcrawl`` that the replica (``pixivcrawl.replica``) imports: the replica is an
independent model of pixiv, so it shares the constants that name pixiv's endpoints and its public app client, and
nothing of the crawler's logic. Section numbers refer to ``docs/pixiv-protocol.md`` (in the shared docs until it
moves into this repository).
"""

from __future__ import annotations

import base64
import hashlib

#: pixiv's OAuth server: the token endpoint (refresh and authorization-code grants), §1.1.
OAUTH_HOST = "oauth.secure.pixiv.net"
#: pixiv's App API (the Android/iOS apps' JSON API, bearer tokens) and the app login pages, §1.4 and §2.
APP_API_HOST = "app-api.pixiv.net"
#: pixiv's web site: the Ajax JSON API, ranking.php and the work pages (``PHPSESSID`` cookie), §3.
WEB_HOST = "www.pixiv.net"
#: pixiv's image CDN for work images, ugoira zips, avatars and covers (needs a pixiv Referer), §4.
IMAGE_HOST = "i.pximg.net"
#: pixiv's static CDN (placeholder images such as ``limit_sanity_level_360.png``, default avatars), §4 and §6.
STATIC_HOST = "s.pximg.net"
#: pixiv's accounts site: the login form both the app and the web login post to, §1.4.
ACCOUNTS_HOST = "accounts.pixiv.net"

#: Every host a crawl may be sent to a replica for (``PIXIV_MIRROR``).
PIXIV_HOSTS = frozenset({OAUTH_HOST, APP_API_HOST, WEB_HOST, IMAGE_HOST, STATIC_HOST})
#: Hosts of the image CDN (need a pixiv Referer, no credentials), §4.
CDN_HOSTS = frozenset({IMAGE_HOST, STATIC_HOST})

#: The token endpoint's path on OAUTH_HOST (``POST``, form-encoded), §1.1.
OAUTH_TOKEN_PATH = "/auth/token"  # noqa: S105 - a URL path, not a secret
#: The token endpoint's URL, §1.1.
OAUTH_TOKEN_URL = f"https://{OAUTH_HOST}{OAUTH_TOKEN_PATH}"
#: The App API's base URL, §2.
APP_API = f"https://{APP_API_HOST}"
#: The web site's base URL, §3.
WEB = f"https://{WEB_HOST}"

#: The public client of pixiv's Android app, used by every current client, §1.1.
CLIENT_ID = "MOBrBDS8blbauoSck0ZfDbtuzpyT"
#: Its public client secret, §1.1.
CLIENT_SECRET = "lsACyCD94FhDUtGTXi3QzcFE2uU1hqtDaKeqrdwj"  # noqa: S105 - pixiv's public app client, the same in every client
#: The salt of the App API's ``X-Client-Hash`` header (MD5 of ``X-Client-Time`` + this), §1.2.
HASH_SECRET = "28c1fdd170a5204386cb1313c7077b34f83e4aaf4aa829ce78c231e05b0bae2c"  # noqa: S105 - pixiv's public X-Client-Hash salt, the same in every client

#: The app login page on APP_API_HOST (``?code_challenge=…&code_challenge_method=S256&client=pixiv-android``), §1.1.
LOGIN_PATH = "/web/v1/login"
#: Where the login redirects with the authorization ``code`` (then to ``pixiv://account/login?code=…``), §1.4.
CALLBACK_PATH = "/web/v1/users/auth/pixiv/callback"
#: The ``redirect_uri`` of the code exchange (``authorization_code`` grant), §1.1 and §1.3.
CALLBACK_URL = f"{APP_API}{CALLBACK_PATH}"


def s256(verifier: str) -> str:
    """The PKCE S256 ``code_challenge`` of a ``code_verifier`` (RFC 7636 §4.2; pixiv's app login, §1.3): URL-safe
    base64 of its SHA-256, without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")
