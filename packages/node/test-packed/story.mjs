// The stolen-token story with the installed tarball (run by scripts/test-packages in a fresh
// project holding the tarball and aws-jwt-verify): a moto-issued access token, verified by
// aws-jwt-verify against moto's JWKS with the check as its customJwtCheck, is accepted; the
// responder signs the user out; the same token is refused within the check's one-second
// cache; a new sign-in is accepted.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

import { CognitoJwtVerifier } from "aws-jwt-verify";
import { isRevoked, revocationCheck, TokenRevokedError } from "cognito-revocation";

const step = (text) => console.log(`    node story: ${text}`);
const harness = (...args) =>
  JSON.parse(execFileSync(process.env.HARNESS_PYTHON, [process.env.HARNESS, ...args], { encoding: "utf8" }));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The tarball, not the source tree.
const resolved = fileURLToPath(import.meta.resolve("cognito-revocation"));
assert.ok(resolved.startsWith(process.cwd()) && resolved.includes("/node_modules/cognito-revocation/dist/"), resolved);

const env = harness("setup", "story-node");
// The default client: region, credentials and AWS_ENDPOINT_URL from the environment.
const options = { tableName: env.table };
const verifier = CognitoJwtVerifier.create({
  userPoolId: env.poolId,
  tokenUse: "access",
  clientId: env.clientId,
  customJwtCheck: revocationCheck(options),
});
// moto's keys, fetched from moto (the verifier would fetch from cognito-idp.<region>.amazonaws.com).
verifier.cacheJwks(await (await fetch(env.jwksUri)).json());

const signIn = () => harness("sign-in", env.poolId, env.clientId, env.username, env.password);

const stolen = signIn();
const claims = await verifier.verify(stolen);
step(`the access token of ${env.username} (auth_time ${claims.auth_time}) is accepted`);

const item = harness("sign-out", env.poolId, env.username);
const revokedBefore = Number(item.revokedBefore);
assert.equal(item.pk, `${env.poolId}#${claims.sub}`);
step(`signed out; cutoff revokedBefore ${revokedBefore}`);

const signedOut = performance.now();
for (;;) {
  try {
    await verifier.verify(stolen);
  } catch (err) {
    if (err instanceof TokenRevokedError) break;
    throw err;
  }
  assert.ok(performance.now() - signedOut < 1500, "the stolen token is still accepted after the cache's second");
  await sleep(50);
}
step(`the same token is refused (TokenRevokedError) ${((performance.now() - signedOut) / 1000).toFixed(2)} s after the sign-out`);
assert.equal(await isRevoked(claims, options), true);

while (Date.now() / 1000 < revokedBefore) await sleep(50); // a sign-in in the cutoff's own second is before it
const fresh = await verifier.verify(signIn());
assert.ok(fresh.auth_time >= revokedBefore);
step(`a new sign-in (auth_time ${fresh.auth_time}) is accepted`);
