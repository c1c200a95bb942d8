"""The check's behaviours beyond the vectors: the request, errors, threads, the cache."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

from cognito_revocation import (
    MAX_CACHED_LOOKUPS,
    InvalidClaims,
    RevocationCheck,
    RevocationLookupError,
    TokenRevoked,
)
from cognito_revocation._cache import LookupCache

from .conftest import NOW, POOL, FakeTable, access_claims, cutoff, service_error


def test_the_lookup_is_one_strongly_consistent_get_item_of_revoked_before(table: FakeTable) -> None:
    RevocationCheck("cutoffs", cache_seconds=0, client=table).check(access_claims())
    assert table.requests == [
        {
            "TableName": "cutoffs",
            "Key": {"pk": {"S": f"{POOL}#sub-1"}},
            "ConsistentRead": True,
            "ProjectionExpression": "#rb",
            "ExpressionAttributeNames": {"#rb": "revokedBefore"},
        }
    ]


def test_a_revoked_token_says_whom_and_when() -> None:
    check = RevocationCheck("cutoffs", client=FakeTable(cutoff(NOW - 300)))
    with pytest.raises(TokenRevoked) as caught:
        check.check(access_claims())
    assert caught.value.key == f"{POOL}#sub-1"
    assert caught.value.authenticated_at == NOW - 600
    assert caught.value.revoked_before == NOW - 300


def test_claims_that_are_not_a_cognito_users_are_never_repeated_in_the_error(table: FakeTable) -> None:
    check = RevocationCheck("cutoffs", client=table)
    secret = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2ln"
    for claims in (access_claims(iss=f"https://evil.example/{secret}"), access_claims(sub=f"{secret}\n")):
        with pytest.raises(InvalidClaims) as caught:
            check.check(claims)
        assert secret not in str(caught.value) and "evil" not in str(caught.value)
        assert isinstance(caught.value, ValueError)
    assert table.lookups == 0


@pytest.mark.parametrize(
    ("thrown", "error_class", "code"),
    [
        (service_error("ProvisionedThroughputExceededException"), "throttled", "ProvisionedThroughputExceededException"),
        (service_error("Whatever", 429), "throttled", "Whatever"),
        (service_error("InternalServerError", 500), "internal", "InternalServerError"),
        (service_error("Whatever", 503), "internal", "Whatever"),
        (service_error("ResourceNotFoundException"), "unknown", "ResourceNotFoundException"),
        (ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"), "transport", "Timeout"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "transport", "ConnectionFailure"),
    ],
    ids=["throughput", "429", "internal", "503", "missing-table", "timeout", "connection"],
)
def test_a_lookup_error_knows_its_class_and_keeps_the_sdks_error(
    table: FakeTable, thrown: Exception, error_class: str, code: str
) -> None:
    table.fail_with = thrown
    with pytest.raises(RevocationLookupError) as caught:
        RevocationCheck("t", client=table).check(access_claims())
    assert caught.value.error_class == error_class
    assert caught.value.code == code
    assert caught.value.__cause__ is thrown


def test_a_one_megabyte_error_message_is_bounded_on_one_line(table: FakeTable) -> None:
    table.fail_with = service_error("ValidationException", 400, "line one\nforged line" + "é" * 500_000)
    with pytest.raises(RevocationLookupError) as caught:
        RevocationCheck("t", client=table).check(access_claims())
    text = str(caught.value)
    assert len(text) < 700 and "\n" not in text and text.endswith("…")


def test_under_allow_an_unreadable_table_is_not_revoked_and_is_logged(
    table: FakeTable, caplog: pytest.LogCaptureFixture
) -> None:
    table.state = {"error": "InternalServerError"}
    check = RevocationCheck("t", on_lookup_error="allow", client=table)
    with caplog.at_level(logging.WARNING, logger="cognito_revocation"):
        assert check.is_revoked(access_claims()) is False
        check.check(access_claims())
    assert "InternalServerError" in caplog.text and "eyJ" not in caplog.text


def test_1000_concurrent_checks_of_one_user_make_one_get_item() -> None:
    table = FakeTable(cutoff(NOW - 300))
    table.before_answer = lambda: time.sleep(0.1)
    check = RevocationCheck("cutoffs", client=table)

    def one(_: int) -> str:
        try:
            check.check(access_claims())
        except TokenRevoked:
            return "revoked"
        return "allowed"

    with ThreadPoolExecutor(max_workers=100) as pool:
        outcomes = list(pool.map(one, range(1000)))
    assert outcomes == ["revoked"] * 1000
    assert table.lookups == 1


def test_concurrent_checks_of_different_users_each_read_their_own_cutoff() -> None:
    table = FakeTable(cutoff(NOW - 300, "sub-3"))
    table.before_answer = lambda: time.sleep(0.05)
    check = RevocationCheck("cutoffs", client=table)
    subs = [f"sub-{i}" for i in range(10)] * 2
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda sub: check.is_revoked(access_claims(sub)), subs))
    assert answers == [sub == "sub-3" for sub in subs]
    assert table.lookups == 10


def test_the_cache_is_per_table_and_per_process(table: FakeTable) -> None:
    RevocationCheck("a", client=table).check(access_claims())
    RevocationCheck("a", client=table).check(access_claims())
    assert table.lookups == 1
    RevocationCheck("b", client=table).check(access_claims())
    assert table.lookups == 2


def test_the_cache_keeps_at_most_its_bound_dropping_expired_lookups_first() -> None:
    cache = LookupCache()
    now = [0.0]
    for i in range(MAX_CACHED_LOOKUPS):
        cache.lookup(f"k{i}", 1, lambda: now[0], lambda: None)
    assert len(cache) == MAX_CACHED_LOOKUPS
    now[0] = 0.5
    cache.lookup("fresh", 1, lambda: now[0], lambda: None)
    assert len(cache) == 1, "all fresh and full: cleared, then the new one"
    for i in range(MAX_CACHED_LOOKUPS - 2):
        cache.lookup(f"old{i}", 1, lambda: now[0], lambda: None)
    now[0] = 1.6
    for i in range(3):
        cache.lookup(f"new{i}", 1, lambda: now[0], lambda: None)
    assert len(cache) == 3


@pytest.mark.parametrize(
    "bad",
    [
        {"table_name": ""},
        {"table_name": "t", "cache_seconds": 301},
        {"table_name": "t", "cache_seconds": True},
        {"table_name": "t", "on_lookup_error": "ALLOW"},
        {"table_name": "t", "client": object()},
    ],
)
def test_bad_settings_are_refused_when_the_check_is_built(bad: dict) -> None:
    with pytest.raises((TypeError, ValueError)):
        RevocationCheck(**bad)


def test_claims_as_pyjwt_returns_them_are_judged() -> None:
    jwt = pytest.importorskip("jwt")
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    issuer = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
    token = jwt.encode(access_claims(auth_time=now - 600, iat=now - 60, exp=now + 600), key, algorithm="RS256")
    claims = jwt.decode(token, key.public_key(), algorithms=["RS256"], issuer=issuer)
    check = RevocationCheck("cutoffs", cache_seconds=0, client=FakeTable(cutoff(now - 300)))
    with pytest.raises(TokenRevoked):
        check.check(claims)
    fresh = jwt.decode(
        jwt.encode(access_claims(auth_time=now, iat=now, exp=now + 600), key, algorithm="RS256"),
        key.public_key(),
        algorithms=["RS256"],
        issuer=issuer,
    )
    check.check(fresh)
