//! The `actix_server` example, run as a real process: it starts with the key endpoint down
//! (answering 503 until the keys can be fetched), serves the example routes, and refuses a bad
//! configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use cognito_verify::testing::{JwksServer, TestIssuer, refused_jwks_url};
use tokio::process::Child;

mod common;

const EXAMPLE: &str = "actix_server";

/// Starts the server and waits until it answers `/public`.
async fn start(issuer: &TestIssuer, jwks_uri: &str) -> (Child, String) {
    common::start_http(EXAMPLE, issuer, jwks_uri, Duration::from_secs(30)).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn starts_with_the_key_endpoint_down_and_answers_503() {
    let issuer = TestIssuer::new();
    let dead = refused_jwks_url();
    let (mut child, base) = start(&issuer, &dead).await;
    let token = issuer.access_token().sign();
    let response = client()
        .get(format!("{base}/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert!(!response.headers().contains_key("www-authenticate"));
    child.kill().await.unwrap();
}

#[tokio::test]
async fn serves_the_example_routes() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let (mut child, base) = start(&issuer, &jwks.url()).await;
    let client = client();
    let token = issuer.access_token().groups(["admin"]).sign();
    let me: serde_json::Value = client
        .get(format!("{base}/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["token_use"], "access");
    let admin = client
        .get(format!("{base}/admin"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
    let missing = client.get(format!("{base}/me")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    // Fetched once at start-up (warm-up), not again per request.
    assert_eq!(jwks.fetch_count(), 1);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn refuses_to_start_without_a_user_pool() {
    common::assert_refuses_to_start_without_a_user_pool(EXAMPLE).await;
}
