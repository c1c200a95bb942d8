//! The shared cases of `tests/vectors/revocation.json` (its README gives the schema), decided
//! by the Rust library as the Node.js and Python packages decide them: the claims signed with
//! the test key and checked by `RevocationCheck::check_at` at the case's clock, against a
//! table scripted by the case. A case added there fails here until the library decides it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use cognito_revocation::{
    cache_ttl, AcceptedTokenUse, Cutoff, CutoffKey, CutoffStore, Decision, OnLookupError, Raise,
    Refusal, RevocationCheck, StaticKeySource, StoreError, StoreErrorClass, UnixSeconds, Verifier,
};
use serde_json::Value;

use crate::support::*;

/// The table a case scripts: items by key (DynamoDB JSON), or an error code for every read.
#[derive(Debug, Clone)]
enum Table {
    Items(HashMap<String, Value>),
    Error(String),
}

impl Table {
    fn read(spec: &Value) -> Table {
        match spec.get("error").and_then(Value::as_str) {
            Some(code) => Table::Error(code.to_owned()),
            None => Table::Items(
                spec.get("items")
                    .and_then(Value::as_object)
                    .map(|items| items.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            ),
        }
    }
}

/// A store answering as the case's table says, as the DynamoDB adapter would, and counting
/// its reads.
struct VectorTable {
    table: Mutex<Table>,
    reads: AtomicUsize,
}

impl CutoffStore for VectorTable {
    async fn revoked_before(&self, key: &CutoffKey) -> Result<Option<UnixSeconds>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        // A read takes a moment, so that checks started together find it in flight.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let table = self.table.lock().unwrap().clone();
        match table {
            Table::Error(code) => Err(StoreError::Call {
                operation: "GetItem",
                class: if code.contains("Throughput") || code.contains("Throttl") {
                    StoreErrorClass::Throttled
                } else {
                    StoreErrorClass::Unknown
                },
                code: code.clone(),
                text: code,
            }),
            Table::Items(items) => match items.get(key.as_str()) {
                None => Ok(None),
                Some(item) => item
                    .get("revokedBefore")
                    .and_then(|v| v.get("N"))
                    .and_then(Value::as_str)
                    .and_then(|n| n.parse::<u64>().ok())
                    .map(|n| Some(UnixSeconds::new(n)))
                    .ok_or_else(|| StoreError::Unreadable { key: key.clone() }),
            },
        }
    }

    async fn raise(&self, _cutoff: &Cutoff) -> Result<Raise, StoreError> {
        unreachable!("the check never writes")
    }
}

/// The decision's name in the vectors' terms.
fn outcome(decision: &Decision) -> String {
    match decision {
        Decision::Allowed(_) | Decision::AllowedUnchecked(..) => "allowed".to_owned(),
        Decision::Revoked { .. } => "revoked".to_owned(),
        Decision::LookupFailed(..) => "error:lookup".to_owned(),
        Decision::Refused(Refusal::Issuer) => "error:issuer".to_owned(),
        Decision::Refused(Refusal::MissingClaim(_)) => "error:claims".to_owned(),
        Decision::Refused(Refusal::Malformed) => "malformed".to_owned(),
        Decision::Refused(other) => format!("refused:{}", other.reason()),
    }
}

/// Whether `got` is what the case expects for `claims`. The Rust token reader refuses a
/// claim of the wrong JSON type before the check sees it (`Malformed`), where the packages
/// check claims already decoded: only for such claims does `malformed` stand for the
/// packages' `error:claims` or `error:issuer`.
fn matches(expect: &str, got: &str, claims: &Value) -> bool {
    got == expect
        || (got == "malformed"
            && matches!(expect, "error:claims" | "error:issuer")
            && wrongly_typed(claims))
}

/// Whether a claim the reader types has another JSON type: `iss` not a string, or `iat`,
/// `exp` or `auth_time` not a whole number of seconds at least 0.
fn wrongly_typed(claims: &Value) -> bool {
    let not_string = |name: &str| claims.get(name).is_some_and(|v| !v.is_string());
    let not_seconds = |name: &str| claims.get(name).is_some_and(|v| v.as_u64().is_none());
    not_string("iss") || ["iat", "exp", "auth_time"].into_iter().any(not_seconds)
}

