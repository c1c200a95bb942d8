"""The cutoff table: one strongly consistent ``GetItem`` of ``revokedBefore``, and the class
of its failures. The table is the one the responder writes: key ``pk`` (S)
``<userPoolId>#<sub>``, ``revokedBefore`` (N) Unix seconds."""

from __future__ import annotations

import re
import threading
from typing import Any, Protocol

from ._errors import LookupErrorClass, RevocationLookupError

KEY_ATTRIBUTE = "pk"
"""The table's only key attribute (S): ``<userPoolId>#<sub>``."""
REVOKED_BEFORE_ATTRIBUTE = "revokedBefore"
"""Tokens authenticated before this moment (N, Unix seconds) are refused."""

# Error codes that mean "slow down" (the workspace's one list, from the Rust library).
_THROTTLING_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "ProvisionedThroughputExceededException",
    }
)
MAX_ERROR_TEXT = 512
MAX_ERROR_CODE = 128
_U64_MAX = 2**64 - 1
_WHOLE = re.compile(r"\+?[0-9]+")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class GetItemClient(Protocol):
    """What the check needs of a DynamoDB client: the low-level ``get_item``. A
    ``boto3.client("dynamodb")`` is one; tests pass a fake."""

    def get_item(self, **kwargs: Any) -> Any: ...


def _bounded(text: str, limit: int) -> str:
    escaped = _CONTROL.sub(lambda m: f"\\u{{{ord(m.group()):x}}}", text)
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def _describe(err: BaseException) -> tuple[LookupErrorClass, str, str]:
    """The class, code and one-line description of a failed ``get_item``."""
    from botocore import exceptions as bx

    status: int | None = None
    error_class: LookupErrorClass
    if isinstance(err, bx.ClientError):
        code = str(err.response.get("Error", {}).get("Code") or "Unknown")
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = str(err.response.get("Error", {}).get("Message") or "")
        if code in _THROTTLING_CODES:
            error_class = "throttled"
        elif code in ("InternalServerError", "ServiceUnavailable"):
            error_class = "internal"
        elif status == 429:
            error_class = "throttled"
        elif isinstance(status, int) and 500 <= status <= 599:
            error_class = "internal"
        else:
            error_class = "unknown"
    elif isinstance(err, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        error_class, code, message = "transport", "Timeout", str(err)
    elif isinstance(err, (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.HTTPClientError)):
        error_class, code, message = "transport", "ConnectionFailure", str(err)
    else:
        error_class, code, message = "unknown", type(err).__name__, str(err)
    code = _bounded(code, MAX_ERROR_CODE)
    detail = f"{code} (HTTP {status}): {message}" if status is not None else f"{code}: {message}"
    return error_class, code, _bounded(detail, MAX_ERROR_TEXT)


def read_revoked_before(client: GetItemClient, table_name: str, key: str) -> int | None:
    """``key``'s ``revokedBefore``, ``None`` when the user has no cutoff. Raises
    ``RevocationLookupError`` when the read fails or the item has no whole-number
    ``revokedBefore``."""
    try:
        output = client.get_item(
            TableName=table_name,
            Key={KEY_ATTRIBUTE: {"S": key}},
            # Strongly consistent: an eventually consistent read can miss a cutoff written a
            # moment ago and let the stolen token through, the very window the check closes.
            ConsistentRead=True,
            ProjectionExpression="#rb",
            ExpressionAttributeNames={"#rb": REVOKED_BEFORE_ATTRIBUTE},
        )
    except Exception as err:
        error_class, code, detail = _describe(err)
        raise RevocationLookupError(key, error_class, code, detail) from err
    item = output.get("Item") if isinstance(output, dict) else None
    if item is None:
        return None
    value = item.get(REVOKED_BEFORE_ATTRIBUTE)
    number = value.get("N") if isinstance(value, dict) else None
    if isinstance(number, str) and _WHOLE.fullmatch(number):
        secs = int(number)
        if secs <= _U64_MAX:
            return secs
    raise RevocationLookupError(
        key, "unknown", "UnreadableItem", "the cutoff item has no whole-number revokedBefore"
    )


_shared_client: Any = None
_shared_lock = threading.Lock()


def shared_client() -> Any:
    """The process's one client for checks that name none: region and credentials from the
    environment, and a short time limit (1 s per attempt, 2 attempts), since a request waits
    on it."""
    global _shared_client
    with _shared_lock:
        if _shared_client is None:
            import boto3
            from botocore.config import Config

            _shared_client = boto3.client(
                "dynamodb",
                config=Config(
                    connect_timeout=1,
                    read_timeout=1,
                    retries={"total_max_attempts": 2, "mode": "standard"},
                ),
            )
        return _shared_client
