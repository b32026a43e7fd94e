//! `Retry-After` of a rate-limiting or unavailable key endpoint (429 / 503), against a real
//! JWKS server on 127.0.0.1: no attempt before it (held keys keep serving meanwhile), capped at
//! `MAX_RETRY_AFTER`, floored at one second, and `Error::retry_after()` tells the time left.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use cognito_verify::KeyFetchError;
use cognito_verify::defaults::MAX_RETRY_AFTER;
use cognito_verify::testing::Fault;
use common::{MIN, SEC, Setup, builder, capture_logs, fetch_error, fresh, kind, outcomes, settle};

/// `Retry-After` on a 429 or a 503 is obeyed (no attempt before it, even when the back-off
/// alone would allow one; held keys keep serving meanwhile) and capped at `MAX_RETRY_AFTER`.
#[tokio::test]
async fn retry_after_on_429_and_503_is_respected_and_capped() {
    capture_logs();
    for (status, asked, waited) in [
        (429, 120, Duration::from_secs(120)),
        (503, 45, Duration::from_secs(45)),
        (429, 0, SEC), // nothing to wait for: the back-off's first second applies
        (429, 86_400, MAX_RETRY_AFTER),
    ] {
        let what = format!("{status} Retry-After: {asked}");
        let mut s = Setup::new().await;
        let uri = s.server.url();
        let v = builder(&s, &uri)
            .key_refresh_interval(MIN)
            .fetch_backoff(SEC, 30 * SEC)
            .build()
            .unwrap();
        assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
        s.server.set_fault(Fault::RetryAfter(status, asked));
        s.clock.advance(MIN);
        assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok", "{what}");
        settle(&v).await;
        assert_eq!(v.key_fetch_count(), 2, "{what}");
        s.server.set_fault(Fault::None);

        // Until the endpoint's wait is over: tokens verify, nothing is fetched.
        let mut waited_so_far = Duration::ZERO;
        while waited_so_far + SEC < waited {
            let step = (waited - waited_so_far - SEC).min(20 * SEC).max(SEC);
            s.clock.advance(step);
            waited_so_far += step;
            assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok", "{what}");
            settle(&v).await;
            assert_eq!(v.key_fetch_count(), 2, "{what}: at {waited_so_far:?}");
        }
        // Then the next request refreshes.
        s.clock.advance(waited - waited_so_far);
        assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok", "{what}");
        settle(&v).await;
        assert_eq!(
            v.key_fetch_count(),
            3,
            "{what}: refreshed once the wait was over"
        );
        assert_eq!(outcomes(&uri).ok, 2, "{what}");
    }
}

/// Cold, `429 Retry-After: 120`: the answer names the rate limit and the wait; during the
/// back-off `Error::retry_after()` is the time left before the next attempt (not the 1 s floor:
/// no fetch happens for 120 s); no attempt is made before the wait is over, and the
/// first request after it fetches.
#[tokio::test]
async fn a_cold_rate_limited_fetch_waits_the_time_asked_and_tells_the_time_left() {
    let s = Setup::new().await;
    s.server.set_fault(Fault::RetryAfter(429, 120));
    let v = builder(&s, &s.server.url()).build().unwrap();
    let token = s.issuer.access_token().sign();
    let first = v.verify(&token).await;
    assert_eq!(
        fetch_error(&first),
        Some(&KeyFetchError::RateLimited {
            retry_after: Duration::from_secs(120)
        })
    );
    assert_eq!(
        first.unwrap_err().retry_after(),
        Some(Duration::from_secs(120))
    );
    s.server.set_fault(Fault::None);
    s.clock.advance(20 * SEC);
    let during = v.verify(&token).await.unwrap_err();
    assert_eq!(during.retry_after(), Some(Duration::from_secs(100)));
    s.clock.advance(99 * SEC);
    assert_eq!(kind(&v.verify(&token).await), "keys_unavailable");
    assert_eq!(
        s.server.fetch_count(),
        1,
        "no attempt before the wait is over"
    );
    s.clock.advance(SEC);
    assert_eq!(kind(&v.verify(&token).await), "ok");
    assert_eq!(s.server.fetch_count(), 2);
}
