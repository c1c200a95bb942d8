/**
 * The check: given the claims of a token its verifier has accepted, look up the user's cutoff
 * and apply the rule (docs/revocation.md): revoked when the table holds
 * `<userPoolId>#<sub>` and the token's `auth_time` (else `iat`) is less than `revokedBefore`.
 */

import { cacheFor, type LookupCache } from "./cache.js";
import { subjectOf } from "./claims.js";
import { RevocationLookupError, TokenRevokedError } from "./errors.js";
import { readRevokedBefore, sharedClient, type GetItemClient } from "./store.js";

/** The longest `cacheSeconds` accepted: a longer cache lets a signed-out user in for minutes. */
export const MAX_CACHE_SECONDS = 300;

/** What to do with a verified token when the cutoff table cannot be read. */
export type OnLookupError = "deny" | "allow";

/** The settings of a check. */
export interface RevocationCheckOptions {
  /** The cutoff table (its name or ARN), the responder's `REVOCATION_TABLE`. */
  readonly tableName: string;
  /**
   * How long a lookup is reused in this process, in whole seconds from 0 (off: every check
   * reads the table) to 300. Default 1: the longest a new cutoff goes unnoticed.
   */
  readonly cacheSeconds?: number;
  /**
   * `"deny"` (default): an unreadable table refuses the token (`RevocationLookupError`),
   * since it says nothing about whether the user was signed out. `"allow"`: the verified
   * token is accepted without the check, for APIs whose availability matters more.
   */
  readonly onLookupError?: OnLookupError;
  /**
   * The DynamoDB client (anything with `send(GetItemCommand)`). Default: one client per
   * process, configured from the environment, 1 s per attempt, 2 attempts.
   */
  readonly client?: GetItemClient;
  /** Milliseconds from a monotonic clock, for tests. Default `performance.now`. */
  readonly clock?: () => number;
}

/** What aws-jwt-verify's `customJwtCheck` is given (the check reads `payload` only). */
export interface VerifiedJwt {
  readonly header?: unknown;
  readonly payload: object;
}

/** The user's cutoff and the token's moment: the rule's inputs. */
interface Judgement {
  readonly key: string;
  readonly authenticatedAt: number;
  readonly revokedBefore: bigint | null;
}

const monotonic = (): number => performance.now();

/** Options checked once: a bad value fails at construction, never per request. */
class Checker {
  private readonly ttlMs: number;
  private readonly allowOnError: boolean;
  private readonly client: GetItemClient;
  private readonly clock: () => number;
  private readonly cache: LookupCache;
  private readonly tableName: string;

  constructor(options: RevocationCheckOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError("cognito-revocation: options must be an object with tableName");
    }
    const { tableName, cacheSeconds = 1, onLookupError = "deny", client, clock } = options;
    if (typeof tableName !== "string" || tableName.length === 0) {
      throw new TypeError("cognito-revocation: tableName must be a non-empty string");
    }
    if (typeof cacheSeconds !== "number") {
      throw new TypeError("cognito-revocation: cacheSeconds must be a number");
    }
    if (!Number.isInteger(cacheSeconds) || cacheSeconds < 0 || cacheSeconds > MAX_CACHE_SECONDS) {
      throw new RangeError(
        `cognito-revocation: cacheSeconds must be a whole number of seconds from 0 to ${MAX_CACHE_SECONDS}`,
      );
    }
    if (onLookupError !== "deny" && onLookupError !== "allow") {
      throw new TypeError('cognito-revocation: onLookupError must be "deny" or "allow"');
    }
    if (client !== undefined && typeof (client as { send?: unknown }).send !== "function") {
      throw new TypeError("cognito-revocation: client must have a send method (a DynamoDBClient)");
    }
    if (clock !== undefined && typeof clock !== "function") {
      throw new TypeError("cognito-revocation: clock must be a function");
    }
    this.tableName = tableName;
    this.ttlMs = cacheSeconds * 1000;
    this.allowOnError = onLookupError === "allow";
    this.client = client ?? sharedClient();
    this.clock = clock ?? monotonic;
    this.cache = cacheFor(this.client, tableName);
  }

  /** The inputs of the rule for `payload`; `revokedBefore` null when there is no cutoff or the table could not be read under "allow". */
  async judge(payload: object): Promise<Judgement> {
    const { key, authenticatedAt } = subjectOf(payload);
    let revokedBefore: bigint | null;
    try {
      revokedBefore = await this.cache.lookup(key, this.ttlMs, this.clock, () =>
        readRevokedBefore(this.client, this.tableName, key),
      );
    } catch (err) {
      if (this.allowOnError && err instanceof RevocationLookupError) {
        return { key, authenticatedAt, revokedBefore: null };
      }
      throw err;
    }
    return { key, authenticatedAt, revokedBefore };
  }
}

function revoked(j: Judgement): boolean {
  return j.revokedBefore !== null && BigInt(j.authenticatedAt) < j.revokedBefore;
}

/**
 * The check as aws-jwt-verify's `customJwtCheck`: an async function of `{header, payload}`
 * that resolves for a token that is not revoked and throws `TokenRevokedError` for one that
 * is, `RevocationLookupError` when the table cannot be read under `"deny"`, and
 * `InvalidClaimsError` for claims that are not a Cognito user's. Build it once, at start-up:
 * options are checked here (a bad one throws `TypeError` or `RangeError`), and the lookup
 * cache lives per table and per process.
 *
 * ```ts
 * const verifier = CognitoJwtVerifier.create({
 *   userPoolId, tokenUse: "access", clientId,
 *   customJwtCheck: revocationCheck({ tableName: "cutoffs" }),
 * });
 * ```
 */
export function revocationCheck(options: RevocationCheckOptions): (jwt: VerifiedJwt) => Promise<void> {
  const checker = new Checker(options);
  return async ({ payload }: VerifiedJwt): Promise<void> => {
    const judgement = await checker.judge(payload);
    if (revoked(judgement)) {
      throw new TokenRevokedError(judgement.key, judgement.authenticatedAt, Number(judgement.revokedBefore));
    }
  };
}

/**
 * Whether the token whose verified claims are `payload` is revoked, for any other verifier.
 * Throws as `revocationCheck` does, but answers `true` instead of throwing
 * `TokenRevokedError`. `options` are checked on every call; the lookup cache is still the
 * process's one for the table.
 */
export async function isRevoked(payload: object, options: RevocationCheckOptions): Promise<boolean> {
  return revoked(await new Checker(options).judge(payload));
}
