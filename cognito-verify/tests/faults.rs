//! Fault injection and floods against a real JWKS endpoint on 127.0.0.1 (issue 6).
//!
//! A sick key endpoint must never make the verifier hang, accept what it should not, or refuse
//! what it should accept before the documented staleness limit. Covered here: an outage of six
//! hours of injected time under the default settings (500s, then resets, then refused
//! connections); every failure mode at the staleness boundary with recovery within one back-off
//! period; a stalled body; a flapping endpoint; a slow endpoint just under (and just over) the
//! timeout; oversized, wrong and redirecting answers; 429/503 with `Retry-After`; a cold-start
//! herd of 1,000 verifies; a flood of 10,000 unknown kids; key rotation.
//!
//! How the tests stay deterministic without asserting on durations:
//! - The verifier's clock is a [`ManualClock`]: refresh, staleness, back-off, cooldown and token
//!   expiry all move by injected time. Only network timeouts are real (and short).
//! - A [`Gate`] (a TCP forwarder on a fixed loopback port) sits in front of the `JwksServer`: it
//!   can refuse connections (its listener is closed, then re-bound on the same port) and hold
//!   requests (bytes are not forwarded until released), so "a fetch is in flight" is a state the
//!   test controls, not a race it hopes to win.
//! - A tracing [`probe`] counts finished fetches per JWKS URI (the key cache logs each outcome),
//!   so a test waits for exactly the fetches it started ([`settle`]) instead of sleeping.
//! - The herd and the flood count how many verifies were parked on the one fetch at their first
//!   poll, which proves they were concurrent without measuring time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cognito_verify::defaults::{
    DEFAULT_FETCH_BACKOFF_MAX, DEFAULT_JWKS_MAX_BODY_BYTES, DEFAULT_KEY_MAX_STALENESS,
    DEFAULT_KEY_REFRESH_INTERVAL, DEFAULT_UNKNOWN_KID_COOLDOWN, MAX_RETRY_AFTER,
};
use cognito_verify::testing::{Fault, JwksServer, TestIssuer, b64};
use cognito_verify::{Error, KeyFetchError, TokenUse, Verified, Verifier, VerifierBuilder};
use common::{NOW, Setup, kind};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

const MIN: Duration = Duration::from_secs(60);
const SEC: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------------------
// Instruments
// ---------------------------------------------------------------------------------------------

/// Counts the key cache's "fetched key set" / "key set fetch failed" events per JWKS URI.
mod probe {
    use std::collections::HashMap;
    use std::fmt::Debug;
    use std::sync::{Mutex, Once};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    /// What became of the fetches of one URI.
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

    static OUTCOMES: Mutex<Option<HashMap<String, Outcomes>>> = Mutex::new(None);

    struct Probe;

    #[derive(Default)]
    struct Fields {
        message: String,
        uri: Option<String>,
        error: Option<String>,
    }

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
            match field.name() {
                "message" => self.message = format!("{value:?}"),
                "uri" => self.uri = Some(format!("{value:?}")),
                "error" => self.error = Some(format!("{value:?}")),
                _ => {}
            }
        }
    }

    impl Subscriber for Probe {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.target().starts_with("cognito_verify")
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            let Some(uri) = fields.uri else { return };
            let ok = match fields.message.as_str() {
                "fetched key set" => true,
                "key set fetch failed" => false,
                _ => return,
            };
            let mut all = OUTCOMES.lock().unwrap_or_else(|e| e.into_inner());
            let entry = all.get_or_insert_with(HashMap::new).entry(uri).or_default();
            if ok {
                entry.ok += 1;
            } else {
                entry.failed += 1;
                entry.errors.push(fields.error.unwrap_or_default());
            }
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    /// Installs the probe as the process's subscriber (once).
    pub(crate) fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            tracing::subscriber::set_global_default(Probe).expect("no other global subscriber");
        });
    }

    /// The outcomes so far of the fetches of `uri`.
    pub(crate) fn outcomes(uri: &str) -> Outcomes {
        let all = OUTCOMES.lock().unwrap_or_else(|e| e.into_inner());
        all.as_ref()
            .and_then(|m| m.get(uri))
            .cloned()
            .unwrap_or_default()
    }
}

