//! The key cache against a real JWKS server on loopback: faults, rotation, refresh, staleness,
//! back-off, cooldown under a flood of unknown kids, and coalescing of concurrent fetches.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use cognito_verify::testing::refused_jwks_url;
use cognito_verify::testing::{Fault, TestKey};
use cognito_verify::{Error, KeyFetchError, TokenUse, Verifier};
use common::{Setup, kind};
use serde_json::json;

fn keys_unavailable(r: &Result<cognito_verify::Verified, Error>) -> Option<&KeyFetchError> {
    match r {
        Err(Error::KeysUnavailable(e)) => Some(e),
        _ => None,
    }
}

#[tokio::test]
async fn keys_are_fetched_once_and_reused() {
    let s = Setup::new().await;
    let v = s.verifier(TokenUse::Access);
    for _ in 0..5 {
        assert_eq!(kind(&v.verify(&s.issuer.access_token().sign()).await), "ok");
    }
    assert_eq!(s.server.fetch_count(), 1);
    assert_eq!(v.key_fetch_count(), 1);
}

#[tokio::test]
async fn endpoint_faults_are_keys_unavailable() {
    let cases: Vec<(Fault, &str)> = vec![
        (Fault::Status(500), "status 500"),
        (Fault::Status(404), "status 404"),
        (Fault::Body("<html>not json</html>".into()), "garbage"),
        (Fault::Body("{\"keys\": {}}".into()), "keys not an array"),
        (Fault::Body("[{\"kty\":\"RSA\"}]".into()), "array document"),
        (Fault::Body("{}".into()), "no keys member"),
        (Fault::Oversized(100 * 1024), "oversized body"),
        (Fault::Reset, "connection reset before the answer"),
        (
            Fault::Redirect("http://127.0.0.1:1/elsewhere".into()),
            "redirect",
        ),
    ];
    for (fault, what) in cases {
        let s = Setup::new().await;
        s.server.set_fault(fault.clone());
        let v = s.verifier(TokenUse::Access);
        let r = v.verify(&s.issuer.access_token().sign()).await;
        let e =
            keys_unavailable(&r).unwrap_or_else(|| panic!("{what}: {:?}", r.as_ref().map(drop)));
        let expected = match fault {
            Fault::Status(code) => KeyFetchError::Status(code),
            Fault::Redirect(_) => KeyFetchError::Redirect,
            Fault::Oversized(_) => KeyFetchError::BodyTooLarge { limit: 64 * 1024 },
            Fault::Reset => KeyFetchError::Request,
            _ => KeyFetchError::NotAKeySet,
        };
        assert_eq!(e, &expected, "{what}");
        assert_eq!(r.unwrap_err().status_code(), 503, "{what}");
        assert_eq!(
            s.server.fetch_count(),
            1,
            "{what}: redirects are not followed"
        );
    }
}

#[tokio::test]
async fn connection_refused_is_keys_unavailable() {
    let s = Setup::new().await;
    let v = Verifier::builder()
        .pool(s.issuer.pool().jwks_uri(refused_jwks_url()))
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    let r = v.verify(&s.issuer.access_token().sign()).await;
    assert_eq!(keys_unavailable(&r), Some(&KeyFetchError::Connect));
    assert_eq!(r.unwrap_err().retry_after(), Some(Duration::from_secs(1)));
}

#[tokio::test]
async fn a_stalled_or_trickling_body_is_cut_off_by_the_total_deadline() {
    for fault in [
        Fault::Stall,
        Fault::Trickle(Duration::from_millis(50)),
        Fault::Delay(Duration::from_secs(30)),
    ] {
        let s = Setup::new().await;
        s.server.set_fault(fault.clone());
        let v = s
            .builder(TokenUse::Access)
            .jwks_timeout(Duration::from_millis(600))
            .build()
            .unwrap();
        let started = Instant::now();
        let r = v.verify(&s.issuer.access_token().sign()).await;
        let took = started.elapsed();
        assert_eq!(
            keys_unavailable(&r),
            Some(&KeyFetchError::Timeout),
            "{fault:?}"
        );
        // Generous bound: the point is that it returns, not how fast (no timing assertions).
        assert!(took < Duration::from_secs(10), "{fault:?} took {took:?}");
    }
}

#[tokio::test]
async fn a_slow_endpoint_within_the_deadline_works() {
    let s = Setup::new().await;
    s.server.set_fault(Fault::Delay(Duration::from_millis(200)));
    let v = s
        .builder(TokenUse::Access)
        .jwks_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert_eq!(kind(&v.verify(&s.issuer.access_token().sign()).await), "ok");
}

