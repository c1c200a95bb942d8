"""The check: given the claims of a token its verifier has accepted, look up the user's cutoff
and apply the rule: revoked when the table holds ``<userPoolId>#<sub>`` and the token's
``auth_time`` (else ``iat``) is less than ``revokedBefore``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

from ._cache import cache_for
from ._claims import subject_of
from ._errors import RevocationLookupError, TokenRevoked
from ._store import GetItemClient, read_revoked_before, shared_client

MAX_CACHE_SECONDS = 300
"""The longest ``cache_seconds`` accepted: a longer cache lets a signed-out user in for minutes."""

OnLookupError = Literal["deny", "allow"]

_log = logging.getLogger("cognito_revocation")


class RevocationCheck:
    """The revocation check of one cutoff table. Build it once, at start-up (a bad setting
    raises ``ValueError`` or ``TypeError`` here, never per request), and share it: it is
    thread-safe, and its lookup cache lives per table and per process.

    ``table_name``: the cutoff table (name or ARN), the responder's ``REVOCATION_TABLE``.
    ``cache_seconds``: how long a lookup is reused in this process, whole seconds from 0
    (off: every check reads the table) to 300; default 1, the longest a new cutoff goes
    unnoticed. ``on_lookup_error``: ``"deny"`` (default) raises ``RevocationLookupError``
    when the table cannot be read, since that says nothing about whether the user was signed
    out; ``"allow"`` accepts the verified token without the check (and logs a warning).
    ``client``: a low-level DynamoDB client (``boto3.client("dynamodb")``); default: one per
    process from the environment, 1 s per attempt, 2 attempts. ``clock``: seconds from a
    monotonic clock, for tests; default ``time.monotonic``.
    """

    __slots__ = ("_table_name", "_ttl", "_allow", "_client", "_clock", "_cache")

    def __init__(
        self,
        table_name: str,
        cache_seconds: int = 1,
        on_lookup_error: OnLookupError = "deny",
        client: GetItemClient | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not isinstance(table_name, str) or not table_name:
            raise TypeError("table_name must be a non-empty string")
        if not isinstance(cache_seconds, int) or isinstance(cache_seconds, bool):
            raise TypeError("cache_seconds must be a whole number of seconds")
        if not 0 <= cache_seconds <= MAX_CACHE_SECONDS:
            raise ValueError(f"cache_seconds must be from 0 to {MAX_CACHE_SECONDS}")
        if on_lookup_error not in ("deny", "allow"):
            raise ValueError('on_lookup_error must be "deny" or "allow"')
        if client is not None and not callable(getattr(client, "get_item", None)):
            raise TypeError('client must be a low-level DynamoDB client (boto3.client("dynamodb"))')
        if clock is not None and not callable(clock):
            raise TypeError("clock must be callable")
        self._table_name = table_name
        self._ttl = float(cache_seconds)
        self._allow = on_lookup_error == "allow"
        self._client = client if client is not None else shared_client()
        self._clock = clock if clock is not None else time.monotonic
        self._cache = cache_for(self._client, table_name)

    def _judge(self, claims: Mapping[str, Any]) -> tuple[str, int, int | None]:
        key, authenticated_at = subject_of(claims)
        try:
            revoked_before = self._cache.lookup(
                key,
                self._ttl,
                self._clock,
                lambda: read_revoked_before(self._client, self._table_name, key),
            )
        except RevocationLookupError as err:
            if not self._allow:
                raise
            _log.warning(
                "cutoff lookup failed for %s; token allowed unchecked (on_lookup_error=allow): %s",
                key,
                err.code,
            )
            return key, authenticated_at, None
        return key, authenticated_at, revoked_before

    def check(self, claims: Mapping[str, Any]) -> None:
        """Returns when the token whose verified claims are ``claims`` is not revoked. Raises
        ``TokenRevoked`` when it is, ``RevocationLookupError`` when the table cannot be read
        under ``"deny"``, and ``InvalidClaims`` for claims that are not a Cognito user's."""
        key, authenticated_at, revoked_before = self._judge(claims)
        if revoked_before is not None and authenticated_at < revoked_before:
            raise TokenRevoked(key, authenticated_at, revoked_before)

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        """Whether the token whose verified claims are ``claims`` is revoked. Raises as
        ``check`` does, but answers ``True`` instead of raising ``TokenRevoked``."""
        _, authenticated_at, revoked_before = self._judge(claims)
        return revoked_before is not None and authenticated_at < revoked_before
