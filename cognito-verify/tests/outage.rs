//! Outages of the key endpoint, against a real JWKS server on 127.0.0.1: held keys serve every
//! valid token up to the staleness limit, then "keys unavailable", then recovery within one
//! back-off period; attempts are paced by the back-off, not by traffic. Covered: a six-hour
//! outage under the default settings (500s, resets mid-body, connections closed, refused
//! connections), every failure mode at the staleness boundary, a stalled body, and a flapping
//! endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use cognito_verify::KeyFetchError;
use cognito_verify::defaults::{
    DEFAULT_FETCH_BACKOFF_MAX, DEFAULT_JWKS_MAX_BODY_BYTES, DEFAULT_KEY_MAX_STALENESS,
    DEFAULT_KEY_REFRESH_INTERVAL,
};
use cognito_verify::testing::{Fault, Gate, JwksServer, TestIssuer};
use common::{
    MIN, NOW, Rng, SEC, Setup, backoff_last, builder, capture_logs, fetch_error, fresh, kind,
    kinds, outcomes, settle, spawn_counted, with_kid,
};

/// How the endpoint is sick.
#[derive(Debug, Clone)]
enum Sickness {
    /// The server answers with this fault. (`Fault::Reset` drops the connection before any byte
    /// of the answer: the client sees the request fail.)
    Fault(Fault),
    /// Headers and part of the body are sent, then the connection is reset.
    ResetMidBody,
    /// Nothing listens: connections are refused.
    Refused,
}

async fn make_sick(s: &Setup, gate: &mut Gate, sickness: &Sickness) {
    match sickness {
        Sickness::Fault(fault) => s.server.set_fault(fault.clone()),
        Sickness::ResetMidBody => gate.cut_off().await,
        Sickness::Refused => gate.refuse().await,
    }
}

async fn heal(s: &Setup, gate: &mut Gate) {
    s.server.set_fault(Fault::None);
    gate.reopen().await;
}

