"""What the demo's stories share: the repository's paths and test values, free loopback
ports, the processes a story starts (each logging to its own file, all stopped at the end),
the local AWS (moto on 127.0.0.1) and its clients, and a user pool with signed-in users.

`scripts/demo.py` and `scripts/demo_revocation.py` import it; neither sets these up itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config as BotoConfig

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
PASSWORD = "Correct-Horse-9-Battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, what: str, timeout: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{what} exited early; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{what} did not start within {timeout:.0f} s; see {log}")


class Processes:
    """The processes of one story, each in its own session with its log in `out`."""

    def __init__(self, out: Path) -> None:
        self.out = out
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        self.running: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
        log = self.out / f"{name}.log"
        handle = open(log, "w")
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, cwd=ROOT, start_new_session=True)
        self.running.append(process)
        return process, log

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in self.running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()


class LocalAws:
    """moto on a free loopback port, started by `processes`, and clients for it."""

    def __init__(self, processes: Processes) -> None:
        port = free_port()
        moto, log = processes.start("moto", ["moto_server", "-H", "127.0.0.1", "-p", str(port)])
        wait_for_port(port, "moto_server", 60, moto, log)
        self.url = f"http://127.0.0.1:{port}"
        self.session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                             region_name=REGION)
        self.config = BotoConfig(retries={"max_attempts": 1})

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.url, config=self.config)

    def function_env(self) -> dict[str, str]:
        """The variables that point a function binary at this local AWS."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
        }


def create_pool(cognito, name: str = "customers") -> tuple[str, str]:
    """A user pool and an app client that allows admin password sign-in and refresh."""
    pool_id = cognito.create_user_pool(PoolName=name)["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web-app",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def create_user(cognito, pool_id: str, user: str) -> None:
    """`user` with the demo's permanent password."""
    cognito.admin_create_user(UserPoolId=pool_id, Username=user, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=user, Password=PASSWORD, Permanent=True)


def sign_in(cognito, pool_id: str, client_id: str, user: str) -> dict:
    """`user`'s tokens (`AccessToken`, `IdToken`, `RefreshToken`) from a password sign-in."""
    auth = cognito.admin_initiate_auth(UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD})
    return auth["AuthenticationResult"]
