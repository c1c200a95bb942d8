#!/usr/bin/env python3
"""An independent verifier of the transmitter's SETs, written from RFC 7515 (JWS compact
serialisation), RFC 7517/7518 (an RSA JWK, RS256), RFC 8417 (the SET: `typ` secevent+jwt, one
`events` member) and SSF 1.0 / RFC 9493 (`sub_id`), with Python's `cryptography` only: none
of the transmitter's code or crates.

Input (a JSON file named on the command line): {"jwks": {...}, "iss": ..., "aud": ...,
"sets": [...]}. Prints one line per SET, `ok <jti> <event type>` or `refused <index>
<reason>`, and exits 1 when any SET is refused.
"""

from __future__ import annotations

import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def public_key(jwk: dict) -> rsa.RSAPublicKey:
    n = int.from_bytes(b64url(jwk["n"]), "big")
    e = int.from_bytes(b64url(jwk["e"]), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def verify(token: str, keys: dict[str, dict], iss: str, aud: str) -> tuple[str, str]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    header = json.loads(b64url(parts[0]))
    if header.get("alg") != "RS256" or header.get("typ") != "secevent+jwt":
        raise ValueError(f"header {header}")
    jwk = keys.get(header.get("kid"))
    if jwk is None:
        raise ValueError("unknown kid")
    if jwk.get("kty") != "RSA" or public_key(jwk).key_size < 2048:
        raise ValueError("not an RSA key of 2048 bits or more")
    try:
        public_key(jwk).verify(b64url(parts[2]), f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as refused:
        raise ValueError("bad signature") from refused
    claims = json.loads(b64url(parts[1]))
    if claims.get("iss") != iss or claims.get("aud") != aud:
        raise ValueError("iss or aud")
    for required in ("iat", "jti", "txn"):
        if required not in claims:
            raise ValueError(f"no {required}")
    if "sub" in claims or "exp" in claims:
        raise ValueError("sub or exp present")
    sub_id = claims.get("sub_id", {})
    if sub_id.get("format") != "iss_sub" or not sub_id.get("iss", "").startswith("https://cognito-idp.") or not sub_id.get("sub"):
        raise ValueError(f"sub_id {sub_id}")
    events = claims.get("events", {})
    if len(events) != 1:
        raise ValueError("not exactly one event")
    return claims["jti"], next(iter(events))


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as given:
        case = json.load(given)
    keys = {jwk["kid"]: jwk for jwk in case["jwks"]["keys"]}
    failed = False
    for index, token in enumerate(case["sets"]):
        try:
            jti, event = verify(token, keys, case["iss"], case["aud"])
            print(f"ok {jti} {event}")
        except (ValueError, KeyError, json.JSONDecodeError) as refused:
            print(f"refused {index} {refused}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
