/** The check's behaviours beyond the vectors: the request, aws-jwt-verify, errors, the cache. */

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CognitoJwtVerifier } from "aws-jwt-verify";

import { LookupCache, MAX_CACHED_LOOKUPS } from "../src/cache.js";
import {
  InvalidClaimsError,
  isRevoked,
  RevocationLookupError,
  revocationCheck,
  TokenRevokedError,
} from "../src/index.js";
import { accessClaims, cutoff, FakeTable, NOW, POOL, serviceError } from "./fake.js";
import { jwks, signToken } from "./jwt.js";

describe("the lookup", () => {
  test("is one strongly consistent GetItem of revokedBefore by the user's key", async () => {
    const table = new FakeTable();
    await revocationCheck({ tableName: "cutoffs", client: table, cacheSeconds: 0 })({ payload: accessClaims() });
    assert.deepEqual(table.requests, [
      {
        TableName: "cutoffs",
        Key: { pk: { S: `${POOL}#sub-1` } },
        ConsistentRead: true,
        ProjectionExpression: "#rb",
        ExpressionAttributeNames: { "#rb": "revokedBefore" },
      },
    ]);
  });

  test("a revoked token's error says whom and when, never the token", async () => {
    const table = new FakeTable(cutoff(NOW - 300));
    const err = await revocationCheck({ tableName: "cutoffs", client: table })({ payload: accessClaims() }).then(
      () => assert.fail("not refused"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TokenRevokedError);
    assert.equal(err.key, `${POOL}#sub-1`);
    assert.equal(err.authenticatedAt, NOW - 600);
    assert.equal(err.revokedBefore, NOW - 300);
    assert.equal(err.name, "TokenRevokedError");
    assert.doesNotThrow(() => JSON.stringify(err), "loggers can serialise it");
  });

  test("claims that are not a Cognito user's are never repeated in the error", async () => {
    const table = new FakeTable();
    const check = revocationCheck({ tableName: "cutoffs", client: table });
    const secret = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2ln";
    for (const payload of [accessClaims("sub-1", { iss: `https://evil.example/${secret}` }), accessClaims(`${secret}\n`)]) {
      await assert.rejects(check({ payload }), (err: unknown) => {
        assert.ok(err instanceof InvalidClaimsError);
        assert.ok(!err.message.includes(secret) && !err.message.includes("evil"), err.message);
        return true;
      });
    }
    assert.equal(table.lookups, 0);
  });
});

describe("lookup errors", () => {
  const cases: [string, unknown, string, string][] = [
    ["throughput exceeded", serviceError("ProvisionedThroughputExceededException"), "throttled", "ProvisionedThroughputExceededException"],
    ["an unmodelled 429", serviceError("Whatever", 429), "throttled", "Whatever"],
    ["an internal error", serviceError("InternalServerError", 500), "internal", "InternalServerError"],
    ["an unmodelled 503", serviceError("Whatever", 503), "internal", "Whatever"],
    ["a missing table", serviceError("ResourceNotFoundException"), "unknown", "ResourceNotFoundException"],
    ["a timeout", Object.assign(new Error("timed out"), { name: "TimeoutError" }), "transport", "Timeout"],
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "transport", "ConnectionFailure"],
  ];
  for (const [what, thrown, errorClass, code] of cases) {
    test(`${what} is ${errorClass}, with the SDK's error as its cause`, async () => {
      const table = new FakeTable();
      table.failWith = thrown;
      await assert.rejects(revocationCheck({ tableName: "t", client: table })({ payload: accessClaims() }), (err: unknown) => {
        assert.ok(err instanceof RevocationLookupError);
        assert.equal(err.errorClass, errorClass);
        assert.equal(err.code, code);
        assert.equal(err.cause, thrown);
        return true;
      });
    });
  }

  test("a one-megabyte error message reaches the error bounded, on one line", async () => {
    const table = new FakeTable();
    table.failWith = serviceError("ValidationException", 400, `line one\nforged line${"é".repeat(500_000)}`);
    await assert.rejects(revocationCheck({ tableName: "t", client: table })({ payload: accessClaims() }), (err: unknown) => {
      assert.ok(err instanceof RevocationLookupError);
      assert.ok(err.message.length < 700, `${err.message.length}`);
      assert.ok(!err.message.includes("\n"));
      assert.ok(err.message.endsWith("…"));
      return true;
    });
  });

  test("under allow, isRevoked answers false and the check passes", async () => {
    const table = new FakeTable({ error: "InternalServerError" });
    const options = { tableName: "t", client: table, onLookupError: "allow" } as const;
    assert.equal(await isRevoked(accessClaims(), options), false);
    await revocationCheck(options)({ payload: accessClaims() });
  });
});

