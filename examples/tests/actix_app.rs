//! The actix example app in process: every route's answer, body included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use cognito_verify_examples::actix_app;
use serde_json::{Value, json};

mod common;

const SUB: &str = "user-1";

struct Reply {
    status: u16,
    www_authenticate: Option<String>,
    body: Value,
}

#[actix_web::test]
async fn every_route_answers_as_documented() {
    let (issuer, jwks, verifier) = common::issuer_and_verifier().await;
    let app = test::init_service(actix_app::app(verifier)).await;
    let get = async |path: &str, token: Option<&str>| {
        let mut request = TestRequest::get().uri(path);
        if let Some(token) = token {
            request = request.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        let response = test::call_service(&app, request.to_request()).await;
        let status = response.status().as_u16();
        let www_authenticate = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = test::read_body(response).await;
        Reply {
            status,
            www_authenticate,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        }
    };

    let access = issuer.access_token().claim("sub", SUB).sign();
    let id = issuer.id_token().claim("sub", SUB).sign();
    let read = issuer
        .access_token()
        .claim("sub", SUB)
        .scope("openid api/read")
        .sign();
    let admin = issuer
        .access_token()
        .claim("sub", SUB)
        .groups(["admin"])
        .sign();

    let r = get("/public", None).await;
    assert_eq!((r.status, r.body), (200, json!({ "public": true })));

    let r = get("/me", Some(&access)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["sub"], SUB);
    assert_eq!(r.body["token_use"], "access");
    assert_eq!(r.body["client_id"], issuer.app_client_id());
    assert_eq!(r.body["username"], "test-user");

    let r = get("/me", None).await;
    assert_eq!(
        (r.status, r.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    assert_eq!(
        r.body,
        json!({ "error": "unauthorized", "kind": "missing_token" })
    );

    let r = get("/me", Some(&id)).await;
    assert_eq!(r.status, 401);
    assert!(
        r.www_authenticate
            .unwrap()
            .starts_with("Bearer error=\"invalid_token\"")
    );
    assert_eq!(
        r.body,
        json!({ "error": "invalid_token", "kind": "invalid_token_use" })
    );

    let r = get("/scoped", Some(&read)).await;
    assert_eq!(
        (r.status, r.body),
        (200, json!({ "scoped": true, "sub": SUB }))
    );
    let r = get("/scoped", Some(&access)).await;
    assert_eq!(r.status, 403);
    let www = r.www_authenticate.unwrap();
    assert!(
        www.starts_with("Bearer error=\"insufficient_scope\"")
            && www.ends_with("scope=\"api/read\""),
        "{www}"
    );

    let r = get("/admin", Some(&admin)).await;
    assert_eq!(
        (r.status, r.body),
        (200, json!({ "admin": true, "sub": SUB }))
    );
    let r = get("/admin", Some(&access)).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        json!({ "error": "insufficient_scope", "kind": "insufficient_group" })
    );

    let r = get("/optional", None).await;
    assert_eq!((r.status, r.body), (200, json!({ "authenticated": false })));
    let r = get("/optional", Some(&access)).await;
    assert_eq!(
        (r.status, r.body),
        (200, json!({ "authenticated": true, "sub": SUB }))
    );
    let expired = issuer.access_token().expires_in(-60).sign();
    let r = get("/optional", Some(&expired)).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["kind"], "expired");

    let r = get("/id", Some(&id)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["sub"], SUB);
    assert_eq!(r.body["token_use"], "id");
    assert_eq!(r.body["email"], "test-user@example.com");
    let r = get("/id", Some(&access)).await;
    assert_eq!(
        (r.status, &r.body["kind"]),
        (401, &json!("invalid_token_use"))
    );

    assert_eq!(jwks.fetch_count(), 1);
}
