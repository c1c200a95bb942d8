/**
 * The cutoff table: one strongly consistent `GetItem` of `revokedBefore`, and the class of
 * its failures. The table is the one the responder writes (docs/revocation.md): key `pk` (S)
 * `<userPoolId>#<sub>`, `revokedBefore` (N) Unix seconds.
 */

import {
  DynamoDBClient,
  GetItemCommand,
  type AttributeValue,
  type GetItemCommandOutput,
} from "@aws-sdk/client-dynamodb";

import { RevocationLookupError, type LookupErrorClass } from "./errors.js";

/** The table's only key attribute (S): `<userPoolId>#<sub>`. */
export const KEY_ATTRIBUTE = "pk";
/** Tokens authenticated before this moment (N, Unix seconds) are refused. */
export const REVOKED_BEFORE_ATTRIBUTE = "revokedBefore";

/**
 * What the check needs of a DynamoDB client: `send` of a `GetItemCommand`. A
 * `DynamoDBClient` is one; tests pass a fake.
 */
export interface GetItemClient {
  send(command: GetItemCommand): Promise<Pick<GetItemCommandOutput, "Item">>;
}

/** Error codes that mean "slow down" (the workspace's one list, from the Rust library). */
const THROTTLING_CODES = new Set([
  "TooManyRequestsException",
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "RequestLimitExceeded",
  "LimitExceededException",
  "ProvisionedThroughputExceededException",
]);
/** Node.js error codes of a failed connection. */
const TRANSPORT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
/** At most this many characters of a remote error's text reach a message. */
const MAX_ERROR_TEXT = 512;
/** At most this many characters of an error code. */
const MAX_ERROR_CODE = 128;
const U64_MAX = 18446744073709551615n;
const WHOLE = /^\+?[0-9]+$/;

/** `text` in at most `max` characters, control characters escaped (no forged log lines). */
function bounded(text: string, max: number): string {
  const escaped = text.replace(/\p{Cc}/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
  return escaped.length <= max ? escaped : `${escaped.slice(0, max - 1)}…`;
}

/** The class, code and one-line description of a failed `send`. */
function describe(err: unknown): { errorClass: LookupErrorClass; code: string; detail: string } {
  const e = (typeof err === "object" && err !== null ? err : {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;
  const name = typeof e.name === "string" ? e.name : "Error";
  const nodeCode = typeof e.code === "string" ? e.code : undefined;
  const message = typeof e.message === "string" ? e.message : String(err);
  let errorClass: LookupErrorClass;
  let code = bounded(name, MAX_ERROR_CODE);
  if (THROTTLING_CODES.has(name)) errorClass = "throttled";
  else if (name === "InternalServerError" || name === "ServiceUnavailable") errorClass = "internal";
  else if (status === 429) errorClass = "throttled";
  else if (status !== undefined && status >= 500 && status <= 599) errorClass = "internal";
  else if (name === "TimeoutError" || name === "AbortError" || nodeCode === "ETIMEDOUT") {
    errorClass = "transport";
    code = "Timeout";
  } else if (nodeCode !== undefined && TRANSPORT_CODES.has(nodeCode)) {
    errorClass = "transport";
    code = "ConnectionFailure";
  } else errorClass = "unknown";
  const detail = status === undefined ? `${code}: ${message}` : `${code} (HTTP ${status}): ${message}`;
  return { errorClass, code, detail: bounded(detail, MAX_ERROR_TEXT) };
}

/** A number attribute as a whole number of seconds within 64 bits, else `undefined`. */
function wholeSeconds(value: AttributeValue | undefined): bigint | undefined {
  const n = value?.N;
  if (n === undefined || !WHOLE.test(n)) return undefined;
  const secs = BigInt(n);
  return secs <= U64_MAX ? secs : undefined;
}

/**
 * `key`'s `revokedBefore`, `null` when the user has no cutoff. Throws `RevocationLookupError`
 * when the read fails or the item has no whole-number `revokedBefore`.
 */
export async function readRevokedBefore(
  client: GetItemClient,
  tableName: string,
  key: string,
): Promise<bigint | null> {
  let output: Pick<GetItemCommandOutput, "Item">;
  try {
    output = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { [KEY_ATTRIBUTE]: { S: key } },
        // Strongly consistent: an eventually consistent read can miss a cutoff written a
        // moment ago and let the stolen token through, the very window the check closes.
        ConsistentRead: true,
        ProjectionExpression: "#rb",
        ExpressionAttributeNames: { "#rb": REVOKED_BEFORE_ATTRIBUTE },
      }),
    );
  } catch (err) {
    const { errorClass, code, detail } = describe(err);
    throw new RevocationLookupError(key, errorClass, code, detail, { cause: err });
  }
  if (output.Item === undefined) return null;
  const revokedBefore = wholeSeconds(output.Item[REVOKED_BEFORE_ATTRIBUTE]);
  if (revokedBefore === undefined) {
    throw new RevocationLookupError(
      key,
      "unknown",
      "UnreadableItem",
      "the cutoff item has no whole-number revokedBefore",
    );
  }
  return revokedBefore;
}

let defaultClient: DynamoDBClient | undefined;

/**
 * The process's one client for checks that name none: region and credentials from the
 * environment, and a short time limit (1 s per attempt, 2 attempts), since a request waits
 * on it.
 */
export function sharedClient(): DynamoDBClient {
  defaultClient ??= new DynamoDBClient({
    maxAttempts: 2,
    requestHandler: { requestTimeout: 1000, connectionTimeout: 1000 },
  });
  return defaultClient;
}
