//! Validation throughput, every figure from one run so the ratios are side by side.
//!
//! - `rs256/*`: the bare aws-lc-rs RSA-2048 verify of a token's signing input with a key parsed
//!   once (the reference), full validation of access, id and M2M tokens with the verified-token
//!   cache off ("uncached": every call does base64, JSON, signature and every claim check), and
//!   cache hits (the same token again, cache on).
//! - `threads/*`: the same work on 1 and on 2 threads at once (`iter_custom` +
//!   `std::thread::scope`); throughput is verifications per second over all threads. Cache hits
//!   twice: both threads on one token (one shared entry), and each thread cycling through its own
//!   32 users' tokens (as a service with many users).
//! - `floor/*`: what the non-RSA work of a verification can cost at least, for comparison
//!   with the core's: base64url decoding of the three parts, the payload parsed into a
//!   `serde_json::Map` (owned strings, as the core did before it parsed into borrowed values), and
//!   the payload parsed into a borrowed typed struct (close to what the core does now).
//! - `middleware/*`: an axum `Router` with the adapter's layer (cache on, so hits; and cache
//!   off) against the same router without the layer, driven in-process with `oneshot`.
//!
//! Verifications run with preloaded keys and no hook, so their futures complete on the first
//! poll: `now_or_never` drives them with no runtime in the measurement.
//!
//! `cargo bench -p cognito-verify-benches --bench verify`; under `cargo test --benches` each
//! bench runs once, as a smoke test.

// Bench setup: a fixture that cannot be built is a broken bench, and panicking says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_verify::{TokenUse, Verifier};
use cognito_verify_benches::{BareRs256, Fixture, Served, app, split_token, verify_now};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::FutureExt as _;
use http::{Request, StatusCode, header};
use serde::Deserialize;
use tower::ServiceExt as _;

/// Distinct users (tokens) each thread cycles through in the `*_users` cases.
const USERS_PER_THREAD: usize = 32;

/// The verified-token cache budget when it is on (the core's default).
const CACHE_ON: u64 = cognito_verify::defaults::DEFAULT_TOKEN_CACHE_MAX_BYTES;
const CACHE_OFF: u64 = 0;

struct Setup {
    fixture: Fixture,
    /// Access tokens of other users: [`USERS_PER_THREAD`] for each of two threads, so threads
    /// hitting the cache each serve their own users.
    users: [Vec<String>; 2],
    bare: BareRs256,
    access_uncached: Verifier,
    id_uncached: Verifier,
    access_cached: Verifier,
    id_cached: Verifier,
}

impl Setup {
    fn new() -> Self {
        let fixture = Fixture::new();
        let setup = Setup {
            users: [(); 2].map(|()| {
                (0..USERS_PER_THREAD)
                    .map(|_| fixture.issuer.access_token().groups(["admin"]).sign())
                    .collect()
            }),
            bare: fixture.bare().unwrap(),
            access_uncached: fixture.verifier(TokenUse::Access, CACHE_OFF).unwrap(),
            id_uncached: fixture.verifier(TokenUse::Id, CACHE_OFF).unwrap(),
            access_cached: fixture.verifier(TokenUse::Access, CACHE_ON).unwrap(),
            id_cached: fixture.verifier(TokenUse::Id, CACHE_ON).unwrap(),
            fixture,
        };
        // Every case must accept its token, or the bench measures a refusal.
        let f = &setup.fixture;
        for (verifier, token) in [
            (&setup.access_uncached, &f.access),
            (&setup.access_uncached, &f.m2m),
            (&setup.id_uncached, &f.id),
            (&setup.access_cached, &f.access),
            (&setup.id_cached, &f.id),
        ]
        .into_iter()
        .chain(
            setup
                .users
                .iter()
                .flatten()
                .map(|t| (&setup.access_cached, t)),
        ) {
            assert_eq!(
                verify_now(verifier, token),
                Some(true),
                "fixture token refused"
            );
        }
        for token in [&f.access, &f.id, &f.m2m] {
            let (input, signature) = split_token(token).unwrap();
            assert!(setup.bare.verify(input.as_bytes(), &signature));
        }
        let entries = 1 + 2 * USERS_PER_THREAD as u64;
        assert_eq!(
            setup.access_cached.token_cache_stats().unwrap().entries,
            entries
        );
        setup
    }
}

