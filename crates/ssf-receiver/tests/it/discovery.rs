//! Discovery: without `SSF_JWKS_URI`, the keys are found at the `jwks_uri` of the
//! transmitter's `/.well-known/ssf-configuration<issuer path>`, whose `issuer` must be
//! `SSF_ISSUER`.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_jwks_is_found_through_the_ssf_configuration() {
    let transmitter = transmitter().await;
    let app = App::on(
        &transmitter,
        Options {
            discover: true,
            ..Options::default()
        },
    );
    let set = sign(&claims(
        &app.issuer,
        "j",
        SESSION_REVOKED,
        iss_sub(&pool_issuer(), "sub-alice"),
    ));
    let answer = app.push(&set).await;
    assert_eq!(answer.status(), 202, "{:?}", answer.0);
    let paths: Vec<String> = transmitter
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        paths,
        vec!["/.well-known/ssf-configuration/tenant", "/jwks"]
    );
}

#[tokio::test]
async fn a_configuration_naming_another_issuer_is_not_trusted() {
    let jwks = jwks();
    let liar = HttpStub::start(move |request: &StubRequest| match request.path.as_str() {
        "/jwks" => StubReply::json(200, "application/json", jwks.clone()),
        _ => StubReply::json(
            200,
            "application/json",
            json!({"issuer": "https://evil.example/", "jwks_uri": "http://127.0.0.1:1/jwks"})
                .to_string(),
        ),
    })
    .await;
    let app = App::on(
        &liar,
        Options {
            discover: true,
            ..Options::default()
        },
    );
    let set = sign(&claims(
        &app.issuer,
        "j",
        SESSION_REVOKED,
        iss_sub(&pool_issuer(), "sub-alice"),
    ));
    assert_eq!(app.push(&set).await.status(), 503);
    assert!(liar.requests().iter().all(|r| r.path != "/jwks"));
}