#[tokio::test]
async fn unusable_keys_are_skipped_one_by_one() {
    let s = Setup::new().await;
    let good = s.issuer.signing_key().jwk();
    let small = TestKey::generate_with_kid("small");
    let mut small_jwk = small.jwk();
    // A 1024-bit modulus: half of a real one.
    let n = small_jwk["n"].as_str().unwrap().to_owned();
    small_jwk["n"] = json!(n[..n.len() / 2]);
    let mut enc = TestKey::generate_with_kid("enc").jwk();
    enc["use"] = json!("enc");
    let mut es = TestKey::generate_with_kid("es").jwk();
    es["alg"] = json!("ES256");
    let mut padded = TestKey::generate_with_kid("padded").jwk();
    padded["n"] = json!(format!("{}=", padded["n"].as_str().unwrap()));
    let mut no_kid = TestKey::generate().jwk();
    no_kid.as_object_mut().unwrap().remove("kid");
    let mut ops = TestKey::generate_with_kid("ops").jwk();
    ops["key_ops"] = json!(["encrypt"]);
    let jwks = json!({"keys": [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "ec"},
        {"kty": "RSA", "kid": "no-n", "e": "AQAB"},
        "not an object",
        small_jwk, enc, es, padded, no_kid, ops,
        good,
    ]});
    s.server.set_jwks(jwks.to_string());
    let v = s.verifier(TokenUse::Access);
    assert_eq!(kind(&v.verify(&s.issuer.access_token().sign()).await), "ok");
    for kid in ["hmac", "ec", "no-n", "small", "enc", "es", "padded", "ops"] {
        let t = s.issuer.access_token().kid(kid).sign();
        assert_eq!(kind(&v.verify(&t).await), "unknown_kid", "{kid}");
    }
}

#[tokio::test]
async fn two_keys_under_one_kid_make_it_ambiguous() {
    let s = Setup::new().await;
    let kid = s.issuer.signing_key().kid().to_owned();
    let twin = TestKey::generate_with_kid(kid.clone());
    let other = TestKey::generate_with_kid("other");
    s.server.set_jwks(
        json!({"keys": [s.issuer.signing_key().jwk(), twin.jwk(), other.jwk()]}).to_string(),
    );
    let v = s.verifier(TokenUse::Access);
    assert_eq!(
        kind(&v.verify(&s.issuer.access_token().sign()).await),
        "unknown_kid"
    );
    let by_other = s
        .issuer
        .access_token()
        .kid("other")
        .signed_with(&other)
        .sign();
    assert_eq!(kind(&v.verify(&by_other).await), "ok");
}

#[tokio::test]
async fn header_key_locations_are_ignored() {
    // jku/x5u pointing at an attacker's server, jwk/x5c embedding the attacker's key: ignored.
    let s = Setup::new().await;
    let attacker = TestKey::generate_with_kid("attacker");
    let attacker_server =
        cognito_verify::testing::JwksServer::start(json!({"keys": [attacker.jwk()]}).to_string())
            .await
            .unwrap();
    let v = s.verifier(TokenUse::Access);
    let forged = s
        .issuer
        .access_token()
        .kid("attacker")
        .header("jku", attacker_server.url())
        .header("x5u", attacker_server.url())
        .header("jwk", attacker.jwk())
        .header("x5c", json!(["MIIB"]))
        .signed_with(&attacker)
        .sign();
    assert_eq!(kind(&v.verify(&forged).await), "unknown_kid");
    assert_eq!(attacker_server.fetch_count(), 0);
    // A kid with path characters is only a lookup key: one fetch of the configured URI, no more.
    let path_kid = s.issuer.access_token().kid("../../etc/passwd?x=1#").sign();
    assert_eq!(kind(&v.verify(&path_kid).await), "unknown_kid");
    assert!(s.server.fetch_count() <= 2);
}

#[tokio::test]
async fn a_fetch_completes_even_if_the_request_that_started_it_is_dropped() {
    let s = Setup::new().await;
    s.server.set_fault(Fault::Delay(Duration::from_millis(300)));
    let v = s.verifier(TokenUse::Access);
    let token = s.issuer.access_token().sign();
    let dropped = tokio::time::timeout(Duration::from_millis(50), v.verify(&token)).await;
    assert!(dropped.is_err(), "the first request was cut off");
    common::settle(&v).await;
    s.server.set_fault(Fault::Status(500));
    // The fetch the dropped request started finished and stored the keys.
    assert_eq!(kind(&v.verify(&token).await), "ok");
    assert_eq!(s.server.fetch_count(), 1);
}

