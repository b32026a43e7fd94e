//! The authorizer's answers to a verifier hook's two refusals, for each event kind, with tokens
//! minted by the test kit and keys served on loopback. (The emulator test in
//! `examples/tests/lambda.rs` runs the same answers through the real Lambda runtime; the hook's
//! refusals reach the authorizer as the core's 401 and 403, decided here.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cognito_verify::testing::{JwksServer, SubjectHook, TestIssuer};
use cognito_verify::{ErrorKind, TokenUse, Verifier};
use cognito_verify_lambda::{Authorizer, AuthorizerError};
use serde_json::{Value, json};

const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/me";

/// A verifier whose hook forbids the subject `suspended` (403) and refuses the subject
/// `signed-out` (401), and accepts everyone else.
async fn authorizer(issuer: &TestIssuer, jwks: &JwksServer) -> Authorizer {
    let verifier = Verifier::builder()
        .pool(issuer.pool().jwks_uri(jwks.url()))
        .token_use(TokenUse::Access)
        .hook(SubjectHook::new("suspended", "signed-out"))
        .build()
        .unwrap();
    Authorizer::new(verifier)
}

fn token_event(token: &str) -> Value {
    json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": METHOD_ARN,
    })
}

fn simple_event(token: &str) -> Value {
    json!({
        "version": "2.0", "type": "REQUEST", "routeArn": METHOD_ARN,
        "identitySource": [format!("Bearer {token}")],
        "routeKey": "GET /me", "rawPath": "/me", "rawQueryString": "",
        "headers": {"authorization": format!("Bearer {token}")},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abcdef1234",
            "domainName": "abcdef1234.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abcdef1234",
            "http": {"method": "GET", "path": "/me", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "curl/8"},
            "requestId": "r", "routeKey": "GET /me", "stage": "$default",
            "time": "01/Dec/2026:10:00:00 +0000", "timeEpoch": 1_795_000_000_000_u64
        }
    })
}

/// The effect of the one statement of a REST answer's policy, and its principal.
fn effect(answer: &Value) -> (&str, &str) {
    let statement = &answer["policyDocument"]["Statement"][0];
    assert_eq!(statement["Resource"][0], METHOD_ARN, "{answer}");
    let effect = statement["Effect"].as_str().unwrap();
    (effect, answer["principalId"].as_str().unwrap())
}

#[tokio::test]
async fn a_hooks_denial_is_a_deny_and_its_rejection_is_unauthorized() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let authorizer = authorizer(&issuer, &jwks).await;
    let user = |sub: &str| issuer.access_token().claim("sub", sub).sign();
    let (signed_out, suspended) = (user("signed-out"), user("suspended"));
    let alice = issuer.access_token().claim("username", "alice");
    let sub = alice.claims()["sub"].as_str().unwrap().to_owned();
    let allowed = alice.sign();

    // REST TOKEN authorizer: Allow; a hook's 403 is a Deny policy (cacheable, the client gets
    // 403); a hook's 401 is the error `Unauthorized` (the client gets 401).
    let answer = authorizer.handle(token_event(&allowed)).await.unwrap();
    assert_eq!(effect(&answer), ("Allow", sub.as_str()));
    let answer = authorizer.handle(token_event(&suspended)).await.unwrap();
    assert_eq!(effect(&answer).0, "Deny", "{answer}");
    assert_eq!(answer["context"]["error"], "hook_forbidden", "{answer}");
    let error = authorizer
        .handle(token_event(&signed_out))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            AuthorizerError::Unauthorized {
                kind: ErrorKind::HookRejected
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "Unauthorized");

    // HTTP API simple responses: authorized only for the accepted user.
    for (token, authorized) in [(&allowed, true), (&suspended, false), (&signed_out, false)] {
        let answer = authorizer.handle(simple_event(token)).await.unwrap();
        assert_eq!(answer["isAuthorized"], authorized, "{answer}");
        if !authorized {
            assert_eq!(answer["context"], json!({}), "no claims for a refusal");
        }
    }
    assert_eq!(jwks.fetch_count(), 1, "the keys are fetched once");
}
