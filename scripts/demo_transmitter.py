"""The apps hear (docs/ssf-transmitter.md): an app that keeps its own session for carol (a web
session no Cognito call can end) subscribes to the fourth binary, ssf-transmitter, by creating
a push stream with a client-credentials token of the transmitter's authorization pool; after
the `disable` alert, the responder's "Cognito User Signed Out" event reaches the transmitter
(as its EventBridge rule delivers it), which pushes RISC `account-disabled` and CAEP
`session-revoked` SETs to the app; the app verifies each against the transmitter's JWKS (with
Python's `cryptography`, nothing of the project's) and ends carol's session.

moto serves no OAuth token endpoint, so the demo mints the app's client-credentials access
token itself, with the authorization pool's own signing key (the one moto publishes at the
pool's JWKS), as the pool's /oauth2/token would.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import moto
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TRANSMITTER = "ssf-transmitter"
ISSUER = "https://ssf.demo.example"
SCOPE_PREFIX = "ssf"
SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
ACCOUNT_DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"
CREDENTIAL_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/credential-change"
VERIFICATION = "https://schemas.openid.net/secevent/ssf/event-type/verification"
MAX_SET_BYTES = 64 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def http_event(method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    """A function URL's request (payload format 2.0)."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return {"version": "2.0", "rawPath": path, "headers": headers,
            "requestContext": {"http": {"method": method, "path": path, "sourceIp": "192.0.2.20"}},
            "body": json.dumps(body) if body is not None else "", "isBase64Encoded": False}


def body_of(answer: dict) -> dict | list | None:
    text = answer.get("body") or ""
    return json.loads(text) if text else None


