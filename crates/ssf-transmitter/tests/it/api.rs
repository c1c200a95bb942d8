//! The HTTP endpoints, as the OpenID conformance suite's transmitter plan checks them: the
//! configuration, the stream-control happy path, the errors (broken input, invalid token,
//! duplicate configuration past the limit, unknown stream on read and delete) and
//! verification in each delivery mode; and every error section 14 names.

use std::time::Duration;

use serde_json::{json, Value};
use ssf_transmitter::*;
use test_support::http_stub::{HttpStub, StubReply, StubRequest};

use crate::helpers::*;

#[tokio::test]
async fn the_configuration_and_the_jwks_are_public_and_name_every_endpoint() {
    let app = App::start().await;
    let reply = app
        .call("GET", "/.well-known/ssf-configuration", None, None, None)
        .await;
    assert_eq!(reply.status(), 200);
    let config = reply.body();
    assert_eq!(config["spec_version"], "1_0");
    assert_eq!(config["issuer"], ISSUER);
    assert_eq!(
        config["authorization_schemes"],
        json!([{"spec_urn": "urn:ietf:rfc:6749"}])
    );
    assert_eq!(config["delivery_methods_supported"], json!([PUSH, POLL]));
    for endpoint in [
        "configuration_endpoint",
        "status_endpoint",
        "add_subject_endpoint",
        "remove_subject_endpoint",
        "verification_endpoint",
        "jwks_uri",
    ] {
        assert!(
            config[endpoint].as_str().unwrap().starts_with(ISSUER),
            "{endpoint}"
        );
    }
    let jwks = app.call("GET", "/jwks.json", None, None, None).await;
    assert_eq!(jwks.status(), 200);
    let key = &jwks.body()["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["alg"].as_str(),
            key["use"].as_str()
        ),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert_eq!(key["kid"], public_of(SIGNING_KEY).kid);
    assert!(key.get("d").is_none(), "never the private key");
}

