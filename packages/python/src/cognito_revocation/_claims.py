"""Reading the claims of an already verified token: which user (the pool from ``iss``, the
``sub``) and when they authenticated (``auth_time``, else ``iat``). Pure: no I/O. The rules
are the Rust library's (``crates/cognito-revocation``), so the implementations judge alike."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ._errors import InvalidClaims

USER_POOL_ID_MAX_CHARS = 55
SUB_MAX_BYTES = 255
U64_MAX = 2**64 - 1

# The region prefixes of AWS's partitions (the SDK's partition rules): a region is one of
# these, `-`, lower-case letters, `-`, digits.
_REGION_PREFIXES = frozenset(
    {"us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn",
     "us-gov", "us-iso", "us-isob", "us-isof", "eu-isoe", "eusc-de"}
)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
_POOL_HEAD = re.compile(r"[A-Za-z0-9_-]+")
_POOL_TAIL = re.compile(r"[A-Za-z0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_LOWER = re.compile(r"[a-z]+")


class Subject(NamedTuple):
    """The user and moment a token stands for: what the rule needs."""

    key: str
    """The cutoff table's key, ``<userPoolId>#<sub>``."""
    authenticated_at: int
    """``auth_time``, else ``iat`` (Unix seconds)."""


def _is_region(region: str) -> bool:
    parts = region.rsplit("-", 2)
    if len(parts) != 3:
        return False
    prefix, area, number = parts
    return (
        _DIGITS.fullmatch(number) is not None
        and _LOWER.fullmatch(area) is not None
        and prefix in _REGION_PREFIXES
    )


def _region_of_pool(pool_id: str) -> str | None:
    if not 0 < len(pool_id) <= USER_POOL_ID_MAX_CHARS:
        return None
    head, sep, tail = pool_id.rpartition("_")
    if not sep or not _POOL_HEAD.fullmatch(head) or not _POOL_TAIL.fullmatch(tail):
        return None
    return head if _is_region(head) else None


def pool_of_issuer(iss: object) -> str | None:
    """The pool that issued a token whose ``iss`` is ``iss``: exactly
    ``https://cognito-idp.<region>.amazonaws.com/<poolId>`` for a valid pool id of that
    region; else ``None``."""
    if not isinstance(iss, str):
        return None
    pool_id = iss.rpartition("/")[2]
    region = _region_of_pool(pool_id)
    if region is None or iss != f"https://cognito-idp.{region}.amazonaws.com/{pool_id}":
        return None
    return pool_id


_ABSENT = object()
_UNUSABLE = object()


def _seconds(value: Any) -> Any:
    if value is None:
        return _ABSENT
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= U64_MAX:
        return value
    return _UNUSABLE


def subject_of(claims: Mapping[str, Any]) -> Subject:
    """The user and authentication moment of verified ``claims``. Raises ``InvalidClaims``,
    whose message never repeats the claim's value."""
    if not isinstance(claims, Mapping):
        raise InvalidClaims("claims", "claims must be a mapping")
    pool = pool_of_issuer(claims.get("iss"))
    if pool is None:
        raise InvalidClaims("issuer", "iss is not a Cognito user pool issuer")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or _CONTROL.search(sub) is not None:
        raise InvalidClaims("claims", "claim sub is missing or unusable")
    try:
        sub_bytes = len(sub.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate
        sub_bytes = SUB_MAX_BYTES + 1
    if sub_bytes > SUB_MAX_BYTES:
        raise InvalidClaims("claims", "claim sub is missing or unusable")
    # Both are read whenever present, as the Rust library's claims decoder does: an unusable
    # `iat` is an error even when `auth_time` decides.
    auth_time = _seconds(claims.get("auth_time"))
    iat = _seconds(claims.get("iat"))
    if auth_time is _UNUSABLE or iat is _UNUSABLE or (auth_time is _ABSENT and iat is _ABSENT):
        raise InvalidClaims("claims", "claims auth_time and iat are missing or unusable")
    return Subject(f"{pool}#{sub}", iat if auth_time is _ABSENT else auth_time)
