/** RS256 tokens signed with a key made for the test run, and its JWKS: nothing on the network. */

import { generateKeyPairSync, sign } from "node:crypto";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
export const KID = "test-key-1";

/** The JWKS holding the test key. */
const { n, e } = publicKey.export({ format: "jwk" });
export const jwks = { keys: [{ kty: "RSA", n: n!, e: e!, kid: KID, alg: "RS256", use: "sig" }] };

/** `claims` as a compact JWS signed RS256 with the test key. */
export function signToken(claims: object): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${b64({ alg: "RS256", kid: KID, typ: "JWT" })}.${b64(claims)}`;
  return `${input}.${sign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}
