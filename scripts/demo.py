#!/usr/bin/env python3
"""The one-minute demo of cognito-signout-responder, all on this machine.

It starts a local AWS (moto), creates a user pool with a few dozen users who hold live
sessions, sends a realistic burst of alerts into an SQS queue, and lets the real function,
running under `cargo lambda watch` (a Lambda runtime emulator), consume them the way Lambda's
SQS event source mapping would: batches of up to 10, partial batch failures, redelivery after
the visibility timeout, dead-letter queues. A small proxy in front of Cognito throttles a share
of the sign-out calls, as a real burst would be throttled, so that retries and redelivery show.

It then prints who was signed out, with the proof (their old refresh tokens now fail), who kept
their session, which alerts went to which dead-letter queue and why, and how long it took; it
redrives what exhausted its retries once the throttling is over, then shows an account takeover
detected by Cognito threat protection arriving as a CloudWatch Logs subscription payload (gzip,
base64) and being signed out, with the same proof; stops everything it started, and says where
the logs are. Run it through `scripts/demo`, which installs what it needs.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import http.server
import json
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from pathlib import Path


from demo_support import ROOT, REGION, LocalAws, Processes, create_pool, create_user, free_port, sign_in, wait_for_port

FUNCTION = "cognito-signout-responder"
MAX_RECEIVE_COUNT = 3
VISIBILITY_TIMEOUT = 2


class ThrottlingProxy:
    """Forwards every request to moto, but answers a share of AdminUserGlobalSignOut calls with
    Cognito's TooManyRequestsException, as Cognito does when a burst exceeds the quota."""

    def __init__(self, upstream: str, share: float, seed: int) -> None:
        self.upstream = upstream
        self.share = share
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.throttled = 0
        self.forwarded = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep the demo's output clean
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                target = self.headers.get("x-amz-target", "")
                if target.endswith(".AdminUserGlobalSignOut") and proxy.roll():
                    payload = json.dumps({"__type": "TooManyRequestsException", "message": "Rate exceeded"}).encode()
                    self.send_response(400)
                    self.send_header("content-type", "application/x-amz-json-1.1")
                    self.send_header("x-amzn-errortype", "TooManyRequestsException")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                request = urllib.request.Request(proxy.upstream + self.path, data=body, method="POST")
                for name, value in self.headers.items():
                    if name.lower() not in ("host", "content-length", "connection"):
                        request.add_header(name, value)
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        status, headers, payload = response.status, response.headers, response.read()
                except urllib.error.HTTPError as err:
                    status, headers, payload = err.code, err.headers, err.read()
                with proxy.lock:
                    proxy.forwarded += 1
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                        self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def roll(self) -> bool:
        with self.lock:
            hit = self.random.random() < self.share
            self.throttled += hit
            return hit

    def stop(self) -> None:
        self.server.shutdown()


