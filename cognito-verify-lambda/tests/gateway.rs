//! `GatewayClaims` read from requests as `lambda_http` builds them from real API Gateway proxy
//! events (REST with a Cognito user pool authorizer, HTTP API with a JWT authorizer, REST behind
//! a Lambda authorizer), directly and through the axum extractor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::extract::FromRequestParts;
use cognito_verify_lambda::{ClaimsSource, GatewayClaims};
use lambda_http::RequestExt as _;
use serde_json::{Value, json};

fn rest_event(authorizer: Value) -> String {
    json!({
        "resource": "/me", "path": "/me", "httpMethod": "GET",
        "headers": {"Host": "abcdef1234.execute-api.eu-west-1.amazonaws.com"},
        "multiValueHeaders": {"Host": ["abcdef1234.execute-api.eu-west-1.amazonaws.com"]},
        "queryStringParameters": null, "multiValueQueryStringParameters": null,
        "pathParameters": null, "stageVariables": null, "body": null, "isBase64Encoded": false,
        "requestContext": {
            "accountId": "123456789012", "resourceId": "abc123", "stage": "prod",
            "requestId": "r", "path": "/prod/me", "identity": {"sourceIp": "203.0.113.7"},
            "resourcePath": "/me", "httpMethod": "GET", "apiId": "abcdef1234",
            "authorizer": authorizer
        }
    })
    .to_string()
}

fn http_event(authorizer: Value) -> String {
    json!({
        "version": "2.0", "routeKey": "GET /me", "rawPath": "/me", "rawQueryString": "",
        "headers": {"host": "abcdef1234.execute-api.eu-west-1.amazonaws.com"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "abcdef1234", "authorizer": authorizer,
            "domainName": "abcdef1234.execute-api.eu-west-1.amazonaws.com", "domainPrefix": "abcdef1234",
            "http": {"method": "GET", "path": "/me", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8"},
            "requestId": "r", "routeKey": "GET /me", "stage": "$default",
            "time": "01/Dec/2026:10:00:00 +0000", "timeEpoch": 1_795_000_000_000_u64
        },
        "isBase64Encoded": false
    })
    .to_string()
}

async fn claims_of(event: &str) -> Option<GatewayClaims> {
    let request = lambda_http::request::from_str(event).unwrap();
    let direct = request
        .request_context_ref()
        .and_then(GatewayClaims::from_request_context);
    let (mut parts, _) = request.into_parts();
    let extracted = GatewayClaims::from_request_parts(&mut parts, &())
        .await
        .ok();
    assert_eq!(
        direct, extracted,
        "the extractor reads what the context has"
    );
    direct
}

#[tokio::test]
async fn rest_cognito_user_pool_authorizer() {
    let claims = claims_of(&rest_event(json!({
        "claims": {"sub": "u1", "token_use": "id", "cognito:groups": "admin,ops", "email": "a@b.c"}
    })))
    .await
    .unwrap();
    assert_eq!(claims.source(), ClaimsSource::CognitoAuthorizer);
    assert_eq!(claims.subject(), Some("u1"));
    assert_eq!(claims.token_use(), Some("id"));
    assert_eq!(claims.groups(), ["admin", "ops"]);
    assert_eq!(claims.get_str("email"), Some("a@b.c"));
}

#[tokio::test]
async fn http_api_jwt_authorizer() {
    let claims = claims_of(&http_event(json!({
        "jwt": {"claims": {"sub": "u2", "token_use": "access", "cognito:groups": "[admin ops]",
                           "scope": "openid api/read"},
                "scopes": ["openid", "api/read"]}
    })))
    .await
    .unwrap();
    assert_eq!(claims.source(), ClaimsSource::JwtAuthorizer);
    assert_eq!(claims.subject(), Some("u2"));
    assert_eq!(claims.scopes(), ["openid", "api/read"]);
    assert_eq!(claims.groups(), ["admin", "ops"]);
}

#[tokio::test]
async fn rest_behind_this_crates_lambda_authorizer() {
    // What API Gateway passes on from an Allow of `Authorizer`: the context, and principalId.
    let claims = claims_of(&rest_event(json!({
        "principalId": "u3", "integrationLatency": 12, "sub": "u3", "exp": 1_796_000_000_u64,
        "cognito:groups": "[\"admin\",\"ops\"]", "scope": "api/read"
    })))
    .await
    .unwrap();
    assert_eq!(claims.source(), ClaimsSource::LambdaAuthorizer);
    assert_eq!(claims.subject(), Some("u3"));
    assert_eq!(claims.groups(), ["admin", "ops"]);
    assert_eq!(claims.scopes(), ["api/read"]);
    assert!(
        claims.get("principalId").is_none(),
        "gateway members are not claims"
    );
}

#[tokio::test]
async fn no_authorizer_no_claims() {
    assert_eq!(claims_of(&rest_event(Value::Null)).await, None);
    assert_eq!(claims_of(&http_event(Value::Null)).await, None);
    // A Lambda authorizer context without a subject is not taken for claims.
    assert_eq!(
        claims_of(&rest_event(json!({"principalId": "x", "k": "v"}))).await,
        None
    );
}
