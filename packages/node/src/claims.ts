/**
 * Reading the claims of an already verified token: which user (pool from `iss`, `sub`) and
 * when they authenticated (`auth_time`, else `iat`). Pure: no I/O. The rules are the Rust
 * library's (`crates/cognito-revocation`), so the three implementations judge alike.
 */

import { InvalidClaimsError } from "./errors.js";

/** The user and moment a token stands for: what the rule needs. */
export interface Subject {
  /** The cutoff table's key, `<userPoolId>#<sub>`. */
  readonly key: string;
  /** `auth_time`, else `iat` (Unix seconds). */
  readonly authenticatedAt: number;
}

/** The longest user pool id the API accepts. */
const USER_POOL_ID_MAX_CHARS = 55;
/** The longest `sub` accepted, in UTF-8 bytes. */
const SUB_MAX_BYTES = 255;

/**
 * The region prefixes of AWS's partitions (the SDK's partition rules): a region is one of
 * these, `-`, lower-case letters, `-`, digits.
 */
const REGION_PREFIXES = new Set([
  "us",
  "eu",
  "ap",
  "sa",
  "ca",
  "me",
  "af",
  "il",
  "mx",
  "cn",
  "us-gov",
  "us-iso",
  "us-isob",
  "us-isof",
  "eu-isoe",
  "eusc-de",
]);

const CONTROL = /\p{Cc}/u;
const POOL_HEAD = /^[A-Za-z0-9_-]+$/;
const POOL_TAIL = /^[A-Za-z0-9]+$/;
const DIGITS = /^[0-9]+$/;
const LOWER = /^[a-z]+$/;

/** Whether `region` is a region some AWS partition could have (`eu-west-1`, `us-gov-west-1`). */
function isRegion(region: string): boolean {
  const numberAt = region.lastIndexOf("-");
  if (numberAt < 0) return false;
  const areaAt = region.lastIndexOf("-", numberAt - 1);
  if (areaAt < 0) return false;
  return (
    DIGITS.test(region.slice(numberAt + 1)) &&
    LOWER.test(region.slice(areaAt + 1, numberAt)) &&
    REGION_PREFIXES.has(region.slice(0, areaAt))
  );
}

/** The region of a pool id that follows the API's rules (`[\w-]+_[0-9a-zA-Z]+`, 1-55 characters, a region prefix), else `undefined`. */
function regionOfPool(poolId: string): string | undefined {
  if (poolId.length === 0 || poolId.length > USER_POOL_ID_MAX_CHARS) return undefined;
  const at = poolId.lastIndexOf("_");
  if (at < 0) return undefined;
  const head = poolId.slice(0, at);
  if (!POOL_HEAD.test(head) || !POOL_TAIL.test(poolId.slice(at + 1))) return undefined;
  return isRegion(head) ? head : undefined;
}

/**
 * The pool that issued a token whose `iss` is `iss`: exactly
 * `https://cognito-idp.<region>.amazonaws.com/<poolId>` for a valid pool id of that region.
 */
export function poolOfIssuer(iss: unknown): string | undefined {
  if (typeof iss !== "string") return undefined;
  const poolId = iss.slice(iss.lastIndexOf("/") + 1);
  const region = regionOfPool(poolId);
  if (region === undefined) return undefined;
  return iss === `https://cognito-idp.${region}.amazonaws.com/${poolId}` ? poolId : undefined;
}

/** A JSON whole number of seconds, not negative; `undefined` when absent or `null`. */
function seconds(value: unknown): number | undefined | false {
  if (value === undefined || value === null) return undefined;
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : false;
}

/**
 * The user and authentication moment of verified `claims`. Throws `InvalidClaimsError`, whose
 * message never repeats the claim's value.
 */
export function subjectOf(claims: object): Subject {
  const c = claims as Readonly<Record<string, unknown>>;
  const pool = poolOfIssuer(c["iss"]);
  if (pool === undefined) {
    throw new InvalidClaimsError("issuer", "iss is not a Cognito user pool issuer");
  }
  const sub = c["sub"];
  if (
    typeof sub !== "string" ||
    sub.length === 0 ||
    Buffer.byteLength(sub, "utf8") > SUB_MAX_BYTES ||
    CONTROL.test(sub)
  ) {
    throw new InvalidClaimsError("claims", "claim sub is missing or unusable");
  }
  // Both are read whenever present, as the Rust library's claims decoder does: an unusable
  // `iat` is an error even when `auth_time` decides.
  const authTime = seconds(c["auth_time"]);
  const iat = seconds(c["iat"]);
  const authenticatedAt = authTime === false || iat === false ? false : (authTime ?? iat);
  if (authenticatedAt === undefined || authenticatedAt === false) {
    throw new InvalidClaimsError("claims", "claims auth_time and iat are missing or unusable");
  }
  return { key: `${pool}#${sub}`, authenticatedAt };
}