/// One full verification; panics if the future suspends (it cannot with preloaded keys).
fn verify(verifier: &Verifier, token: &str) -> bool {
    verify_now(verifier, black_box(token)).expect("verify suspended")
}

fn rs256(c: &mut Criterion, s: &Setup) {
    let f = &s.fixture;
    let mut group = c.benchmark_group("rs256");
    group.throughput(Throughput::Elements(1));
    for (name, token) in [("access", &f.access), ("id", &f.id), ("m2m", &f.m2m)] {
        let (input, signature) = split_token(token).unwrap();
        group.bench_with_input(BenchmarkId::new("bare_aws_lc", name), &(), |b, ()| {
            b.iter(|| {
                s.bare
                    .verify(black_box(input.as_bytes()), black_box(&signature))
            });
        });
    }
    let cases = [
        ("full_uncached", "access", &s.access_uncached, &f.access),
        ("full_uncached", "id", &s.id_uncached, &f.id),
        ("full_uncached", "m2m", &s.access_uncached, &f.m2m),
        ("cached_hit", "access", &s.access_cached, &f.access),
        ("cached_hit", "id", &s.id_cached, &f.id),
    ];
    for (function, name, verifier, token) in cases {
        group.bench_with_input(BenchmarkId::new(function, name), &(), |b, ()| {
            b.iter(|| verify(verifier, token));
        });
    }
    group.finish();
}

/// The work of one thread, given the thread's index and the iteration's.
type Work<'a> = &'a (dyn Fn(usize, u64) -> bool + Sync);

