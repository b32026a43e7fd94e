//! The axum example app over real HTTP on 127.0.0.1: every route with good and bad tokens,
//! and the server's start-up with the key endpoint down.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cognito_verify::Verifier;
use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify_examples::{axum_app, config};
use serde_json::{Value, json};

mod common;

struct Reply {
    status: u16,
    www_authenticate: Option<String>,
    retry_after: Option<String>,
    body: Value,
}

struct Server {
    base: String,
    client: reqwest::Client,
}

impl Server {
    async fn start(verifier: Verifier) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, axum_app::app(verifier).unwrap())
                .await
                .unwrap();
        });
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        Server { base, client }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let (www_authenticate, retry_after) = (
            header(reqwest::header::WWW_AUTHENTICATE),
            header(reqwest::header::RETRY_AFTER),
        );
        let status = response.status().as_u16();
        let body = response.json().await.unwrap();
        Reply {
            status,
            www_authenticate,
            retry_after,
            body,
        }
    }
}

async fn fixture() -> (TestIssuer, JwksServer, Server) {
    let (issuer, jwks, verifier) = common::issuer_and_verifier().await;
    let server = Server::start(verifier).await;
    (issuer, jwks, server)
}

fn invalid(description: &str) -> Option<String> {
    Some(format!(
        "Bearer error=\"invalid_token\", error_description=\"{description}\""
    ))
}

#[tokio::test]
async fn public_needs_nothing() {
    let (issuer, _jwks, server) = fixture().await;
    let reply = server.get("/public", None).await;
    assert_eq!((reply.status, reply.body), (200, json!({ "public": true })));
    // Even a bad token is ignored on a public route.
    let expired = issuer.access_token().expires_in(-60).sign();
    assert_eq!(server.get("/public", Some(&expired)).await.status, 200);
}

#[tokio::test]
async fn me_returns_the_access_token_claims() {
    let (issuer, _jwks, server) = fixture().await;
    let token = issuer
        .access_token()
        .claim("sub", "user-1")
        .groups(["admin"])
        .sign();
    let reply = server.get("/me", Some(&token)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["sub"], "user-1");
    assert_eq!(reply.body["token_use"], "access");
    assert_eq!(reply.body["username"], "test-user");
    assert_eq!(reply.body["cognito:groups"], json!(["admin"]));
    assert_eq!(reply.body["client_id"], issuer.app_client_id());

    let reply = server.get("/me", None).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some("Bearer"));
    assert_eq!(
        reply.body,
        json!({ "error": "unauthorized", "kind": "missing_token" })
    );

    let cases = [
        (
            issuer.access_token().expires_in(-60).sign(),
            "token has expired",
            "expired",
        ),
        (
            issuer.access_token().client("other-client").sign(),
            "token was issued to an app client that is not allowed",
            "invalid_client",
        ),
        (
            issuer.id_token().sign(),
            "token_use is not the expected 'access'",
            "invalid_token_use",
        ),
        (
            "not-a-jwt".to_owned(),
            "token does not have exactly three dot-separated parts",
            "malformed_token",
        ),
    ];
    for (token, description, kind) in cases {
        let reply = server.get("/me", Some(&token)).await;
        assert_eq!(reply.status, 401, "{kind}");
        assert_eq!(reply.www_authenticate, invalid(description), "{kind}");
        assert_eq!(
            reply.body,
            json!({ "error": "invalid_token", "kind": kind })
        );
    }
}

#[tokio::test]
async fn scoped_requires_api_read() {
    let (issuer, _jwks, server) = fixture().await;
    let m2m = issuer.m2m_token(["api/read"]).sign();
    let reply = server.get("/scoped", Some(&m2m)).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            200,
            json!({ "scoped": true, "sub": issuer.app_client_id() })
        )
    );

    for token in [
        issuer.access_token().sign(),
        issuer.m2m_token(["api/write"]).sign(),
    ] {
        let reply = server.get("/scoped", Some(&token)).await;
        assert_eq!(reply.status, 403);
        assert_eq!(
            reply.www_authenticate.as_deref(),
            Some(
                r#"Bearer error="insufficient_scope", error_description="token lacks a required scope", scope="api/read""#
            )
        );
        assert_eq!(
            reply.body,
            json!({ "error": "insufficient_scope", "kind": "insufficient_scope" })
        );
    }
    let reply = server.get("/scoped", None).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    // The route is an API: an id token is the wrong kind of token, not one short of a scope.
    let reply = server.get("/scoped", Some(&issuer.id_token().sign())).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(WRONG_USE));
    assert_eq!(
        reply.body,
        json!({ "error": "invalid_token", "kind": "invalid_token_use" })
    );
}

