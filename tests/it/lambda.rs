//! The built binary under a Lambda Runtime API emulator, against moto: each sample in
//! `events/` returns the JSON the contract promises, and a bad configuration stops the
//! function at start-up with a message that names the variable.

use serde_json::{json, Value};

use crate::helpers::moto::*;
use crate::helpers::runtime_api::{run_function, Answer};

const SAMPLE_POOL: &str = "us-east-1_Example1";

/// The samples, with their placeholder pool replaced by a real one.
fn samples(pool: &str) -> Vec<(String, String)> {
    [
        ("direct", include_str!("../../events/direct.json")),
        ("eventbridge", include_str!("../../events/eventbridge.json")),
        ("sqs-request", include_str!("../../events/sqs-request.json")),
        (
            "sqs-eventbridge-envelope",
            include_str!("../../events/sqs-eventbridge-envelope.json"),
        ),
        (
            "sqs-sns-notification",
            include_str!("../../events/sqs-sns-notification.json"),
        ),
        (
            "sqs-custom-shape",
            include_str!("../../events/sqs-custom-shape.json"),
        ),
        (
            "sqs-mixed-batch",
            include_str!("../../events/sqs-mixed-batch.json"),
        ),
        ("sqs-fifo", include_str!("../../events/sqs-fifo.json")),
    ]
    .into_iter()
    .map(|(name, json)| (name.to_owned(), json.replace(SAMPLE_POOL, pool)))
    .collect()
}

