//! Cognito threat-protection user-activity logs as a CloudWatch Logs subscription delivers
//! them (`{"awslogs": {"data": <base64 of gzip>}}`), for the tests and benchmarks that need
//! big payloads.

use std::io::Write;

use base64::Engine;

/// A CloudWatch Logs payload of `lines`, as the subscription delivers it, and its gzip size.
pub fn log_payload(lines: &[String]) -> (String, usize) {
    let events: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| serde_json::json!({"id": format!("{i:056}"), "timestamp": 1_749_719_641_000u64 + i as u64, "message": line}))
        .collect();
    let data = serde_json::json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": "/aws/vendedlogs/cognito/bench", "logStream": "s",
        "subscriptionFilters": ["takeover"], "logEvents": events,
    });
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(data.to_string().as_bytes()).expect("gzip");
    let gzipped = gzip.finish().expect("gzip");
    let encoded = base64::engine::general_purpose::STANDARD.encode(&gzipped);
    (
        serde_json::json!({"awslogs": {"data": encoded}}).to_string(),
        gzipped.len(),
    )
}

/// One user-activity line of `user` in `pool`: an account takeover when `takeover`, else a
/// sign-in that passed (ignored).
pub fn activity_line(pool: &str, user: usize, takeover: bool) -> String {
    let (risk, decision) = if takeover {
        ("High", "AccountTakeover")
    } else {
        ("Low", "NoRisk")
    };
    serde_json::json!({
        "eventTimestamp": "1749719641000", "eventSource": "USER_ACTIVITY", "logLevel": "INFO",
        "message": {
            "version": "1", "eventId": format!("e0a1b2c3-0001-4000-8000-{user:012}"),
            "eventType": "SignIn", "userSub": format!("d4d4d4d4-1111-4000-8000-{user:012}"),
            "userName": format!("user{user}"), "userPoolId": pool,
            "clientId": "4example5client6id7abc", "creationDate": "Thu Jun 12 09:14:01 UTC 2025",
            "eventResponse": "Pass", "riskLevel": risk, "riskDecision": decision,
            "challenges": [{"challengeName": "Password", "challengeResponse": "Success"}],
            "deviceName": "Chrome 126, Windows 10", "ipAddress": "198.51.100.10",
            "requestId": format!("7fa1b2c3-0001-4000-8000-{user:012}"), "idpName": "",
            "compromisedCredentialDetected": "false", "city": "Lisbon", "country": "Portugal",
            "eventFeedbackValue": "", "eventFeedbackDate": "", "eventFeedbackProvider": "",
            "hasContextData": "true"
        },
        "logSourceId": {"userPoolId": pool}
    })
    .to_string()
}

/// A busy pool's log of `users` sign-ins, one takeover in a hundred (`every_takeover`
/// false), or `users` distinct takeovers.
pub fn activity_log(pool: &str, users: usize, every_takeover: bool) -> (String, usize) {
    let lines: Vec<String> = (0..users)
        .map(|u| activity_line(pool, u, every_takeover || u % 100 == 0))
        .collect();
    log_payload(&lines)
}
