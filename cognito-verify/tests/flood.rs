//! Floods of unknown `kid`s against a real JWKS server on 127.0.0.1: the first unknown kid
//! refetches at once, then at most one refetch per cooldown, on a warm cache and on a cold one;
//! tokens with known kids keep verifying throughout and never wait for the flood's refetch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use cognito_verify::TokenUse;
use cognito_verify::defaults::DEFAULT_UNKNOWN_KID_COOLDOWN;
use cognito_verify::testing::Fault;
use common::{
    Rng, SEC, Setup, capture_logs, distinct_tokens, gated, kind, kinds, outcomes, settle,
    spawn_counted, with_kid,
};

/// 10,000 tokens with random unknown kids: the first refetches at once, then at most one
/// refetch per cooldown; tokens with known kids keep verifying throughout, and finish while the
/// flood's refetch is still held in flight (they never wait for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_10000_unknown_kids_costs_one_fetch_per_cooldown_and_never_delays_known_kids() {
    capture_logs();
    let s = Setup::new().await;
    let (gate, v) = gated(&s).await;
    let uri = gate.url();
    let cooldown = DEFAULT_UNKNOWN_KID_COOLDOWN;
    let known = distinct_tokens(&s, "known", 8);
    assert_eq!(kind(&v.verify(&known[0]).await), "ok");
    settle(&v).await;
    let mut rng = Rng(0x5EED);
    let flood: Vec<String> = (0..10_000)
        .map(|i| with_kid(&known[i % 8], &rng.kid()))
        .collect();

    // Wave 1 (2,000): the first unknown kid starts a refetch, which the gate holds; every other
    // flood token joins it.
    gate.hold();
    let (wave, parked) = spawn_counted(&v, &flood[..2000]).await;
    assert_eq!(parked, 2000);
    assert_eq!(v.key_fetch_count(), 2, "one refetch for 2,000 unknown kids");
    // Known kids meanwhile: answered from the held keys, while the refetch is still in flight.
    let known_meanwhile = {
        let (v, known) = (v.clone(), known.clone());
        tokio::spawn(async move {
            let mut ok = 0;
            for i in 0..1000 {
                ok += usize::from(v.verify(&known[i % 8]).await.is_ok());
            }
            ok
        })
        .await
        .unwrap()
    };
    assert_eq!(known_meanwhile, 1000);
    assert_eq!(
        outcomes(&uri).finished(),
        1,
        "the known-kid verifies all finished before the refetch did"
    );
    assert_eq!(s.server.fetch_count(), 1, "the refetch is still held");
    gate.release();
    assert!(kinds(wave).await.iter().all(|k| *k == "unknown_kid"));
    settle(&v).await;
    assert_eq!(s.server.fetch_count(), 2);

    // Waves 2..41 (8,000): one injected second apart; at most one refetch per cooldown.
    let mut refetched_at = vec![0u64];
    for (second, chunk) in flood[2000..].chunks(200).enumerate() {
        s.clock.advance(SEC);
        let before = v.key_fetch_count();
        let (wave, _) = spawn_counted(&v, chunk).await;
        let known_wave: Vec<_> = (0..25)
            .map(|i| {
                let (v, t) = (v.clone(), known[i % 8].clone());
                tokio::spawn(async move { v.verify(&t).await.is_ok() })
            })
            .collect();
        assert!(kinds(wave).await.iter().all(|k| *k == "unknown_kid"));
        for k in known_wave {
            assert!(k.await.unwrap(), "a known kid failed during the flood");
        }
        settle(&v).await;
        let after = v.key_fetch_count();
        assert!(after - before <= 1);
        if after > before {
            refetched_at.push(second as u64 + 1);
        }
    }
    for pair in refetched_at.windows(2) {
        assert!(
            pair[1] - pair[0] >= cooldown.as_secs(),
            "refetches {refetched_at:?} closer than the cooldown"
        );
    }
    let expected = 1 + 40 / cooldown.as_secs();
    assert_eq!(refetched_at.len() as u64, expected, "{refetched_at:?}");
    assert_eq!(v.key_fetch_count(), 1 + expected);
    assert_eq!(s.server.fetch_count(), 1 + expected);
    eprintln!(
        "flood: 10,000 unknown kids over 40 s of injected time, refetches at {refetched_at:?} s, {} known-kid verifies all ok",
        1000 + 40 * 25
    );
}

#[tokio::test]
async fn one_verify_causes_at_most_one_fetch_and_one_refetch() {
    let s = Setup::new().await;
    let v = s.verifier(TokenUse::Access);
    // Cold cache, unknown kid: the fetch, then (the kid unknown in that fresh set) one refetch.
    let t = s.issuer.access_token().kid("nope").sign();
    assert_eq!(kind(&v.verify(&t).await), "unknown_kid");
    assert_eq!(s.server.fetch_count(), 2);
    // Warm cache, another unknown kid: the refetch was spent, the cooldown holds.
    let t2 = s.issuer.access_token().kid("nope-2").sign();
    assert_eq!(kind(&v.verify(&t2).await), "unknown_kid");
    assert_eq!(s.server.fetch_count(), 2);
    // Past the cooldown, warm cache, unknown kid: exactly one refetch, final for the call.
    s.clock.advance(Duration::from_secs(5));
    let t3 = s.issuer.access_token().kid("nope-3").sign();
    assert_eq!(kind(&v.verify(&t3).await), "unknown_kid");
    assert_eq!(s.server.fetch_count(), 3);
}

/// A flood of random kids on a cold verifier: the fetch, one refetch, then the cooldown.
#[tokio::test]
async fn a_cold_unknown_kid_flood_costs_one_fetch_and_one_refetch() {
    let s = Setup::new().await;
    s.server.set_fault(Fault::Delay(Duration::from_millis(100)));
    let v = s.verifier(TokenUse::Access);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let v = v.clone();
            let t = s.issuer.access_token().kid(&format!("random-{i}")).sign();
            tokio::spawn(async move { kind(&v.verify(&t).await) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "unknown_kid");
    }
    assert_eq!(s.server.fetch_count(), 2);
    assert_eq!(kind(&v.verify(&s.issuer.access_token().sign()).await), "ok");
    assert_eq!(s.server.fetch_count(), 2);
}
