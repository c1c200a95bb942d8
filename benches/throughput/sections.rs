//! The sections of the benchmark beside the throughput table: what the defaults and floods,
//! containment, an alert storm, revocation and the first call into an account cost.

use super::*;

/// What each containment action set costs: 100 unique alerts asking it, no cap,
/// `MAX_CONCURRENCY=10`, revocation off; every call (the actions, the reset's status read)
/// answered after the same latency.
pub(crate) async fn containment_cost(stub: &StubProcess, url: &str, latency_ms: u64) {
    println!("## What containment adds (100 unique alerts, no cap, MAX_CONCURRENCY=10, every call {latency_ms} ms)");
    println!();
    println!("| actions | user-update calls | time (ms) | per alert, wall (ms) | CPU/alert (us) |");
    println!("|---|---|---|---|---|");
    let allowed = [("ALLOWED_ACTIONS", "sign-out,reset-password,disable")];
    for (round, actions) in [
        "sign-out",
        "disable",
        "reset-password",
        "reset-password,disable",
    ]
    .into_iter()
    .enumerate()
    {
        let responder = responder_with(url, 10, None, &allowed).await;
        let records: Vec<Record> = (0..100)
            .map(|i| Record {
                message_id: format!("c{round}-{i}"),
                body: serde_json::json!({"UserPoolId": "us-east-1_Bench", "Username": format!("contain{round}-{i}"), "Actions": actions}).to_string(),
                receive_count: Some(1),
                group_id: None,
                source_arn: None,
                origin: Default::default(),
                provenance: Default::default(),
            })
            .collect();
        let batch = Batch {
            source: Source::Sqs { fifo: false },
            records,
        };
        let cpu_before = process_cpu_time();
        let started = Instant::now();
        let report = responder.settle(&batch, far()).await;
        let elapsed = started.elapsed();
        let cpu = process_cpu_time() - cpu_before;
        assert_eq!(
            report.count(OutcomeKind::SignedOut),
            100,
            "every alert signed out"
        );
        let calls = stub.arrivals().len();
        println!(
            "| {actions} | {calls} | {:.0} | {:.1} | {:.0} |",
            elapsed.as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() * 1000.0 / 100.0,
            cpu.as_secs_f64() * 1e6 / 100.0,
        );
    }
}

/// An alert storm: 100 users, each named by one alert in each of 10 invocations of one
/// instance (a detector firing at every sign-in attempt). Alerts that carry the time they were
/// raised (SQS `SentTimestamp`, before the first sign-out) are skipped once their user is
/// signed out; alerts without a time (the behaviour before issue 18, where nothing was
/// remembered) cost one call each per invocation.
pub(crate) async fn storm(stub: &StubProcess, url: &str, latency_ms: u64) {
    println!("## An alert storm (100 users x 10 alerts over 10 invocations of one instance, MAX_CONCURRENCY=10, no cap, every call {latency_ms} ms)");
    println!();
    println!("| alerts carry their time | sign-out calls | time for the 10 invocations (ms) | already signed out |");
    println!("|---|---|---|---|");
    let raised = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
        .saturating_sub(60_000);
    for timed in [false, true] {
        let responder = responder(url, 10, None).await;
        stub.arrivals();
        let started = Instant::now();
        let mut skipped = 0;
        for round in 0..10 {
            let records: Vec<serde_json::Value> = (0..100)
                .map(|u| {
                    let mut attributes = serde_json::json!({"ApproximateReceiveCount": "1"});
                    if timed {
                        attributes["SentTimestamp"] = serde_json::json!(raised.to_string());
                    }
                    serde_json::json!({
                        "messageId": format!("s{timed}-{round}-{u}"),
                        "eventSource": "aws:sqs",
                        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
                        "body": serde_json::json!({"UserPoolId": "us-east-1_Bench", "Username": format!("storm{timed}-{u}")}).to_string(),
                        "attributes": attributes,
                    })
                })
                .collect();
            let payload = serde_json::json!({"Records": records}).to_string();
            let raw: Box<serde_json::value::RawValue> =
                serde_json::from_str(&payload).expect("JSON");
            let batch = Batch::from_payload(&raw, "storm");
            let report = responder.settle(&batch, far()).await;
            assert_eq!(report.count(OutcomeKind::SignedOut), 100);
            skipped += report.already_signed_out;
        }
        let elapsed = started.elapsed();
        println!(
            "| {} | {} | {:.0} | {skipped} |",
            if timed {
                "yes (SentTimestamp)"
            } else {
                "no (as before)"
            },
            stub.arrivals().len(),
            elapsed.as_secs_f64() * 1000.0,
        );
    }
}