/// Waits until every fetch `v` has started (for `uri`) has finished. Not a timing assertion: the
/// guard only turns a hang into a failure.
async fn settle(v: &Verifier, uri: &str) {
    let started = Instant::now();
    while probe::outcomes(uri).finished() < v.key_fetch_count() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a key fetch never finished: {} started, {:?}",
            v.key_fetch_count(),
            probe::outcomes(uri)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A TCP forwarder on a fixed loopback port in front of a `JwksServer`: open, holding requests,
/// cutting every answer off mid-body with a reset, or closed (connections refused), and back
/// again on the same port.
struct Gate {
    addr: SocketAddr,
    upstream: SocketAddr,
    held: watch::Sender<bool>,
    task: Option<(JoinHandle<()>, Handler)>,
}

/// What the gate does with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handler {
    /// Forward it to the endpoint (holding requests while told to).
    Forward,
    /// Answer `200` with a `Content-Length`, part of the body, then reset the connection.
    CutOff,
}

/// A loopback port below the kernel's ephemeral range, so that while the gate is closed no
/// outgoing connection can be given its port and it can be re-bound.
fn candidate_ports() -> impl Iterator<Item = u16> {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768)
        .clamp(12_000, 32_768);
    let span = u32::from(low - 10_000);
    let seed = std::process::id();
    (0..500).map(move |_| {
        let n = u32::from(NEXT.fetch_add(1, Ordering::Relaxed));
        let offset = (seed
            .wrapping_mul(7919)
            .wrapping_add(n.wrapping_mul(104_729)))
            % span;
        10_000 + u16::try_from(offset).unwrap()
    })
}

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

impl Gate {
    async fn start(upstream: SocketAddr) -> Gate {
        let (listener, addr) = candidate_ports()
            .find_map(|port| {
                let addr = SocketAddr::from(([127, 0, 0, 1], port));
                listen(addr).ok().map(|l| (l, addr))
            })
            .expect("a free loopback port below the ephemeral range");
        let (held, _) = watch::channel(false);
        let mut gate = Gate {
            addr,
            upstream,
            held,
            task: None,
        };
        gate.serve(listener, Handler::Forward);
        gate
    }

    fn url(&self) -> String {
        format!("http://{}/.well-known/jwks.json", self.addr)
    }

    fn serve(&mut self, listener: TcpListener, handler: Handler) {
        let (upstream, held) = (self.upstream, self.held.subscribe());
        let task = tokio::spawn(async move {
            // Dropping this future (abort) drops the listener and every connection with it.
            let mut connections = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                match handler {
                    Handler::Forward => connections.spawn(forward(client, upstream, held.clone())),
                    Handler::CutOff => connections.spawn(cut_off(client)),
                };
                while connections.try_join_next().is_some() {}
            }
        });
        self.task = Some((task, handler));
    }

    /// Closes the listener and every connection.
    async fn close(&mut self) {
        if let Some((task, _)) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        // Let the client side see its pooled connections close before the next fetch.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    /// Listens again on the same port.
    async fn rebind(&mut self, handler: Handler) {
        assert!(self.task.is_none(), "the gate is open");
        for _ in 0..200 {
            if let Ok(listener) = listen(self.addr) {
                self.serve(listener, handler);
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("could not re-bind {}", self.addr);
    }

    /// New connections are refused.
    async fn refuse(&mut self) {
        self.close().await;
        assert!(
            TcpStream::connect(self.addr).await.is_err(),
            "the gate is closed"
        );
    }

    /// Every answer is cut off mid-body by a reset.
    async fn cut_off(&mut self) {
        self.close().await;
        self.rebind(Handler::CutOff).await;
    }

    /// Forwards again.
    async fn reopen(&mut self) {
        if self.task.as_ref().map(|(_, h)| *h) != Some(Handler::Forward) {
            self.close().await;
            self.rebind(Handler::Forward).await;
        }
    }

    /// Requests reach the endpoint only after [`release`](Self::release).
    fn hold(&self) {
        self.held.send_replace(true);
    }

    fn release(&self) {
        self.held.send_replace(false);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some((task, _)) = self.task.take() {
            task.abort();
        }
    }
}

/// Reads a request head, answers `200` with a `Content-Length` of 4 KiB and the first bytes of
/// a key set, then resets the connection (zero linger).
async fn cut_off(mut client: TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let _ = client
        .write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n{\"keys\":[{\"kty\":\"RSA\",",
        )
        .await;
    let _ = client.flush().await;
    let _ = client.set_zero_linger();
}

async fn forward(client: TcpStream, upstream: SocketAddr, mut held: watch::Receiver<bool>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if held.wait_for(|held| !*held).await.is_err() {
                break;
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let responses = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(requests, responses);
}

/// Verifies and counts, at the first poll, whether the verify had to wait (for a fetch).
async fn counted(
    v: Verifier,
    token: String,
    polled: Arc<AtomicUsize>,
    parked: Arc<AtomicUsize>,
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
        }
        poll
    })
    .await;
    kind(&result)
}