/// The check a case's options build, or why they are refused (the library's rules for
/// `REVOCATION_CACHE_SECONDS` and `ON_LOOKUP_ERROR`); `None` when an option's JSON type is
/// the point of the case (an environment variable is always text).
fn settings(options: &Value) -> Option<Result<(Duration, OnLookupError), String>> {
    let cache = match options.get("cacheSeconds") {
        None => Ok(Duration::from_secs(1)),
        Some(Value::Number(n)) => cache_ttl(&n.to_string()).map_err(|e| e.to_string()),
        Some(_) => return None,
    };
    let on_error = match options.get("onLookupError") {
        None => Ok(OnLookupError::Deny),
        Some(Value::String(s)) => s.parse::<OnLookupError>().map_err(|e| e.to_string()),
        Some(_) => return None,
    };
    Some(cache.and_then(|c| on_error.map(|o| (c, o))))
}

#[tokio::test(start_paused = true)]
async fn every_shared_case_is_decided_as_the_packages_decide_it() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/revocation.json");
    let text = std::fs::read_to_string(&path).expect("the vector file");
    let file: Value = serde_json::from_str(&text).expect("JSON");
    let cases = file
        .get("cases")
        .and_then(Value::as_array)
        .or_else(|| file.as_array())
        .expect("cases")
        .clone();
    assert!(cases.len() >= 15, "{} cases", cases.len());
    let mut decided = 0;
    let mut not_applicable = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let options = case.get("options").cloned().unwrap_or(Value::Null);
        let Some(settings) = settings(&options) else {
            // An option of a JSON type no environment variable has: a case of the packages'
            // constructors, which must refuse it; nothing for the library to decide.
            assert_eq!(
                case.get("construction").and_then(Value::as_str),
                Some("error:config"),
                "{name}: only a refused construction may have options the library cannot read"
            );
            not_applicable += 1;
            continue;
        };
        if case.get("construction").and_then(Value::as_str) == Some("error:config") {
            assert!(settings.is_err(), "{name}: the options are refused");
            decided += 1;
            continue;
        }
        let (cache, on_error) = settings.unwrap_or_else(|e| panic!("{name}: {e}"));
        let table = VectorTable {
            table: Mutex::new(Table::read(case.get("table").unwrap_or(&Value::Null))),
            reads: AtomicUsize::new(0),
        };
        let check = RevocationCheck::new(
            Verifier::new(policy(AcceptedTokenUse::Any), StaticKeySource::new(JWKS)),
            table,
            cache,
            on_error,
        );
        let mut clock: Option<f64> = None;
        for (at, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
            let now = step["clock"].as_f64().expect("a clock");
            if let Some(before) = clock {
                tokio::time::advance(Duration::from_secs_f64(now - before)).await;
            }
            clock = Some(now);
            if let Some(spec) = step.get("table") {
                *check.store().table.lock().unwrap() = Table::read(spec);
            }
            let token = sign(&step["claims"], KID);
            let expect = step["expect"].as_str().expect("expect");
            let together = step.get("concurrent").and_then(Value::as_u64).unwrap_or(1);
            let decisions =
                futures_join(&check, &token, UnixSeconds::new(now as u64), together).await;
            for got in &decisions {
                assert!(
                    matches(expect, got, &step["claims"]),
                    "{name}, step {at}: expected {expect}, got {got}"
                );
            }
            if let Some(lookups) = step.get("lookups").and_then(Value::as_u64) {
                assert_eq!(
                    check.store().reads.load(Ordering::SeqCst) as u64,
                    lookups,
                    "{name}, step {at}: table reads"
                );
            }
        }
        decided += 1;
    }
    assert!(decided >= 15, "{decided} cases decided");
    assert_eq!(
        decided + not_applicable,
        cases.len(),
        "every case decided or named"
    );
    assert!(
        not_applicable <= 1,
        "{not_applicable} cases of the packages' types only"
    );
}

/// `together` checks of `token` at `now`, started at once; their outcomes.
async fn futures_join(
    check: &RevocationCheck<StaticKeySource, VectorTable>,
    token: &str,
    now: UnixSeconds,
    together: u64,
) -> Vec<String> {
    let checks = (0..together).map(|_| check.check_at(token, now));
    futures_util::future::join_all(checks)
        .await
        .iter()
        .map(outcome)
        .collect()
}