def client_credentials_token(pool_id: str, region: str, client_id: str, scopes: list[str]) -> str:
    """An access token as the pool's /oauth2/token answers a client-credentials grant, signed
    with the key moto publishes for every pool."""
    resources = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
    with gzip.open(resources) as f:
        jwk = json.load(f)
    n, e, d = (int.from_bytes(unb64url(jwk[k]), "big") for k in ("n", "e", "d"))
    p, q = rsa.rsa_recover_prime_factors(n, e, d)
    key = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
                                rsa.RSAPublicNumbers(e, n)).private_key()
    now = int(time.time())
    header = {"alg": "RS256", "kid": jwk["kid"], "typ": "JWT"}
    claims = {"iss": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}", "sub": client_id,
              "client_id": client_id, "token_use": "access", "scope": " ".join(scopes),
              "iat": now, "exp": now + 3600, "version": 2, "jti": f"demo-{now}"}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def verify_set(token: str, jwks: dict, iss: str, aud: str) -> dict:
    """The claims of a SET, verified as a receiver written from RFC 7515, 8417 and SSF would:
    RS256 with the `kid`'s key of the JWKS, `typ` secevent+jwt, `iss`, `aud`, one event."""
    head, claims, signature = token.split(".")
    header = json.loads(unb64url(head))
    if header.get("alg") != "RS256" or header.get("typ") != "secevent+jwt":
        raise ValueError("invalid_request")
    key = next((k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")), None)
    if key is None:
        raise ValueError("invalid_key")
    public = rsa.RSAPublicNumbers(int.from_bytes(unb64url(key["e"]), "big"),
                                  int.from_bytes(unb64url(key["n"]), "big")).public_key()
    try:
        public.verify(unb64url(signature), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as refused:
        raise ValueError("invalid_key") from refused
    body = json.loads(unb64url(claims))
    if body.get("iss") != iss:
        raise ValueError("invalid_issuer")
    if body.get("aud") != aud:
        raise ValueError("invalid_audience")
    if len(body.get("events", {})) != 1:
        raise ValueError("invalid_request")
    return body


class App:
    """An app with sessions of its own and an RFC 8935 push endpoint: a SET it verifies that
    revokes a user's sessions or disables the account ends that user's session here."""

    def __init__(self, users_by_sub: dict[str, str]) -> None:
        self.sessions = {user: f"app-session-{user}-7c41" for user in users_by_sub.values()}
        self.users_by_sub = users_by_sub
        self.jwks: dict = {}
        self.audience = ""
        self.heard: list[tuple[float, str, dict]] = []
        self.lock = threading.Lock()
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                if length > MAX_SET_BYTES or self.headers.get("authorization") != "Bearer app-push-credential":
                    return self.answer(400 if length > MAX_SET_BYTES else 401, {"err": "authentication_failed"})
                token = self.rfile.read(length).decode(errors="replace")
                try:
                    claims = verify_set(token, app.jwks, ISSUER, app.audience)
                except (ValueError, KeyError, json.JSONDecodeError) as refused:
                    return self.answer(400, {"err": str(refused), "description": "not accepted"})
                event = next(iter(claims["events"]))
                with app.lock:
                    if event in (SESSION_REVOKED, ACCOUNT_DISABLED, CREDENTIAL_CHANGE):
                        user = app.users_by_sub.get(claims.get("sub_id", {}).get("sub", ""))
                        app.sessions.pop(user, None)
                    self.answer(202, None)
                    app.heard.append((time.monotonic(), event, claims))

            def answer(self, status: int, body: dict | None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ssf"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


class AppsHear:
    """The story, in two halves around the `disable` alert of the containment story."""

    def __init__(self, demo, cognito, sqs, events_url: str, auth_pool: tuple[str, str], region: str) -> None:
        self.demo, self.cognito, self.sqs, self.events_url = demo, cognito, sqs, events_url
        self.auth_pool_id, self.app_client_id = auth_pool
        self.region = region
        self.app: App | None = None

    def http(self, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
        return self.demo.invoke(TRANSMITTER, http_event(method, path, token, body))

    def subscribe(self, pool_id: str, user: str) -> None:
        demo = self.demo
        print("\n== the apps hear: an app keeps its own session for carol, which no Cognito call ends")
        sub = next(a["Value"] for a in self.cognito.admin_get_user(UserPoolId=pool_id, Username=user)["UserAttributes"]
                   if a["Name"] == "sub")
        self.app = App({sub: user})
        config = body_of(self.http("GET", "/.well-known/ssf-configuration")) or {}
        demo.check(config.get("issuer") == ISSUER, f"the transmitter's configuration: {config}")
        print(f"   the app's session for {user}: {self.app.sessions.get(user)}; the transmitter "
              f"({TRANSMITTER}, issuer {config.get('issuer')}) publishes {len(config)} members at "
              f"/.well-known/ssf-configuration")
        self.app.jwks = body_of(self.http("GET", "/jwks.json")) or {}
        kid = (self.app.jwks.get("keys") or [{}])[0].get("kid")
        print(f"   its JWKS: {len(self.app.jwks.get('keys', []))} key (KMS RSA_2048, kid {kid})")

        # A user's own token of the authorization pool carries no transmitter scope.
        operator = self.cognito.admin_initiate_auth(
            UserPoolId=self.auth_pool_id, ClientId=self.app_client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "operator", "PASSWORD": demo_password()})["AuthenticationResult"]["AccessToken"]
        refused = self.http("POST", "/ssf/stream", operator, {"delivery": {"method": "urn:ietf:rfc:8936"}})
        demo.check(refused.get("statusCode") == 403, f"a user's token without the scope is refused 403: {refused}")
        refusal = body_of(refused) or {}
        print(f"   a stream asked with a user's own access token of that pool: HTTP {refused.get('statusCode')} "
              f"({refusal.get('error')}: {refusal.get('error_description')})")

        token = client_credentials_token(self.auth_pool_id, self.region, self.app_client_id,
                                         [f"{SCOPE_PREFIX}/ssf.manage", f"{SCOPE_PREFIX}/ssf.read"])
        self.app.audience = self.app_client_id
        created = self.http("POST", "/ssf/stream", token, {
            "delivery": {"method": "urn:ietf:rfc:8935", "endpoint_url": self.app.url,
                         "authorization_header": "Bearer app-push-credential"},
            "events_requested": [SESSION_REVOKED, ACCOUNT_DISABLED, CREDENTIAL_CHANGE],
            "description": "the demo app's sessions"})
        stream = body_of(created) or {}
        if not demo.check(created.get("statusCode") == 201, f"the app creates its stream: {created}"):
            return
        self.stream_id = stream["stream_id"]
        print(f"   the app subscribes with a client-credentials token of client {self.app_client_id}: HTTP 201, "
              f"stream {self.stream_id}, push to {self.app.url}, events_delivered "
              f"{len(stream.get('events_delivered', []))} event types")
        verified = self.http("POST", "/ssf/verify", token, {"stream_id": self.stream_id, "state": "demo-check-1"})
        heard = [c for _, e, c in self.app.heard if e == VERIFICATION]
        demo.check(verified.get("statusCode") == 204 and heard and heard[0]["events"][VERIFICATION].get("state") == "demo-check-1",
                   f"the verification SET reaches the app: {verified} {heard}")
        print(f"   verification: HTTP {verified.get('statusCode')}; the app received and verified a "
              f"verification SET carrying state \"demo-check-1\"")
        # Events from before the subscription are not this story's.
        self.demo.receive(self.sqs, self.events_url)

    def hear(self, user: str, sent: float) -> None:
        demo = self.demo
        if self.app is None:
            return
        events = [json.loads(b) for b in demo.receive(self.sqs, self.events_url)]
        event = next((e for e in events if e.get("detail", {}).get("username") == user
                      and "disable" in e.get("detail", {}).get("actions", [])), None)
        if not demo.check(event is not None, f"the responder's event for {user}: {events}"):
            return
        received = time.monotonic()
        answer = demo.invoke(TRANSMITTER, event)
        done = time.monotonic()
        heard = [(at, e) for at, e, c in self.app.heard if e in (SESSION_REVOKED, ACCOUNT_DISABLED)]
        demo.check(answer.get("delivered") == 2 and len(heard) == 2,
                   f"the transmitter delivers two SETs: {answer} {heard}")
        demo.check(user not in self.app.sessions, f"the app ended {user}'s session: {self.app.sessions}")
        first = min((at for at, _ in heard), default=done)
        print(f"\n== the apps hear: the responder's event (as its rule delivers it) invokes {TRANSMITTER}: "
              f"{json.dumps(answer)}")
        for at, kind in sorted(heard):
            print(f"   the app: 202 to a verified {kind.rsplit('/', 1)[-1]} SET, "
                  f"{(at - sent) * 1000:.0f} ms after the alert was sent")
        print(f"   the app's session for {user}: ended ({len(self.app.sessions)} sessions left); "
              f"from the event reaching the transmitter to the app's first 202: {(first - received) * 1000:.0f} ms")
        self.app.stop()


def demo_password() -> str:
    from demo_support import PASSWORD
    return PASSWORD
