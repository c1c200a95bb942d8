"""The errors the check raises. None of them ever holds a token, and none repeats a claim the
token chose that failed a check (an attacker's ``iss`` or ``sub``): their messages are safe to
log as they are."""

from __future__ import annotations

from typing import Literal

LookupErrorClass = Literal["throttled", "internal", "transport", "unknown"]
"""The class of a failed table read, in the vocabulary the responder and the authorizer use."""

InvalidClaimsReason = Literal["issuer", "claims"]
"""Why claims cannot be judged: the issuer, or the ``sub`` / authentication time."""


class RevocationError(Exception):
    """The base of the errors the check raises: refuse the request when one reaches you."""


class TokenRevoked(RevocationError):
    """The token is genuine but its user was signed out after it was authenticated: its
    ``auth_time`` (else ``iat``) is before the user's cutoff. Refuse the request (401)."""

    def __init__(self, key: str, authenticated_at: int, revoked_before: int) -> None:
        super().__init__(
            f"token of {key} was authenticated at {authenticated_at}, "
            f"before the user's cutoff {revoked_before}"
        )
        #: The cutoff's key, ``<userPoolId>#<sub>``.
        self.key = key
        #: The token's ``auth_time``, else its ``iat`` (Unix seconds).
        self.authenticated_at = authenticated_at
        #: The user's cutoff (Unix seconds).
        self.revoked_before = revoked_before


class RevocationLookupError(RevocationError):
    """The cutoff table could not be read (or holds an item without a whole-number
    ``revokedBefore``) and ``on_lookup_error`` is ``"deny"``: whether the user was signed out
    is unknown, so the token is refused. The SDK's exception is ``__cause__``."""

    def __init__(self, key: str, error_class: LookupErrorClass, code: str, detail: str) -> None:
        super().__init__(f"GetItem on the cutoff table failed for {key}: {detail}")
        #: The key that was looked up, ``<userPoolId>#<sub>``.
        self.key = key
        #: ``throttled``, ``internal``, ``transport`` or ``unknown``, for metrics and retries.
        self.error_class: LookupErrorClass = error_class
        #: DynamoDB's error code, or a name for a local failure (``Timeout``, ``UnreadableItem``).
        self.code = code
        self.detail = detail

    def copy(self) -> RevocationLookupError:
        """The same error as a new exception, for another thread to raise."""
        err = RevocationLookupError(self.key, self.error_class, self.code, self.detail)
        err.__cause__ = self.__cause__
        return err


class InvalidClaims(RevocationError, ValueError):
    """The claims are not those of a Cognito token the check can judge: no Cognito ``iss``
    (``reason`` ``"issuer"``), or no usable ``sub`` or authentication time (``reason``
    ``"claims"``). An error rather than "not revoked": the check cannot tell whom the token
    belongs to."""

    def __init__(self, reason: InvalidClaimsReason, message: str) -> None:
        super().__init__(message)
        #: Which part of the claims is unusable.
        self.reason: InvalidClaimsReason = reason
