// One access token (read from standard input, never from the command line) checked as a
// Node.js service checks it: aws-jwt-verify, with the revocation check as its customJwtCheck.
// Prints {"accepted": true} or {"accepted": false, "error": "<error class>"}. The demo
// (scripts/demo) runs it against moto: `node examples/check-token.mjs <poolId> <clientId>
// <table> <jwksUri>`, after `npm run build`.

import { CognitoJwtVerifier } from "aws-jwt-verify";
import { revocationCheck } from "../dist/index.js";

const [poolId, clientId, tableName, jwksUri] = process.argv.slice(2);
let token = "";
for await (const chunk of process.stdin) token += chunk;
const verifier = CognitoJwtVerifier.create({
  userPoolId: poolId,
  tokenUse: "access",
  clientId,
  customJwtCheck: revocationCheck({ tableName }),
});
// moto's keys (the verifier would fetch them from cognito-idp.<region>.amazonaws.com).
verifier.cacheJwks(await (await fetch(jwksUri)).json());
try {
  await verifier.verify(token.trim());
  console.log(JSON.stringify({ accepted: true }));
} catch (err) {
  console.log(JSON.stringify({ accepted: false, error: err.constructor.name }));
}