/// `iters` rounds on each of `threads` threads at once; the wall time of the slowest.
fn on_threads(threads: usize, iters: u64, work: Work<'_>) -> Duration {
    std::thread::scope(|scope| {
        let start = Instant::now();
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                scope.spawn(move || {
                    for i in 0..iters {
                        black_box(work(thread, i));
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        start.elapsed()
    })
}

/// The segments of the core's verified-token cache (a fixed tuning of `token_cache.rs`, not a
/// setting).
const CORE_CACHE_SEGMENTS: usize = 16;

/// A moka cache built the way the core builds its verified-token cache.
fn moka_like_core() -> moka::sync::SegmentedCache<Arc<str>, Arc<usize>, foldhash::fast::RandomState>
{
    moka::sync::SegmentedCache::builder(CORE_CACHE_SEGMENTS)
        .max_capacity(CACHE_ON)
        .weigher(|token: &Arc<str>, _: &Arc<usize>| {
            u32::try_from(token.len() * 3).unwrap_or(u32::MAX)
        })
        .time_to_idle(Duration::from_secs(600))
        .build_with_hasher(foldhash::fast::RandomState::default())
}

fn threads(c: &mut Criterion, s: &Setup) {
    let f = &s.fixture;
    let (input, signature) = split_token(&f.access).unwrap();
    let bare = |_, _| {
        s.bare
            .verify(black_box(input.as_bytes()), black_box(&signature))
    };
    let uncached = |_, _| verify(&s.access_uncached, &f.access);
    // Every thread hits the same cache entry (the worst case for shared counters)...
    let cached = |_, _| verify(&s.access_cached, &f.access);
    // ...or each cycles through its own users' tokens, as a service serving many users does.
    let user = |thread: usize, i: u64| s.users[thread][i as usize % USERS_PER_THREAD].as_str();
    let cached_users = |thread, i| verify(&s.access_cached, user(thread, i));
    // moka alone, configured as the core's token cache (segments, byte weigher, time to idle,
    // foldhash), keyed by the token text: how much of the hit path's scaling is the cache's own.
    let moka = moka_like_core();
    for token in s.users.iter().flatten() {
        moka.insert(Arc::from(token.as_str()), Arc::new(token.len()));
    }
    let moka_get = |thread, i| moka.get(user(thread, i)).is_some();
    let cases: [(&str, Work<'_>); 5] = [
        ("bare_aws_lc", &bare),
        ("full_uncached", &uncached),
        ("cached_hit", &cached),
        ("cached_hit_users", &cached_users),
        ("moka_get_users", &moka_get),
    ];
    let mut group = c.benchmark_group("threads");
    for (name, work) in cases {
        for n in [1, 2] {
            // One "iteration" is one verification on each thread: elements/s is the total.
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new(name, format!("{n}t")), &n, |b, &n| {
                b.iter_custom(|iters| on_threads(n, iters, work));
            });
        }
    }
    group.finish();
}

fn middleware(c: &mut Criterion, s: &Setup) {
    let f = &s.fixture;
    let plain = app(None, Served::default());
    let layered_cached = app(Some(&s.access_cached), Served::default());
    let layered_uncached = app(Some(&s.access_uncached), Served::default());
    let bearer = format!("Bearer {}", f.access);
    let request = || {
        Request::get("/")
            .header(header::AUTHORIZATION, &bearer)
            .body(Body::empty())
            .unwrap()
    };
    // The handler, the layer and a cache hit never suspend: no runtime needed here either.
    let call = |router: &axum::Router| {
        let response = router
            .clone()
            .oneshot(request())
            .now_or_never()
            .expect("router suspended")
            .unwrap();
        response.status()
    };
    for router in [&plain, &layered_cached, &layered_uncached] {
        assert_eq!(call(router), StatusCode::OK);
    }
    let unauthorized = layered_cached
        .clone()
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .now_or_never()
        .unwrap()
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);

    let mut group = c.benchmark_group("middleware");
    group.throughput(Throughput::Elements(1));
    for (name, router) in [
        ("plain_router", &plain),
        ("layer_cached_hit", &layered_cached),
        ("layer_uncached", &layered_uncached),
    ] {
        group.bench_function(name, |b| b.iter(|| call(router)));
    }
    group.finish();
}

/// The access-token claims as a borrowed, typed struct: one pass, no map, strings borrowed from
/// the decoded payload where they have no escapes. Duplicate known members are refused by the
/// derive.
#[derive(Deserialize)]
#[allow(dead_code)] // Only parsed, never read: the bench measures the parse.
struct BorrowedAccessClaims<'a> {
    #[serde(borrow)]
    sub: Cow<'a, str>,
    #[serde(borrow)]
    iss: Cow<'a, str>,
    #[serde(borrow)]
    client_id: Cow<'a, str>,
    #[serde(borrow)]
    token_use: Cow<'a, str>,
    #[serde(borrow, default)]
    scope: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "cognito:groups")]
    groups: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    username: Option<Cow<'a, str>>,
    exp: u64,
    #[serde(default)]
    iat: Option<u64>,
    #[serde(default)]
    auth_time: Option<u64>,
    #[serde(borrow, default)]
    jti: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    origin_jti: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    event_id: Option<Cow<'a, str>>,
    #[serde(default)]
    version: Option<u64>,
}

fn floor(c: &mut Criterion, s: &Setup) {
    let token = s.fixture.access.as_str();
    let parts: Vec<&str> = token.split('.').collect();
    let payload = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    assert!(serde_json::from_slice::<BorrowedAccessClaims<'_>>(&payload).is_ok());
    let mut group = c.benchmark_group("floor");
    group.throughput(Throughput::Elements(1));
    group.bench_function("base64_decode_3_parts", |b| {
        b.iter(|| {
            for part in &parts {
                black_box(URL_SAFE_NO_PAD.decode(black_box(part)).unwrap());
            }
        });
    });
    group.bench_function("json_payload_to_map", |b| {
        b.iter(|| {
            black_box(
                serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(black_box(
                    &payload,
                ))
                .unwrap(),
            )
        });
    });
    group.bench_function("json_payload_to_borrowed_struct", |b| {
        b.iter(|| {
            black_box(
                serde_json::from_slice::<BorrowedAccessClaims<'_>>(black_box(&payload)).unwrap(),
            )
        });
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let setup = Setup::new();
    rs256(c, &setup);
    threads(c, &setup);
    floor(c, &setup);
    middleware(c, &setup);
}

criterion_group! {
    name = verify_benches;
    // Short enough for a full run in a few minutes on 2 cores; CLI flags still override.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    targets = benches
}
criterion_main!(verify_benches);
