//! A plain loop over one verification case, for profilers (`perf record`, `valgrind
//! --tool=callgrind`), without criterion's machinery around it.
//!
//! ```text
//! profile_verify CASE [ITERATIONS]
//! CASE: bare | access | id | m2m | hit | plain_router | layer_hit   (ITERATIONS default 20000)
//! ```
//!
//! `bare` is the aws-lc-rs reference on the access token's signing input; `access`, `id`, `m2m`
//! are full validations with the verified-token cache off; `hit` is a cache hit (access token);
//! `plain_router` and `layer_hit` are one `GET /` through the axum app of the benches, without
//! and with the layer (cache hits), driven in-process with `oneshot`.
//! The loop runs in [`run`] so a profiler can toggle collection on it, e.g.
//! `valgrind --tool=callgrind --toggle-collect='*profile_verify::run*' profile_verify access 2000`.

use std::hint::black_box;
use std::time::Instant;

use axum::body::Body;
use cognito_verify::TokenUse;
use cognito_verify::defaults::DEFAULT_TOKEN_CACHE_MAX_BYTES;
use cognito_verify_benches::{Fixture, Served, SetupError, app, split_token, verify_now};
use futures_util::FutureExt as _;
use http::{Request, StatusCode, header};
use tower::ServiceExt as _;

fn main() -> Result<(), SetupError> {
    let mut args = std::env::args().skip(1);
    let case = args.next().ok_or(
        "usage: profile_verify bare|access|id|m2m|hit|plain_router|layer_hit [ITERATIONS]",
    )?;
    let iterations: u64 = args.next().map_or(Ok(20_000), |n| n.parse())?;
    let fixture = Fixture::new();
    let (token_use, token, cache) = match case.as_str() {
        "bare" | "access" => (TokenUse::Access, &fixture.access, 0),
        "id" => (TokenUse::Id, &fixture.id, 0),
        "m2m" => (TokenUse::Access, &fixture.m2m, 0),
        "hit" | "plain_router" | "layer_hit" => (
            TokenUse::Access,
            &fixture.access,
            DEFAULT_TOKEN_CACHE_MAX_BYTES,
        ),
        _ => return Err(format!("unknown case {case}").into()),
    };
    let verifier = fixture.verifier(token_use, cache)?;
    let bare = fixture.bare()?;
    let (input, signature) = split_token(token)?;
    let router = match case.as_str() {
        "plain_router" => Some(app(None, Served::default())),
        "layer_hit" => Some(app(Some(&verifier), Served::default())),
        _ => None,
    };
    let bearer = format!("Bearer {token}");
    let work: Box<dyn Fn() -> bool> = match (&router, case.as_str()) {
        (Some(router), _) => Box::new(move || {
            let request = Request::get("/")
                .header(header::AUTHORIZATION, &bearer)
                .body(Body::empty());
            let Ok(request) = request else { return false };
            let response = router.clone().oneshot(request).now_or_never();
            matches!(response, Some(Ok(r)) if r.status() == StatusCode::OK)
        }),
        (None, "bare") => {
            Box::new(|| bare.verify(black_box(input.as_bytes()), black_box(&signature)))
        }
        (None, _) => Box::new(|| verify_now(&verifier, black_box(token)) == Some(true)),
    };
    if !work() {
        return Err("the case's token is refused".into());
    }
    let started = Instant::now();
    let accepted = run(iterations, &*work);
    let elapsed = started.elapsed();
    println!(
        "{case}: {accepted}/{iterations} accepted, {:.3} µs each",
        elapsed.as_secs_f64() * 1e6 / iterations as f64
    );
    Ok(())
}

#[inline(never)]
fn run(iterations: u64, work: &dyn Fn() -> bool) -> u64 {
    (0..iterations).map(|_| u64::from(work())).sum()
}
