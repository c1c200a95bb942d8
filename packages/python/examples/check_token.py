"""One access token (read from standard input, never from the command line) checked as a
Python service checks it: PyJWT verifies it, then `RevocationCheck.check`. Prints
{"accepted": true} or {"accepted": false, "error": "<exception class>"}. The demo
(scripts/demo) runs it against moto:
`python examples/check_token.py <poolId> <clientId> <table> <jwksUri>`."""

import json
import sys

import jwt

from cognito_revocation import RevocationCheck

pool_id, client_id, table, jwks_uri = sys.argv[1:5]
token = sys.stdin.read().strip()
region = pool_id.split("_", 1)[0]
key = jwt.PyJWKClient(jwks_uri).get_signing_key_from_jwt(token)
claims = jwt.decode(
    token,
    key.key,
    algorithms=["RS256"],
    issuer=f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
    options={"verify_aud": False},  # an access token names its client in client_id
)
if claims.get("client_id") != client_id or claims.get("token_use") != "access":
    sys.exit("not an access token of the app client")
try:
    RevocationCheck(table).check(claims)
    print(json.dumps({"accepted": True}))
except Exception as err:  # noqa: BLE001 - the demo prints what the check raised
    print(json.dumps({"accepted": False, "error": type(err).__name__}))
