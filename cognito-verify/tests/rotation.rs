//! Key rotation against a real JWKS server on 127.0.0.1: a new key is picked up at once, or
//! within one unknown-kid cooldown when the cooldown was just spent; a removed key's tokens are
//! refused once the next refresh has run; a cold cache whose first answer predates a rotation
//! still verifies the new key's tokens in the same verify (one fetch plus one refetch, shared by
//! a herd).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use cognito_verify::TokenUse;
use cognito_verify::defaults::{DEFAULT_KEY_REFRESH_INTERVAL, DEFAULT_UNKNOWN_KID_COOLDOWN};
use cognito_verify::testing::Fault;
use common::{NOW, SEC, Setup, builder, kind, settle, with_kid};
use serde_json::json;

/// A new key is published (the old one still listed): the first token signed with it refetches
/// at once and verifies. Another new key is published just after that spent the unknown-kid
/// cooldown: tokens signed with it are refused as unknown until the cooldown is over, then
/// verify — within one cooldown of publication. The old key is then removed: its tokens (even
/// ones in the verified-token cache) are refused once the next refresh has run.
#[tokio::test]
async fn rotation_new_key_within_the_cooldown_and_removed_key_after_the_next_refresh() {
    let mut s = Setup::new().await;
    let uri = s.server.url();
    let v = builder(&s, &uri).build().unwrap(); // defaults, token cache on
    let cooldown = DEFAULT_UNKNOWN_KID_COOLDOWN;
    let old_kid = s.issuer.signing_key().kid().to_owned();
    let old = s.issuer.access_token().claim("exp", NOW + 3 * 3600).sign();
    assert_eq!(kind(&v.verify(&old).await), "ok");
    s.issuer.rotate();
    s.publish();
    let first_new = s.issuer.access_token().claim("exp", NOW + 3 * 3600).sign();
    assert_eq!(kind(&v.verify(&first_new).await), "ok", "picked up at once");
    assert_eq!(v.key_fetch_count(), 2, "by one refetch");
    assert_eq!(
        kind(&v.verify(&old).await),
        "ok",
        "the old key still serves"
    );
    assert_eq!(
        kind(&v.verify(&with_kid(&old, "someone-else")).await),
        "unknown_kid"
    );
    assert_eq!(v.key_fetch_count(), 2, "the cooldown is now spent");

    s.clock.advance(SEC);
    s.issuer.rotate();
    s.publish();
    let published = s.clock.unix_seconds();
    s.issuer.set_now(published);
    let new = s.issuer.access_token().claim("exp", NOW + 3 * 3600).sign();
    let picked_up = loop {
        match kind(&v.verify(&new).await) {
            "ok" => break s.clock.unix_seconds(),
            "unknown_kid" => {}
            other => panic!("{other}"),
        }
        assert_eq!(kind(&v.verify(&old).await), "ok");
        s.clock.advance(SEC);
        assert!(s.clock.unix_seconds() - published <= 2 * cooldown.as_secs());
    };
    assert!(
        picked_up - published <= cooldown.as_secs(),
        "picked up {}s after publication",
        picked_up - published
    );
    assert_eq!(v.key_fetch_count(), 3);

    s.issuer.remove_key(&old_kid);
    s.publish();
    assert_eq!(kind(&v.verify(&old).await), "ok", "not refreshed yet");
    assert!(v.token_cache_stats().unwrap().entries >= 2);
    s.clock.advance(DEFAULT_KEY_REFRESH_INTERVAL);
    // This request is answered from the held keys and starts the refresh in the background.
    assert_eq!(kind(&v.verify(&new).await), "ok");
    settle(&v).await;
    assert_eq!(v.key_fetch_count(), 4);
    assert_eq!(
        kind(&v.verify(&old).await),
        "unknown_kid",
        "removed key: refused"
    );
    assert_eq!(kind(&v.verify(&new).await), "ok");
    s.issuer.set_now(s.clock.unix_seconds());
    let minted_later = s.issuer.access_token().kid(&old_kid).sign();
    assert_eq!(kind(&v.verify(&minted_later).await), "unknown_kid");
}

/// A cold verifier whose first fetch predates a rotation (the endpoint answers `[k1]` first and
/// `[k1, k2]` afterwards) verifies a k2 token within the same verify: one fetch plus one refetch.
#[tokio::test]
async fn a_cold_start_sees_a_rotation_within_one_verify() {
    let mut s = Setup::new().await;
    let before = json!({ "keys": [s.issuer.signing_key().jwk()] }).to_string();
    s.issuer.rotate();
    s.server.queue_jwks([before, s.issuer.jwks_json()]);
    let v = s.verifier(TokenUse::Access);
    let token = s.issuer.access_token().sign();
    assert_eq!(kind(&v.verify(&token).await), "ok");
    assert_eq!(s.server.fetch_count(), 2);
    assert_eq!(kind(&v.verify(&token).await), "ok");
    assert_eq!(s.server.fetch_count(), 2);
    // The refetch counted as the first unknown kid: the cooldown follows it.
    let unknown = s.issuer.access_token().kid("nope").sign();
    assert_eq!(kind(&v.verify(&unknown).await), "unknown_kid");
    assert_eq!(s.server.fetch_count(), 2);
}

/// Many requests at once on a cold verifier whose first answer predates a rotation: they share
/// the one fetch and the one refetch, and all verify.
#[tokio::test]
async fn a_cold_herd_sees_a_rotation_with_one_fetch_and_one_refetch() {
    let mut s = Setup::new().await;
    let before = json!({ "keys": [s.issuer.signing_key().jwk()] }).to_string();
    s.issuer.rotate();
    s.server.queue_jwks([before, s.issuer.jwks_json()]);
    s.server.set_fault(Fault::Delay(Duration::from_millis(100)));
    let v = s.verifier(TokenUse::Access);
    let token = s.issuer.access_token().sign();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (v, t) = (v.clone(), token.clone());
            tokio::spawn(async move { kind(&v.verify(&t).await) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "ok");
    }
    assert_eq!(s.server.fetch_count(), 2);
}