/// The challenge for an id token where an access token is needed.
const WRONG_USE: &str =
    r#"Bearer error="invalid_token", error_description="token_use is not the expected 'access'""#;

#[tokio::test]
async fn admin_requires_the_admin_group() {
    let (issuer, _jwks, server) = fixture().await;
    let admin = issuer
        .access_token()
        .claim("sub", "boss")
        .groups(["staff", "admin"])
        .sign();
    let reply = server.get("/admin", Some(&admin)).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "admin": true, "sub": "boss" }))
    );
    let id_admin = issuer
        .id_token()
        .claim("sub", "boss")
        .groups(["admin"])
        .sign();
    // An id token of an admin is still not an access token.
    let reply = server.get("/admin", Some(&id_admin)).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some(WRONG_USE))
    );

    let staff = issuer.access_token().groups(["staff"]).sign();
    for token in [staff, issuer.access_token().sign()] {
        let reply = server.get("/admin", Some(&token)).await;
        assert_eq!(reply.status, 403);
        assert_eq!(
            reply.www_authenticate.as_deref(),
            Some(
                r#"Bearer error="insufficient_scope", error_description="token's user is not in a required group", scope="admin""#
            )
        );
        assert_eq!(
            reply.body,
            json!({ "error": "insufficient_scope", "kind": "insufficient_group" })
        );
    }
}

#[tokio::test]
async fn optional_says_who_you_are_or_that_you_are_anonymous() {
    let (issuer, _jwks, server) = fixture().await;
    let reply = server.get("/optional", None).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "authenticated": false }))
    );
    let token = issuer.access_token().claim("sub", "me").sign();
    let reply = server.get("/optional", Some(&token)).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "authenticated": true, "sub": "me" }))
    );
    let id = issuer.id_token().claim("sub", "me-too").sign();
    let reply = server.get("/optional", Some(&id)).await;
    assert_eq!(
        reply.body,
        json!({ "authenticated": true, "sub": "me-too" })
    );

    let expired = issuer.access_token().expires_in(-60).sign();
    let reply = server.get("/optional", Some(&expired)).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate, invalid("token has expired"));
}

#[tokio::test]
async fn id_returns_the_id_token_claims() {
    let (issuer, _jwks, server) = fixture().await;
    let token = issuer.id_token().claim("sub", "person").sign();
    let reply = server.get("/id", Some(&token)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["sub"], "person");
    assert_eq!(reply.body["token_use"], "id");
    assert_eq!(reply.body["email"], "test-user@example.com");
    assert_eq!(reply.body["aud"], issuer.app_client_id());

    let reply = server.get("/id", Some(&issuer.access_token().sign())).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.www_authenticate,
        invalid("token_use is not the expected 'id'")
    );
    assert_eq!(server.get("/id", None).await.status, 401);
}

#[tokio::test]
async fn the_server_starts_with_the_key_endpoint_down_and_answers_503() {
    let issuer = TestIssuer::new();
    let dead = cognito_verify::testing::refused_jwks_url();
    let vars = [
        ("COGNITO_USER_POOL_ID", issuer.pool_id().to_owned()),
        ("COGNITO_CLIENT_ID", issuer.app_client_id().to_owned()),
        ("COGNITO_JWKS_URI", dead),
    ];
    let config = config::from_vars(|k| {
        vars.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    config::warm_up(&config.verifier, config.keys_preloaded).await; // logs a warning, does not fail
    let server = Server::start(config.verifier).await;

    assert_eq!(server.get("/public", None).await.status, 200);
    assert_eq!(server.get("/optional", None).await.status, 200);
    assert_eq!(server.get("/me", None).await.status, 401);
    let token = issuer.access_token().sign();
    for path in ["/me", "/scoped", "/admin", "/optional", "/id"] {
        let reply = server.get(path, Some(&token)).await;
        assert_eq!(reply.status, 503, "{path}");
        assert_eq!(reply.retry_after.as_deref(), Some("1"), "{path}");
        assert_eq!(reply.www_authenticate, None, "{path}");
        assert_eq!(
            reply.body,
            json!({ "error": "temporarily_unavailable", "kind": "keys_unavailable" })
        );
    }
}
