#!/usr/bin/env python3
"""The stolen-token story with the installed wheel (run by scripts/test-packages in a fresh
venv holding the wheel and PyJWT): a moto-issued access token, verified with PyJWT against
moto's JWKS, is accepted; the responder signs the user out; the same token is refused within
the check's one-second cache; a new sign-in is accepted."""

from __future__ import annotations

import importlib.resources
import json
import os
import subprocess
import time
from typing import Any

import jwt

import cognito_revocation
from cognito_revocation import RevocationCheck, TokenRevoked


def step(text: str) -> None:
    print(f"    python story: {text}", flush=True)


def harness(*args: str) -> Any:
    out = subprocess.check_output([os.environ["HARNESS_PYTHON"], os.environ["HARNESS"], *args])
    return json.loads(out)


def main() -> None:
    # The wheel, not the source tree, and whole: py.typed included.
    assert "site-packages" in cognito_revocation.__file__, cognito_revocation.__file__
    assert (importlib.resources.files("cognito_revocation") / "py.typed").is_file(), "py.typed is missing"

    env = harness("setup", "story-python")
    jwks = jwt.PyJWKClient(env["jwksUri"])
    # The default client: region, credentials and AWS_ENDPOINT_URL from the environment.
    check = RevocationCheck(env["table"])

    def verify(token: str) -> dict[str, Any]:
        claims = jwt.decode(
            token,
            jwks.get_signing_key_from_jwt(token).key,
            algorithms=["RS256"],
            issuer=env["issuer"],
            options={"require": ["exp", "sub"]},
        )
        assert claims["token_use"] == "access" and claims["client_id"] == env["clientId"]
        check.check(claims)
        return claims

    stolen = harness("sign-in", env["poolId"], env["clientId"], env["username"], env["password"])
    claims = verify(stolen)
    step(f"the access token of {env['username']} (auth_time {claims['auth_time']}) is accepted")

    item = harness("sign-out", env["poolId"], env["username"])
    revoked_before = int(item["revokedBefore"])
    assert item["pk"] == f"{env['poolId']}#{claims['sub']}", item
    step(f"signed out; cutoff revokedBefore {revoked_before}")

    signed_out = time.monotonic()
    while True:
        try:
            verify(stolen)
        except TokenRevoked:
            break
        assert time.monotonic() - signed_out < 1.5, "the stolen token is still accepted after the cache's second"
        time.sleep(0.05)
    step(f"the same token is refused (TokenRevoked) {time.monotonic() - signed_out:.2f} s after the sign-out")
    assert check.is_revoked(claims) is True

    while time.time() < revoked_before:  # a sign-in in the cutoff's own second is before it
        time.sleep(0.05)
    fresh = verify(harness("sign-in", env["poolId"], env["clientId"], env["username"], env["password"]))
    assert fresh["auth_time"] >= revoked_before
    step(f"a new sign-in (auth_time {fresh['auth_time']}) is accepted")


if __name__ == "__main__":
    main()
