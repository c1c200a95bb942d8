//! The answers API Gateway expects, built from a [`Decision`] (pure).
//!
//! - HTTP API simple response: `{"isAuthorized": bool, "context": {...}}`.
//! - AppSync: `{"isAuthorized": true, "resolverContext": {...}, "ttlOverride": 0}`, or
//!   `{"isAuthorized": false}`. `ttlOverride: 0` keeps AppSync from caching an Allow past a
//!   cutoff; the context holds four short strings, far inside AppSync's size limits.
//! - REST API: an IAM policy with one statement that allows or denies `execute-api:Invoke`
//!   on the request's `methodArn`, `principalId` being the token's `sub` (or `anonymous` when
//!   no genuine token was presented).
//!
//! An allowed request's context carries who the caller is (`sub`, `username`, `clientId`,
//! `tokenUse`, `userPoolId`) so the backend need not decode the token again. A denied one
//! carries nothing: the reason is in the log, not in anything a caller could read back.

use cognito_revocation::{Decision, VerifiedToken};
use serde_json::{json, Map, Value};

use crate::request::Request;

/// The answer to `request` for `decision`.
pub fn answer(request: &Request, decision: &Decision) -> Value {
    let context = match decision {
        Decision::Allowed(token) | Decision::AllowedUnchecked(token, _) => context(token),
        _ => Map::new(),
    };
    match request {
        Request::AppSync { .. } => match decision {
            Decision::Allowed(token) | Decision::AllowedUnchecked(token, _) => json!({
                "isAuthorized": true,
                "resolverContext": {
                    "sub": token.sub().as_str(),
                    "username": token.username().unwrap_or_default(),
                    "clientId": token.client().as_str(),
                    "tokenUse": token.token_use().as_str(),
                },
                "ttlOverride": 0,
            }),
            _ => json!({"isAuthorized": false}),
        },
        Request::Http { .. } => json!({
            "isAuthorized": decision.is_allowed(),
            "context": context,
        }),
        Request::Rest { method_arn, .. } => json!({
            "principalId": decision
                .token()
                .map(|t| t.sub().as_str().to_owned())
                .unwrap_or_else(|| "anonymous".to_owned()),
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": "execute-api:Invoke",
                    "Effect": if decision.is_allowed() { "Allow" } else { "Deny" },
                    "Resource": method_arn,
                }],
            },
            "context": context,
        }),
    }
}

fn context(token: &VerifiedToken) -> Map<String, Value> {
    let mut context = Map::new();
    context.insert("sub".to_owned(), json!(token.sub().as_str()));
    if let Some(username) = token.username() {
        context.insert("username".to_owned(), json!(username));
    }
    context.insert("clientId".to_owned(), json!(token.client().as_str()));
    context.insert("tokenUse".to_owned(), json!(token.token_use().as_str()));
    context.insert("userPoolId".to_owned(), json!(token.pool().as_str()));
    context
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_revocation::Refusal;

    #[test]
    fn http_denial_is_not_authorized_with_an_empty_context() {
        let answer = answer(
            &Request::Http { token: None },
            &Decision::Refused(Refusal::Missing),
        );
        assert_eq!(answer, json!({"isAuthorized": false, "context": {}}));
    }

    #[test]
    fn rest_denial_is_a_deny_policy_on_the_method() {
        let answer = answer(
            &Request::Rest {
                token: Some("x".to_owned()),
                method_arn: "arn:aws:execute-api:eu-west-1:1:api/prod/GET/pets".to_owned(),
            },
            &Decision::Refused(Refusal::Signature),
        );
        assert_eq!(
            answer,
            json!({
                "principalId": "anonymous",
                "policyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Action": "execute-api:Invoke", "Effect": "Deny",
                    "Resource": "arn:aws:execute-api:eu-west-1:1:api/prod/GET/pets"}]},
                "context": {},
            })
        );
    }
}
