#!/usr/bin/env python3
"""The stolen-token demo: a signed-out user's old access token refused within the second.

Signing a user out (AdminUserGlobalSignOut) revokes their refresh tokens, but their access and
ID tokens stay valid until they expire, up to an hour by default: an attacker who stole one
keeps using it. This demo shows the fix, all on this machine: a local AWS (moto), a user pool
where alice (the victim) and bob are signed in, and both of the workspace's Lambda binaries
under one `cargo lambda watch`: the responder (cognito-signout-responder), which signs alice
out and records a cutoff in a DynamoDB table, and the API Gateway authorizer
(revocation-authorizer), which checks every token against that table.

The story: the attacker's copy of alice's access token is accepted; the alert arrives; the
authorizer is asked again every 50 ms until it refuses the stolen token, and the time from the
alert to that refusal is printed, with the cutoff item, the "Cognito User Signed Out" event as
a rule delivered it, bob's token (still accepted) and alice's own new sign-in (accepted).

Then the password, too (containment, docs/containment.md): carol's password has leaked. A
sign-out alert ends her sessions, but the attacker signs straight back in with the password and
the authorizer accepts the fresh token, as it must accept carol's own; an alert that asks for
`disable` (the responder allows it here: ALLOWED_ACTIONS=sign-out,disable) disables her, the
attacker's next sign-in is refused, and the fresh token from before the lock is refused too.
And the apps hear (docs/ssf-transmitter.md): an app that keeps its own session for carol has
subscribed to the fourth binary, ssf-transmitter; the responder's event reaches it, and the app
receives, verifies and acts on `account-disabled` and `session-revoked`: its session ends too.

Then a standard signal (docs/ssf-receiver.md): dave signs in to the app with Google, so Cognito
knows him as Google_<sub>. His identity provider (here a local transmitter with its own RSA key,
its JWKS and its /.well-known/ssf-configuration) pushes a CAEP "session revoked" Security Event
Token for him to the third binary, ssf-receiver, as a function URL delivers it: 202, one alert
on the alert queue; the responder consumes it and signs dave out (his refresh token is refused,
and so is his old access token); the same SET pushed again is acknowledged with nothing queued,
and a SET signed with another key is refused (400 invalid_key). It exits non-zero if any of that does not hold, stops everything it started, and leaves its logs
in .demo/revocation/. Run it through `scripts/demo`, which installs what it needs and builds
both binaries first.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path


from demo_support import (
    PASSWORD, REGION, ROOT, LocalAws, Processes, create_pool, create_user, free_port, sign_in, wait_for_port,
)
from demo_transmitter import ISSUER as TRANSMITTER_ISSUER, AppsHear

RESPONDER = "cognito-signout-responder"
AUTHORIZER = "revocation-authorizer"
RECEIVER = "ssf-receiver"
SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
SSF_AUDIENCE = "https://app.example.com/ssf-receiver"
TEST_KEYS = ROOT / "crates" / "ssf-receiver" / "tests" / "keys"
TABLE = "revocation-cutoffs"
DETAIL_TYPE = "Cognito User Signed Out"
POLL_INTERVAL = 0.05
REFUSAL_TIMEOUT = 10.0


def claims(token: str) -> dict:
    """A JWT's payload, decoded without verification: only to show what the token says."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def clock(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%H:%M:%S")


