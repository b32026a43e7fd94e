//! Shared set-up for the integration tests: a test issuer, its JWKS on a real loopback server,
//! a verifier on a manual clock, and the instruments of the key-cache tests.
//!
//! How the key-cache tests stay deterministic without asserting on durations:
//! - The verifier's clock is a [`ManualClock`]: refresh, staleness, back-off, cooldown and token
//!   expiry all move by injected time. Only network timeouts are real (and short).
//! - A [`Gate`](cognito_verify::testing::Gate) in front of the `JwksServer` refuses connections
//!   or holds requests, so "a fetch is in flight" is a state the test controls.
//! - [`settle`] waits for the fetches a verifier started to finish instead of sleeping, and the
//!   key cache's log events ([`outcomes`]) tell what became of them.
//! - Herds and floods count how many verifies were parked on the one fetch at their first poll
//!   ([`spawn_counted`]), which proves they were concurrent without measuring time.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cognito_verify::testing::{
    Gate, JwksServer, LogCapture, TestIssuer, b64, wait_for_key_fetches,
};
use cognito_verify::{
    Error, KeyFetchError, ManualClock, TokenUse, Verified, Verifier, VerifierBuilder,
};
use serde_json::json;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// 2023-11-14T22:13:20Z: the fixed "now" of the tests.
pub(crate) const NOW: u64 = 1_700_000_000;
pub(crate) const MIN: Duration = Duration::from_secs(60);
pub(crate) const SEC: Duration = Duration::from_secs(1);
/// Turns a hang into a failure; never a latency assertion.
pub(crate) const GUARD: Duration = Duration::from_secs(60);

pub(crate) struct Setup {
    pub(crate) issuer: TestIssuer,
    pub(crate) server: JwksServer,
    pub(crate) clock: ManualClock,
}

impl Setup {
    pub(crate) async fn new() -> Self {
        let mut issuer = TestIssuer::new();
        issuer.set_now(NOW);
        let server = JwksServer::start(issuer.jwks_json()).await.unwrap();
        Setup {
            issuer,
            server,
            clock: ManualClock::at_unix(NOW),
        }
    }

    /// A builder for this issuer's pool at `server.url()`, on the manual clock, accepting
    /// `token_use`, with the token cache off (so every call exercises the full path).
    pub(crate) fn builder(&self, token_use: TokenUse) -> VerifierBuilder {
        Verifier::builder()
            .pool(self.issuer.pool().jwks_uri(self.server.url()))
            .token_use(token_use)
            .clock(self.clock.clone())
            .token_cache_max_bytes(0)
            .jwks_timeout(Duration::from_secs(2))
    }

    pub(crate) fn verifier(&self, token_use: TokenUse) -> Verifier {
        self.builder(token_use).build().unwrap()
    }

    /// Re-publishes the issuer's current keys.
    pub(crate) fn publish(&self) {
        self.server.set_jwks(self.issuer.jwks_json());
    }
}

/// The pool's verifier fetching from `uri` on the test's clock; everything else at its default.
pub(crate) fn builder(s: &Setup, uri: &str) -> VerifierBuilder {
    Verifier::builder()
        .pool(s.issuer.pool().jwks_uri(uri))
        .token_use(TokenUse::Access)
        .clock(s.clock.clone())
}

/// A gate in front of the pool's server, and a verifier fetching through it with the token cache
/// off and a 30 s fetch deadline: the set-up of the herds and floods.
pub(crate) async fn gated(s: &Setup) -> (Gate, Verifier) {
    let gate = Gate::start(s.server.addr()).await;
    let v = builder(s, &gate.url())
        .token_cache_max_bytes(0)
        .jwks_timeout(30 * SEC)
        .build()
        .unwrap();
    (gate, v)
}

/// `count` access tokens told apart by their `jti`, `<prefix>-0`, `<prefix>-1`, ….
pub(crate) fn distinct_tokens(s: &Setup, prefix: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            s.issuer
                .access_token()
                .claim("jti", format!("{prefix}-{i}"))
                .sign()
        })
        .collect()
}

/// A fresh access token minted at the clock's current time (Cognito keeps issuing tokens).
pub(crate) fn fresh(s: &mut Setup) -> String {
    s.issuer.set_now(s.clock.unix_seconds());
    s.issuer.access_token().sign()
}