class Demo:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.processes = Processes(ROOT / ".demo")
        self.out = self.processes.out
        self.proxy: ThrottlingProxy | None = None

    # --- processes -------------------------------------------------------------------------

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
        return self.processes.start(name, command, env)

    def stop_all(self) -> None:
        if self.proxy:
            self.proxy.stop()
        self.processes.stop_all()

    # --- the story -------------------------------------------------------------------------

    def run(self) -> None:
        t0 = time.monotonic()
        aws = LocalAws(self.processes)
        moto_url = aws.url
        cognito = aws.client("cognito-idp")
        sqs = aws.client("sqs")
        print(f"local AWS (moto) on {moto_url}")

        # A pool with users who are signed in and hold refresh tokens.
        pool_id, client_id = create_pool(cognito)
        users = [f"user{i:02d}" for i in range(self.args.users)]
        tokens = {}
        for user in users:
            create_user(cognito, pool_id, user)
            tokens[user] = sign_in(cognito, pool_id, client_id, user)["RefreshToken"]
        live = sum(self.refresh_works(cognito, pool_id, client_id, tokens[u]) for u in users)
        print(f"user pool {pool_id}: {len(users)} users, {live} with a live session (refresh token works)")

        # Queues: the alert queue (redrive to failed-alerts, as the SAM template sets it up), and
        # the dead-letter queues by class.
        failed_url = sqs.create_queue(QueueName="failed-alerts")["QueueUrl"]
        failed_arn = sqs.get_queue_attributes(QueueUrl=failed_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bad_url = sqs.create_queue(QueueName="bad-alerts")["QueueUrl"]
        alerts_url = sqs.create_queue(QueueName="alerts", Attributes={
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": failed_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}),
        })["QueueUrl"]
        alerts_arn = sqs.get_queue_attributes(QueueUrl=alerts_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

        # Cognito behind a proxy that throttles a share of the sign-outs.
        self.proxy = ThrottlingProxy(moto_url, self.args.throttle, self.args.seed)

        # The function, under cargo lambda watch, with the configuration the template gives it.
        invoke_port = free_port()
        env_file = self.out / "function.env"
        function_env = {
            "DLQ_URL": failed_url,
            "DLQ_URL_MALFORMED": bad_url,
            "DLQ_URL_INVALID": bad_url,
            "DLQ_URL_FORBIDDEN_POOL": bad_url,
            # The decommissioned pool is still in the allow-list, as stale configuration is.
            "ALLOWED_USER_POOL_IDS": f"{pool_id},{REGION}_Decommissioned",
            "MAX_RECEIVE_COUNT": str(MAX_RECEIVE_COUNT),
            "MAX_CONCURRENCY": "10",
            "MAX_REQUESTS_PER_SECOND": "20",
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL_SQS": moto_url,
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": self.proxy.url,
            # One attempt per call, so that a throttled call shows as a retried alert.
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
        }
        env_file.write_text("".join(f"{k}={v}\n" for k, v in function_env.items()))
        watch, watch_log = self.start("function", [
            "cargo", "lambda", "watch", "--quiet", "--ignore-changes",
            "--invoke-address", "127.0.0.1", "--invoke-port", str(invoke_port),
            "--env-file", str(env_file), "--timeout", "120",
        ])
        wait_for_port(invoke_port, "cargo lambda watch", 300, watch, watch_log)
        self.invoke_url = f"http://127.0.0.1:{invoke_port}/2015-03-31/functions/{FUNCTION}/invocations"
        print(f"function under cargo lambda watch on 127.0.0.1:{invoke_port}; Cognito calls throttled at "
              f"{self.args.throttle:.0%}; MAX_RECEIVE_COUNT={MAX_RECEIVE_COUNT}")

        # The burst.
        compromised = users[: self.args.compromised]
        alerts = self.burst(pool_id, compromised)
        sent_at = time.monotonic()
        for i in range(0, len(alerts), 10):
            entries = [{"Id": str(j), "MessageBody": body} for j, (_, body) in enumerate(alerts[i:i + 10])]
            sqs.send_message_batch(QueueUrl=alerts_url, Entries=entries)
        kinds = Counter(kind for kind, _ in alerts)
        print(f"\nburst: {len(alerts)} alerts into the queue: " + ", ".join(f"{n} {k}" for k, n in kinds.items()))

        stats = self.consume(sqs, alerts_url, alerts_arn)
        drained = time.monotonic() - sent_at

        signed_out = [u for u in users if not self.refresh_works(cognito, pool_id, client_id, tokens[u])]
        kept = [u for u in users if u not in signed_out]
        failed = self.read_queue(sqs, failed_url)
        bad = self.read_queue(sqs, bad_url)

        print(f"\n== consumed in {drained:.1f} s: {stats['invocations']} invocations, {stats['records']} records delivered, "
              f"{stats['retried']} reported back for retry (batchItemFailures), "
              f"max receive count {stats['max_receive']}; {self.proxy.throttled} sign-out calls throttled")
        print(f"\n== signed out: {len(signed_out)} of the {len(compromised)} compromised users; proof: each one's old "
              f"refresh token now gets NotAuthorizedException")
        print("   " + " ".join(signed_out))
        not_yet = [u for u in compromised if u not in signed_out]
        if not_yet:
            print(f"   not yet signed out: {' '.join(not_yet)} (their alerts exhausted {MAX_RECEIVE_COUNT} throttled tries; see failed-alerts)")
        innocent = [u for u in kept if u not in compromised]
        print(f"== kept their sessions: {len(innocent)} users no alert named (refresh still works)")
        self.print_queue("failed-alerts (DLQ_URL: redrive after the cause is fixed)", failed)
        self.print_queue("bad-alerts (DLQ_URL_MALFORMED/INVALID/FORBIDDEN_POOL: fix the producer, never redrive)", bad)

        # The operator's fix: throttling is over, redrive the exhausted alerts.
        exhausted = [m for m in failed if m["attributes"].get("ErrorClass") == "retries-exhausted"]
        if exhausted:
            self.proxy.share = 0.0
            for message in exhausted:
                sqs.send_message(QueueUrl=alerts_url, MessageBody=message["body"])
            self.consume(sqs, alerts_url, alerts_arn)
            recovered = [u for u in not_yet if not self.refresh_works(cognito, pool_id, client_id, tokens[u])]
            print(f"\n== redrive: throttling over, {len(exhausted)} retries-exhausted alert(s) sent back to the alert "
                  f"queue; compromised users now signed out too: {' '.join(recovered) or 'none left'}")
            signed_out += recovered
            after = self.read_queue(sqs, failed_url)
            if after:
                self.print_queue("failed-alerts after the redrive", after)

        self.threat_protection(cognito, pool_id, client_id)

        log_lines = [line for line in watch_log.read_text(errors="replace").splitlines() if '"alert settled"' in line]
        emf = [line for line in watch_log.read_text(errors="replace").splitlines() if '"_aws"' in line]
        print(f"\n== logs: {len(log_lines)} 'alert settled' JSON lines and {len(emf)} metric documents in {watch_log}; "
              f"moto: {self.out / 'moto.log'}; proxy forwarded {self.proxy.forwarded} calls")
        print(f"== total {time.monotonic() - t0:.1f} s (setup included); everything started here is stopped on exit")

        missing = [u for u in compromised if u not in signed_out]
        wrong = [u for u in signed_out if u not in compromised]
        if missing or wrong:
            sys.exit(f"demo check failed: not signed out {missing}, wrongly signed out {wrong}")

    def threat_protection(self, cognito, pool_id: str, client_id: str) -> None:
        """An account takeover detected by Cognito threat protection, arriving as CloudWatch Logs
        delivers the pool's user-activity log to a subscribed function: gzip, then base64."""
        sessions = {}
        for user in ("takeover-victim", "quiet-user"):
            create_user(cognito, pool_id, user)
            sessions[user] = sign_in(cognito, pool_id, client_id, user)["RefreshToken"]

        def line(user: str, decision: str, level: str) -> str:
            now = int(time.time() * 1000)
            return json.dumps({
                "eventTimestamp": str(now), "eventSource": "USER_ACTIVITY", "logLevel": "INFO",
                "message": {"version": "1", "eventId": str(uuid.uuid4()), "eventType": "SignIn",
                            "userName": user, "userPoolId": pool_id, "eventResponse": "InProgress",
                            "riskLevel": level, "riskDecision": decision,
                            "compromisedCredentialDetected": "false", "ipAddress": "203.0.113.77"},
                "logSourceId": {"userPoolId": pool_id},
            })

        data = {
            "messageType": "DATA_MESSAGE", "owner": "123456789012",
            "logGroup": "/aws/vendedlogs/cognito/demo/user-activity", "logStream": f"cognito-idp-{pool_id}",
            "subscriptionFilters": ["takeover"],
            "logEvents": [
                {"id": f"{i:056d}", "timestamp": int(time.time() * 1000), "message": message}
                for i, message in enumerate([line("quiet-user", "NoRisk", "Low"),
                                             line("takeover-victim", "AccountTakeover", "High")], start=1)
            ],
        }
        payload = {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}
        print(f"\n== Cognito threat protection: a user-activity log with 2 sign-ins (quiet-user NoRisk, "
              f"takeover-victim AccountTakeover/High) as a CloudWatch Logs subscription payload "
              f"({len(payload['awslogs']['data'])} characters of base64 gzip)")
        self.proxy.share = 0.0
        answer = None
        for attempt in range(3):  # Lambda retries a failed asynchronous invocation twice
            request = urllib.request.Request(self.invoke_url, data=json.dumps(payload).encode(), method="POST",
                                             headers={"content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=180) as response:
                    answer = json.loads(response.read() or b"{}")
                break
            except urllib.error.HTTPError as err:
                print(f"   invocation failed ({err.code}): {err.read()[:200]!r}; Lambda would retry it")
        for alert in (answer or {}).get("alerts", []):
            print(f"   {alert['username']:<16} {alert['outcome']:<12} {alert.get('code') or ''}")
        victim = not self.refresh_works(cognito, pool_id, client_id, sessions["takeover-victim"])
        quiet = self.refresh_works(cognito, pool_id, client_id, sessions["quiet-user"])
        print(f"   proof: takeover-victim's old refresh token "
              f"{'now gets NotAuthorizedException' if victim else 'STILL WORKS'}; "
              f"quiet-user's {'still works' if quiet else 'FAILS'}")
        if not (victim and quiet):
            raise SystemExit("demo failed: the threat-protection takeover was not handled as expected")

    def burst(self, pool_id: str, compromised: list[str]) -> list[tuple[str, str]]:
        """The alerts of a credential-stuffing incident, from three producers, with duplicates
        and the junk a real stream carries."""
        arn = f"arn:aws:cognito-idp:{REGION}:123456789012:userpool/{pool_id}"
        alerts: list[tuple[str, str]] = []
        for i, user in enumerate(compromised):
            if i % 3 == 0:
                alerts.append(("requests", json.dumps({"UserPoolId": pool_id, "Username": user, "reason": "credential stuffing"})))
            elif i % 3 == 1:
                event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Cognito User Compromised",
                         "source": "security.alerts", "account": "123456789012", "region": REGION, "resources": [],
                         "time": "2026-11-24T12:00:00Z", "detail": {"userPoolArn": arn, "username": user, "riskScore": 97}}
                alerts.append(("EventBridge envelopes", json.dumps(event)))
            else:
                message = json.dumps({"UserPoolId": pool_id, "Username": user})
                alerts.append(("SNS notifications", json.dumps({"Type": "Notification", "MessageId": str(uuid.uuid4()),
                                                                "TopicArn": f"arn:aws:sns:{REGION}:123456789012:fraud",
                                                                "Message": message})))
        for user in compromised[:8]:
            alerts.append(("duplicates", json.dumps({"UserPoolId": pool_id, "Username": user, "reason": "second detector"})))
        alerts += [
            ("unknown users", json.dumps({"UserPoolId": pool_id, "Username": "ghost-account"})),
            ("unknown users", json.dumps({"UserPoolId": pool_id, "Username": "deleted-last-week"})),
            ("unknown pool", json.dumps({"UserPoolId": f"{REGION}_Decommissioned", "Username": "user01"})),
            ("hostile/junk", json.dumps({"UserPoolId": "eu-west-1_SomeoneElse", "Username": "admin"})),
            ("hostile/junk", "ALERT: user07 looks compromised, please act"),
            ("hostile/junk", json.dumps({"UserPoolId": pool_id})),
            ("hostile/junk", json.dumps({"UserPoolId": pool_id, "Username": "x" * 129})),
            ("hostile/junk", json.dumps({"UserPoolId": pool_id, "Username": "user\u202e10"})),
            ("hostile/junk", json.dumps({"UserPoolArn": f"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/{pool_id}",
                                          "Username": "user11"})),
        ]
        random.Random(self.args.seed).shuffle(alerts)
        return alerts

    def consume(self, sqs, queue_url: str, queue_arn: str) -> dict:
        """Lambda's SQS event source mapping, in miniature: two pollers receive batches of up to
        10, invoke the function synchronously, delete what succeeded, and leave the
        batchItemFailures to reappear after the visibility timeout."""
        stats = Counter()
        lock = threading.Lock()
        idle_since = [None]

        def poller() -> None:
            while True:
                response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                               AttributeNames=["All"], MessageAttributeNames=["All"])
                messages = response.get("Messages", [])
                if not messages:
                    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
                        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
                    if attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
                        return
                    continue
                event = {"Records": [self.sqs_record(m, queue_arn) for m in messages]}
                answer = self.invoke(event)
                failures = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
                for m in messages:
                    if m["MessageId"] not in failures:
                        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
                with lock:
                    stats["invocations"] += 1
                    stats["records"] += len(messages)
                    stats["retried"] += len(failures)
                    stats["max_receive"] = max(stats["max_receive"],
                                               *(int(m["Attributes"]["ApproximateReceiveCount"]) for m in messages))

        threads = [threading.Thread(target=poller) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return stats

    def sqs_record(self, message: dict, queue_arn: str) -> dict:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message["Attributes"],
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": REGION,
        }

    def invoke(self, event: dict) -> dict:
        request = urllib.request.Request(self.invoke_url, data=json.dumps(event).encode(), method="POST",
                                         headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=180) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            # A failed invocation: Lambda would retry the whole batch.
            print(f"   invocation failed ({err.code}): {err.read()[:200]!r}; the whole batch is retried")
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}

    @staticmethod
    def refresh_works(cognito, pool_id: str, client_id: str, token: str) -> bool:
        try:
            cognito.admin_initiate_auth(UserPoolId=pool_id, ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                        AuthParameters={"REFRESH_TOKEN": token})
            return True
        except cognito.exceptions.NotAuthorizedException:
            return False

    @staticmethod
    def read_queue(sqs, url: str) -> list[dict]:
        out = []
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                           VisibilityTimeout=0).get("Messages", [])
            if not messages:
                return out
            for m in messages:
                attributes = {k: v.get("StringValue") for k, v in m.get("MessageAttributes", {}).items()}
                out.append({"body": m["Body"], "attributes": attributes})
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    @staticmethod
    def print_queue(title: str, messages: list[dict]) -> None:
        print(f"\n== {title}: {len(messages)} messages")
        by_class = defaultdict(list)
        for m in messages:
            by_class[(m["attributes"].get("ErrorClass", "(moved by the queue's redrive policy)"),
                      m["attributes"].get("ErrorCode", ""))].append(m)
        for (error_class, code), group in sorted(by_class.items()):
            print(f"   {len(group):2d} x {error_class:<18} {code}")
            for m in group[:3]:
                body = m["body"] if len(m["body"]) <= 70 else m["body"][:67] + "..."
                print(f"        body {json.dumps(body)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40, help="users in the pool")
    parser.add_argument("--compromised", type=int, default=24, help="users named by alerts")
    parser.add_argument("--throttle", type=float, default=0.3, help="share of sign-out calls Cognito throttles")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    demo = Demo(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        demo.run()
    finally:
        demo.stop_all()


if __name__ == "__main__":
    main()
