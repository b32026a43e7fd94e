//! Target 1 measured in pairs: the bare aws-lc-rs verify and the full validation of the same
//! token alternate in short batches in one process, and each pair gives one ratio.
//!
//! ```text
//! paired [ROUNDS] [BATCH]      (defaults: 200 rounds, batches of 500 verifications)
//! ```
//!
//! Criterion times each bench for seconds on end, one after the other; on a shared virtual
//! machine the bare reference alone then moves by ±5 % between benches (11.7–13.2 µs seen here),
//! as much as the whole difference being measured. Here every round times a batch of bare
//! verifications and a batch of full validations back to back (the order alternating between
//! rounds), so both see the same machine; the result is the median and quartiles of the rounds'
//! ratios (throughput of full validation over the bare verify's), per token kind. Verifiers are
//! as in the criterion bench: cache off, keys preloaded, driven with `now_or_never`. A last row
//! also reads the access token's typed claims (built on first use), for what a handler that
//! reads them pays in all.

use std::hint::black_box;

use cognito_verify::{TokenUse, Verifier};
use cognito_verify_benches::{
    BareRs256, Fixture, SetupError, micros, quantile, split_token, time, verify_now,
};
use futures_util::FutureExt as _;

/// One token kind: its token, its full-validation verifier, and its signing input split off.
struct Case<'f> {
    name: &'static str,
    /// Whether the full validation also reads the typed claims (built on first use).
    read_claims: bool,
    token: &'f str,
    verifier: Verifier,
    input: String,
    signature: Vec<u8>,
}

fn main() -> Result<(), SetupError> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(Ok(200), |n| n.parse())?;
    let batch: usize = args.next().map_or(Ok(500), |n| n.parse())?;
    let fixture = Fixture::new();
    let bare = fixture.bare()?;
    let mut cases = Vec::new();
    for (name, read_claims, token, token_use) in [
        ("access", false, &fixture.access, TokenUse::Access),
        ("id", false, &fixture.id, TokenUse::Id),
        ("m2m", false, &fixture.m2m, TokenUse::Access),
        (
            "access, typed claims read",
            true,
            &fixture.access,
            TokenUse::Access,
        ),
    ] {
        let (input, signature) = split_token(token)?;
        let case = Case {
            name,
            read_claims,
            token,
            verifier: fixture.verifier(token_use, 0)?,
            input: input.to_owned(),
            signature,
        };
        if !full_ok(&case) || !bare_ok(&bare, &case) {
            return Err(format!("the {name} token is refused").into());
        }
        cases.push(case);
    }

    println!(
        "{rounds} rounds, batches of {batch}; ratio = full validation / bare verify throughput"
    );
    println!(
        "| token | bare, µs (median) | full, µs (median) | ratio: median | lower quartile | upper quartile |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut results: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> =
        cases.iter().map(|_| Default::default()).collect();
    for round in 0..rounds {
        for (case, (bares, fulls, ratios)) in cases.iter().zip(&mut results) {
            let bare_batch = || time(batch, || bare_ok(&bare, case));
            let full_batch = || time(batch, || full_ok(case));
            let (b, f) = if round % 2 == 0 {
                let b = bare_batch()?;
                (b, full_batch()?)
            } else {
                let f = full_batch()?;
                (bare_batch()?, f)
            };
            bares.push(micros(b, batch));
            fulls.push(micros(f, batch));
            ratios.push(b.as_secs_f64() / f.as_secs_f64());
        }
    }
    for (case, (bares, fulls, ratios)) in cases.iter().zip(&mut results) {
        println!(
            "| {} | {:.2} | {:.2} | {:.3}× | {:.3}× | {:.3}× |",
            case.name,
            quantile(bares, 0.5),
            quantile(fulls, 0.5),
            quantile(ratios, 0.5),
            quantile(ratios, 0.25),
            quantile(ratios, 0.75),
        );
    }
    Ok(())
}

/// A full validation (and, for the `read_claims` case, the typed claims read).
fn full_ok(case: &Case<'_>) -> bool {
    if case.read_claims {
        let verified = case.verifier.verify(case.token).now_or_never();
        matches!(verified, Some(Ok(v)) if !black_box(v.access()).is_some_and(|c| c.sub.is_empty()))
    } else {
        verify_now(&case.verifier, case.token) == Some(true)
    }
}

fn bare_ok(bare: &BareRs256, case: &Case<'_>) -> bool {
    bare.verify(black_box(case.input.as_bytes()), black_box(&case.signature))
}
