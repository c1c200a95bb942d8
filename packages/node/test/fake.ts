/**
 * The one test fixture: a fake DynamoDB client holding the cutoff table (items in DynamoDB
 * JSON, or a failure), answering `GetItem` a tick later, as a network call would, and
 * recording each request; and the shared vector file.
 */

import { readFileSync } from "node:fs";

import { DynamoDBServiceException, type AttributeValue, type GetItemCommand } from "@aws-sdk/client-dynamodb";

import {
  InvalidClaimsError,
  RevocationLookupError,
  TokenRevokedError,
  type GetItemClient,
} from "../src/index.js";

/** The table's state: items by `pk`, or every read failing with a DynamoDB error code. */
export type TableState =
  | { readonly items: Readonly<Record<string, Record<string, AttributeValue>>> }
  | { readonly error: string };

/** A DynamoDB service error as the SDK throws it. */
export function serviceError(code: string, status = 400, message = "simulated"): Error {
  return new DynamoDBServiceException({
    name: code,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message,
  });
}

export class FakeTable implements GetItemClient {
  state: TableState;
  /** Every GetItem's input, in order. */
  readonly requests: GetItemCommand["input"][] = [];
  /** What the next reads throw instead (any error), when set. */
  failWith: unknown;

  constructor(state: TableState = { items: {} }) {
    this.state = state;
  }

  get lookups(): number {
    return this.requests.length;
  }

  async send(command: GetItemCommand): Promise<{ Item?: Record<string, AttributeValue> }> {
    this.requests.push(command.input);
    const state = this.state;
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failWith !== undefined) throw this.failWith;
    if ("error" in state) throw serviceError(state.error);
    const pk = command.input.Key?.["pk"]?.S;
    const item = pk === undefined ? undefined : state.items[pk];
    if (item === undefined) return {};
    // The projection: only the attributes the request names.
    const names = Object.values(command.input.ExpressionAttributeNames ?? {});
    return { Item: Object.fromEntries(Object.entries(item).filter(([name]) => names.includes(name))) };
  }
}

/** A check's outcome, in the vector file's words. */
export async function decision(run: () => Promise<unknown>): Promise<string> {
  try {
    const result = await run();
    return result === true ? "revoked" : "allowed";
  } catch (err) {
    if (err instanceof TokenRevokedError) return "revoked";
    if (err instanceof RevocationLookupError) return "error:lookup";
    if (err instanceof InvalidClaimsError) return `error:${err.reason}`;
    return `unexpected:${String(err)}`;
  }
}

export interface VectorStep {
  clock: number;
  table?: TableState;
  concurrent?: number;
  claims: Record<string, unknown>;
  expect: string;
  lookups: number;
}

export interface VectorCase {
  name: string;
  options?: Record<string, unknown>;
  construction?: string;
  table: TableState;
  steps: VectorStep[];
}

/** tests/vectors/revocation.json (VECTORS overrides its path). */
export function vectors(): VectorCase[] {
  const path = process.env["VECTORS"] ?? new URL("../../../../tests/vectors/revocation.json", import.meta.url);
  return (JSON.parse(readFileSync(path, "utf8")) as { cases: VectorCase[] }).cases;
}

export const POOL = "eu-west-1_TestPool1";
export const NOW = 1_800_000_000;

/** The claims of a current access token of `sub` in POOL, authenticated 10 minutes ago. */
export function accessClaims(sub = "sub-1", extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`,
    sub,
    client_id: "testclient1",
    token_use: "access",
    auth_time: NOW - 600,
    iat: NOW - 60,
    exp: NOW + 3000,
    username: "alice",
    ...extra,
  };
}

/** A table holding `sub`'s cutoff at `revokedBefore`. */
export function cutoff(revokedBefore: number, sub = "sub-1"): TableState {
  return { items: { [`${POOL}#${sub}`]: { revokedBefore: { N: String(revokedBefore) } } } };
}