#[tokio::test]
async fn every_sample_event_returns_the_contracts_json_from_the_real_binary() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let pool = create_pool(&cognito, "customers").await;
    let users = [
        "alice", "bob", "carol", "dave", "erin", "grace", "ivan", "judy", "mallory", "zed",
    ];
    let mut sessions = Vec::new();
    for user in users {
        sessions.push(user_with_session(&cognito, &pool, user).await);
    }
    let dlq = create_queue(&sqs, "failed-alerts").await;
    let bad = create_queue(&sqs, "bad-alerts").await;

    let mut env = moto.env();
    env.extend(
        [
            ("DLQ_URL", dlq.as_str()),
            ("DLQ_URL_MALFORMED", bad.as_str()),
            ("DLQ_URL_INVALID", bad.as_str()),
            ("DLQ_URL_FORBIDDEN_POOL", bad.as_str()),
            ("ALLOWED_USER_POOL_IDS", pool.id.as_str()),
            ("USERNAME_POINTER", "/subject/login"),
            ("USER_POOL_ID_POINTER", "/subject/tenant/cognitoPool"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let run = run_function(&env, &samples(&pool.id), 60_000).await;
    assert_eq!(
        run.answers.len(),
        8,
        "stderr: {}\nstdout: {}",
        run.stderr,
        run.stdout
    );

    let summary = |user: &str, id: &str| json!({"outcome": "signed-out", "class": null, "messageId": id, "userPoolId": pool.id, "username": user, "actions": ["sign-out"], "dryRun": false});
    let empty = json!({"batchItemFailures": []});
    assert_eq!(
        run.answers["direct"],
        Answer::Response(summary("alice", "direct"))
    );
    assert_eq!(
        run.answers["eventbridge"],
        Answer::Response(summary("bob", "6a7e8feb-b491-4cf7-a9f1-bf3703467718"))
    );
    for name in [
        "sqs-request",
        "sqs-eventbridge-envelope",
        "sqs-sns-notification",
        "sqs-custom-shape",
        "sqs-mixed-batch",
        "sqs-fifo",
    ] {
        assert_eq!(run.answers[name], Answer::Response(empty.clone()), "{name}");
    }
    // Everyone the samples name is signed out; zed, whom none names, is not.
    for (user, token) in users.iter().zip(&sessions) {
        let expected = if *user == "zed" {
            Ok(())
        } else {
            Err("NotAuthorizedException".to_owned())
        };
        assert_eq!(refresh(&cognito, &pool, token).await, expected, "{user}");
    }
    // The mixed batch's five bad alerts and the FIFO sample's one are dead-lettered by class.
    let bad_letters = drain(&sqs, &bad).await;
    let mut classes: Vec<_> = bad_letters
        .iter()
        .map(|l| l.attributes["ErrorClass"].clone())
        .collect();
    classes.sort();
    assert_eq!(
        classes,
        [
            "forbidden-pool",
            "invalid",
            "invalid",
            "malformed",
            "malformed",
            "malformed"
        ]
    );
    assert!(drain(&sqs, &dlq).await.is_empty());

    // One JSON log line per alert outcome, and one metrics document per invocation.
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let settled = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "alert settled")
        .count();
    assert_eq!(settled, 1 + 1 + 1 + 1 + 1 + 1 + 8 + 4);
    let metrics = lines.iter().filter(|l| l.get("_aws").is_some()).count();
    assert_eq!(metrics, 8);
}

#[tokio::test]
async fn bad_configuration_stops_the_function_at_start_up_naming_the_variable() {
    for (vars, variable) in [
        (vec![], "DLQ_URL"),
        (
            vec![
                ("DLQ_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
                ("MAX_CONCURRENCY", "lots"),
            ],
            "MAX_CONCURRENCY",
        ),
        (
            vec![
                ("DLQ_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
                ("USER_NOT_FOUND", "shrug"),
            ],
            "USER_NOT_FOUND",
        ),
        (vec![("DLQ_URL", "https://")], "DLQ_URL"),
        (
            vec![
                ("DLQ_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
                ("MAX_REQUESTS_PER_SECOND", "1e-30"),
            ],
            "MAX_REQUESTS_PER_SECOND",
        ),
        (
            vec![
                ("DLQ_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
                ("MAX_REQUESTS_PER_SECOND", "1e-19"),
            ],
            "MAX_REQUESTS_PER_SECOND",
        ),
        (
            vec![
                ("DLQ_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
                ("MAX_CONCURRENCY", "1000"),
            ],
            "MAX_CONCURRENCY",
        ),
        (
            vec![
                ("DLQ_URL", "https://sqs.us-east-1.amazonaws.com/1/q"),
                ("AWS_ENDPOINT_URL_SQS", "http://x y"),
            ],
            "AWS_ENDPOINT_URL_SQS",
        ),
    ] {
        let env: Vec<(String, String)> = [("AWS_REGION", "us-east-1")]
            .into_iter()
            .chain(vars)
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let run = run_function(&env, &[("never".into(), "{}".into())], 5_000).await;
        assert_eq!(run.exit_code, Some(1), "{variable}: {}", run.stderr);
        assert!(run.answers.is_empty());
        assert!(
            run.stderr
                .contains(&format!("configuration error: {variable}:")),
            "{variable} is not named: {}",
            run.stderr
        );
    }
}

/// The sample threat-protection log re-encoded (gzip, padded base64, as CloudWatch Logs
/// sends it) with the sample's pool replaced by `pool`.
fn threat_log_payload(pool: &str) -> String {
    use base64::Engine;
    use std::io::Write;
    let decoded = include_str!("../../events/cwl-userauthevents.decoded.json")
        .replace(SAMPLE_SOURCES_POOL, pool);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(decoded.as_bytes()).unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
    json!({"awslogs": {"data": data}}).to_string()
}

/// The pool of the threat-protection and Security Hub samples.
const SAMPLE_SOURCES_POOL: &str = "eu-west-1_AbC123xyz";

#[tokio::test]
async fn a_threat_log_and_a_security_hub_event_sign_users_out_from_the_real_binary() {
    let moto = Moto::start().await;
    let sdk = moto.sdk_config().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let logged = create_pool(&cognito, "threat-logged").await;
    let hub = create_pool(&cognito, "security-hub").await;
    let mut logged_sessions = Vec::new();
    for user in ["dana", "alice", "bob", "carol"] {
        logged_sessions.push((user, user_with_session(&cognito, &logged, user).await));
    }
    let mut hub_sessions = Vec::new();
    for user in ["alice", "bob"] {
        hub_sessions.push((user, user_with_session(&cognito, &hub, user).await));
    }
    let dlq = create_queue(&sqs, "failed-alerts").await;
    let bad = create_queue(&sqs, "bad-alerts").await;
    let mut env = moto.env();
    let allowed = format!("{},{}", logged.id, hub.id);
    env.extend(
        [
            ("DLQ_URL", dlq.as_str()),
            ("DLQ_URL_MALFORMED", bad.as_str()),
            ("ALLOWED_USER_POOL_IDS", allowed.as_str()),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let hub_event = include_str!("../../events/securityhub-imported.json")
        .replace(
            "eu-west-1:111122223333:userpool",
            "us-east-1:123456789012:userpool",
        )
        .replace(SAMPLE_SOURCES_POOL, &hub.id);
    let payloads = vec![
        ("threat-log".to_owned(), threat_log_payload(&logged.id)),
        ("security-hub".to_owned(), hub_event.clone()),
        (
            "control".to_owned(),
            include_str!("../../events/cwl-control-message.json").to_owned(),
        ),
    ];
    let run = run_function(&env, &payloads, 60_000).await;
    assert_eq!(run.answers.len(), 3, "stderr: {}", run.stderr);

    let Answer::Response(threat) = &run.answers["threat-log"] else {
        panic!("{:?}", run.answers["threat-log"])
    };
    let outcomes: Vec<_> = threat["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        outcomes,
        [
            "ignored",
            "signed-out",
            "ignored",
            "signed-out",
            "dead-lettered"
        ]
    );
    let Answer::Response(findings) = &run.answers["security-hub"] else {
        panic!("{:?}", run.answers["security-hub"])
    };
    let event: Value = serde_json::from_str(&hub_event).unwrap();
    assert_eq!(findings["outcome"], "signed-out");
    assert_eq!(findings["messageId"], event["id"]);
    assert_eq!(findings["alerts"].as_array().unwrap().len(), 2);
    let Answer::Response(control) = &run.answers["control"] else {
        panic!("{:?}", run.answers["control"])
    };
    assert_eq!(control["outcome"], "ignored");

    // The takeover (alice, High) and the compromised credentials (carol) are signed out;
    // dana (no risk) and bob (Medium, under the default High) keep their sessions.
    for (user, token) in &logged_sessions {
        let expected = if ["alice", "carol"].contains(user) {
            Err("NotAuthorizedException".to_owned())
        } else {
            Ok(())
        };
        assert_eq!(refresh(&cognito, &logged, token).await, expected, "{user}");
    }
    for (user, token) in &hub_sessions {
        assert_eq!(
            refresh(&cognito, &hub, token).await,
            Err("NotAuthorizedException".to_owned()),
            "{user}"
        );
    }
    // The truncated log line alone is dead-lettered, as it was written.
    let letters = drain(&sqs, &bad).await;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].attributes["ErrorClass"], "malformed");
    assert!(letters[0]
        .body
        .starts_with("{\"eventTimestamp\":\"1749719645000\""));
    assert!(drain(&sqs, &dlq).await.is_empty());
    // Ignored records are logged at DEBUG, so the INFO log has no line for them; the control
    // message has its own line.
    assert!(run
        .stdout
        .contains("CloudWatch Logs control message acknowledged"));
    let settled = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["message"] == "alert settled")
        .count();
    assert_eq!(settled, 3 + 2, "the two ignored sign-ins have no INFO line");
}