def http_authorizer_event(authorization: str) -> dict:
    """What an HTTP API (payload format 2.0) sends its Lambda authorizer for GET /pets."""
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/GET/pets",
        "identitySource": [authorization],
        "routeKey": "GET /pets",
        "rawPath": "/pets",
        "rawQueryString": "",
        "headers": {"authorization": authorization, "host": "abcdef123.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {"accountId": "123456789012", "apiId": "abcdef123", "http": {"method": "GET", "path": "/pets"}},
    }


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Transmitter:
    """A Shared Signals transmitter on 127.0.0.1 (the identity provider's side): its issuer
    `http://127.0.0.1:<port>/google`, its keys (the committed TEST-ONLY RSA key) served as a
    JWKS, its /.well-known/ssf-configuration, and SETs signed with the `cryptography` library."""

    KID = "demo-key-1"

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        self.key = serialization.load_pem_private_key((TEST_KEYS / "test-only-rsa-private.pem").read_bytes(), None)
        self.other_key = serialization.load_pem_private_key(
            (TEST_KEYS / "test-only-rsa-other-private.pem").read_bytes(), None)
        numbers = self.key.public_key().public_numbers()
        as_bytes = lambda n: n.to_bytes((n.bit_length() + 7) // 8, "big")  # noqa: E731
        jwks = {"keys": [{"kty": "RSA", "kid": self.KID, "use": "sig", "alg": "RS256",
                          "n": b64url(as_bytes(numbers.n)), "e": b64url(as_bytes(numbers.e))}]}
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/google"
        documents = {
            "/jwks": jwks,
            "/.well-known/ssf-configuration/google": {
                "issuer": self.issuer, "jwks_uri": f"http://127.0.0.1:{self.port}/jwks",
                "delivery_methods_supported": ["urn:ietf:rfc:8935", "urn:ietf:rfc:8936"],
            },
        }
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                doc = documents.get(self.path)
                body = json.dumps(doc or {}).encode()
                self.send_response(200 if doc else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set(self, jti: str, sub: str, forged: bool = False) -> str:
        """A CAEP session-revoked SET for the transmitter's user `sub`, signed (RS256) by the
        transmitter's key, or by another key when `forged`."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        now = int(time.time())
        header = {"typ": "secevent+jwt", "alg": "RS256", "kid": self.KID}
        claims = {
            "iss": self.issuer, "aud": SSF_AUDIENCE, "jti": jti, "iat": now,
            "sub_id": {"format": "iss_sub", "iss": self.issuer, "sub": sub},
            "events": {SESSION_REVOKED: {"event_timestamp": now, "initiating_entity": "policy",
                                         "reason_admin": {"en": "Suspicious sign-in from a new country"}}},
        }
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        key = self.other_key if forged else self.key
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def stop(self) -> None:
        self.server.shutdown()


def push_event(set_token: str) -> dict:
    """What a function URL (payload format 2.0) sends the receiver for a push of `set_token`."""
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
        "headers": {"content-type": "application/secevent+jwt", "host": "abc123.lambda-url.us-east-1.on.aws"},
        "requestContext": {"accountId": "anonymous", "http": {"method": "POST", "path": "/", "sourceIp": "192.0.2.10"}},
        "body": set_token, "isBase64Encoded": False,
    }


class Demo:
    def __init__(self) -> None:
        self.processes = Processes(ROOT / ".demo" / "revocation")
        self.out = self.processes.out
        self.failures: list[str] = []

    # --- processes -------------------------------------------------------------------------

    def start(self, name: str, command: list[str]) -> tuple[subprocess.Popen, Path]:
        return self.processes.start(name, command)

    def stop_all(self) -> None:
        self.processes.stop_all()

    def check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
            print(f"   !! FAILED: {what}")
        return ok

    # --- invocations -----------------------------------------------------------------------

    def invoke(self, function: str, event: dict, timeout: float = 120) -> dict:
        url = f"{self.invoke_base}/{function}/invocations"
        request = urllib.request.Request(url, data=json.dumps(event).encode(), method="POST",
                                         headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            return {"invocationError": err.code, "body": err.read()[:300].decode(errors="replace")}

    def authorize(self, token: str) -> dict:
        return self.invoke(AUTHORIZER, http_authorizer_event(f"Bearer {token}"))

    # --- the story -------------------------------------------------------------------------

    def run(self) -> None:
        t0 = time.monotonic()
        print("\n########## a signed-out user's stolen access token: accepted before the alert, refused after it\n")
        aws = LocalAws(self.processes)
        moto_url = aws.url
        cognito = aws.client("cognito-idp")
        dynamodb = aws.client("dynamodb")
        sqs = aws.client("sqs")
        events = aws.client("events")
        print(f"local AWS (moto) on {moto_url}")

        # A pool; alice and bob signed in. The attacker holds a copy of alice's access token.
        pool_id, client_id = create_pool(cognito)
        sessions = {}
        for user in ("alice", "bob"):
            create_user(cognito, pool_id, user)
            sessions[user] = sign_in(cognito, pool_id, client_id, user)
        stolen = sessions["alice"]["AccessToken"]
        alice_sub = next(a["Value"] for a in cognito.admin_get_user(UserPoolId=pool_id, Username="alice")["UserAttributes"]
                         if a["Name"] == "sub")
        c = claims(stolen)
        print(f"user pool {pool_id}: alice (the victim) and bob signed in")
        print(f"the attacker holds alice's access token: sub {c['sub']}, signed in (auth_time) at {clock(c['auth_time'])}, "
              f"valid until {clock(c['exp'])} UTC")

        # The cutoff table, the responder's dead-letter queue, and a consumer of its events: a
        # rule on the default bus sending "Cognito User Signed Out" to a queue.
        dynamodb.create_table(TableName=TABLE, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        dlq_url = sqs.create_queue(QueueName="failed-alerts")["QueueUrl"]
        events_url = sqs.create_queue(QueueName="signed-out-events")["QueueUrl"]
        events_arn = sqs.get_queue_attributes(QueueUrl=events_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="signed-out-events", EventPattern=json.dumps({"detail-type": [DETAIL_TYPE]}))
        events.put_targets(Rule="signed-out-events", Targets=[{"Id": "queue", "Arn": events_arn}])
        print(f"cutoff table {TABLE}; rule on the default bus: detail-type \"{DETAIL_TYPE}\" -> queue signed-out-events")

        # The standard-signals story's parts: the IdP's transmitter, and the alert queue the
        # receiver puts alerts on (the responder's queue).
        self.transmitter = Transmitter()
        alerts_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]

        # The apps-hear story's parts (docs/ssf-transmitter.md): the pool that authorises the
        # apps' clients, the transmitter's KMS key, its streams table and its two queues.
        auth_pool_id, auth_client_id = create_pool(cognito, "ssf-clients")
        create_user(cognito, auth_pool_id, "operator")
        kms = aws.client("kms")
        signing_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        dynamodb.create_table(TableName="ssf-streams", BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                    {"AttributeName": "sk", "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                         {"AttributeName": "sk", "KeyType": "RANGE"}])
        deliveries_url = sqs.create_queue(QueueName="ssf-deliveries")["QueueUrl"]
        undelivered_url = sqs.create_queue(QueueName="ssf-undelivered")["QueueUrl"]
        self.apps = AppsHear(self, cognito, sqs, events_url, (auth_pool_id, auth_client_id), REGION)

        # Both functions under one cargo lambda watch, each at its own name, one configuration.
        invoke_port = free_port()
        env_file = self.out / "functions.env"
        function_env = {
            # the responder
            "DLQ_URL": dlq_url,
            "ALLOWED_USER_POOL_IDS": pool_id,
            "EVENT_BUS_NAME": "default",
            # The containment story's alert asks for `disable`; the default bound is `sign-out`.
            "ALLOWED_ACTIONS": "sign-out,disable",
            # the authorizer
            "USER_POOL_IDS": pool_id,
            "APP_CLIENT_IDS": client_id,
            "TOKEN_USE": "access",
            "REVOCATION_CACHE_SECONDS": "0",
            # the receiver (its keys discovered from the transmitter's ssf-configuration)
            "SSF_ISSUER": self.transmitter.issuer,
            "SSF_AUDIENCE": SSF_AUDIENCE,
            "SSF_USER_POOL_IDS": pool_id,
            "SSF_IDENTITY_PROVIDER": "Google",
            "ALERT_QUEUE_URL": alerts_url,
            # the transmitter (the demo invokes it as its function URL and its rule would)
            "SSF_TRANSMITTER_ISSUER": TRANSMITTER_ISSUER,
            "SSF_TRANSMITTER_AUTH_ISSUER": f"https://cognito-idp.{REGION}.amazonaws.com/{auth_pool_id}",
            "SSF_SIGNING_KEY_IDS": signing_key,
            "SSF_STREAMS_TABLE": "ssf-streams",
            "SSF_DELIVERY_QUEUE_URL": deliveries_url,
            "SSF_DEAD_LETTER_QUEUE_URL": undelivered_url,
            "SSF_ALLOW_LOOPBACK_RECEIVERS": "true",
            # all of them
            "REVOCATION_TABLE": TABLE,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
        }
        env_file.write_text("".join(f"{k}={v}\n" for k, v in function_env.items()))
        watch, watch_log = self.start("functions", [
            "cargo", "lambda", "watch", "--quiet", "--ignore-changes",
            "--invoke-address", "127.0.0.1", "--invoke-port", str(invoke_port),
            "--env-file", str(env_file), "--timeout", "120",
        ])
        wait_for_port(invoke_port, "cargo lambda watch", 300, watch, watch_log)
        self.invoke_base = f"http://127.0.0.1:{invoke_port}/2015-03-31/functions"
        print(f"{RESPONDER} and {AUTHORIZER} under cargo lambda watch on 127.0.0.1:{invoke_port}; "
              f"the authorizer reads the table on every call (REVOCATION_CACHE_SECONDS=0)")

        # Before the alert.
        print("\n== before the alert")
        answer = self.authorize(stolen)
        if not self.check(answer.get("isAuthorized") is True, f"the stolen token is accepted before the alert: {answer}"):
            return
        print(f"   GET /pets with alice's stolen access token: isAuthorized {json.dumps(answer['isAuthorized'])}, "
              f"context {json.dumps(answer.get('context', {}))}")
        print("   accepted: the attacker's stolen access token works, and a sign-out alone would leave it valid "
              f"until it expires at {clock(c['exp'])} UTC, up to an hour")
        # cargo lambda watch starts a function's process on its first call. So that the time below
        # is the responder's and not cargo's, a payload naming nobody starts it first, as a warm
        # Lambda instance would be; it ends in the dead-letter queue as malformed.
        warm = self.invoke(RESPONDER, {"warmUp": True})
        self.check(warm.get("class") == "malformed", f"the responder starts: {warm}")
        print("   (the responder's process started with a payload naming nobody, dead-lettered as malformed)")

        self.package_checks(stolen, pool_id, client_id, moto_url, time.monotonic(), before_alert=True)

        # The alert, and the authorizer asked every 50 ms until it refuses the stolen token.
        print("\n== the alert: {\"UserPoolId\": \"%s\", \"Username\": \"alice\"}, invoked directly" % pool_id)
        alert = {"UserPoolId": pool_id, "Username": "alice"}
        result: dict = {}

        def send_alert() -> None:
            result["answer"] = self.invoke(RESPONDER, alert)
            result["answered"] = time.monotonic()

        sender = threading.Thread(target=send_alert)
        sent = time.monotonic()
        sender.start()
        refused_at = None
        polls = 0
        while time.monotonic() - sent < REFUSAL_TIMEOUT:
            tick = time.monotonic()
            answer = self.authorize(stolen)
            polls += 1
            if answer.get("isAuthorized") is False:
                refused_at = time.monotonic()
                break
            if "invocationError" in answer:
                self.check(False, f"the authorizer answers: {answer}")
                break
            time.sleep(max(0.0, POLL_INTERVAL - (time.monotonic() - tick)))
        sender.join(timeout=120)
        summary = result.get("answer", {})
        self.check(summary.get("outcome") == "signed-out", f"the responder signs alice out: {summary}")
        if "answered" in result:
            print(f"   responder answered in {(result['answered'] - sent) * 1000:.0f} ms: {json.dumps(summary)}")
        if not self.check(refused_at is not None,
                          f"the stolen token is refused within {REFUSAL_TIMEOUT:.0f} s of the alert (last answer {answer})"):
            return
        self.alert_to_refusal = refused_at - sent
        print(f"   GET /pets with the stolen token: isAuthorized false ({polls} authorizer calls, one every "
              f"{POLL_INTERVAL * 1000:.0f} ms)")
        print(f"\n== REFUSED {self.alert_to_refusal * 1000:.0f} ms after the alert was sent "
              f"(instead of at {clock(c['exp'])} UTC, when the token would have expired)")
        decision = self.refusal_log(watch_log)
        if decision:
            print(f"   the authorizer's log line: {decision}")
        self.package_checks(stolen, pool_id, client_id, moto_url, sent, before_alert=False)

        # What the responder recorded.
        item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": f"{pool_id}#{alice_sub}"}}, ConsistentRead=True).get("Item")
        if self.check(item is not None, "the cutoff item is in the table"):
            plain = {k: next(iter(v.values())) for k, v in sorted(item.items())}
            print(f"\n== the cutoff in {TABLE}: {json.dumps(plain)}")
            revoked_before = int(plain["revokedBefore"])
            print(f"   alice's tokens signed in before {clock(revoked_before)} UTC are refused; the stolen one's "
                  f"auth_time is {clock(c['auth_time'])}")
            self.check(plain.get("username") == "alice" and c["auth_time"] < revoked_before,
                       "the cutoff names alice and is after the stolen token's auth_time")
        else:
            revoked_before = int(time.time()) + 1
        delivered = self.receive(sqs, events_url)
        if self.check(len(delivered) == 1, f"one event reaches the queue through the rule (got {len(delivered)})"):
            event = json.loads(delivered[0])
            shown = {k: event.get(k) for k in ("source", "detail-type")} | {"detail": event.get("detail")}
            print(f"\n== the event, as the rule delivered it to signed-out-events: {json.dumps(shown)}")
            self.check(event.get("detail", {}).get("sub") == alice_sub, "the event names alice's sub")

        # Nobody else is affected, and alice herself can sign in again.
        print("\n== everyone else")
        answer = self.authorize(sessions["bob"]["AccessToken"])
        self.check(answer.get("isAuthorized") is True, f"bob's token is still accepted: {answer}")
        print(f"   bob's access token: isAuthorized {json.dumps(answer.get('isAuthorized'))} (no alert named him)")
        wait = revoked_before - time.time()
        if wait > 0:
            time.sleep(wait + 0.05)
        fresh = sign_in(cognito, pool_id, client_id, "alice")["AccessToken"]
        answer = self.authorize(fresh)
        self.check(answer.get("isAuthorized") is True, f"alice's new sign-in is accepted: {answer}")
        print(f"   alice's new sign-in at {clock(claims(fresh)['auth_time'])} UTC (after the cutoff): "
              f"isAuthorized {json.dumps(answer.get('isAuthorized'))}")
        answer = self.authorize(stolen)
        self.check(answer.get("isAuthorized") is False, f"the stolen token stays refused: {answer}")
        print(f"   the stolen token, again: isAuthorized {json.dumps(answer.get('isAuthorized'))}")
        dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
        classes = [m.get("MessageAttributes", {}).get("ErrorClass", {}).get("StringValue") for m in dead]
        self.check(classes == ["malformed"], f"nothing dead-lettered but the warm-up: {classes}")

        self.containment(cognito, dynamodb, pool_id, client_id)
        self.signals(cognito, sqs, pool_id, client_id, alerts_url)

        print(f"\n== logs: {watch_log} (the four functions, JSON), {(self.out / 'moto.log')}; "
              f"total {time.monotonic() - t0:.1f} s; everything started here is stopped on exit")

    def package_checks(self, token: str, pool_id: str, client_id: str, moto_url: str, sent: float,
                       before_alert: bool) -> None:
        """The same token checked by a Node.js service (aws-jwt-verify and the npm package) and
        a Python one (PyJWT and the PyPI package), as packages/ builds them."""
        env = {**os.environ, "AWS_ENDPOINT_URL": moto_url, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "NODE_NO_WARNINGS": "1", "PYTHONPATH": str(ROOT / "packages" / "python" / "src")}
        jwks = f"{moto_url}/{pool_id}/.well-known/jwks.json"
        args = [pool_id, client_id, TABLE, jwks]
        for name, command in [
            ("Node.js check (aws-jwt-verify + cognito-revocation)",
             ["node", str(ROOT / "packages" / "node" / "examples" / "check-token.mjs"), *args]),
            ("Python check (PyJWT + cognito_revocation)",
             [str(ROOT / "packages" / "python" / ".venv" / "bin" / "python"),
              str(ROOT / "packages" / "python" / "examples" / "check_token.py"), *args]),
        ]:
            done = subprocess.run(command, input=token, capture_output=True, text=True, env=env, timeout=60)
            try:
                answer = json.loads(done.stdout.strip().splitlines()[-1])
            except (IndexError, ValueError):
                self.check(False, f"the {name} answers: {done.stderr[-300:]}")
                continue
            if before_alert:
                self.check(answer.get("accepted") is True, f"the {name} accepts the stolen token before the alert")
                print(f"   {name}: accepted")
            else:
                self.check(answer.get("accepted") is False and answer.get("error") in ("TokenRevokedError", "TokenRevoked"),
                           f"the {name} refuses the stolen token after the alert: {answer}")
                print(f"   {name}: refused ({answer.get('error')}), "
                      f"{(time.monotonic() - sent) * 1000:.0f} ms after the alert was sent")

    def containment(self, cognito, dynamodb, pool_id: str, client_id: str) -> None:
        """The password, too: a sign-out ends the attacker's sessions, but whoever holds the
        password signs straight back in, and the new tokens are accepted; an alert that asks for
        `disable` locks the account, and even those tokens are refused."""
        user = "carol"
        print("\n########## the attacker holds the password too: a sign-out alone lets them back in, "
              "`disable` locks them out\n")
        create_user(cognito, pool_id, user)

        def sign_in_with_password() -> dict | str:
            """The tokens of a sign-in with carol's password, or Cognito's refusal."""
            try:
                return cognito.admin_initiate_auth(
                    UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD})["AuthenticationResult"]
            except cognito.exceptions.NotAuthorizedException as err:
                return f"{err.response['Error']['Code']} ({err.response['Error']['Message']})"

        def cutoff() -> dict:
            sub = next(a["Value"] for a in cognito.admin_get_user(UserPoolId=pool_id, Username=user)["UserAttributes"]
                       if a["Name"] == "sub")
            item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": f"{pool_id}#{sub}"}}, ConsistentRead=True)
            return item.get("Item", {})

        first = sign_in_with_password()
        if not self.check(isinstance(first, dict), f"carol signs in: {first}"):
            return
        print(f"{user}'s password has leaked: the attacker holds it, and a session signed in at "
              f"{clock(claims(first['AccessToken'])['auth_time'])} UTC; the responder allows `disable` "
              f"(ALLOWED_ACTIONS=sign-out,disable)")

        # A sign-out alone.
        alert = {"UserPoolId": pool_id, "Username": user}
        sent = time.monotonic()
        summary = self.invoke(RESPONDER, alert)
        answered_ms = (time.monotonic() - sent) * 1000
        print(f"\n== a sign-out alert: {json.dumps(alert)}")
        self.check(summary.get("outcome") == "signed-out" and summary.get("actions") == ["sign-out"],
                   f"the sign-out alert signs carol out: {summary}")
        print(f"   outcome {summary.get('outcome')}, actions {json.dumps(summary.get('actions'))}, "
              f"answered in {answered_ms:.0f} ms")
        revoked_before = int(next(iter(cutoff().get("revokedBefore", {"N": "0"}).values())))
        wait = revoked_before - time.time()
        if wait > 0:
            time.sleep(wait + 0.05)
        again = sign_in_with_password()
        if not self.check(isinstance(again, dict), f"the attacker signs back in after the sign-out: {again}"):
            return
        fresh = again["AccessToken"]
        answer = self.authorize(fresh)
        self.check(answer.get("isAuthorized") is True, f"the attacker's fresh token is accepted: {answer}")
        print(f"   the attacker signs straight back in with the password: fresh tokens, auth_time "
              f"{clock(claims(fresh)['auth_time'])} UTC, not before the cutoff ({clock(revoked_before)} UTC)")
        print(f"   GET /pets with the attacker's fresh access token: isAuthorized {json.dumps(answer.get('isAuthorized'))}: "
              f"nothing can tell this sign-in from carol's own")

        # An app that keeps its own session for carol subscribes to the transmitter.
        self.apps.subscribe(pool_id, user)

        # The lock.
        alert = {"UserPoolId": pool_id, "Username": user, "Actions": ["disable"]}
        sent = time.monotonic()
        summary = self.invoke(RESPONDER, alert)
        answered_ms = (time.monotonic() - sent) * 1000
        print(f"\n== a disable alert: {json.dumps(alert)}")
        self.check(summary.get("outcome") == "signed-out" and summary.get("actions") == ["disable", "sign-out"],
                   f"the disable alert disables carol and signs her out: {summary}")
        print(f"   outcome {summary.get('outcome')}, actions {json.dumps(summary.get('actions'))} "
              f"(AdminDisableUser, then AdminUserGlobalSignOut), answered in {answered_ms:.0f} ms")
        refused = sign_in_with_password()
        refused_ms = (time.monotonic() - sent) * 1000
        enabled = cognito.admin_get_user(UserPoolId=pool_id, Username=user)["Enabled"]
        self.check(enabled is False, "carol is disabled")
        self.check(isinstance(refused, str) and refused.startswith("NotAuthorizedException"),
                   f"the attacker's next sign-in is refused: {refused}")
        print(f"   the attacker's next sign-in with the password: {refused if isinstance(refused, str) else 'ACCEPTED'}, "
              f"{refused_ms:.0f} ms after the alert was sent")
        answer = self.authorize(fresh)
        self.check(answer.get("isAuthorized") is False, f"the attacker's fresh token is refused now: {answer}")
        print(f"   GET /pets with the fresh token from before the lock: isAuthorized {json.dumps(answer.get('isAuthorized'))}")
        item = cutoff()
        actions = [a.get("S") for a in item.get("actions", {}).get("L", [])]
        self.check(actions == ["disable", "sign-out"], f"the cutoff lists the actions: {item}")
        print(f"   the cutoff: revokedBefore {clock(int(item['revokedBefore']['N']))} UTC, actions {json.dumps(actions)}; "
              f"Enabled {json.dumps(enabled)}")
        print(f"   to let carol back in once the account is checked: aws cognito-idp admin-enable-user "
              f"--user-pool-id {pool_id} --username {user} (and a new password)")
        # The app hears of it, and ends its own session.
        self.apps.hear(user, sent)

    def signals(self, cognito, sqs, pool_id: str, client_id: str, alerts_url: str) -> None:
        """A standard signal: the IdP pushes "session revoked" for a federated user, and that
        user's Cognito sessions end."""
        google_sub = "109876543210987654321"
        user = f"Google_{google_sub}"
        print("\n########## an identity provider pushes \"session revoked\" (OpenID Shared Signals): "
              "the federated user's Cognito sessions end\n")
        # In Cognito, dave signs in through the Google provider and is named Google_<sub>; moto
        # has no Google to redirect to, so the demo gives that user a password to get tokens.
        create_user(cognito, pool_id, user)
        tokens = sign_in(cognito, pool_id, client_id, user)
        print(f"dave signed in with Google: Cognito user {user}, with a refresh token and an access token")
        print(f"the IdP's transmitter: issuer {self.transmitter.issuer} (keys discovered from its "
              f"/.well-known/ssf-configuration); the receiver maps its user {google_sub} to Google_<sub>")

        def refresh() -> str:
            try:
                cognito.admin_initiate_auth(UserPoolId=pool_id, ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
                return "accepted"
            except cognito.exceptions.NotAuthorizedException as err:
                return f"refused ({err.response['Error']['Code']})"

        answer = self.authorize(tokens["AccessToken"])
        self.check(answer.get("isAuthorized") is True and refresh() == "accepted",
                   f"dave's tokens work before the signal: {answer}")

        # cargo lambda watch starts the receiver's process on its first call: a GET (answered
        # 405, nothing read) starts it first, as a warm Lambda instance would be.
        warm = push_event("")
        warm["requestContext"]["http"]["method"] = "GET"
        self.check(self.invoke(RECEIVER, warm).get("statusCode") == 405, "the receiver starts")

        # The push.
        set_token = self.transmitter.set("demo-set-1", google_sub)
        started = time.monotonic()
        pushed = self.invoke(RECEIVER, push_event(set_token))
        took = (time.monotonic() - started) * 1000
        print(f"\n== the IdP pushes a CAEP session-revoked SET (jti demo-set-1, subject iss_sub {google_sub}) to {RECEIVER}")
        self.check(pushed.get("statusCode") == 202, f"the receiver answers 202: {pushed}")
        print(f"   answer: HTTP {pushed.get('statusCode')} in {took:.0f} ms (the instance's first SET: key discovery and JWKS fetch included)")
        queued = self.receive(sqs, alerts_url)
        if not self.check(len(queued) == 1, f"one alert on the alert queue (got {len(queued)})"):
            return
        alert = json.loads(queued[0])
        print(f"   on the alert queue: {json.dumps(alert)}")
        self.check(alert.get("Username") == user and alert.get("Source") == "ssf", f"the alert names dave: {alert}")

        # The responder consumes it as its SQS event source mapping would deliver it.
        batch = {"Records": [{
            "messageId": "5f1a0c0e-5e75-4e0e-9f0a-000000000001", "body": queued[0], "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
        }]}
        answer = self.invoke(RESPONDER, batch)
        self.check(answer.get("batchItemFailures") == [], f"the responder handles the batch: {answer}")
        print(f"\n== the responder consumes it: batchItemFailures {json.dumps(answer.get('batchItemFailures'))}")
        after = refresh()
        self.check(after.startswith("refused"), f"dave's refresh token is refused: {after}")
        print(f"   dave's refresh token: {after}")
        answer = self.authorize(tokens["AccessToken"])
        self.check(answer.get("isAuthorized") is False, f"dave's old access token is refused: {answer}")
        print(f"   GET /pets with dave's old access token: isAuthorized {json.dumps(answer.get('isAuthorized'))}")

        # The same SET again, and a forged one.
        again = self.invoke(RECEIVER, push_event(set_token))
        repeated = self.receive(sqs, alerts_url)
        self.check(again.get("statusCode") == 202 and not repeated,
                   f"the same SET again is acknowledged with nothing queued: {again} {repeated}")
        print(f"\n== the same SET pushed again: HTTP {again.get('statusCode')}, {len(repeated)} alerts queued (replay by jti)")
        forged = self.invoke(RECEIVER, push_event(self.transmitter.set("demo-set-2", google_sub, forged=True)))
        body = json.loads(forged.get("body") or "{}")
        self.check(forged.get("statusCode") == 400 and body.get("err") == "invalid_key",
                   f"a SET signed with another key is refused: {forged}")
        print(f"   a SET signed with another key: HTTP {forged.get('statusCode')} {json.dumps(body)}")
        self.transmitter.stop()

    @staticmethod
    def receive(sqs, url: str) -> list[str]:
        deadline = time.monotonic() + 5
        bodies: list[str] = []
        while time.monotonic() < deadline:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            for m in messages:
                bodies.append(m["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if bodies and not messages:
                break
        return bodies

    @staticmethod
    def refusal_log(log: Path) -> str | None:
        """The authorizer's decision line for the first refusal, trimmed to what it decided and why."""
        for line in log.read_text(errors="replace").splitlines():
            start = line.find("{")
            if start < 0 or "revoked" not in line.lower():
                continue
            try:
                record = json.loads(line[start:])
            except json.JSONDecodeError:
                continue
            fields = record.get("fields", record)
            if "decision" in fields:
                keep = {k: v for k, v in fields.items() if k not in ("request",)}
                return json.dumps(keep)
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    demo = Demo()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        demo.run()
    finally:
        demo.stop_all()
    if demo.failures:
        sys.exit("revocation demo check failed: " + "; ".join(demo.failures))


if __name__ == "__main__":
    main()
