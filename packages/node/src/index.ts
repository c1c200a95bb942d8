/**
 * cognito-revocation: refuse a signed-out Cognito user's old tokens.
 *
 * `AdminUserGlobalSignOut` revokes refresh tokens, but access and ID tokens stay valid until
 * they expire. The cognito-signout-responder records, per signed-out user, a cutoff in a
 * DynamoDB table; this package is the check a Node.js service runs after its JWT verifier:
 * `revocationCheck` (aws-jwt-verify's `customJwtCheck`) or `isRevoked` (any verifier).
 *
 * @packageDocumentation
 */

export {
  isRevoked,
  revocationCheck,
  MAX_CACHE_SECONDS,
  type OnLookupError,
  type RevocationCheckOptions,
  type VerifiedJwt,
} from "./check.js";
export { MAX_CACHED_LOOKUPS } from "./cache.js";
export {
  InvalidClaimsError,
  RevocationLookupError,
  TokenRevokedError,
  type InvalidClaimsReason,
  type LookupErrorClass,
} from "./errors.js";
export { type GetItemClient } from "./store.js";
