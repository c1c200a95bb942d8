#!/usr/bin/env python3
"""The stolen-token story's AWS side, on moto, shared by the Node.js and Python stories
(scripts/test-packages): a user pool, an app client, a user and the cutoff table; signing the
user in; and the responder's part, signing the user out and recording the cutoff.

    harness.py setup NAME            -> {"poolId", "clientId", "username", "password", "table", ...}
    harness.py sign-in POOL CLIENT USER PASSWORD   -> the access token
    harness.py sign-out POOL USER    -> the cutoff item as stored

The endpoint is AWS_ENDPOINT_URL (moto on 127.0.0.1). Every answer is one JSON line on stdout.

The responder: with RESPONDER_BINARY set (the built `cognito-signout-responder`), `sign-out`
runs that binary on one direct invocation `{"UserPoolId", "Username"}` under a minimal Lambda
Runtime API, as the Rust tests do, so the cutoff is the one the real binary writes. Without
it, the same calls are made here: AdminUserGlobalSignOut, AdminGetUser for the `sub`, and the
responder's conditional UpdateItem (crates/cognito-revocation/src/store/dynamodb.rs), item for
item.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

TABLE = "cutoffs"
PASSWORD = "Correct-Horse-9-Battery"
RETENTION_SECONDS = 86_400
RESPONDER = "cognito-signout-responder"


def _client(service: str) -> Any:
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def setup(name: str) -> dict[str, Any]:
    """A pool, a client allowing password sign-in, a confirmed user, and the cutoff table
    (created once; its schema is the template's RevocationTable: `pk` (S) the only key)."""
    cognito, dynamodb = _client("cognito-idp"), _client("dynamodb")
    try:
        dynamodb.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.get_waiter("table_exists").wait(TableName=TABLE)
        dynamodb.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
        )
    except dynamodb.exceptions.ResourceInUseException:
        pass
    pool = cognito.create_user_pool(PoolName=name)["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName=f"{name}-app",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    username = "alice"
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=PASSWORD, Permanent=True)
    endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    return {
        "poolId": pool,
        "clientId": client,
        "username": username,
        "password": PASSWORD,
        "table": TABLE,
        "jwksUri": f"{endpoint}/{pool}/.well-known/jwks.json",
        "issuer": f"https://cognito-idp.{pool.split('_')[0]}.amazonaws.com/{pool}",
    }


def sign_in(pool: str, client: str, username: str, password: str) -> str:
    """The user's access token, from a password sign-in."""
    result = _client("cognito-idp").admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return result["AuthenticationResult"]["AccessToken"]


def _record_cutoff(pool: str, username: str, sub: str, signed_out_at: float) -> None:
    """The responder's write: revokedBefore is the sign-out moment rounded up; only ever
    raised, never lowered."""
    revoked_before = math.ceil(signed_out_at)
    try:
        _client("dynamodb").update_item(
            TableName=TABLE,
            Key={"pk": {"S": f"{pool}#{sub}"}},
            UpdateExpression="SET #rb = :rb, #exp = :exp, #pool = :pool, #user = :user, #sub = :sub, #msg = :msg, #act = :act",
            ConditionExpression="attribute_not_exists(#rb) OR #rb < :rb OR (#rb = :rb AND (attribute_not_exists(#act) OR size(#act) < :nact))",
            ExpressionAttributeNames={
                "#rb": "revokedBefore",
                "#exp": "expiresAt",
                "#pool": "userPoolId",
                "#user": "username",
                "#sub": "sub",
                "#msg": "alertMessageId",
                "#act": "actions",
            },
            ExpressionAttributeValues={
                ":rb": {"N": str(revoked_before)},
                ":exp": {"N": str(revoked_before + RETENTION_SECONDS)},
                ":nact": {"N": "1"},
                ":pool": {"S": pool},
                ":user": {"S": username},
                ":sub": {"S": sub},
                ":msg": {"S": f"story-{uuid.uuid4()}"},
                ":act": {"L": [{"S": "sign-out"}]},
            },
        )
    except _client("dynamodb").exceptions.ConditionalCheckFailedException:
        pass  # a later cutoff is already stored: kept, as the responder does


def _sub_of(pool: str, username: str) -> str:
    user = _client("cognito-idp").admin_get_user(UserPoolId=pool, Username=username)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


def sign_out(pool: str, username: str) -> dict[str, Any]:
    """Signs the user out and records their cutoff; answers the stored item."""
    binary = os.environ.get("RESPONDER_BINARY")
    if binary:
        _run_responder(binary, pool, username)
    else:
        _client("cognito-idp").admin_user_global_sign_out(UserPoolId=pool, Username=username)
        _record_cutoff(pool, username, _sub_of(pool, username), time.time())
    item = _client("dynamodb").get_item(
        TableName=TABLE, Key={"pk": {"S": f"{pool}#{_sub_of(pool, username)}"}}, ConsistentRead=True
    ).get("Item")
    if item is None:
        raise SystemExit("the sign-out recorded no cutoff")
    return {k: v.get("N", v.get("S", v.get("L"))) for k, v in item.items()}


# ---- RESPONDER_BINARY: the real binary under a minimal Lambda Runtime API ---------------


def _run_responder(binary: str, pool: str, username: str) -> None:
    """One direct invocation of the responder binary; fails unless it answers signed-out."""
    request_id = str(uuid.uuid4())
    event = json.dumps({"UserPoolId": pool, "Username": username}).encode()
    answers: dict[str, Any] = {}
    served = threading.Event()
    answered = threading.Event()
    prefix = "/2018-06-01/runtime/"

    class Api(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            if self.path != f"{prefix}invocation/next" or served.is_set():
                answered.wait(60)  # no second event: hold the poll until the run ends
                self.send_error(404)
                return
            served.set()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("lambda-runtime-aws-request-id", request_id)
            self.send_header("lambda-runtime-deadline-ms", str(int(time.time() * 1000) + 30_000))
            self.send_header(
                "lambda-runtime-invoked-function-arn",
                f"arn:aws:lambda:us-east-1:123456789012:function:{RESPONDER}",
            )
            self.send_header("lambda-runtime-trace-id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=0")
            self.send_header("content-length", str(len(event)))
            self.end_headers()
            self.wfile.write(event)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            answers[self.path] = json.loads(body or b"null")
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()
            answered.set()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sqs = _client("sqs")
    dlq = sqs.create_queue(QueueName=f"{RESPONDER}-dlq")["QueueUrl"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": RESPONDER,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "story",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{RESPONDER}",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        "DLQ_URL": dlq,
        "ALLOWED_USER_POOL_IDS": pool,
        "REVOCATION_TABLE": TABLE,
    }
    process = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not answered.wait(0.1) and process.poll() is None and time.monotonic() < deadline:
        pass
    process.terminate()
    output = process.communicate(timeout=10)[0].decode(errors="replace")
    served.set()
    answered.set()  # releases a held poll
    server.shutdown()
    answer = answers.get(f"{prefix}invocation/{request_id}/response")
    if not isinstance(answer, dict) or answer.get("outcome") != "signed-out":
        raise SystemExit(
            f"the responder binary did not sign the user out (answers: {answers}); its output:\n{output[-4000:]}"
        )


def main(argv: list[str]) -> None:
    command, args = argv[0], argv[1:]
    if command == "setup":
        result: Any = setup(*args)
    elif command == "sign-in":
        result = sign_in(*args)
    elif command == "sign-out":
        result = sign_out(*args)
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
