//! Cold-start herds against a real JWKS server on 127.0.0.1: however many verifies arrive at
//! once on a cache without usable keys, they share one fetch — on a healthy endpoint, on a
//! failing one (and the next herd does not retry it during the back-off), and when the held
//! keys pass the staleness limit. (A herd on a cold cache whose first answer predates a rotation
//! is in `rotation.rs`; a herd on a stalled endpoint in `outage.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cognito_verify::defaults::DEFAULT_KEY_MAX_STALENESS;
use cognito_verify::testing::Fault;
use common::{NOW, SEC, Setup, distinct_tokens, gated, kind, kinds, spawn_counted};

/// 1,000 concurrent verifies on an empty cache: all of them wait on one fetch (held at the gate
/// until every verify is parked on it), and that is the only fetch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_start_herd_of_1000_verifies_makes_exactly_one_fetch() {
    let s = Setup::new().await;
    let (gate, v) = gated(&s).await;
    let distinct = distinct_tokens(&s, "herd", 10);
    let tokens: Vec<String> = (0..1000).map(|i| distinct[i % 10].clone()).collect();

    gate.hold();
    let (tasks, parked) = spawn_counted(&v, &tokens).await;
    assert_eq!(parked, 1000, "every verify is waiting");
    assert_eq!(v.key_fetch_count(), 1, "for one fetch");
    assert_eq!(s.server.fetch_count(), 0, "which the gate holds");
    gate.release();
    let answers = kinds(tasks).await;
    assert!(answers.iter().all(|k| *k == "ok"), "{answers:?}");
    assert_eq!(s.server.fetch_count(), 1);
    assert_eq!(v.key_fetch_count(), 1);
}

/// The same herd on a failing endpoint: one fetch, 1,000 "keys unavailable"; and the next
/// 1,000 do not retry it (back-off). The same herd when the held keys pass the staleness limit:
/// one refetch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herds_on_a_failing_endpoint_and_at_the_staleness_limit_make_one_fetch() {
    let s = Setup::new().await;
    let (gate, v) = gated(&s).await;
    let tokens = vec![s.issuer.access_token().claim("exp", NOW + 86_400).sign(); 1000];

    s.server.set_fault(Fault::Status(500));
    gate.hold();
    let (tasks, parked) = spawn_counted(&v, &tokens).await;
    assert_eq!(parked, 1000);
    gate.release();
    assert!(kinds(tasks).await.iter().all(|k| *k == "keys_unavailable"));
    let (tasks, parked) = spawn_counted(&v, &tokens).await;
    assert!(kinds(tasks).await.iter().all(|k| *k == "keys_unavailable"));
    assert_eq!(parked, 0, "backing off: answered at once");
    assert_eq!(s.server.fetch_count(), 1);

    s.server.set_fault(Fault::None);
    s.clock.advance(SEC);
    assert_eq!(kind(&v.verify(&tokens[0]).await), "ok");
    assert_eq!(s.server.fetch_count(), 2);

    s.clock.advance(DEFAULT_KEY_MAX_STALENESS + SEC);
    gate.hold();
    let (tasks, parked) = spawn_counted(&v, &tokens).await;
    assert_eq!(
        parked, 1000,
        "keys too old: every verify waits for the refetch"
    );
    gate.release();
    assert!(kinds(tasks).await.iter().all(|k| *k == "ok"));
    assert_eq!(s.server.fetch_count(), 3);
    assert_eq!(v.key_fetch_count(), 3);
}
