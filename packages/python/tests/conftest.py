"""The one test fixture: a fake DynamoDB client holding the cutoff table (items in DynamoDB
JSON, or a failure), recording each request; and the shared vector file."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from cognito_revocation import InvalidClaims, RevocationLookupError, TokenRevoked

POOL = "eu-west-1_TestPool1"
NOW = 1_800_000_000
VECTORS = Path(os.environ.get("VECTORS", Path(__file__).resolve().parents[3] / "tests/vectors/revocation.json"))


def service_error(code: str, status: int = 400, message: str = "simulated") -> ClientError:
    """A DynamoDB service error as botocore raises it."""
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "GetItem",
    )


class FakeTable:
    """A low-level DynamoDB client of one table: ``state`` is ``{"items": {pk: item}}`` or
    ``{"error": code}``; ``fail_with`` raises any exception instead; ``before_answer`` runs
    inside each request (to hold it in flight)."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.state: dict[str, Any] = state if state is not None else {"items": {}}
        self.requests: list[dict[str, Any]] = []
        self.fail_with: BaseException | None = None
        self.before_answer: Callable[[], None] | None = None
        self._lock = threading.Lock()

    @property
    def lookups(self) -> int:
        return len(self.requests)

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        with self._lock:
            self.requests.append(kwargs)
        state = self.state
        if self.before_answer is not None:
            self.before_answer()
        if self.fail_with is not None:
            raise self.fail_with
        if "error" in state:
            raise service_error(state["error"])
        item = state["items"].get(kwargs["Key"]["pk"]["S"])
        if item is None:
            return {"ResponseMetadata": {"HTTPStatusCode": 200}}
        names = set(kwargs.get("ExpressionAttributeNames", {}).values())
        return {"Item": {k: v for k, v in item.items() if k in names}}


def decision(run: Callable[[], Any]) -> str:
    """A check's outcome, in the vector file's words."""
    try:
        result = run()
    except TokenRevoked:
        return "revoked"
    except RevocationLookupError:
        return "error:lookup"
    except InvalidClaims as err:
        return f"error:{err.reason}"
    except Exception as err:  # noqa: BLE001 - reported, not hidden
        return f"unexpected:{err!r}"
    return "revoked" if result is True else "allowed"


def access_claims(sub: str = "sub-1", **extra: Any) -> dict[str, Any]:
    """The claims of a current access token of ``sub`` in POOL, authenticated 10 minutes ago."""
    return {
        "iss": f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}",
        "sub": sub,
        "client_id": "testclient1",
        "token_use": "access",
        "auth_time": NOW - 600,
        "iat": NOW - 60,
        "exp": NOW + 3000,
        "username": "alice",
        **extra,
    }


def cutoff(revoked_before: int, sub: str = "sub-1") -> dict[str, Any]:
    """A table holding ``sub``'s cutoff at ``revoked_before``."""
    return {"items": {f"{POOL}#{sub}": {"revokedBefore": {"N": str(revoked_before)}}}}


def vector_cases() -> list[dict[str, Any]]:
    return json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]


@pytest.fixture
def table() -> FakeTable:
    return FakeTable()
