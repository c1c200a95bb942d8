// What the check costs beside aws-jwt-verify: `npm run bench` (builds first). Starts its own
// moto (MOTO_SERVER, else the repository's .venv/bin/moto_server) on 127.0.0.1; the JWKS is
// a locally generated key handed to the verifier with cacheJwks, so nothing leaves the machine.
//
//   verify alone            CognitoJwtVerifier.verify, no customJwtCheck
//   verify + check (hit)    the same with revocationCheck as customJwtCheck, lookup cached
//   check alone (hit)       revocationCheck's function on a cached lookup
//   check (miss)            cacheSeconds 0: one strongly consistent GetItem against moto
//   1,000 concurrent        one user, cacheSeconds 1: wall time and GetItem requests

import { spawn } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

import { CreateTableCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CognitoJwtVerifier } from "aws-jwt-verify";

import { revocationCheck } from "../dist/index.js";

const POOL = "eu-west-1_BenchPool1";
const CLIENT = "benchclient1";
const moto = process.env.MOTO_SERVER ?? fileURLToPath(new URL("../../../.venv/bin/moto_server", import.meta.url));

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const server = spawn(moto, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
process.on("exit", () => server.kill());
const endpoint = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    await fetch(`${endpoint}/moto-api/`);
    break;
  } catch {
    if (i > 300) throw new Error("moto did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
}
const dynamodb = new DynamoDBClient({
  endpoint,
  region: "eu-west-1",
  credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
});
let getItems = 0;
const counted = { send: (command) => ((getItems += 1), dynamodb.send(command)) };
await dynamodb.send(new CreateTableCommand({
  TableName: "cutoffs",
  AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  BillingMode: "PAY_PER_REQUEST",
}));
const now = Math.floor(Date.now() / 1000);
await dynamodb.send(new PutItemCommand({
  TableName: "cutoffs",
  Item: { pk: { S: `${POOL}#other-user` }, revokedBefore: { N: String(now) } },
}));

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const { n, e } = publicKey.export({ format: "jwk" });
const jwks = { keys: [{ kty: "RSA", n, e, kid: "bench", alg: "RS256", use: "sig" }] };
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
const input = `${b64({ alg: "RS256", kid: "bench" })}.${b64({
  iss: `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`, sub: "sub-1", client_id: CLIENT,
  token_use: "access", auth_time: now - 600, iat: now - 60, exp: now + 3600, username: "alice",
})}`;
const token = `${input}.${sign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;

function verifier(customJwtCheck) {
  const v = CognitoJwtVerifier.create({ userPoolId: POOL, tokenUse: "access", clientId: CLIENT, ...(customJwtCheck ? { customJwtCheck } : {}) });
  v.cacheJwks(jwks);
  return v;
}

async function time(label, iterations, run) {
  for (let i = 0; i < Math.min(iterations, 200); i++) await run(); // warm-up
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await run();
    samples[i] = performance.now() - t;
  }
  samples.sort();
  const mean = samples.reduce((a, b) => a + b, 0) / iterations;
  const pct = (p) => samples[Math.min(iterations - 1, Math.floor(p * iterations))];
  console.log(`${label.padEnd(34)} mean ${(mean * 1000).toFixed(1).padStart(8)} us   p50 ${(pct(0.5) * 1000).toFixed(1).padStart(8)} us   p99 ${(pct(0.99) * 1000).toFixed(1).padStart(8)} us   (${iterations} runs)`);
  return mean;
}

console.log(`node ${process.version}, moto on ${endpoint}`);
const plain = verifier();
const checked = verifier(revocationCheck({ tableName: "cutoffs", client: counted, cacheSeconds: 300 }));
const payload = await plain.verify(token);
const hitCheck = revocationCheck({ tableName: "cutoffs", client: counted, cacheSeconds: 300 });
const missCheck = revocationCheck({ tableName: "cutoffs", client: counted, cacheSeconds: 0 });

// Alternated rounds, the best round of each kept: the machine may be busy, and the verifier's
// RS256 check dominates both, so only the steadiest rounds show the check's share.
let base = Infinity;
let both = Infinity;
for (let round = 0; round < 5; round++) {
  base = Math.min(base, await time(`verify alone (round ${round + 1})`, 4000, () => plain.verify(token)));
  both = Math.min(both, await time(`verify + check, hit (round ${round + 1})`, 4000, () => checked.verify(token)));
}
console.log(`${"best: verify alone".padEnd(34)} ${(base * 1000).toFixed(1)} us`);
console.log(`${"best: verify + check (cache hit)".padEnd(34)} ${(both * 1000).toFixed(1)} us  (the check: ${((both - base) * 1000).toFixed(1)} us)`);
await time("check alone (cache hit)", 100000, () => hitCheck({ header: {}, payload }));
getItems = 0;
await time("check (cache miss: GetItem on moto)", 300, () => missCheck({ header: {}, payload }));

const burst = async (label) => {
  const check = revocationCheck({ tableName: "cutoffs", client: counted, cacheSeconds: 1 });
  await new Promise((r) => setTimeout(r, 1100)); // the 1 s cache of any earlier burst has expired
  getItems = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: 1000 }, () => check({ header: {}, payload })));
  console.log(`${label.padEnd(34)} ${(performance.now() - t).toFixed(1)} ms wall, ${getItems} GetItem`);
};
await burst("1,000 concurrent checks, one user");
server.kill();
process.exit(0);
