//! The verified-token cache: exact-token keys, re-checks on every hit, scope per verifier.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use cognito_verify::testing::Fault;
use cognito_verify::{TokenUse, Verifier, VerifierBuilder};
use common::{NOW, Setup, kind};

/// A builder for `token_use` with a 1 MiB token cache.
fn cached(s: &Setup, token_use: TokenUse) -> VerifierBuilder {
    s.builder(token_use).token_cache_max_bytes(1 << 20)
}

#[tokio::test]
async fn a_hit_returns_the_same_claims_without_verifying_again() {
    let s = Setup::new().await;
    let v = cached(&s, TokenUse::Access).build().unwrap();
    let token = s.issuer.access_token().sign();
    let first = v.verify(&token).await.unwrap();
    // The keys become unreachable: only a cache hit can still answer without a fetch.
    s.server.set_fault(Fault::Status(500));
    let second = v.verify(&token).await.unwrap();
    assert_eq!(first.claims(), second.claims());
    assert_eq!(s.server.fetch_count(), 1);
    let stats = v.token_cache_stats().unwrap();
    assert_eq!(stats.entries, 1);
    assert!(stats.estimated_bytes > token.len() as u64);
}

#[tokio::test]
async fn a_hit_rechecks_expiry() {
    let s = Setup::new().await;
    let v = cached(&s, TokenUse::Access)
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let token = s.issuer.access_token().expires_in(60).sign();
    assert_eq!(kind(&v.verify(&token).await), "ok");
    s.clock.set_unix(NOW + 60);
    assert_eq!(kind(&v.verify(&token).await), "expired");
}

#[tokio::test]
async fn only_the_exact_token_hits() {
    let s = Setup::new().await;
    let v = cached(&s, TokenUse::Access).build().unwrap();
    let token = s.issuer.access_token().sign();
    assert_eq!(kind(&v.verify(&token).await), "ok");
    // Same signature, other payload: not a hit, and refused.
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        cognito_verify::testing::b64(
            serde_json::Value::Object(
                s.issuer
                    .access_token()
                    .claim("username", "admin")
                    .claims()
                    .clone()
            )
            .to_string()
        ),
        parts[2]
    );
    assert_eq!(kind(&v.verify(&forged).await), "invalid_signature");
    // A prefix or an extension of a cached token is not a hit either.
    assert_eq!(
        kind(&v.verify(&token[..token.len() - 2]).await),
        "invalid_signature"
    );
    assert_eq!(
        kind(&v.verify(&format!("{token}AA")).await),
        "invalid_signature"
    );
}

#[tokio::test]
async fn entries_belong_to_one_verifier_configuration() {
    let s = Setup::new().await;
    let lenient = cached(&s, TokenUse::Either).build().unwrap();
    let strict = cached(&s, TokenUse::Id).build().unwrap();
    let token = s.issuer.access_token().sign();
    assert_eq!(kind(&lenient.verify(&token).await), "ok");
    assert_eq!(kind(&strict.verify(&token).await), "invalid_token_use");
}

#[tokio::test]
async fn an_entry_is_dropped_when_its_key_leaves_the_jwks() {
    let mut s = Setup::new().await;
    let v = cached(&s, TokenUse::Access)
        .key_refresh_interval(Duration::from_secs(60))
        .build()
        .unwrap();
    let token = s.issuer.access_token().sign();
    assert_eq!(kind(&v.verify(&token).await), "ok");
    // The hit starts a background refresh; once it lands, the entry no longer holds.
    assert_refused_once_its_key_is_retired(&mut s, &v, &token).await;
}

/// Rotates to a new key, takes the old one out of the JWKS, and moves the clock past the
/// 60 s refresh interval the tests here configure; `token`, verified by `v` before, is
/// `unknown_kid` once the refresh its next hit starts has landed.
async fn assert_refused_once_its_key_is_retired(s: &mut Setup, v: &Verifier, token: &str) {
    let old_kid = s.issuer.signing_key().kid().to_owned();
    s.issuer.rotate();
    s.issuer.remove_key(&old_kid);
    s.publish();
    s.clock.advance(Duration::from_secs(61));
    let _ = v.verify(token).await;
    common::settle(v).await;
    assert_eq!(v.key_fetch_count(), 2, "the refresh ran");
    assert_eq!(kind(&v.verify(token).await), "unknown_kid");
}

#[tokio::test]
async fn disabled_cache_reports_none_and_the_default_is_on() {
    let s = Setup::new().await;
    assert!(s.verifier(TokenUse::Access).token_cache_stats().is_none());
    let default = Verifier::builder()
        .pool(s.issuer.pool().jwks_uri(s.server.url()))
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    assert!(default.token_cache_stats().is_some());
}