/// Spawns one task per token; returns them once every verify has been polled once, with how
/// many of them were then waiting.
async fn spawn_counted(v: &Verifier, tokens: &[String]) -> (Vec<JoinHandle<&'static str>>, usize) {
    let (polled, parked) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let tasks: Vec<_> = tokens
        .iter()
        .map(|t| {
            tokio::spawn(counted(
                v.clone(),
                t.clone(),
                polled.clone(),
                parked.clone(),
            ))
        })
        .collect();
    let started = Instant::now();
    while polled.load(Ordering::SeqCst) < tokens.len() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "tasks never ran"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    (tasks, parked.load(Ordering::SeqCst))
}

async fn kinds(tasks: Vec<JoinHandle<&'static str>>) -> Vec<&'static str> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn fetch_error(r: &Result<Verified, Error>) -> Option<&KeyFetchError> {
    match r {
        Err(Error::KeysUnavailable(e)) => Some(e),
        _ => None,
    }
}

/// The pool's verifier fetching from `uri` on the test's clock; everything else at its default.
fn builder(s: &Setup, uri: &str) -> VerifierBuilder {
    Verifier::builder()
        .pool(s.issuer.pool().jwks_uri(uri))
        .token_use(TokenUse::Access)
        .clock(s.clock.clone())
}

/// A fresh access token minted at the clock's current time (Cognito keeps issuing tokens).
fn fresh(s: &mut Setup) -> String {
    s.issuer.set_now(s.clock.unix_seconds());
    s.issuer.access_token().sign()
}

/// The same token with another `kid` (its signature no longer matters: the kid is judged first).
fn with_kid(token: &str, kid: &str) -> String {
    let (_, rest) = token.split_once('.').unwrap();
    format!(
        "{}.{rest}",
        b64(json!({"kid": kid, "alg": "RS256"}).to_string())
    )
}

/// xorshift64*: reproducible "random" kids.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A kid of 1..=256 characters from the base64url alphabet (Cognito's are 44).
    fn kid(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let len = 1 + (self.next() % 256) as usize;
        (0..len)
            .map(|_| ALPHABET[(self.next() % 64) as usize] as char)
            .collect()
    }
}

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

// ---------------------------------------------------------------------------------------------
// Outages
// ---------------------------------------------------------------------------------------------