/// The outage, with every setting at its default (token cache on): the endpoint fails
/// right after warm-up and stays down for six hours of injected time — 500s for two hours,
/// then an hour of connections reset mid-body, an hour of connections closed before any
/// answer, then two hours of refused connections. Every valid token verifies until the keys
/// are older than `DEFAULT_KEY_MAX_STALENESS`; then "keys unavailable"; the endpoint returns and
/// keys are back within one back-off period. Attempts are paced by the back-off, not traffic.
#[tokio::test]
async fn a_six_hour_outage_is_ridden_out_with_the_defaults_then_fails_closed_then_recovers() {
    capture_logs();
    let mut s = Setup::new().await;
    let mut gate = Gate::start(s.server.addr()).await;
    let uri = gate.url();
    let v = builder(&s, &uri).build().unwrap();

    // A token that outlives the outage (Cognito allows up to a day), verified and cached.
    let long_lived = s.issuer.access_token().claim("exp", NOW + 24 * 3600).sign();
    assert_eq!(kind(&v.verify(&long_lived).await), "ok");
    assert_eq!(v.key_fetch_count(), 1);

    let step = 5 * MIN;
    let (mut elapsed, mut expected_attempts) = (Duration::ZERO, 1);
    let mut phase = "";
    while elapsed < DEFAULT_KEY_MAX_STALENESS {
        let (now_phase, sickness) = match elapsed.as_secs() / 3600 {
            0 | 1 => ("500", Sickness::Fault(Fault::Status(500))),
            2 => ("reset mid-body", Sickness::ResetMidBody),
            3 => ("closed", Sickness::Fault(Fault::Reset)),
            _ => ("refused", Sickness::Refused),
        };
        if now_phase != phase {
            phase = now_phase;
            heal(&s, &mut gate).await;
            make_sick(&s, &mut gate, &sickness).await;
        }
        elapsed += step;
        s.clock.advance(step);

        // A new token, the same token again (cache hit), the old cached one, and a burst.
        let token = fresh(&mut s);
        for t in [&token, &token, &long_lived] {
            let r = v.verify(t).await;
            assert_eq!(
                kind(&r),
                "ok",
                "{phase} at {elapsed:?}: nothing valid is refused"
            );
        }
        for _ in 0..20 {
            assert_eq!(kind(&v.verify(&token).await), "ok");
        }
        settle(&v).await;
        if elapsed >= DEFAULT_KEY_REFRESH_INTERVAL {
            expected_attempts += 1; // exactly one background attempt per 5-minute step
        }
        assert_eq!(v.key_fetch_count(), expected_attempts, "at {elapsed:?}");
    }
    // Keys exactly as old as the limit were still used (above); one second more and they're not.
    let seen = outcomes(&uri);
    assert_eq!(seen.ok, 1, "only the warm-up fetch succeeded");
    for (what, text) in [
        ("500s", "HTTP 500"),
        ("resets mid-body", "reading the JWKS response failed"),
        ("connections closed", "the JWKS request could not be made"),
        ("refused connections", "could not connect"),
    ] {
        assert!(
            seen.errors.iter().any(|e| e.contains(text)),
            "{what} were seen: {:?}",
            seen.errors
        );
    }
    s.clock.advance(SEC);
    let token = fresh(&mut s);
    for t in [&token, &long_lived] {
        let r = v.verify(t).await;
        assert_eq!(
            fetch_error(&r).and_then(backoff_last),
            Some(&KeyFetchError::Connect),
            "past the staleness limit: keys unavailable, not a verdict on the token"
        );
        assert_eq!(r.unwrap_err().status_code(), 503);
    }

    // The endpoint returns. The verifier waits out its current back-off (no hammering)...
    heal(&s, &mut gate).await;
    s.clock.advance(DEFAULT_FETCH_BACKOFF_MAX - 2 * SEC);
    assert_eq!(kind(&v.verify(&token).await), "keys_unavailable");
    assert_eq!(v.key_fetch_count(), expected_attempts);
    // ...and has keys again within one back-off period of the endpoint's return.
    s.clock.advance(SEC);
    assert_eq!(kind(&v.verify(&token).await), "ok");
    assert_eq!(kind(&v.verify(&long_lived).await), "ok");
    assert_eq!(v.key_fetch_count(), expected_attempts + 1);
    assert_eq!(outcomes(&uri).ok, 2);
    let mut by_error = std::collections::BTreeMap::new();
    for e in &seen.errors {
        *by_error.entry(e.as_str()).or_insert(0) += 1;
    }
    eprintln!(
        "six-hour outage: {} fetch attempts in 6 h ({} failed: {by_error:?}); keys back {:?} after the endpoint",
        v.key_fetch_count(),
        seen.failed,
        DEFAULT_FETCH_BACKOFF_MAX - SEC
    );
}

/// Every way the endpoint can be sick, at the staleness boundary: the held keys serve every
/// valid token up to `key_max_staleness`, the first request past it gets "keys unavailable"
/// naming the endpoint's failure, and keys are back one back-off period after it heals.
#[tokio::test]
async fn every_failure_mode_serves_held_keys_to_the_staleness_limit_and_recovers() {
    capture_logs();
    let decoy = JwksServer::start(TestIssuer::new().jwks_json())
        .await
        .unwrap();
    let cases: Vec<(Sickness, KeyFetchError)> = vec![
        (
            Sickness::Fault(Fault::Status(500)),
            KeyFetchError::Status(500),
        ),
        (
            Sickness::Fault(Fault::Status(502)),
            KeyFetchError::Status(502),
        ),
        (
            Sickness::Fault(Fault::Status(503)),
            KeyFetchError::Status(503),
        ),
        (
            Sickness::Fault(Fault::Status(404)),
            KeyFetchError::Status(404),
        ),
        (Sickness::Fault(Fault::Reset), KeyFetchError::Request),
        (Sickness::ResetMidBody, KeyFetchError::Body),
        (Sickness::Refused, KeyFetchError::Connect),
        (Sickness::Fault(Fault::Stall), KeyFetchError::Timeout),
        (
            Sickness::Fault(Fault::Trickle(Duration::from_millis(50))),
            KeyFetchError::Timeout,
        ),
        (
            Sickness::Fault(Fault::Oversized(DEFAULT_JWKS_MAX_BODY_BYTES + 1)),
            KeyFetchError::BodyTooLarge {
                limit: DEFAULT_JWKS_MAX_BODY_BYTES,
            },
        ),
        (
            Sickness::Fault(Fault::Body("<html>Service Unavailable</html>".into())),
            KeyFetchError::NotAKeySet,
        ),
        (
            Sickness::Fault(Fault::Body(String::new())),
            KeyFetchError::NotAKeySet,
        ),
        (
            Sickness::Fault(Fault::Body("{\"keys\":{\"kty\":\"RSA\"}}".into())),
            KeyFetchError::NotAKeySet,
        ),
        (
            Sickness::Fault(Fault::Body("{\"keys\":[{\"kty\":\"RSA\"".into())),
            KeyFetchError::NotAKeySet,
        ),
        (
            Sickness::Fault(Fault::Redirect(decoy.url())),
            KeyFetchError::Redirect,
        ),
    ];
    let runs = cases
        .into_iter()
        .map(|(sickness, expected)| outage_at_the_boundary(sickness, expected));
    futures_util::future::join_all(runs).await;
    assert_eq!(decoy.fetch_count(), 0, "the redirect was never followed");
}

