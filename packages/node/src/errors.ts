/**
 * The errors the check throws. None of them ever holds a token, and none repeats a claim the
 * token chose that failed a check (an attacker's `iss` or `sub`): their messages are safe to
 * log as they are.
 */

/** The class of a failed table read, in the vocabulary the responder and the authorizer use. */
export type LookupErrorClass = "throttled" | "internal" | "transport" | "unknown";

/** Why the claims cannot be judged: the issuer, or the `sub` / authentication time. */
export type InvalidClaimsReason = "issuer" | "claims";

/**
 * The token is genuine but its user was signed out after it was authenticated: its
 * `auth_time` (else `iat`) is before the user's cutoff. Refuse the request (401).
 */
export class TokenRevokedError extends Error {
  override readonly name = "TokenRevokedError";
  /** The cutoff's key, `<userPoolId>#<sub>`. */
  readonly key: string;
  /** The token's `auth_time`, else its `iat` (Unix seconds). */
  readonly authenticatedAt: number;
  /**
   * The user's cutoff (Unix seconds): tokens authenticated before it are refused. A number,
   * so that loggers can serialise the error (the comparison itself is exact, on 64 bits).
   */
  readonly revokedBefore: number;

  constructor(key: string, authenticatedAt: number, revokedBefore: number) {
    super(
      `token of ${key} was authenticated at ${authenticatedAt}, before the user's cutoff ${revokedBefore}`,
    );
    this.key = key;
    this.authenticatedAt = authenticatedAt;
    this.revokedBefore = revokedBefore;
  }
}

/**
 * The cutoff table could not be read (or holds an item without a whole-number
 * `revokedBefore`) and `onLookupError` is `"deny"`: whether the user was signed out is
 * unknown, so the token is refused. The SDK's error is the `cause`.
 */
export class RevocationLookupError extends Error {
  override readonly name = "RevocationLookupError";
  /** The key that was looked up, `<userPoolId>#<sub>`. */
  readonly key: string;
  /** `throttled`, `internal`, `transport` or `unknown`, for metrics and retries. */
  readonly errorClass: LookupErrorClass;
  /** DynamoDB's error code, or a name for a local failure (`Timeout`, `UnreadableItem`). */
  readonly code: string;

  constructor(
    key: string,
    errorClass: LookupErrorClass,
    code: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`GetItem on the cutoff table failed for ${key}: ${detail}`, options);
    this.key = key;
    this.errorClass = errorClass;
    this.code = code;
  }
}

/**
 * The claims are not those of a Cognito token the check can judge: no Cognito `iss`
 * (`reason` `"issuer"`), or no usable `sub` or authentication time (`reason` `"claims"`). An
 * error rather than "not revoked": the check cannot tell whom the token belongs to.
 */
export class InvalidClaimsError extends Error {
  override readonly name = "InvalidClaimsError";
  /** Which part of the claims is unusable. */
  readonly reason: InvalidClaimsReason;

  constructor(reason: InvalidClaimsReason, message: string) {
    super(message);
    this.reason = reason;
  }
}