/// The outage, with every setting at its default (token cache on): the endpoint fails
/// right after warm-up and stays down for six hours of injected time — 500s for two hours,
/// then an hour of connections reset mid-body, an hour of connections closed before any
/// answer, then two hours of refused connections. Every valid token verifies until the keys
/// are older than `DEFAULT_KEY_MAX_STALENESS`; then "keys unavailable"; the endpoint returns and
/// keys are back within one back-off period. Attempts are paced by the back-off, not traffic.
#[tokio::test]
async fn a_six_hour_outage_is_ridden_out_with_the_defaults_then_fails_closed_then_recovers() {
    probe::install();
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
        settle(&v, &uri).await;
        if elapsed >= DEFAULT_KEY_REFRESH_INTERVAL {
            expected_attempts += 1; // exactly one background attempt per 5-minute step
        }
        assert_eq!(v.key_fetch_count(), expected_attempts, "at {elapsed:?}");
    }
    // Keys exactly as old as the limit were still used (above); one second more and they're not.
    let outcomes = probe::outcomes(&uri);
    assert_eq!(outcomes.ok, 1, "only the warm-up fetch succeeded");
    for (what, text) in [
        ("500s", "HTTP 500"),
        ("resets mid-body", "reading the JWKS response failed"),
        ("connections closed", "the JWKS request could not be made"),
        ("refused connections", "could not connect"),
    ] {
        assert!(
            outcomes.errors.iter().any(|e| e.contains(text)),
            "{what} were seen: {:?}",
            outcomes.errors
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
    assert_eq!(probe::outcomes(&uri).ok, 2);
    let mut by_error = std::collections::BTreeMap::new();
    for e in &outcomes.errors {
        *by_error.entry(e.as_str()).or_insert(0) += 1;
    }
    eprintln!(
        "six-hour outage: {} fetch attempts in 6 h ({} failed: {by_error:?}); keys back {:?} after the endpoint",
        v.key_fetch_count(),
        outcomes.failed,
        DEFAULT_FETCH_BACKOFF_MAX - SEC
    );
}

/// Every way the endpoint can be sick, at the staleness boundary: the held keys serve every
/// valid token up to `key_max_staleness`, the first request past it gets "keys unavailable"
/// naming the endpoint's failure, and keys are back one back-off period after it heals.
#[tokio::test]
async fn every_failure_mode_serves_held_keys_to_the_staleness_limit_and_recovers() {
    probe::install();
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
            KeyFetchError::Status(302),
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
        settle(&v, &uri).await;
    }
    assert_eq!(v.key_fetch_count(), 6, "{sickness:?}: one attempt a minute");
    assert_eq!(probe::outcomes(&uri).failed, 5, "{sickness:?}");

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
    probe::install();
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
    settle(&v, &uri).await;
    s.server.set_fault(Fault::Stall);
    s.clock.advance(MIN);
    let token = fresh(&mut s);
    for _ in 0..1000 {
        assert_eq!(kind(&v.verify(&token).await), "ok");
    }
    let during = probe::outcomes(&uri);
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
    tokio::time::timeout(guard, settle(&v, &uri))
        .await
        .expect("hung");
    assert!(probe::outcomes(&uri).errors[0].contains("timed out"));
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
    probe::install();
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
        settle(&v, &uri).await;
    }
    let attempts = v.key_fetch_count();
    let outcomes = probe::outcomes(&uri);
    assert!(attempts <= 1 + 2 * steps as u64, "{attempts} attempts");
    assert!(outcomes.ok > 10 && outcomes.failed > 10, "{outcomes:?}");
    eprintln!(
        "flapping: {steps} steps, {attempts} fetch attempts ({} ok, {} failed), unknown kids: {unknown_answers:?}",
        outcomes.ok, outcomes.failed
    );
}

// ---------------------------------------------------------------------------------------------
// Slow, oversized, wrong, redirecting, rate-limiting
// ---------------------------------------------------------------------------------------------