/// Two cases a user feels: a small batch on an idle instance at the default settings
/// (`MAX_CONCURRENCY=10`, `MAX_REQUESTS_PER_SECOND=20`), and a flood of 1,000 junk alerts in
/// one invocation (every one dead-lettered).
pub(crate) async fn defaults_and_floods(stub: &StubProcess, url: &str, latency_ms: u64) {
    println!("## At the default settings (MAX_CONCURRENCY=10, MAX_REQUESTS_PER_SECOND=20)");
    println!();
    println!("| case | time (ms) | Cognito calls | SQS requests | letters |");
    println!("|---|---|---|---|---|");
    for round in 0..3 {
        // A fresh instance each round: its rate window is empty, as on an idle instance.
        let responder = responder(url, 10, Some(20)).await;
        let (batch, unique) = batch(10, false, 5_000 + round);
        let started = Instant::now();
        let report = responder.settle(&batch, far()).await;
        let elapsed = started.elapsed();
        assert_eq!(
            report.count(OutcomeKind::SignedOut),
            10,
            "every alert signed out"
        );
        let calls = stub.arrivals().len();
        assert_eq!(calls, unique);
        println!(
            "| 10 alerts, idle instance, run {} (one round trip is {latency_ms} ms) | {:.0} | {calls} | 0 | 0 |",
            round + 1,
            elapsed.as_secs_f64() * 1000.0
        );
    }
    for round in 0..3 {
        let responder = responder(url, 10, Some(20)).await;
        let junk = Batch {
            source: Source::Sqs { fifo: false },
            records: (0..1000)
                .map(|i| Record {
                    message_id: format!("junk{round}-{i}"),
                    body: format!("not an alert {i}"),
                    receive_count: Some(1),
                    group_id: None,
                    source_arn: Some("arn:aws:sqs:us-east-1:123456789012:alerts".into()),
                    origin: Default::default(),
                    provenance: Default::default(),
                })
                .collect(),
        };
        stub.dead_letters();
        let started = Instant::now();
        let report = responder.settle(&junk, far()).await;
        let elapsed = started.elapsed();
        assert_eq!(
            report.count(OutcomeKind::DeadLettered),
            1000,
            "every junk alert dead-lettered"
        );
        let (requests, letters) = stub.dead_letters();
        assert_eq!(letters, 1000, "every letter reached the queue");
        println!(
            "| 1,000 junk alerts, run {} | {:.0} | 0 | {requests} | {letters} |",
            round + 1,
            elapsed.as_secs_f64() * 1000.0
        );
    }
}

/// What revocation adds: 100 unique alerts, no cap, `MAX_CONCURRENCY=10`, with the cutoff
/// table and the event bus off, then on (each of `AdminGetUser`, `UpdateItem`, `PutEvents`
/// answered after the same latency as a sign-out).
pub(crate) async fn revocation_cost(stub: &StubProcess, url: &str, latency_ms: u64) {
    println!("## What revocation adds (100 unique alerts, no cap, MAX_CONCURRENCY=10, every call {latency_ms} ms)");
    println!();
    println!("| revocation | time (ms) | per alert, wall (ms) | CPU/alert (us) |");
    println!("|---|---|---|---|");
    for (round, on) in [false, true, false, true].into_iter().enumerate() {
        let responder = revoking_responder(url, 10, None, on).await;
        let (batch, unique) = batch(100, false, 7_000 + round);
        let cpu_before = process_cpu_time();
        let started = Instant::now();
        let report = responder.settle(&batch, far()).await;
        let elapsed = started.elapsed();
        let cpu = process_cpu_time() - cpu_before;
        assert_eq!(
            report.count(OutcomeKind::SignedOut),
            100,
            "every alert signed out"
        );
        if on {
            assert_eq!(report.cutoffs_recorded, unique, "one cutoff per user");
            assert_eq!(report.events_published, unique, "one event per user");
        }
        stub.arrivals();
        println!(
            "| {} | {:.0} | {:.1} | {:.0} |",
            if on { "on (table and bus)" } else { "off" },
            elapsed.as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() * 1000.0 / 100.0,
            cpu.as_secs_f64() * 1e6 / 100.0,
        );
    }
    // Threat-protection takeovers whose lines name the user's sub: the sub written is still
    // Cognito's own (`AdminGetUser`, made while the sign-out runs), never the line's.
    for round in 0..2 {
        let responder = revoking_responder(url, 10, None, true).await;
        let lines: Vec<String> = (0..100)
            .map(|u| activity_line(POOL, 8_000 + round * 100 + u, true))
            .collect();
        let (payload, _) = log_payload(&lines);
        let raw: Box<serde_json::value::RawValue> =
            serde_json::from_str(&payload).expect("a JSON payload");
        let batch = Batch::from_payload_in(&raw, "bench", Some("123456789012"));
        let cpu_before = process_cpu_time();
        let started = Instant::now();
        let report = responder.settle(&batch, far()).await;
        let elapsed = started.elapsed();
        let cpu = process_cpu_time() - cpu_before;
        assert_eq!(
            report.count(OutcomeKind::SignedOut),
            100,
            "every takeover signed out"
        );
        assert_eq!(report.cutoffs_recorded, 100, "one cutoff per user");
        stub.arrivals();
        println!(
            "| on, 100 takeover lines naming their sub (the sub read from Cognito) | {:.0} | {:.1} | {:.0} |",
            elapsed.as_secs_f64() * 1000.0,
            elapsed.as_secs_f64() * 1000.0 / 100.0,
            cpu.as_secs_f64() * 1e6 / 100.0,
        );
    }
}