async fn outage_at_the_boundary(sickness: Sickness, expected: KeyFetchError) {
    let (refresh, staleness, backoff_max) = (MIN, 5 * MIN, 8 * SEC);
    let mut s = Setup::new().await;
    let mut gate = Gate::start(s.server.addr()).await;
    let uri = gate.url();
    let v = builder(&s, &uri)
        .key_refresh_interval(refresh)
        .key_max_staleness(staleness)
        .fetch_backoff(SEC, backoff_max)
        .jwks_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
    make_sick(&s, &mut gate, &sickness).await;

    for _ in 0..5 {
        s.clock.advance(MIN);
        let token = fresh(&mut s);
        assert_eq!(kind(&v.verify(&token).await), "ok", "{sickness:?}");
        settle(&v).await;
    }
    assert_eq!(v.key_fetch_count(), 6, "{sickness:?}: one attempt a minute");
    assert_eq!(outcomes(&uri).failed, 5, "{sickness:?}");

    s.clock.advance(SEC);
    let token = fresh(&mut s);
    let r = v.verify(&token).await;
    assert_eq!(
        fetch_error(&r).and_then(backoff_last),
        Some(&expected),
        "{sickness:?}"
    );

    heal(&s, &mut gate).await;
    s.clock.advance(backoff_max - SEC);
    assert_eq!(
        kind(&v.verify(&token).await),
        "ok",
        "{sickness:?}: recovered"
    );
    assert_eq!(v.key_fetch_count(), 7, "{sickness:?}");
}

/// A stalled body (headers sent, body never finished) is cut off by the configured timeout: a
/// cold herd gets "keys unavailable: timeout" from one fetch; with keys held, verifies never
/// wait for the stalled refresh; with keys too old, the request waits at most the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_endpoint_is_cut_off_at_the_timeout_and_never_holds_up_held_keys() {
    capture_logs();
    let timeout = SEC;
    let guard = 10 * timeout; // turns a hang into a failure; not a latency assertion

    // Cold: 100 concurrent verifies, one stalled fetch, all answered "timeout".
    let mut s = Setup::new().await;
    s.server.set_fault(Fault::Stall);
    let v = builder(&s, &s.server.url())
        .jwks_timeout(timeout)
        .build()
        .unwrap();
    let tokens = vec![fresh(&mut s); 100];
    let started = Instant::now();
    let (tasks, parked) = spawn_counted(&v, &tokens).await;
    assert_eq!(parked, 100, "all waited on the one fetch");
    let answers = tokio::time::timeout(guard, kinds(tasks))
        .await
        .expect("hung");
    eprintln!(
        "stall, cold: 100 verifies answered in {:?} (timeout {timeout:?})",
        started.elapsed()
    );
    assert!(answers.iter().all(|k| *k == "keys_unavailable"));
    assert_eq!(s.server.fetch_count(), 1);
    let r = v.verify(&tokens[0]).await;
    assert_eq!(
        fetch_error(&r).and_then(backoff_last),
        Some(&KeyFetchError::Timeout)
    );

    // Warm, refresh due: the refresh stalls in the background (here with a long timeout, so it
    // is certainly still stalled), and 1,000 verifies are answered meanwhile.
    let mut s = Setup::new().await;
    let uri = s.server.url();
    let v = builder(&s, &uri)
        .jwks_timeout(60 * SEC)
        .key_refresh_interval(MIN)
        .token_cache_max_bytes(0)
        .build()
        .unwrap();
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
    settle(&v).await;
    s.server.set_fault(Fault::Stall);
    s.clock.advance(MIN);
    let token = fresh(&mut s);
    for _ in 0..1000 {
        assert_eq!(kind(&v.verify(&token).await), "ok");
    }
    let during = outcomes(&uri);
    assert_eq!(v.key_fetch_count(), 2, "the refresh started");
    assert_eq!(s.server.fetch_count(), 2, "and reached the endpoint");
    assert_eq!(
        (during.ok, during.failed),
        (1, 0),
        "1,000 verifies answered while the refresh was still stalled"
    );

    // Refresh due, then keys too old: the refresh is cut off at the timeout (recorded as a
    // failure, keys still served), then a request that needs keys waits at most the timeout.
    let mut s = Setup::new().await;
    let uri = s.server.url();
    let v = builder(&s, &uri)
        .jwks_timeout(timeout)
        .key_refresh_interval(MIN)
        .key_max_staleness(10 * MIN)
        .build()
        .unwrap();
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
    s.server.set_fault(Fault::Stall);
    s.clock.advance(MIN);
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
    tokio::time::timeout(guard, settle(&v)).await.expect("hung");
    assert!(outcomes(&uri).errors[0].contains("timed out"));
    s.clock.advance(10 * MIN);
    let token = fresh(&mut s);
    let started = Instant::now();
    let r = tokio::time::timeout(guard, v.verify(&token))
        .await
        .expect("hung");
    eprintln!(
        "stall, keys too old: answered in {:?} (timeout {timeout:?})",
        started.elapsed()
    );
    assert_eq!(fetch_error(&r), Some(&KeyFetchError::Timeout));
}

