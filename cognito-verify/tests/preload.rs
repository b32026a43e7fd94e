//! `Pool::preload_jwks`: the first token verifies from the preloaded set without a fetch, and a
//! `kid` the set lacks (a rotation since it was taken) is fetched from the pool's JWKS URI, as
//! for a fetched set; `Pool::static_jwks` never fetches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{ErrorKind, TokenUse, Verifier};

fn verifier(pool: cognito_verify::Pool) -> Verifier {
    Verifier::builder()
        .pool(pool)
        .token_use(TokenUse::Access)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_preloaded_set_verifies_without_a_fetch_and_still_fetches_an_unknown_kid() {
    let mut issuer = TestIssuer::new();
    let preloaded = issuer.jwks_json();
    let server = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let verifier = verifier(issuer.pool().jwks_uri(server.url()).preload_jwks(preloaded));

    let token = issuer.access_token().sign();
    verifier.verify(&token).await.unwrap();
    assert_eq!((verifier.key_fetch_count(), server.fetch_count()), (0, 0));

    // The pool rotates: a token signed with a key the preloaded set lacks.
    issuer.rotate();
    server.set_jwks(issuer.jwks_json());
    let rotated = issuer.access_token().sign();
    verifier.verify(&rotated).await.unwrap();
    assert_eq!((verifier.key_fetch_count(), server.fetch_count()), (1, 1));
    // The old key is still served, and answers from the fetched set.
    verifier.verify(&token).await.unwrap();
    assert_eq!(server.fetch_count(), 1);
}

#[tokio::test]
async fn a_preloaded_set_with_a_broken_endpoint_answers_its_own_keys_and_fails_closed_otherwise() {
    let mut issuer = TestIssuer::new();
    let preloaded = issuer.jwks_json();
    let token = issuer.access_token().sign();
    // Nothing listens on port 9 of loopback (discard): every fetch fails.
    let verifier = verifier(
        issuer
            .pool()
            .jwks_uri("http://127.0.0.1:9/jwks.json")
            .preload_jwks(preloaded),
    );
    verifier.verify(&token).await.unwrap();
    issuer.rotate();
    let rotated = issuer.access_token().sign();
    let error = verifier.verify(&rotated).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::KeysUnavailable, "{error}");
    assert_eq!(verifier.key_fetch_count(), 1);
}

#[tokio::test]
async fn a_static_set_never_fetches() {
    let mut issuer = TestIssuer::new();
    let server = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let verifier = verifier(
        issuer
            .pool()
            .jwks_uri(server.url())
            .static_jwks(issuer.jwks_json()),
    );
    issuer.rotate();
    server.set_jwks(issuer.jwks_json());
    let error = verifier
        .verify(&issuer.access_token().sign())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnknownKid);
    assert_eq!((verifier.key_fetch_count(), server.fetch_count()), (0, 0));
}

#[test]
fn an_invalid_preloaded_set_fails_the_build() {
    let issuer = TestIssuer::new();
    let error = Verifier::builder()
        .pool(issuer.pool().preload_jwks("{\"keys\": 1}"))
        .token_use(TokenUse::Access)
        .build()
        .unwrap_err();
    assert_eq!(error.kind().as_str(), "invalid_static_jwks");
}
