//! A key endpoint that answers badly, against a real JWKS server on 127.0.0.1: slow (within and
//! just over the timeout), oversized (declared or streamed), redirecting (never followed), or a
//! key set with no usable key (a failed fetch, the held keys keep serving). Outages, herds,
//! floods, rotation and `Retry-After` have their own files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use cognito_verify::defaults::DEFAULT_JWKS_MAX_BODY_BYTES;
use cognito_verify::testing::{Fault, JwksServer, TestIssuer};
use cognito_verify::{Error, KeyFetchError};
use common::{
    MIN, SEC, Setup, backoff_last, builder, fetch_error, fresh, kind, kinds, settle, spawn_counted,
};

/// An endpoint slower than usual but within the timeout is a working endpoint: headers late
/// (delay) or the body one byte at a time (trickle), one fetch for 50 waiters. Slower than the
/// timeout is a timeout. (The margins are wide, so a loaded machine does not change the answers.)
#[tokio::test]
async fn a_slow_endpoint_within_the_timeout_still_serves_keys() {
    let case = |fault: Fault, timeout: Duration| async move {
        let mut s = Setup::new().await;
        s.server.set_fault(fault.clone());
        let v = builder(&s, &s.server.url())
            .jwks_timeout(timeout)
            .build()
            .unwrap();
        let tokens = vec![fresh(&mut s); 50];
        let (tasks, parked) = spawn_counted(&v, &tokens).await;
        assert_eq!(parked, 50, "{fault:?}");
        let answers = kinds(tasks).await;
        assert_eq!(
            s.server.fetch_count(),
            1,
            "{fault:?}: one fetch for 50 waiters"
        );
        (fault, answers[0], v.verify(&tokens[0]).await.err())
    };
    let (generous, short) = (30 * SEC, SEC);
    let jwks_len = TestIssuer::new().jwks_json().len();
    assert!(
        jwks_len < 600,
        "a trickle of {jwks_len} bytes stays well under the generous timeout"
    );
    let results = futures_util::future::join3(
        case(Fault::Delay(2 * SEC), generous),
        case(Fault::Trickle(Duration::from_millis(1)), generous),
        case(Fault::Delay(3 * short), short),
    )
    .await;
    assert_eq!(results.0.1, "ok", "{:?}", results.0);
    assert_eq!(results.1.1, "ok", "{:?}", results.1);
    assert_eq!(results.2.1, "keys_unavailable", "{:?}", results.2);
    assert_eq!(
        results.2.2.as_ref().and_then(|e| match e {
            Error::KeysUnavailable(k) => backoff_last(k),
            _ => None,
        }),
        Some(&KeyFetchError::Timeout)
    );
}

/// The body cap holds whether the size is declared (`Content-Length`) or not (a chunked
/// stream), and a body of exactly the cap is accepted.
#[tokio::test]
async fn the_body_cap_holds_for_declared_and_streamed_bodies() {
    let s = Setup::new().await;
    let len = s.issuer.jwks_json().len();
    for (fault, cap, expected) in [
        (Fault::None, len, None),
        (
            Fault::None,
            len - 1,
            Some(KeyFetchError::BodyTooLarge { limit: len - 1 }),
        ),
        (Fault::Trickle(Duration::ZERO), len, None),
        (
            Fault::Trickle(Duration::ZERO),
            len - 1,
            Some(KeyFetchError::BodyTooLarge { limit: len - 1 }),
        ),
        (
            Fault::Oversized(10 * 1024 * 1024),
            DEFAULT_JWKS_MAX_BODY_BYTES,
            Some(KeyFetchError::BodyTooLarge {
                limit: DEFAULT_JWKS_MAX_BODY_BYTES,
            }),
        ),
    ] {
        s.server.set_fault(fault.clone());
        let v = builder(&s, &s.server.url())
            .jwks_max_body_bytes(cap)
            .build()
            .unwrap();
        let r = v.verify(&s.issuer.access_token().sign()).await;
        match expected {
            None => assert_eq!(kind(&r), "ok", "{fault:?} under a cap of {cap}"),
            Some(e) => assert_eq!(fetch_error(&r), Some(&e), "{fault:?} under a cap of {cap}"),
        }
    }
}

/// A redirect is never followed, even to a live key server holding the attacker's key: cold,
/// the verifier answers "keys unavailable"; warm, it keeps its keys and the attacker's tokens
/// are refused; the redirect target never sees a request.
#[tokio::test]
async fn redirects_are_never_followed_even_to_a_live_key_server() {
    let mut s = Setup::new().await;
    let attacker = TestIssuer::new(); // same pool id and issuer, the attacker's own key
    let attacker_server = JwksServer::start(attacker.jwks_json()).await.unwrap();
    let forged = attacker.access_token().sign();
    s.server.set_fault(Fault::Redirect(attacker_server.url()));

    let cold = builder(&s, &s.server.url()).build().unwrap();
    let r = cold.verify(&forged).await;
    assert_eq!(fetch_error(&r), Some(&KeyFetchError::Redirect));
    s.clock.advance(SEC);
    let r = cold.verify(&fresh(&mut s)).await;
    assert_eq!(fetch_error(&r), Some(&KeyFetchError::Redirect));

    s.server.set_fault(Fault::None);
    let uri = s.server.url();
    let warm = builder(&s, &uri).key_refresh_interval(MIN).build().unwrap();
    assert_eq!(kind(&warm.verify(&fresh(&mut s)).await), "ok");
    s.server.set_fault(Fault::Redirect(attacker_server.url()));
    for _ in 0..10 {
        s.clock.advance(MIN);
        let token = fresh(&mut s);
        assert_eq!(kind(&warm.verify(&token).await), "ok");
        let forged_kind = kind(&warm.verify(&forged).await);
        assert!(
            matches!(forged_kind, "keys_unavailable" | "unknown_kid"),
            "{forged_kind}"
        );
        settle(&warm).await;
    }
    assert_eq!(attacker_server.fetch_count(), 0);
}

/// A 200 answer whose key set has no usable key (`{"keys":[]}`, or only keys the verifier skips)
/// is a failed fetch: the held keys keep serving. (Replacing them would turn a misbehaving
/// endpoint into 401s for every token, with no back-off and no staleness window.)
#[tokio::test]
async fn an_answer_with_no_usable_key_does_not_replace_the_held_keys() {
    let mut s = Setup::new().await;
    let uri = s.server.url();
    let v = builder(&s, &uri).key_refresh_interval(MIN).build().unwrap();
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
    s.server.set_fault(Fault::Body("{\"keys\":[]}".into()));
    s.clock.advance(MIN);
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
    settle(&v).await;
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
}