/// An endpoint that goes down and up for two hours (500s, resets, refused connections, 503 with
/// `Retry-After`) never costs a valid token, never lets an unknown kid through, and is not
/// hammered: at most one attempt per request-carrying step and kind of trigger.
#[tokio::test]
async fn a_flapping_endpoint_never_costs_a_valid_token() {
    capture_logs();
    let mut s = Setup::new().await;
    let mut gate = Gate::start(s.server.addr()).await;
    let uri = gate.url();
    let v = builder(&s, &uri)
        .key_refresh_interval(2 * MIN)
        .key_max_staleness(10 * MIN)
        .fetch_backoff(SEC, 30 * SEC)
        .jwks_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
    let sicknesses = [
        Sickness::Fault(Fault::Status(500)),
        Sickness::ResetMidBody,
        Sickness::Refused,
        Sickness::Fault(Fault::RetryAfter(503, 45)),
        Sickness::Fault(Fault::Body("not json".into())),
        Sickness::Fault(Fault::Reset),
    ];
    let step = 30 * SEC;
    let steps = 240; // two hours: 3 minutes up, 3 minutes down, each time sick another way
    let mut rng = Rng(0xF1A9);
    let mut unknown_answers = std::collections::BTreeMap::new();
    for i in 0..steps {
        let (cycle, at) = (i / 12, i % 12);
        if at == 0 && cycle > 0 {
            heal(&s, &mut gate).await;
        } else if at == 6 {
            make_sick(&s, &mut gate, &sicknesses[cycle % sicknesses.len()]).await;
        }
        s.clock.advance(step);
        let token = fresh(&mut s);
        assert_eq!(kind(&v.verify(&token).await), "ok", "step {i}");
        assert_eq!(kind(&v.verify(&token).await), "ok", "step {i}");
        let stranger = with_kid(&token, &rng.kid());
        let answer = kind(&v.verify(&stranger).await);
        assert!(
            matches!(answer, "unknown_kid" | "keys_unavailable"),
            "step {i}: {answer}"
        );
        *unknown_answers.entry(answer).or_insert(0) += 1;
        settle(&v).await;
    }
    let attempts = v.key_fetch_count();
    let seen = outcomes(&uri);
    assert!(attempts <= 1 + 2 * steps as u64, "{attempts} attempts");
    assert!(seen.ok > 10 && seen.failed > 10, "{seen:?}");
    eprintln!(
        "flapping: {steps} steps, {attempts} fetch attempts ({} ok, {} failed), unknown kids: {unknown_answers:?}",
        seen.ok, seen.failed
    );
}