/// The kind of the error, or "ok".
pub(crate) fn kind<T>(r: &Result<T, cognito_verify::Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.kind().as_str(),
    }
}

/// Why the keys were unavailable, if they were.
pub(crate) fn fetch_error(r: &Result<Verified, Error>) -> Option<&KeyFetchError> {
    match r {
        Err(Error::KeysUnavailable(e)) => Some(e),
        _ => None,
    }
}

/// Why the last fetch failed, for a "backing off" answer.
pub(crate) fn backoff_last(e: &KeyFetchError) -> Option<&KeyFetchError> {
    match e {
        KeyFetchError::BackingOff { last, .. } => Some(last),
        _ => None,
    }
}

/// The same token with another `kid` (its signature no longer matters: the kid is judged first).
pub(crate) fn with_kid(token: &str, kid: &str) -> String {
    let (_, rest) = token.split_once('.').unwrap();
    format!(
        "{}.{rest}",
        b64(json!({"kid": kid, "alg": "RS256"}).to_string())
    )
}

/// xorshift64*: reproducible "random" kids.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A kid of 1..=256 characters from the base64url alphabet (Cognito's are 44).
    pub(crate) fn kid(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let len = 1 + (self.next() % 256) as usize;
        (0..len)
            .map(|_| ALPHABET[(self.next() % 64) as usize] as char)
            .collect()
    }
}

/// Waits until every fetch `v` has started has finished (its outcome recorded).
pub(crate) async fn settle(v: &Verifier) {
    tokio::time::timeout(GUARD, wait_for_key_fetches(v))
        .await
        .expect("a key fetch never finished");
}

/// Records the process's log events from now on (for [`outcomes`]).
pub(crate) fn capture_logs() {
    LogCapture::global();
}

/// What became of the fetches of one URI, as the key cache logged them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Outcomes {
    pub(crate) ok: u64,
    pub(crate) failed: u64,
    /// The failures' messages, in order.
    pub(crate) errors: Vec<String>,
}

impl Outcomes {
    pub(crate) fn finished(&self) -> u64 {
        self.ok + self.failed
    }
}

/// The outcomes so far of the fetches of `uri` (after [`capture_logs`]).
pub(crate) fn outcomes(uri: &str) -> Outcomes {
    let mut outcomes = Outcomes::default();
    for event in LogCapture::global().events_with("uri", uri) {
        match event.message.as_str() {
            "fetched key set" => outcomes.ok += 1,
            "key set fetch failed" => {
                outcomes.failed += 1;
                outcomes
                    .errors
                    .push(event.field("error").unwrap_or_default().to_owned());
            }
            _ => {}
        }
    }
    outcomes
}

/// Verifies and counts, at the first poll, whether the verify had to wait (for a fetch).
async fn counted(
    v: Verifier,
    token: String,
    polled: Arc<AtomicUsize>,
    parked: Arc<AtomicUsize>,
    ran: Arc<Notify>,
) -> &'static str {
    let mut verify = std::pin::pin!(v.verify(&token));
    let mut first = true;
    let result = std::future::poll_fn(|cx| {
        let poll = verify.as_mut().poll(cx);
        if first {
            first = false;
            if poll.is_pending() {
                parked.fetch_add(1, Ordering::SeqCst);
            }
            polled.fetch_add(1, Ordering::SeqCst);
            ran.notify_one();
        }
        poll
    })
    .await;
    kind(&result)
}

/// Spawns one task per token; returns them once every verify has been polled once, with how
/// many of them were then waiting.
pub(crate) async fn spawn_counted(
    v: &Verifier,
    tokens: &[String],
) -> (Vec<JoinHandle<&'static str>>, usize) {
    let (polled, parked) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let ran = Arc::new(Notify::new());
    let tasks: Vec<_> = tokens
        .iter()
        .map(|t| {
            tokio::spawn(counted(
                v.clone(),
                t.clone(),
                polled.clone(),
                parked.clone(),
                ran.clone(),
            ))
        })
        .collect();
    while polled.load(Ordering::SeqCst) < tokens.len() {
        tokio::time::timeout(GUARD, ran.notified())
            .await
            .expect("tasks never ran");
    }
    (tasks, parked.load(Ordering::SeqCst))
}

/// The answers of the tasks, in order.
pub(crate) async fn kinds(tasks: Vec<JoinHandle<&'static str>>) -> Vec<&'static str> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}
