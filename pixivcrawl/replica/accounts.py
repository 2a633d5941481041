"""The replica's accounts, its token store and the authorization codes of the app login.

Account ``k`` is the world's user ``USER_BASE + k``. Its refresh token, ``PHPSESSID`` and login (username
``replica-user-k``, password ``replica-password-k``) are fixed strings derived from ``k``: they are
credentials for the local replica only (the demo and the tests use them), never for pixiv.

Each account also has an App API sanity limit: the highest ``sanity_level`` the App API shows it (pixiv
hides more sensitive works from the app, as ``limit_sanity_level`` placeholders, while the web shows them
to the same account). It is the replica's ``app_sanity_limit`` knob unless set for the account
(``POST /_replica/account {"account": k, "app_sanity_limit": n}``).

The app login pages (:mod:`pixivcrawl.replica.login`) issue authorization codes (:class:`AuthCodes`) that the token
endpoint (:mod:`pixivcrawl.replica.oauth`) redeems: both receive the same :class:`AuthCodes`.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from .world import USER_BASE

#: pixiv's codes expire about 30 seconds after the login (gallery-dl's warning, pixiv-protocol.md §1.4)
CODE_LIFETIME = 30.0


@dataclass(frozen=True, slots=True)
class Account:
    index: int
    user_id: int
    refresh_token: str
    phpsessid: str
    username: str
    password: str
    x_restrict: int = 2  # R-18 and R-18G display on


def replica_account(index: int) -> Account:
    uid = USER_BASE + index
    return Account(
        index=index,
        user_id=uid,
        refresh_token=f"replica-refresh-token-{index}",
        phpsessid=f"{uid}_replicasession{index}",
        username=f"replica-user-{index}",
        password=f"replica-password-{index}",
    )


class TokenStore:
    """Issues access tokens for refresh tokens and checks bearers, with a configurable lifetime."""

    def __init__(self, accounts: list[Account], lifetime: float = 3600.0) -> None:
        self.accounts = accounts
        self.lifetime = lifetime
        self._by_refresh = {a.refresh_token: a for a in accounts}
        self._by_session = {a.phpsessid: a for a in accounts}
        self._by_username = {a.username: a for a in accounts}
        self._access: dict[str, tuple[Account, float]] = {}
        #: account index -> its own App API sanity limit (accounts not here use the replica's knob)
        self.app_sanity_limits: dict[int, int] = {}

    def app_sanity_limit(self, account: Account, default: int) -> int:
        """The highest sanity_level the App API shows ``account``."""
        return self.app_sanity_limits.get(account.index, default)

    def set_app_sanity_limit(self, index: object, limit: object) -> None:
        """Give account ``index`` its own App API sanity limit, a whole number (None: back to the replica's knob).
        ValueError (one sentence) for an account that does not exist or a limit that is not a whole number;
        nothing changes then."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.accounts):
            raise ValueError(f"no account {json.dumps(index)}: the replica has accounts 0 to {len(self.accounts) - 1}")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValueError(f"app_sanity_limit takes a whole number (pixiv's sanity levels are 2, 4 and 6) or null, "
                             f"not {json.dumps(limit)}")
        if limit is None:
            self.app_sanity_limits.pop(index, None)
        else:
            self.app_sanity_limits[index] = limit

    def account_for_refresh(self, token: str) -> Account | None:
        return self._by_refresh.get(token)

    def account_for_session(self, phpsessid: str | None) -> Account | None:
        return self._by_session.get(phpsessid) if phpsessid else None

    def account_for_login(self, username: str, password: str) -> Account | None:
        account = self._by_username.get(username)
        if account is None or not secrets.compare_digest(account.password.encode(), password.encode()):
            return None
        return account

    def issue(self, account: Account) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        self._access[token] = (account, time.monotonic() + self.lifetime)
        return token, int(self.lifetime)

    def check_bearer(self, header: str | None) -> tuple[Account | None, str | None]:
        """(account, None) for a valid bearer, else (None, 'invalid_request' | 'invalid_grant')."""
        if not header or not header.startswith("Bearer "):
            return None, "invalid_request"
        entry = self._access.get(header[7:].strip())
        if entry is None:
            return None, "invalid_grant"
        account, expires = entry
        if time.monotonic() >= expires:
            self._access.pop(header[7:].strip(), None)
            return None, "invalid_grant"
        return account, None


@dataclass(frozen=True)
class Grant:
    """An authorization code's account, the PKCE ``code_challenge`` it is bound to, and when it expires."""

    account: Account
    challenge: str
    expires: float


class AuthCodes:
    """Authorization codes of the app login: single use, each living CODE_LIFETIME seconds."""

    def __init__(self) -> None:
        self._grants: dict[str, Grant] = {}

    def issue(self, account: Account, challenge: str) -> str:
        """A new code for ``account``, bound to ``challenge`` (codes expired by now are forgotten)."""
        now = time.monotonic()
        self._grants = {c: g for c, g in self._grants.items() if g.expires > now}
        code = secrets.token_urlsafe(32)
        self._grants[code] = Grant(account, challenge, now + CODE_LIFETIME)
        return code

    def __contains__(self, code: object) -> bool:
        """Whether ``code`` was issued and not redeemed yet (expired or not)."""
        return code in self._grants

    def redeem(self, code: str) -> Grant | None:
        """The grant of ``code`` when it is known and not expired, else None; the code is used up either way."""
        grant = self._grants.pop(code, None)
        if grant is None or time.monotonic() > grant.expires:
            return None
        return grant
