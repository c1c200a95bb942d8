// Compiled (not run) in the fresh project: the tarball's type declarations, reached through
// its exports map, type a real use with aws-jwt-verify under strict TypeScript.

import { CognitoJwtVerifier } from "aws-jwt-verify";
import {
  InvalidClaimsError,
  isRevoked,
  RevocationLookupError,
  revocationCheck,
  TokenRevokedError,
  type RevocationCheckOptions,
} from "cognito-revocation";

const options: RevocationCheckOptions = { tableName: "cutoffs", cacheSeconds: 1, onLookupError: "deny" };
export const verifier = CognitoJwtVerifier.create({
  userPoolId: "eu-west-1_AbC123",
  tokenUse: "access",
  clientId: "4b6v0q1ro3ua1bl1ir40iskr7u",
  customJwtCheck: revocationCheck(options),
});
export const revoked: Promise<boolean> = isRevoked({ sub: "s" }, options);
export function describe(err: unknown): string {
  if (err instanceof TokenRevokedError) return `${err.key} ${err.revokedBefore}`;
  if (err instanceof RevocationLookupError) return err.errorClass;
  if (err instanceof InvalidClaimsError) return err.reason;
  return "other";
}
// @ts-expect-error cacheSeconds is a number
revocationCheck({ tableName: "cutoffs", cacheSeconds: "1" });
// @ts-expect-error onLookupError is "deny" or "allow"
revocationCheck({ tableName: "cutoffs", onLookupError: "open" });
