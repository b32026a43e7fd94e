//! An injected `reqwest::Client`: used for every key fetch (discovery included), and still held
//! to the library's limits: the total deadline, the size cap, and no redirect used, even when
//! the client would follow one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use cognito_verify::testing::{Fault, Gate, JwksServer, TestIssuer};
use cognito_verify::{KeyFetchError, KeyFetchErrorKind, TokenUse, Verifier, VerifierBuilder};
use common::{GUARD, NOW, Setup, fetch_error, kind};
use reqwest::header::{HeaderMap, HeaderValue};

const MARKER: &str = "x-injected-client";

/// A client of the test's own, recognisable by a default header; it follows redirects (as
/// reqwest's default policy does) and has no timeout of its own unless given one.
fn injected(timeout: Option<Duration>) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(MARKER, HeaderValue::from_static("yes"));
    let client = reqwest::Client::builder()
        .no_proxy()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::limited(5));
    match timeout {
        Some(timeout) => client.timeout(timeout),
        None => client,
    }
    .build()
    .unwrap()
}

#[tokio::test]
async fn the_injected_client_sends_every_key_fetch() {
    let s = Setup::new().await;
    // A second pool whose keys are found through OpenID discovery (two requests per fetch).
    let mut other = TestIssuer::with_pool_id("local_Other1").client_id("other-client");
    other.set_now(NOW);
    let other_server = JwksServer::start(other.jwks_json()).await.unwrap();
    let other_issuer = format!("{}/local_Other1", other_server.base_url());
    let other = other.issuer_url(other_issuer.clone());
    other_server.set_discovery(
        serde_json::json!({ "issuer": other_issuer, "jwks_uri": other_server.url() }).to_string(),
    );
    let v = s
        .builder(TokenUse::Access)
        .pool(other.pool().discover_jwks_uri())
        .http_client(injected(None))
        .build()
        .unwrap();

    for _ in 0..3 {
        assert_eq!(kind(&v.verify(&s.issuer.access_token().sign()).await), "ok");
        assert_eq!(kind(&v.verify(&other.access_token().sign()).await), "ok");
    }
    assert_eq!(s.server.fetch_count(), 1);
    assert_eq!(s.server.requests_with_header(MARKER, "yes"), 1);
    assert_eq!(other_server.fetch_count(), 2, "discovery, then the JWKS");
    assert_eq!(other_server.requests_with_header(MARKER, "yes"), 2);
    assert_eq!(v.key_fetch_count(), 2);

    // A rotation (past the unknown-kid cooldown) refetches with it too.
    let mut s = s;
    s.issuer.rotate();
    s.publish();
    s.clock.advance(Duration::from_secs(60));
    assert_eq!(kind(&v.verify(&s.issuer.access_token().sign()).await), "ok");
    assert_eq!(s.server.requests_with_header(MARKER, "yes"), 2);

    // Without one, the library's own client fetches (no marker).
    let own = s.verifier(TokenUse::Access);
    assert_eq!(
        kind(&own.verify(&s.issuer.access_token().sign()).await),
        "ok"
    );
    assert_eq!(s.server.fetch_count(), 3);
    assert_eq!(s.server.requests_with_header(MARKER, "yes"), 2);
}

/// A client that follows redirects does reach the redirect's target, but its answer is never
/// used: the fetch fails with `redirect`, and the attacker's key verifies nothing.
#[tokio::test]
async fn a_redirect_followed_by_the_client_is_refused() {
    let s = Setup::new().await;
    let attacker = TestIssuer::new(); // the same pool id and issuer, the attacker's own key
    let attacker_server = JwksServer::start(attacker.jwks_json()).await.unwrap();
    s.server.set_fault(Fault::Redirect(attacker_server.url()));
    let v = s
        .builder(TokenUse::Access)
        .http_client(injected(None))
        .build()
        .unwrap();

    let r = v.verify(&attacker.access_token().sign()).await;
    assert_eq!(fetch_error(&r), Some(&KeyFetchError::Redirect));
    assert_eq!(
        fetch_error(&r).map(KeyFetchError::kind),
        Some(KeyFetchErrorKind::Redirect)
    );
    assert_eq!(r.unwrap_err().status_code(), 503);
    assert_eq!(s.server.requests_with_header(MARKER, "yes"), 1);
    assert_eq!(
        attacker_server.fetch_count(),
        1,
        "the client followed the redirect"
    );

    // With a client that does not follow redirects, the 302 itself is refused alike.
    let s = Setup::new().await;
    s.server.set_fault(Fault::Redirect(attacker_server.url()));
    let no_follow = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let v = s
        .builder(TokenUse::Access)
        .http_client(no_follow)
        .build()
        .unwrap();
    let r = v.verify(&s.issuer.access_token().sign()).await;
    assert_eq!(fetch_error(&r), Some(&KeyFetchError::Redirect));
    assert_eq!(attacker_server.fetch_count(), 1, "not followed this time");
}

/// `builder` with this fetch deadline and the injected client with this timeout of its own.
fn deadline_verifier(
    builder: VerifierBuilder,
    deadline: Duration,
    client_timeout: Option<Duration>,
) -> Verifier {
    builder
        .jwks_timeout(deadline)
        .http_client(injected(client_timeout))
        .build()
        .unwrap()
}

/// Asserts that verifying a token ends in a fetch `timeout`, by the fetch's own deadline.
async fn assert_times_out(s: &Setup, v: &Verifier) {
    let r = tokio::time::timeout(GUARD, v.verify(&s.issuer.access_token().sign()))
        .await
        .expect("the fetch ends by its deadline, not the client's");
    assert_eq!(fetch_error(&r), Some(&KeyFetchError::Timeout));
}

/// The total deadline applies to an injected client's requests, even one with a much longer
/// timeout of its own (or none): a body that stalls, and a request held before it reaches the
/// endpoint, each end in `timeout`.
#[tokio::test]
async fn the_deadline_applies_to_the_injected_clients_requests() {
    let deadline = Duration::from_millis(300);
    for client_timeout in [None, Some(Duration::from_secs(3600))] {
        // A body that stalls after its first bytes.
        let s = Setup::new().await;
        s.server.set_fault(Fault::Stall);
        let v = deadline_verifier(s.builder(TokenUse::Access), deadline, client_timeout);
        assert_times_out(&s, &v).await;
        assert_eq!(s.server.requests_with_header(MARKER, "yes"), 1);

        // A request held at a gate in front of the endpoint: no answer at all.
        let s = Setup::new().await;
        let gate = Gate::start(s.server.addr()).await;
        gate.hold();
        let builder = Verifier::builder()
            .pool(s.issuer.pool().jwks_uri(gate.url()))
            .token_use(TokenUse::Access)
            .clock(s.clock.clone());
        let v = deadline_verifier(builder, deadline, client_timeout);
        assert_times_out(&s, &v).await;
        gate.release();
    }
}

/// The size cap applies while an injected client's answer is read.
#[tokio::test]
async fn the_size_cap_applies_to_the_injected_clients_answers() {
    let s = Setup::new().await;
    s.server.set_fault(Fault::Oversized(8 * 1024));
    let v = s
        .builder(TokenUse::Access)
        .jwks_max_body_bytes(4 * 1024)
        .http_client(injected(None))
        .build()
        .unwrap();
    let r = v.verify(&s.issuer.access_token().sign()).await;
    assert_eq!(
        fetch_error(&r),
        Some(&KeyFetchError::BodyTooLarge { limit: 4 * 1024 })
    );
    assert_eq!(s.server.requests_with_header(MARKER, "yes"), 1);
}