/// The cost of the first call into a new account (docs/deployment.md#pools-in-many-accounts): on moto (which
/// separates accounts by the assumed role's credentials), one pool in each of
/// `BENCH_ACCOUNTS` member accounts with two users; each account's first alert pays
/// `sts:AssumeRole` and a new regional client, its second reuses both. The own account's
/// alerts (no role) are the baseline. Skipped without `$MOTO_SERVER`.
pub(crate) async fn first_call_into_an_account() {
    use test_support::moto::{self, Moto};
    println!(
        "## The first call into a new account (moto: sts:AssumeRole and AdminUserGlobalSignOut)"
    );
    println!();
    if std::env::var("MOTO_SERVER").is_err() {
        println!("skipped: set MOTO_SERVER (scripts/bench does)");
        return;
    }
    let accounts = knob("BENCH_ACCOUNTS", 10) as usize;
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let own_cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let own_pool = moto::create_pool(&own_cognito, "own").await;
    let mut members = Vec::new();
    for i in 0..accounts {
        let account = format!("2222222222{i:02}");
        let member_sdk = moto::account_sdk(&sdk, &account).await;
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&member_sdk);
        let pool = moto::create_pool(&cognito, "member").await;
        for user in ["first", "second"] {
            moto::create_user(&cognito, &pool, user).await;
        }
        members.push((account, pool.id));
    }
    for user in ["first", "second"] {
        moto::create_user(&own_cognito, &own_pool, user).await;
    }
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dlq = moto::create_queue(&sqs, "bench-dlq").await;
    let mut allowed: Vec<String> = members
        .iter()
        .map(|(account, pool)| format!("arn:aws:cognito-idp:us-east-1:{account}:userpool/{pool}"))
        .collect();
    allowed.push(own_pool.id.clone());
    let config = Config::from_vars(
        [
            ("DLQ_URL", dlq),
            ("CROSS_ACCOUNT_ROLE_NAME", "member".to_owned()),
            ("ALLOWED_USER_POOL_IDS", allowed.join(",")),
            // The default cap (20 calls a second) would hold the 21st call of this quick
            // sequence for most of a second: measured here is the account's cost, not the cap.
            ("MAX_REQUESTS_PER_SECOND", "unlimited".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    )
    .expect("bench configuration");
    let responder = aws_responder(&sdk, &config, Timeouts::default());
    let alert = |body: serde_json::Value| {
        let record = serde_json::json!({"messageId": "m1", "body": body.to_string(), "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:alerts",
            "attributes": {"ApproximateReceiveCount": "1"}});
        Batch::from_payload_in(
            &serde_json::value::to_raw_value(&serde_json::json!({"Records": [record]}))
                .expect("a payload"),
            "bench",
            Some("123456789012"),
        )
    };
    let timed = |batch: Batch| {
        let responder = &responder;
        async move {
            let started = Instant::now();
            let report = responder.settle(&batch, far()).await;
            assert_eq!(report.count(OutcomeKind::SignedOut), 1, "signed out");
            started.elapsed()
        }
    };
    // The own account first: its client, the connection to moto, the allocator.
    let mut own = Vec::new();
    for user in ["first", "second"] {
        own.push(
            timed(alert(
                serde_json::json!({"UserPoolId": own_pool.id, "Username": user}),
            ))
            .await,
        );
    }
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for (account, pool) in &members {
        let arn = format!("arn:aws:cognito-idp:us-east-1:{account}:userpool/{pool}");
        first.push(
            timed(alert(
                serde_json::json!({"UserPoolArn": arn, "Username": "first"}),
            ))
            .await,
        );
        second.push(
            timed(alert(
                serde_json::json!({"UserPoolArn": arn, "Username": "second"}),
            ))
            .await,
        );
    }
    let listed = |v: &[Duration]| {
        v.iter()
            .map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("first alerts, in order (ms): {}", listed(&first));
    println!("second alerts, in order (ms): {}", listed(&second));
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1000.0
    };
    let max = |v: &[Duration]| v.iter().max().map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    println!("| alert | alerts | median (ms) | max (ms) |");
    println!("|---|---|---|---|");
    println!(
        "| own account, no role (second alert) | 1 | {:.1} | {:.1} |",
        own[1].as_secs_f64() * 1000.0,
        own[1].as_secs_f64() * 1000.0
    );
    println!("| first alert into a member account (AssumeRole, new client, sign-out) | {accounts} | {:.1} | {:.1} |", median(first.clone()), max(&first));
    println!("| second alert into the same account (cached credentials and client) | {accounts} | {:.1} | {:.1} |", median(second.clone()), max(&second));
    println!(
        "the first call into an account costs {:.1} ms more (median) than the next one; accounts in use: {}",
        median(first) - median(second),
        responder.signer().accounts_in_use()
    );
}