/// An endpoint slower than usual but within the timeout is a working endpoint: headers late
/// (delay) or the body one byte at a time (trickle). Just over the timeout is a timeout.
#[tokio::test]
async fn a_slow_endpoint_just_under_the_timeout_still_serves_keys() {
    probe::install();
    let timeout = 3 * SEC;
    let case = |fault: Fault| async move {
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
    let jwks_len = TestIssuer::new().jwks_json().len();
    assert!(
        jwks_len < 600,
        "a trickle of {jwks_len} bytes stays well under the timeout"
    );
    let results = futures_util::future::join3(
        case(Fault::Delay(timeout - Duration::from_millis(800))),
        case(Fault::Trickle(Duration::from_millis(1))),
        case(Fault::Delay(timeout + Duration::from_millis(800))),
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
    probe::install();
    let mut s = Setup::new().await;
    let attacker = TestIssuer::new(); // same pool id and issuer, the attacker's own key
    let attacker_server = JwksServer::start(attacker.jwks_json()).await.unwrap();
    let forged = attacker.access_token().sign();
    s.server.set_fault(Fault::Redirect(attacker_server.url()));

    let cold = builder(&s, &s.server.url()).build().unwrap();
    let r = cold.verify(&forged).await;
    assert_eq!(fetch_error(&r), Some(&KeyFetchError::Status(302)));
    s.clock.advance(SEC);
    let r = cold.verify(&fresh(&mut s)).await;
    assert_eq!(fetch_error(&r), Some(&KeyFetchError::Status(302)));

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
        settle(&warm, &uri).await;
    }
    assert_eq!(attacker_server.fetch_count(), 0);
}

/// `Retry-After` on a 429 or a 503 is obeyed (no attempt before it, even when the back-off
/// alone would allow one; held keys keep serving meanwhile) and capped at `MAX_RETRY_AFTER`.
#[tokio::test]
async fn retry_after_on_429_and_503_is_respected_and_capped() {
    probe::install();
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
        settle(&v, &uri).await;
        assert_eq!(v.key_fetch_count(), 2, "{what}");
        s.server.set_fault(Fault::None);

        // Until the endpoint's wait is over: tokens verify, nothing is fetched.
        let mut waited_so_far = Duration::ZERO;
        while waited_so_far + SEC < waited {
            let step = (waited - waited_so_far - SEC).min(20 * SEC).max(SEC);
            s.clock.advance(step);
            waited_so_far += step;
            assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok", "{what}");
            settle(&v, &uri).await;
            assert_eq!(v.key_fetch_count(), 2, "{what}: at {waited_so_far:?}");
        }
        // Then the next request refreshes.
        s.clock.advance(waited - waited_so_far);
        assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok", "{what}");
        settle(&v, &uri).await;
        assert_eq!(
            v.key_fetch_count(),
            3,
            "{what}: refreshed once the wait was over"
        );
        assert_eq!(probe::outcomes(&uri).ok, 2, "{what}");
    }
}

// ---------------------------------------------------------------------------------------------
// Herds and floods
// ---------------------------------------------------------------------------------------------

/// 1,000 concurrent verifies on an empty cache: all of them wait on one fetch (held at the gate
/// until every verify is parked on it), and that is the only fetch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_start_herd_of_1000_verifies_makes_exactly_one_fetch() {
    let s = Setup::new().await;
    let gate = Gate::start(s.server.addr()).await;
    let v = builder(&s, &gate.url())
        .token_cache_max_bytes(0)
        .jwks_timeout(30 * SEC)
        .build()
        .unwrap();
    let distinct: Vec<String> = (0..10)
        .map(|i| {
            s.issuer
                .access_token()
                .claim("jti", format!("herd-{i}"))
                .sign()
        })
        .collect();
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
    let gate = Gate::start(s.server.addr()).await;
    let v = builder(&s, &gate.url())
        .token_cache_max_bytes(0)
        .jwks_timeout(30 * SEC)
        .build()
        .unwrap();
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