#[tokio::test]
async fn failures_back_off_instead_of_fetching_on_every_request() {
    let s = Setup::new().await;
    s.server.set_fault(Fault::Status(503));
    let v = s
        .builder(TokenUse::Access)
        .fetch_backoff(Duration::from_secs(2), Duration::from_secs(8))
        .build()
        .unwrap();
    let token = s.issuer.access_token().sign();
    for _ in 0..20 {
        assert_eq!(kind(&v.verify(&token).await), "keys_unavailable");
    }
    assert_eq!(s.server.fetch_count(), 1);
    let r = v.verify(&token).await;
    assert!(matches!(
        keys_unavailable(&r),
        Some(KeyFetchError::BackingOff { .. })
    ));
    s.clock.advance(Duration::from_secs(2));
    assert_eq!(kind(&v.verify(&token).await), "keys_unavailable");
    assert_eq!(s.server.fetch_count(), 2);
    s.clock.advance(Duration::from_secs(2)); // second back-off is 4 s
    assert_eq!(kind(&v.verify(&token).await), "keys_unavailable");
    assert_eq!(s.server.fetch_count(), 2);
    s.server.set_fault(Fault::None);
    s.clock.advance(Duration::from_secs(2));
    assert_eq!(kind(&v.verify(&token).await), "ok");
    assert_eq!(s.server.fetch_count(), 3);
}

#[tokio::test]
async fn prefetch_loads_keys_at_start_up() {
    let s = Setup::new().await;
    let v = s.verifier(TokenUse::Access);
    v.prefetch().await.unwrap();
    assert_eq!(s.server.fetch_count(), 1);
    assert_eq!(kind(&v.verify(&s.issuer.access_token().sign()).await), "ok");
    assert_eq!(s.server.fetch_count(), 1);

    let down = Verifier::builder()
        .pool(s.issuer.pool().jwks_uri(refused_jwks_url()))
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    assert_eq!(
        down.prefetch().await.unwrap_err().kind(),
        cognito_verify::ErrorKind::KeysUnavailable
    );
}

/// RSA exponents must be odd, at least 3 and at most 2^32: others are skipped when the set is
/// read (an entered key answers `invalid_signature` for a token its modulus did not sign with that
/// exponent; a skipped one is `unknown_kid`).
#[tokio::test]
async fn rsa_exponents_outside_odd_3_to_2_pow_32_are_skipped() {
    let s = Setup::new().await;
    let good = s.issuer.signing_key().jwk();
    let with_e = |kid: &str, e: u64| {
        let bytes = e.to_be_bytes();
        let first = bytes.iter().position(|&b| b != 0).unwrap();
        let mut jwk = good.clone();
        jwk["kid"] = json!(kid);
        jwk["e"] = json!(cognito_verify::testing::b64(&bytes[first..]));
        jwk
    };
    let cases = [
        ("e-1", 1, "unknown_kid"),
        ("e-2", 2, "unknown_kid"),
        ("e-65536", 65536, "unknown_kid"),
        ("e-2^32", 1 << 32, "unknown_kid"),
        ("e-2^32+1", (1 << 32) + 1, "unknown_kid"),
        ("e-2^40+1", (1 << 40) + 1, "unknown_kid"),
        ("e-3", 3, "invalid_signature"),
        ("e-2^32-1", (1 << 32) - 1, "invalid_signature"),
        ("e-65537", 65537, "ok"),
    ];
    let mut keys = vec![good.clone()];
    keys.extend(cases.iter().map(|(kid, e, _)| with_e(kid, *e)));
    s.server.set_jwks(json!({ "keys": keys }).to_string());
    let v = s.verifier(TokenUse::Access);
    assert_eq!(kind(&v.verify(&s.issuer.access_token().sign()).await), "ok");
    for (kid, e, expected) in cases {
        let token = s.issuer.access_token().kid(kid).sign();
        assert_eq!(kind(&v.verify(&token).await), expected, "e = {e}");
    }
}

/// A JWKS document is read under the token's strict JSON rules: a duplicate member (two `keys`,
/// which serde_json alone resolves to the last) makes it a failed fetch.
#[tokio::test]
async fn a_jwks_with_a_duplicate_member_is_a_failed_fetch() {
    type Document = fn(&serde_json::Value) -> String;
    let cases: [(Document, &str); 3] = [
        (
            |good| format!(r#"{{"keys":[],"keys":[{good}]}}"#),
            "two keys members",
        ),
        (
            |good| format!(r#"{{"keys":[{good}],"x":1,"x":2}}"#),
            "two other members",
        ),
        (
            |good| format!(r#"{{"keys":[{good}],"x":{{"y":1,"y":2}}}}"#),
            "a nested duplicate",
        ),
    ];
    for (document, what) in cases {
        let s = Setup::new().await;
        s.server.set_jwks(document(&s.issuer.signing_key().jwk()));
        let v = s.verifier(TokenUse::Access);
        let r = v.verify(&s.issuer.access_token().sign()).await;
        assert_eq!(
            keys_unavailable(&r),
            Some(&KeyFetchError::NotAKeySet),
            "{what}"
        );
    }
}
