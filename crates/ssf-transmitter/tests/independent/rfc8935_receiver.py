#!/usr/bin/env python3
"""A push receiver written only from RFC 8935 (and RFC 8417 for the SET), with Python's
standard library and `cryptography`: nothing of the transmitter's code or crates.

Usage: rfc8935_receiver.py CASE.json. CASE holds {"jwks": {...}, "iss": ..., "aud": ...,
"authorization": ..., "expect": N}. It listens on 127.0.0.1 (a free port, printed first as
`port <n>`), and for each POST:
- a Content-Type other than application/secevent+jwt, or a missing or wrong Authorization:
  400 `invalid_request` or `authentication_failed`;
- a SET whose signature does not verify with the JWKS key its `kid` names: 400 `invalid_key`;
  another `iss`: 400 `invalid_issuer`; another `aud`: 400 `invalid_audience`;
- otherwise 202, and a line `accepted <jti> <event type>`.
Each refusal prints `refused <err>`. It exits after N POSTs, or after 30 s in any case (a
test that waits for it never hangs).
"""

from __future__ import annotations

import base64
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def judge(token: str, case: dict) -> tuple[str, dict | None]:
    """The RFC 8935 `err` for `token`, or "" and its claims."""
    try:
        head, body, signature = token.split(".")
        header = json.loads(b64url(head))
        claims = json.loads(b64url(body))
    except ValueError:
        return "invalid_request", None
    key = next((k for k in case["jwks"]["keys"] if k.get("kid") == header.get("kid")), None)
    if header.get("alg") != "RS256" or key is None:
        return "invalid_key", None
    public = rsa.RSAPublicNumbers(int.from_bytes(b64url(key["e"]), "big"), int.from_bytes(b64url(key["n"]), "big"))
    try:
        public.public_key().verify(b64url(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return "invalid_key", None
    if claims.get("iss") != case["iss"]:
        return "invalid_issuer", None
    if claims.get("aud") != case["aud"]:
        return "invalid_audience", None
    if not isinstance(claims.get("events"), dict) or len(claims["events"]) != 1 or "jti" not in claims:
        return "invalid_request", None
    return "", claims


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as given:
        case = json.load(given)
    seen = 0

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            nonlocal seen
            seen += 1
            length = int(self.headers.get("content-length") or 0)
            token = self.rfile.read(min(length, 65536)).decode(errors="replace")
            if self.headers.get("content-type") != "application/secevent+jwt":
                err, claims = "invalid_request", None
            elif self.headers.get("authorization") != case["authorization"]:
                err, claims = "authentication_failed", None
            else:
                err, claims = judge(token, case)
            if err:
                body = json.dumps({"err": err, "description": "refused by the test receiver"}).encode()
                self.send_response(400)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                print(f"refused {err}", flush=True)
            else:
                self.send_response(202)
                self.send_header("content-length", "0")
                self.end_headers()
                print(f"accepted {claims['jti']} {next(iter(claims['events']))}", flush=True)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 1
    print(f"port {server.server_address[1]}", flush=True)
    deadline = time.monotonic() + 30
    while seen < case["expect"] and time.monotonic() < deadline:
        server.handle_request()
    return 0 if seen >= case["expect"] else 1


if __name__ == "__main__":
    sys.exit(main())