/// 10,000 tokens with random unknown kids: the first refetches at once, then at most one
/// refetch per cooldown; tokens with known kids keep verifying throughout, and finish while the
/// flood's refetch is still held in flight (they never wait for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_10000_unknown_kids_costs_one_fetch_per_cooldown_and_never_delays_known_kids() {
    probe::install();
    let s = Setup::new().await;
    let gate = Gate::start(s.server.addr()).await;
    let uri = gate.url();
    let cooldown = DEFAULT_UNKNOWN_KID_COOLDOWN;
    let v = builder(&s, &uri)
        .token_cache_max_bytes(0)
        .jwks_timeout(30 * SEC)
        .build()
        .unwrap();
    let known: Vec<String> = (0..8)
        .map(|i| {
            s.issuer
                .access_token()
                .claim("jti", format!("known-{i}"))
                .sign()
        })
        .collect();
    assert_eq!(kind(&v.verify(&known[0]).await), "ok");
    settle(&v, &uri).await;
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
        probe::outcomes(&uri).finished(),
        1,
        "the known-kid verifies all finished before the refetch did"
    );
    assert_eq!(s.server.fetch_count(), 1, "the refetch is still held");
    gate.release();
    assert!(kinds(wave).await.iter().all(|k| *k == "unknown_kid"));
    settle(&v, &uri).await;
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
        settle(&v, &uri).await;
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

// ---------------------------------------------------------------------------------------------
// Rotation
// ---------------------------------------------------------------------------------------------

/// A new key is published (the old one still listed) just after someone spent the unknown-kid
/// cooldown: tokens signed with it are refused as unknown until the cooldown is over, then
/// verify — within one cooldown of publication. The old key is then removed: its tokens (even
/// ones in the verified-token cache) are refused once the next refresh has run.
#[tokio::test]
async fn rotation_new_key_within_the_cooldown_and_removed_key_after_the_next_refresh() {
    probe::install();
    let mut s = Setup::new().await;
    let uri = s.server.url();
    let v = builder(&s, &uri).build().unwrap(); // defaults, token cache on
    let cooldown = DEFAULT_UNKNOWN_KID_COOLDOWN;
    let old_kid = s.issuer.signing_key().kid().to_owned();
    let old = s.issuer.access_token().claim("exp", NOW + 3 * 3600).sign();
    assert_eq!(kind(&v.verify(&old).await), "ok");
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
    settle(&v, &uri).await;
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

// ---------------------------------------------------------------------------------------------
// Findings of this suite, fixed in the core (49cc7b2) and kept as regression tests
// ---------------------------------------------------------------------------------------------

/// A 200 answer whose key set has no usable key (`{"keys":[]}`, or only keys the verifier skips)
/// is a failed fetch: the held keys keep serving. (It used to replace them, turning a misbehaving
/// endpoint into 401s for every token, with no back-off and no staleness window.)
#[tokio::test]
async fn an_answer_with_no_usable_key_does_not_replace_the_held_keys() {
    probe::install();
    let mut s = Setup::new().await;
    let uri = s.server.url();
    let v = builder(&s, &uri).key_refresh_interval(MIN).build().unwrap();
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
    s.server.set_fault(Fault::Body("{\"keys\":[]}".into()));
    s.clock.advance(MIN);
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
    settle(&v, &uri).await;
    assert_eq!(kind(&v.verify(&fresh(&mut s)).await), "ok");
}

/// During a back-off caused by `429 Retry-After: 120`, `Error::retry_after()` is the time left
/// before the next attempt. (It used to say 1 s, though no fetch would happen for 120 s.)
#[tokio::test]
async fn retry_after_during_a_back_off_is_the_time_left() {
    let s = Setup::new().await;
    s.server.set_fault(Fault::RetryAfter(429, 120));
    let v = builder(&s, &s.server.url()).build().unwrap();
    let token = s.issuer.access_token().sign();
    let first = v.verify(&token).await.unwrap_err();
    assert_eq!(first.retry_after(), Some(Duration::from_secs(120)));
    s.clock.advance(20 * SEC);
    let during = v.verify(&token).await.unwrap_err();
    assert_eq!(during.retry_after(), Some(Duration::from_secs(100)));
}

/// Why the last fetch failed, for a "backing off" answer.
fn backoff_last(e: &KeyFetchError) -> Option<&KeyFetchError> {
    match e {
        KeyFetchError::BackingOff { last, .. } => Some(last),
        _ => None,
    }
}