/// A token hit many times on one thread is answered from that thread's front (and, after enough
/// hits, from its own copy of the claims): every re-check still applies there.
#[tokio::test]
async fn a_hot_token_is_rechecked_on_every_hit() {
    let mut s = Setup::new().await;
    let v = cached(&s, TokenUse::Access)
        .leeway(Duration::ZERO)
        .key_refresh_interval(Duration::from_secs(60))
        .build()
        .unwrap();
    let other = cached(&s, TokenUse::Id).build().unwrap();
    let expiring = s.issuer.access_token().expires_in(30).sign();
    let token = s.issuer.access_token().expires_in(3600).sign();
    for _ in 0..100 {
        assert_eq!(kind(&v.verify(&token).await), "ok");
        assert_eq!(kind(&v.verify(&expiring).await), "ok");
    }
    // Another verifier on this thread answers for its own configuration.
    assert_eq!(kind(&other.verify(&token).await), "invalid_token_use");
    assert_eq!(kind(&v.verify(&token).await), "ok");
    // Expiry.
    s.clock.advance(Duration::from_secs(30));
    assert_eq!(kind(&v.verify(&expiring).await), "expired");
    assert_eq!(kind(&v.verify(&token).await), "ok");
    // The key leaves the JWKS: once the refresh lands, the hot token is refused.
    assert_refused_once_its_key_is_retired(&mut s, &v, &token).await;
    assert_eq!(v.token_cache_stats().unwrap().entries, 0);
}

/// Serves `replacement` under the signing key's kid, next to a new kid, and makes the verifier
/// pick that set up through the new kid (the unknown-kid refetch): the JWKS has republished the
/// kid of the cached tokens.
async fn republish_kid(s: &Setup, v: &Verifier, replacement: serde_json::Value) {
    let new = cognito_verify::testing::TestKey::generate_with_kid("new-kid");
    s.server
        .set_jwks(serde_json::json!({"keys": [replacement, new.jwk()]}).to_string());
    let by_new = s
        .issuer
        .access_token()
        .kid("new-kid")
        .signed_with(&new)
        .sign();
    assert_eq!(
        kind(&v.verify(&by_new).await),
        "ok",
        "the new set is in use"
    );
    assert_eq!(s.server.fetch_count(), 2);
}

/// A verifier with the cache on, and a token it verified and answered from the cache (from this
/// thread's front and its private copy too) until it is hot.
async fn hot_cached_token(s: &Setup) -> (Verifier, String) {
    let v = cached(s, TokenUse::Access).build().unwrap();
    let token = s.issuer.access_token().sign();
    for _ in 0..100 {
        assert_eq!(kind(&v.verify(&token).await), "ok");
    }
    assert_eq!(s.server.fetch_count(), 1);
    (v, token)
}

/// Asserts that a fresh token signed by the issuer's key is refused with `expected`, and the
/// `cached` one too, every time.
async fn assert_fresh_and_cached_refused(s: &Setup, v: &Verifier, cached: &str, expected: &str) {
    let fresh = s.issuer.access_token().claim("jti", "fresh").sign();
    assert_eq!(kind(&v.verify(&fresh).await), expected, "the fresh token");
    for _ in 0..3 {
        assert_eq!(kind(&v.verify(cached).await), expected, "the cached token");
    }
}

#[tokio::test]
async fn a_hit_needs_the_very_key_that_verified_it_under_its_kid() {
    let s = Setup::new().await;
    let (v, cached) = hot_cached_token(&s).await;
    let kid = s.issuer.signing_key().kid().to_owned();
    let other_key = cognito_verify::testing::TestKey::generate_with_kid(kid);
    republish_kid(&s, &v, other_key.jwk()).await;
    // A fresh token signed by the old key is refused; the cached one must be too, every time.
    assert_fresh_and_cached_refused(&s, &v, &cached, "invalid_signature").await;
    assert_eq!(
        v.token_cache_stats().unwrap().entries,
        1,
        "only the new kid's token"
    );
}

#[tokio::test]
async fn a_hit_needs_the_key_published_with_the_same_alg() {
    let s = Setup::new().await;
    let (v, cached) = hot_cached_token(&s).await;
    let mut same_key_other_alg = s.issuer.signing_key().jwk();
    same_key_other_alg["alg"] = serde_json::json!("RS384");
    republish_kid(&s, &v, same_key_other_alg).await;
    assert_fresh_and_cached_refused(&s, &v, &cached, "algorithm_mismatch").await;
}

#[tokio::test]
async fn a_hit_survives_a_refetch_of_the_same_key() {
    let s = Setup::new().await;
    let (v, cached) = hot_cached_token(&s).await;
    republish_kid(&s, &v, s.issuer.signing_key().jwk()).await;
    // Same key, same alg, in a newly fetched set: still a hit (no fetch needed to answer it).
    s.server.set_fault(Fault::Status(500));
    assert_eq!(kind(&v.verify(&cached).await), "ok");
    assert_eq!(v.token_cache_stats().unwrap().entries, 2);
}
