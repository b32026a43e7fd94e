//! Issuer formats: Multi-Region Replication (global and replica issuers, each with its own key
//! set, never accepted by default) and OpenID discovery of the JWKS URI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{Pool, TokenUse, Verifier};
use common::kind;
use serde_json::json;

const POOL: &str = "eu-west-1_Repl1cated";

fn global_issuer() -> String {
    format!("https://issuer-cognito-idp.eu-west-1.amazonaws.com/{POOL}")
}

fn replica_issuer() -> String {
    format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}")
}

#[tokio::test]
async fn replicated_issuers_are_refused_by_default() {
    let primary = TestIssuer::with_pool_id(POOL);
    let global = TestIssuer::with_pool_id(POOL).issuer_url(global_issuer());
    let replica = TestIssuer::with_pool_id(POOL).issuer_url(replica_issuer());
    let server = JwksServer::start(primary.jwks_json()).await.unwrap();
    let v = Verifier::builder()
        .pool(
            Pool::new(POOL)
                .client_id(primary.app_client_id())
                .jwks_uri(server.url()),
        )
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    assert_eq!(kind(&v.verify(&primary.access_token().sign()).await), "ok");
    assert_eq!(
        kind(&v.verify(&global.access_token().sign()).await),
        "invalid_issuer"
    );
    assert_eq!(
        kind(&v.verify(&replica.access_token().sign()).await),
        "invalid_issuer"
    );
}

#[tokio::test]
async fn each_issuer_is_checked_against_its_own_keys() {
    let primary = TestIssuer::with_pool_id(POOL);
    let global = TestIssuer::with_pool_id(POOL).issuer_url(global_issuer());
    let replica = TestIssuer::with_pool_id(POOL).issuer_url(replica_issuer());
    let (s1, s2, s3) = (
        JwksServer::start(primary.jwks_json()).await.unwrap(),
        JwksServer::start(global.jwks_json()).await.unwrap(),
        JwksServer::start(replica.jwks_json()).await.unwrap(),
    );
    let v = Verifier::builder()
        .pool(
            Pool::new(POOL)
                .client_id(primary.app_client_id())
                .jwks_uri(s1.url())
                .additional_issuer(global_issuer(), s2.url())
                .additional_issuer(replica_issuer(), s3.url()),
        )
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    for issuer in [&primary, &global, &replica] {
        let verified = v.verify(&issuer.access_token().sign()).await.unwrap();
        assert_eq!(verified.pool_index(), 0);
        assert_eq!(verified.user_pool_id(), POOL);
    }
    // A token naming the global issuer but signed by the replica's key: the global key set
    // doesn't have that kid, so it is refused even though both belong to the pool.
    let crossed = replica.access_token().claim("iss", global_issuer()).sign();
    assert_eq!(kind(&v.verify(&crossed).await), "unknown_kid");
    assert_eq!((s1.fetch_count(), s2.fetch_count()), (1, 2));
}

#[tokio::test]
async fn jwks_uri_from_openid_discovery() {
    let server = JwksServer::start(String::new()).await.unwrap();
    let iss = format!("{}/{POOL}", server.base_url());
    let issuer = TestIssuer::with_pool_id(POOL).issuer_url(iss.clone());
    server.set_jwks(issuer.jwks_json());
    let document =
        |issuer: &str, jwks_uri: &str| json!({"issuer": issuer, "jwks_uri": jwks_uri}).to_string();
    server.set_discovery(document(
        &iss,
        &format!("{}/keys/jwks.json", server.base_url()),
    ));
    let v = Verifier::builder()
        .pool(issuer.pool().discover_jwks_uri())
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    assert_eq!(
        v.jwks_uris(),
        [format!("{iss}/.well-known/openid-configuration")]
    );
    let r = v.verify(&issuer.access_token().sign()).await;
    assert_eq!(kind(&r), "ok", "{r:?}");
    assert_eq!(
        server.fetch_count(),
        2,
        "the discovery document, then the JWKS"
    );

    // A document for another issuer, or without a usable jwks_uri, is a fetch failure.
    for bad in [
        document("https://evil.example/pool", &server.url()),
        json!({"issuer": iss}).to_string(),
        document(&iss, "file:///etc/passwd"),
        "not json".to_owned(),
    ] {
        server.set_discovery(bad.clone());
        let fresh = Verifier::builder()
            .pool(issuer.pool().discover_jwks_uri())
            .token_use(TokenUse::Access)
            .build()
            .unwrap();
        assert_eq!(
            kind(&fresh.verify(&issuer.access_token().sign()).await),
            "keys_unavailable",
            "{bad}"
        );
    }
}

#[tokio::test]
async fn discovery_urls_are_derived_for_every_issuer_of_a_pool() {
    // (The https-to-http downgrade rule is unit-tested in the fetcher: no TLS server here.)

    let v = Verifier::builder()
        .pool(
            Pool::new(POOL)
                .any_client()
                .discover_jwks_uri()
                .accept_global_issuer(),
        )
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    let uris = v.jwks_uris();
    assert_eq!(
        uris,
        [
            format!(
                "https://cognito-idp.eu-west-1.amazonaws.com/{POOL}/.well-known/openid-configuration"
            ),
            format!("{}/.well-known/openid-configuration", global_issuer()),
        ]
    );
}