#[tokio::test]
async fn management_needs_a_valid_token_with_the_scope() {
    let app = App::start().await;
    let body = Some(json!({"delivery": {"method": POLL}}));
    let missing = app
        .call("POST", "/ssf/stream", None, None, body.clone())
        .await;
    assert_eq!(missing.status(), 401);
    assert!(missing
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer"));
    // Signed by a key the issuer does not publish, then alg none.
    let forged = token_with("clienta1", MANAGE, SIGNING_KEY, TOKEN_KID);
    let refused = app
        .call("POST", "/ssf/stream", None, Some(&forged), body.clone())
        .await;
    assert_eq!(refused.status(), 401);
    assert!(refused
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));
    let good = token("clienta1", MANAGE);
    let claims = good.split('.').nth(1).unwrap();
    let none = format!("eyJhbGciOiJub25lIn0.{claims}.");
    assert_eq!(
        app.call("POST", "/ssf/stream", None, Some(&none), body.clone())
            .await
            .status(),
        401
    );
    // A valid token without the scope: 403; the read scope reads but does not manage.
    let reader = token("clienta1", READ);
    let forbidden = app
        .call("POST", "/ssf/stream", None, Some(&reader), body.clone())
        .await;
    assert_eq!(forbidden.status(), 403);
    assert!(forbidden
        .header("www-authenticate")
        .unwrap()
        .contains("insufficient_scope"));
    assert_eq!(
        app.call("GET", "/ssf/stream", None, Some(&reader), None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.call(
            "GET",
            "/ssf/stream",
            None,
            Some(&token("clienta1", "openid")),
            None
        )
        .await
        .status(),
        403
    );
}

#[tokio::test]
async fn only_a_current_client_credentials_token_of_the_pool_acts_as_its_client() {
    let app = App::start().await;
    let now = now();
    let claims = |changes: Value| {
        let mut claims = json!({
            "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{AUTH_POOL}"),
            "sub": "clienta1", "client_id": "clienta1", "token_use": "access", "scope": MANAGE,
            "iat": now, "exp": now + 3600,
        });
        for (k, v) in changes.as_object().unwrap() {
            claims[k] = v.clone();
        }
        token_of(claims, TOKEN_KEY, TOKEN_KID)
    };
    let app = &app;
    let list = |token: String| async move {
        app.call("GET", "/ssf/stream", None, Some(&token), None)
            .await
            .status()
    };
    assert_eq!(list(claims(json!({}))).await, 200);
    // A user signed in through the client: not the client.
    assert_eq!(
        list(claims(json!({"sub": "8f1c-user", "username": "mallory"}))).await,
        403
    );
    assert_eq!(list(claims(json!({"exp": now - 1}))).await, 401, "expired");
    assert_eq!(
        list(claims(
            json!({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OtherPool"})
        ))
        .await,
        401,
        "another pool"
    );
    assert_eq!(
        list(claims(json!({"token_use": "id"}))).await,
        401,
        "an ID token"
    );
    // A malformed stream id is not answered before the token is checked.
    assert_eq!(
        app.call("DELETE", "/ssf/stream", Some("not-an-id"), None, None)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn an_update_may_repeat_what_the_transmitter_supplies_never_change_it() {
    let app = App::start().await;
    let id = app.poll_stream().await;
    let read = app
        .manage("GET", "/ssf/stream", Some(&id), None)
        .await
        .body();
    let mut same = read.clone();
    same["description"] = json!("read, changed, written back");
    assert_eq!(
        app.manage("PUT", "/ssf/stream", None, Some(same))
            .await
            .status(),
        200
    );
    for (member, value) in [
        ("iss", json!("https://evil.example")),
        ("aud", json!("clientb2")),
        ("events_delivered", json!([])),
    ] {
        let mut changed = read.clone();
        changed[member] = value;
        let refused = app.manage("PUT", "/ssf/stream", None, Some(changed)).await;
        assert_eq!(refused.status(), 400, "{member}");
    }
}

#[tokio::test]
async fn the_stream_control_happy_path() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    let id = app.push_stream(&format!("{}/events", receiver.url())).await;
    let read = app.manage("GET", "/ssf/stream", Some(&id), None).await;
    assert_eq!(read.status(), 200);
    let config = read.body();
    assert_eq!(config["aud"], "clienta1");
    assert_eq!(config["iss"], ISSUER);
    assert_eq!(config["events_delivered"].as_array().unwrap().len(), 3);
    assert!(
        !config.to_string().contains("receiver-secret"),
        "the authorization_header is never answered"
    );
    let all = app.manage("GET", "/ssf/stream", None, None).await;
    assert_eq!(all.body().as_array().unwrap().len(), 1);
    let patched = app.manage("PATCH", "/ssf/stream", None, Some(json!({"stream_id": id, "events_requested": [SESSION_REVOKED], "description": "web app"}))).await;
    assert_eq!(patched.status(), 200);
    assert_eq!(patched.body()["events_delivered"], json!([SESSION_REVOKED]));
    assert_eq!(patched.body()["delivery"]["method"], PUSH);
    let replaced = app
        .manage(
            "PUT",
            "/ssf/stream",
            None,
            Some(json!({"stream_id": id, "delivery": {"method": POLL}})),
        )
        .await;
    assert_eq!(replaced.status(), 200);
    assert_eq!(
        replaced.body()["delivery"]["endpoint_url"],
        format!("{ISSUER}/ssf/poll/{id}")
    );
    assert_eq!(replaced.body()["events_delivered"], json!([]));
    let status = app.manage("GET", "/ssf/status", Some(&id), None).await;
    assert_eq!(status.body(), json!({"stream_id": id, "status": "enabled"}));
    let paused = app
        .manage(
            "POST",
            "/ssf/status",
            None,
            Some(json!({"stream_id": id, "status": "paused", "reason": "maintenance"})),
        )
        .await;
    assert_eq!(paused.body()["status"], "paused");
    assert_eq!(
        app.manage("DELETE", "/ssf/stream", Some(&id), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.manage("GET", "/ssf/stream", Some(&id), None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn errors_broken_input_unknown_streams_other_clients_and_limits() {
    let app = App::start().await;
    let unknown = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        app.manage("GET", "/ssf/stream", Some(unknown), None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.manage("DELETE", "/ssf/stream", Some(unknown), None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.manage("GET", "/ssf/stream", Some("../../etc"), None)
            .await
            .status(),
        400
    );
    let broken = app
        .call(
            "POST",
            "/ssf/stream",
            None,
            Some(&token("clienta1", MANAGE)),
            None,
        )
        .await;
    assert_eq!(broken.status(), 400);
    let mut event = json!({"rawPath": "/ssf/stream", "headers": {"authorization": format!("Bearer {}", token("clienta1", MANAGE))},
        "requestContext": {"http": {"method": "POST"}}, "body": "{\"delivery\": ", "isBase64Encoded": false});
    assert_eq!(app.raw(event.clone()).await.status(), 400);
    event["body"] = json!(format!(
        "{{\"description\": \"{}\"}}",
        "x".repeat(MAX_BODY_BYTES)
    ));
    assert_eq!(app.raw(event.clone()).await.status(), 413);
    // Well-formed, but nested past serde_json's limit: a 400, not a crash.
    event["body"] = json!(format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)));
    assert_eq!(
        app.raw(event.clone()).await.status(),
        400,
        "deep nesting is a 400, not a crash"
    );
    event["body"] = json!(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        b"{\"description\": \"\xff\xfe\"}"
    ));
    event["isBase64Encoded"] = json!(true);
    assert_eq!(app.raw(event).await.status(), 400, "not UTF-8");
    let wrong_type = app
        .manage(
            "POST",
            "/ssf/stream",
            None,
            Some(json!({"events_requested": "all"})),
        )
        .await;
    assert_eq!(wrong_type.status(), 400);
    assert!(wrong_type.body()["error_description"]
        .as_str()
        .unwrap()
        .contains("events_requested"));
    for endpoint in [
        "https://10.0.0.8/ssf",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:192.168.1.1]/",
        "https://100.64.0.1/",
        "http://app.example.com/ssf",
        // A name is checked on what it resolves to (here through the hosts file).
        "https://localhost/ssf",
    ] {
        let refused = app
            .manage(
                "POST",
                "/ssf/stream",
                None,
                Some(json!({"delivery": {"method": PUSH, "endpoint_url": endpoint}})),
            )
            .await;
        assert_eq!(refused.status(), 400, "{endpoint}");
    }
    // And when a stream is changed to point there.
    let push = app
        .manage(
            "POST",
            "/ssf/stream",
            None,
            Some(json!({"delivery": {"method": PUSH, "endpoint_url": "http://127.0.0.1:9/ssf"}})),
        )
        .await;
    assert_eq!(push.status(), 201);
    let moved = app
        .manage("PATCH", "/ssf/stream", None, Some(json!({"stream_id": push.body()["stream_id"], "delivery": {"method": PUSH, "endpoint_url": "https://localhost:8443/ssf"}})))
        .await;
    assert_eq!(moved.status(), 400);
    assert!(moved.body()["error_description"]
        .as_str()
        .unwrap()
        .contains("public address"));
    let push_id = push.body()["stream_id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.manage("DELETE", "/ssf/stream", Some(&push_id), None)
            .await
            .status(),
        204
    );
    // Another client's stream is not found, for every endpoint.
    let id = app.poll_stream().await;
    let other = token("clientb2", MANAGE);
    assert_eq!(
        app.call("GET", "/ssf/stream", Some(&id), Some(&other), None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.call("DELETE", "/ssf/stream", Some(&id), Some(&other), None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.call(
            "POST",
            "/ssf/verify",
            None,
            Some(&other),
            Some(json!({"stream_id": id}))
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.call(
            "POST",
            &format!("/ssf/poll/{id}"),
            None,
            Some(&token("clientb2", READ)),
            Some(json!({}))
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.call("GET", "/ssf/stream", None, Some(&other), None)
            .await
            .body(),
        json!([])
    );
    // The limit (3 in these tests) per client: the fourth is 409, another client may create.
    app.poll_stream().await;
    app.poll_stream().await;
    let fourth = app
        .manage(
            "POST",
            "/ssf/stream",
            None,
            Some(json!({"delivery": {"method": POLL}})),
        )
        .await;
    assert_eq!(fourth.status(), 409);
    assert_eq!(
        app.call(
            "POST",
            "/ssf/stream",
            None,
            Some(&other),
            Some(json!({"delivery": {"method": POLL}}))
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        app.call("GET", "/nowhere", None, None, None).await.status(),
        404
    );
}

#[tokio::test]
async fn verification_in_push_and_poll_carries_the_state() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    let push = app.push_stream(&format!("{}/events", receiver.url())).await;
    let verify = app.verify(&push, Some("push-state-1")).await;
    assert_eq!(verify.status(), 204);
    let pushed = receiver.requests();
    assert_eq!(pushed.len(), 1);
    assert_eq!(
        pushed[0].header("content-type"),
        Some("application/secevent+jwt")
    );
    assert_eq!(
        pushed[0].header("authorization"),
        Some("Bearer receiver-secret-9f3c")
    );
    let (_, claims) = verified(&pushed[0].body_text());
    assert_eq!(claims["events"][VERIFICATION]["state"], "push-state-1");
    assert_eq!(claims["sub_id"], json!({"format": "opaque", "id": push}));
    assert_eq!(claims["aud"], "clienta1");
    let state = "s".repeat(257);
    assert_eq!(app.verify(&push, Some(&state)).await.status(), 400);

    let poll = app.poll_stream().await;
    assert_eq!(app.verify(&poll, Some("poll-state-2")).await.status(), 204);
    let reader = token("clienta1", READ);
    let polled = app
        .call(
            "POST",
            &format!("/ssf/poll/{poll}"),
            None,
            Some(&reader),
            Some(json!({"maxEvents": 10, "returnImmediately": true})),
        )
        .await;
    assert_eq!(polled.status(), 200);
    let sets = polled.body()["sets"].as_object().unwrap().clone();
    assert_eq!(sets.len(), 1);
    let (jti, set) = sets.iter().next().unwrap();
    let (_, claims) = verified(set.as_str().unwrap());
    assert_eq!(&claims["jti"], jti);
    assert_eq!(claims["events"][VERIFICATION]["state"], "poll-state-2");
    assert_eq!(polled.body()["moreAvailable"], false);
    // Acknowledged: gone.
    let acked = app
        .call(
            "POST",
            &format!("/ssf/poll/{poll}"),
            None,
            Some(&reader),
            Some(json!({"ack": [jti]})),
        )
        .await;
    assert_eq!(acked.body()["sets"], json!({}));
}

#[tokio::test]
async fn subjects_removed_hear_nothing_until_added_again() {
    let app = App::start().await;
    let receiver = receiver(202, Duration::ZERO).await;
    let id = app.push_stream(&receiver.url()).await;
    let subject = json!({"format": "iss_sub", "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{USER_POOL}"), "sub": "sub-carol"});
    let removed = app
        .manage(
            "POST",
            "/ssf/subjects:remove",
            None,
            Some(json!({"stream_id": id, "subject": subject})),
        )
        .await;
    assert_eq!(removed.status(), 204);
    app.signed_out("evt-1", "sub-carol", &["sign-out"]).await;
    app.signed_out("evt-2", "sub-dave", &["sign-out"]).await;
    let heard: Vec<Value> = pushed_since(&receiver, 0);
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0]["sub_id"]["sub"], "sub-dave");
    assert_eq!(
        app.manage(
            "POST",
            "/ssf/subjects:add",
            None,
            Some(json!({"stream_id": id, "subject": subject}))
        )
        .await
        .status(),
        200
    );
    app.signed_out("evt-3", "sub-carol", &["sign-out"]).await;
    assert_eq!(receiver.requests().len(), 2);
    // Subjects this transmitter sends nothing about are accepted without effect (SSF lets a
    // transmitter do so; the conformance suite adds and removes an email subject), and
    // another spelling of the pool's issuer names nobody: carol still hears.
    for subject in [
        json!({"format": "email", "email": "carol@example.com"}),
        json!({"format": "iss_sub", "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{USER_POOL}"), "sub": "sub-carol"}),
    ] {
        let body = Some(json!({"stream_id": id, "subject": subject}));
        assert_eq!(
            app.manage("POST", "/ssf/subjects:add", None, body.clone())
                .await
                .status(),
            200
        );
        assert_eq!(
            app.manage("POST", "/ssf/subjects:remove", None, body)
                .await
                .status(),
            204
        );
    }
    app.signed_out("evt-4", "sub-carol", &["sign-out"]).await;
    assert_eq!(receiver.requests().len(), 3);
    let bad = app
        .manage(
            "POST",
            "/ssf/subjects:remove",
            None,
            Some(json!({"stream_id": id, "subject": {"format": "iss_sub", "iss": subject["iss"]}})),
        )
        .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_token_whose_issuers_keys_cannot_be_read_is_a_503_never_a_401() {
    // The pool's JWKS answers 503: the token may be good, so the client is told to try
    // again, not that its token is refused.
    let outage =
        HttpStub::start(|_: &StubRequest| StubReply::json(503, "application/json", "{}")).await;
    let app = App::with_token_issuer(86_400, outage).await;
    for (method, path) in [("GET", "/ssf/stream"), ("POST", "/ssf/stream")] {
        let answer = app.manage(method, path, None, Some(json!({}))).await;
        assert_eq!(answer.status(), 503, "{method} {path}");
        assert_eq!(answer.header("retry-after"), Some("5"));
        assert!(answer.header("www-authenticate").is_none());
    }
    // Without a token it is still a 401: nothing was fetched.
    assert_eq!(
        app.call("GET", "/ssf/stream", None, None, None)
            .await
            .status(),
        401
    );
}