describe("concurrency", () => {
  test("1,000 concurrent checks of one user make one GetItem", async () => {
    const table = new FakeTable(cutoff(NOW - 300));
    const check = revocationCheck({ tableName: "cutoffs", client: table });
    const results = await Promise.allSettled(Array.from({ length: 1000 }, () => check({ payload: accessClaims() })));
    assert.equal(table.lookups, 1);
    assert.ok(results.every((r) => r.status === "rejected" && r.reason instanceof TokenRevokedError));
  });

  test("1,000 concurrent isRevoked calls of one user make one GetItem", async () => {
    const table = new FakeTable();
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () => isRevoked(accessClaims(), { tableName: "cutoffs", client: table })),
    );
    assert.equal(table.lookups, 1);
    assert.ok(answers.every((a) => a === false));
  });

  test("concurrent checks of different users each read their own cutoff", async () => {
    const table = new FakeTable(cutoff(NOW - 300, "sub-3"));
    const check = revocationCheck({ tableName: "cutoffs", client: table });
    const subs = Array.from({ length: 10 }, (_, i) => `sub-${i}`);
    const results = await Promise.allSettled(subs.flatMap((sub) => [check({ payload: accessClaims(sub) }), check({ payload: accessClaims(sub) })]));
    assert.equal(table.lookups, 10);
    assert.deepEqual(
      results.map((r) => r.status),
      subs.flatMap((sub) => (sub === "sub-3" ? ["rejected", "rejected"] : ["fulfilled", "fulfilled"])),
    );
  });
});

describe("the cache", () => {
  test("is per table and per process: two checks of one table share it, another table does not", async () => {
    const table = new FakeTable();
    await revocationCheck({ tableName: "a", client: table })({ payload: accessClaims() });
    await revocationCheck({ tableName: "a", client: table })({ payload: accessClaims() });
    assert.equal(await isRevoked(accessClaims(), { tableName: "a", client: table }), false);
    assert.equal(table.lookups, 1);
    await revocationCheck({ tableName: "b", client: table })({ payload: accessClaims() });
    assert.equal(table.lookups, 2);
  });

  test(`keeps at most ${MAX_CACHED_LOOKUPS} lookups, dropping expired ones first`, async () => {
    const cache = new LookupCache();
    let now = 0;
    const clock = () => now;
    for (let i = 0; i < MAX_CACHED_LOOKUPS; i++) await cache.lookup(`k${i}`, 1000, clock, async () => null);
    assert.equal(cache.size, MAX_CACHED_LOOKUPS);
    now = 500;
    await cache.lookup("fresh", 1000, clock, async () => null);
    assert.equal(cache.size, 1, "all fresh and full: cleared, then the new one");
    for (let i = 0; i < MAX_CACHED_LOOKUPS - 2; i++) await cache.lookup(`old${i}`, 1000, clock, async () => null);
    now = 1600;
    for (let i = 0; i < 3; i++) await cache.lookup(`new${i}`, 1000, clock, async () => null);
    // At the first put past the bound, the 9,999 entries of 500 ms are expired and dropped.
    assert.equal(cache.size, 3);
  });
});

describe("options", () => {
  for (const bad of [{ tableName: "" }, { tableName: "t", cacheSeconds: 301 }, { tableName: "t", cacheSeconds: Number.NaN }, { tableName: "t", onLookupError: "ALLOW" }, { tableName: "t", client: {} }]) {
    test(`${JSON.stringify(bad)} is refused when the check is built`, () => {
      assert.throws(() => revocationCheck(bad as never), (err) => err instanceof TypeError || err instanceof RangeError);
    });
  }
});

describe("with aws-jwt-verify", () => {
  const userPoolId = POOL;
  function verifier(table: FakeTable) {
    const v = CognitoJwtVerifier.create({
      userPoolId,
      tokenUse: "access",
      clientId: "testclient1",
      customJwtCheck: revocationCheck({ tableName: "cutoffs", client: table }),
    });
    v.cacheJwks(jwks);
    return v;
  }
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => accessClaims("sub-1", { auth_time: now() - 600, iat: now() - 60, exp: now() + 600 });

  test("a genuine token of a user without a cutoff is accepted", async () => {
    const payload = await verifier(new FakeTable()).verify(signToken(claims()));
    assert.equal(payload.sub, "sub-1");
  });

  test("a genuine token authenticated before the cutoff is refused with TokenRevokedError", async () => {
    await assert.rejects(verifier(new FakeTable(cutoff(now() - 300))).verify(signToken(claims())), TokenRevokedError);
  });

  test("a forged token is refused before any lookup", async () => {
    const table = new FakeTable();
    const token = signToken(claims());
    const [header, , signature] = token.split(".");
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims(), sub: "sub-2" })).toString("base64url")}.${signature}`;
    await assert.rejects(verifier(table).verify(forged));
    assert.equal(table.lookups, 0);
  });
});
