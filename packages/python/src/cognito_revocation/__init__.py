"""cognito-revocation: refuse a signed-out Cognito user's old tokens.

``AdminUserGlobalSignOut`` revokes refresh tokens, but access and ID tokens stay valid until
they expire. The cognito-signout-responder records, per signed-out user, a cutoff in a
DynamoDB table; this package is the check a Python service runs after its JWT library has
verified the token::

    check = RevocationCheck("cutoffs")          # once, at start-up
    claims = jwt.decode(token, key, algorithms=["RS256"], ...)
    check.check(claims)                         # raises TokenRevoked
"""

from ._cache import MAX_CACHED_LOOKUPS
from ._check import MAX_CACHE_SECONDS, OnLookupError, RevocationCheck
from ._errors import (
    InvalidClaims,
    InvalidClaimsReason,
    LookupErrorClass,
    RevocationError,
    RevocationLookupError,
    TokenRevoked,
)

__all__ = [
    "MAX_CACHED_LOOKUPS",
    "MAX_CACHE_SECONDS",
    "InvalidClaims",
    "InvalidClaimsReason",
    "LookupErrorClass",
    "OnLookupError",
    "RevocationCheck",
    "RevocationError",
    "RevocationLookupError",
    "TokenRevoked",
]
__version__ = "0.1.0"
