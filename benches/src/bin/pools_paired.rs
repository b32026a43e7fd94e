//! Many pools measured in pairs: the same token verified by a verifier that knows one pool and by
//! one that knows 10,000, in alternating batches in one process; each pair gives one ratio.
//!
//! ```text
//! pools_paired [ROUNDS] [BATCH] [POOLS]      (defaults: 200 rounds, batches of 500, 10,000 pools;
//!                                             cache hits in batches 50 times as large)
//! ```
//!
//! The method is `paired`'s (see there): every round times a batch on the one-pool verifier and
//! a batch on the many-pool verifier back to back (the order alternating between rounds), and the
//! result is the median and quartiles of the rounds' ratios (throughput with many pools over
//! throughput with one). Cases:
//! - full validation, cache off, pools configured at build time (the token's pool has its keys
//!   preloaded; the others' keys are never needed, so never fetched);
//! - cache hits, pools configured;
//! - full validation, cache off, pools found by a resolver (all resolved, with preloaded keys,
//!   before the run).

use std::hint::black_box;

use cognito_verify::testing::{TestIssuer, b64, signing_input};
use cognito_verify::{Pool, ResolverError, ResolverSettings, TokenUse, Verifier, resolver_fn};
use cognito_verify_benches::{SetupError, micros, quantile, time, verify_now};
use serde_json::json;

struct Case {
    name: &'static str,
    /// Batches of this case are this many times `BATCH` (a cache hit is ≈ 100× faster than a
    /// full validation: its batches are made about as long).
    scale: usize,
    one: Verifier,
    many: Verifier,
}

/// The pool ids of the other pools.
fn others(count: usize) -> impl Iterator<Item = String> {
    (1..count).map(|i| format!("us-east-1_Other{i}"))
}

/// Verifiers with the issuer's pool and `count - 1` others, configured.
fn configured(issuer: &TestIssuer, count: usize, cache: u64) -> Result<Verifier, SetupError> {
    let builder = Verifier::builder()
        .pool(issuer.pool().static_jwks(issuer.jwks_json()))
        .token_use(TokenUse::Access)
        .token_cache_max_bytes(cache);
    let builder = others(count).fold(builder, |b, id| b.pool(Pool::new(id).any_client()));
    Ok(builder.build()?)
}

/// A verifier whose resolver answers the issuer's pool and `count - 1` others (all with the
/// issuer's keys preloaded), every one of them resolved before it is returned.
fn resolved(issuer: &TestIssuer, count: usize) -> Result<Verifier, SetupError> {
    let (jwks, client) = (issuer.jwks_json(), issuer.app_client_id().to_owned());
    let resolver = resolver_fn(move |unknown| {
        let pool = Pool::new(unknown.user_pool_id())
            .client_id(client.clone())
            .static_jwks(jwks.clone());
        async move { Ok::<_, ResolverError>(Some(pool)) }
    });
    let settings = ResolverSettings::default()
        .budget(0, u32::try_from(count)?)
        .max_pools(2 * count as u64, std::time::Duration::from_secs(3600));
    let verifier = Verifier::builder()
        .token_use(TokenUse::Access)
        .pool_resolver(resolver)
        .resolver_settings(settings)
        .token_cache_max_bytes(0)
        .build()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // The issuer's own token resolves its pool; hand-made tokens (bad signatures) resolve
        // the others.
        let header = json!({"alg": "RS256", "kid": "k"});
        let own = issuer.access_token().sign();
        if verifier.verify(&own).await.is_err() {
            return Err::<(), SetupError>("the resolved pool refused its token".into());
        }
        for id in others(count) {
            let claims =
                json!({"iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{id}")});
            let token = format!("{}.{}", signing_input(&header, &claims), b64([1u8; 256]));
            let _ = verifier.verify(&token).await;
        }
        Ok(())
    })?;
    if verifier.resolver_calls() != count as u64 {
        return Err("not every pool was resolved".into());
    }
    Ok(verifier)
}

fn main() -> Result<(), SetupError> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(Ok(200), |n| n.parse())?;
    let batch: usize = args.next().map_or(Ok(500), |n| n.parse())?;
    let pools: usize = args.next().map_or(Ok(10_000), |n| n.parse())?;
    let issuer = TestIssuer::with_pool_id("us-east-1_BenchPool");
    let token = issuer.access_token().groups(["admin"]).sign();
    let cache = cognito_verify::defaults::DEFAULT_TOKEN_CACHE_MAX_BYTES;
    let cases = [
        Case {
            name: "full validation, cache off, configured",
            scale: 1,
            one: configured(&issuer, 1, 0)?,
            many: configured(&issuer, pools, 0)?,
        },
        Case {
            name: "cache hit, configured",
            scale: 50,
            one: configured(&issuer, 1, cache)?,
            many: configured(&issuer, pools, cache)?,
        },
        Case {
            name: "full validation, cache off, resolved",
            scale: 1,
            one: resolved(&issuer, 1)?,
            many: resolved(&issuer, pools)?,
        },
    ];
    for case in &cases {
        if verify_now(&case.one, &token) != Some(true)
            || verify_now(&case.many, &token) != Some(true)
        {
            return Err(format!("{}: the token is refused", case.name).into());
        }
    }

    println!(
        "{rounds} rounds, batches of {batch}; ratio = throughput with {pools} pools / with 1 pool"
    );
    println!(
        "| case | 1 pool, µs (median) | {pools} pools, µs (median) | ratio: median | lower quartile | upper quartile |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut results: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> =
        cases.iter().map(|_| Default::default()).collect();
    for round in 0..rounds {
        for (case, (ones, manys, ratios)) in cases.iter().zip(&mut results) {
            let batch = batch * case.scale;
            let run = |v: &Verifier| time(batch, || verify_now(v, black_box(&token)) == Some(true));
            let (one, many) = if round % 2 == 0 {
                let one = run(&case.one)?;
                (one, run(&case.many)?)
            } else {
                let many = run(&case.many)?;
                (run(&case.one)?, many)
            };
            ones.push(micros(one, batch));
            manys.push(micros(many, batch));
            ratios.push(one.as_secs_f64() / many.as_secs_f64());
        }
    }
    for (case, (ones, manys, ratios)) in cases.iter().zip(&mut results) {
        println!(
            "| {} | {:.3} | {:.3} | {:.3}× | {:.3}× | {:.3}× |",
            case.name,
            quantile(ones, 0.5),
            quantile(manys, 0.5),
            quantile(ratios, 0.5),
            quantile(ratios, 0.25),
            quantile(ratios, 0.75),
        );
    }
    Ok(())
}
