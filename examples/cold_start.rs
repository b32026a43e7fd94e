//! `cargo run --release --example cold_start`: the time from process start to the first
//! verified token, as a Lambda function's cold start sees it, with the keys preloaded
//! (`COGNITO_JWKS_JSON`) and with the keys fetched from a JWKS server on loopback.
//!
//! The parent mints a token with the test kit, serves its JWKS on 127.0.0.1, and starts itself
//! again as a child for each run; the child builds its verifier from the environment (the same
//! `config::verifier_from_vars` as `lambda_app` and `lambda_authorizer`), verifies the token
//! and exits. Each run is timed from spawning the child to its exit; the median and the range of
//! `RUNS` runs are printed per mode, and the median time from `main` to the verified token
//! measured inside the child (with the time its verifier was built).

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use cognito_verify::TokenUse;
use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify_examples::config;

/// Runs per mode.
const RUNS: usize = 21;
/// Set in the child's environment: the token it verifies.
const TOKEN_VAR: &str = "COLD_START_TOKEN";

fn main() -> ExitCode {
    let start = Instant::now();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cold_start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match std::env::var(TOKEN_VAR) {
        Ok(token) => runtime.block_on(child(&token, start)),
        Err(_) => runtime.block_on(parent()),
    }
}

/// One cold start, timed from `main`: the verifier built, then the token verified (printed as
/// two microsecond counts). Runtime (multi-threaded, as `#[tokio::main]` in the functions), configuration,
/// verifier, first verification.
async fn child(token: &str, start: Instant) -> ExitCode {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let verifier = match config::verifier_from_vars(env, TokenUse::Access) {
        Ok((verifier, _)) => verifier,
        Err(message) => {
            eprintln!("cold_start child: {message}");
            return ExitCode::from(2);
        }
    };
    let built = start.elapsed();
    match verifier.verify(token).await {
        Ok(_) => {
            println!("{} {}", built.as_micros(), start.elapsed().as_micros());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cold_start child: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn parent() -> ExitCode {
    let issuer = TestIssuer::new();
    let token = issuer.access_token().sign();
    let jwks = match JwksServer::start(issuer.jwks_json()).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("cold_start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(me) = std::env::current_exe() else {
        eprintln!("cold_start: cannot find its own executable");
        return ExitCode::FAILURE;
    };
    let base = [
        ("COGNITO_USER_POOL_ID", issuer.pool_id().to_owned()),
        ("COGNITO_CLIENT_ID", issuer.app_client_id().to_owned()),
        ("COGNITO_JWKS_URI", jwks.url()),
        (TOKEN_VAR, token),
    ];
    for (mode, preloaded) in [
        (
            "keys preloaded (COGNITO_JWKS_JSON)",
            Some(issuer.jwks_json()),
        ),
        ("keys fetched from a loopback JWKS", None),
    ] {
        let fetches_before = jwks.fetch_count();
        let mut times = Vec::with_capacity(RUNS);
        let mut inside = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let mut command = Command::new(&me);
            command.envs(base.iter().map(|(k, v)| (k, v)));
            command.env_remove("COGNITO_JWKS_FILE");
            match &preloaded {
                Some(json) => command.env("COGNITO_JWKS_JSON", json),
                None => command.env_remove("COGNITO_JWKS_JSON"),
            };
            let start = Instant::now();
            let output = tokio::task::block_in_place(|| command.output());
            let elapsed = start.elapsed();
            match output {
                Ok(output) if output.status.success() => {
                    times.push(elapsed);
                    let text = String::from_utf8_lossy(&output.stdout);
                    let mut fields = text
                        .split_whitespace()
                        .map(|f| f.parse::<u64>().unwrap_or(0));
                    let built = fields.next().unwrap_or(0);
                    inside.push((fields.next().unwrap_or(0), built));
                }
                other => {
                    eprintln!("cold_start: a child failed: {other:?}");
                    return ExitCode::FAILURE;
                }
            }
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{mode}: median {:.2} ms, min {:.2} ms, max {:.2} ms over {RUNS} runs ({} JWKS fetches)",
            ms(times[RUNS / 2]),
            ms(times[0]),
            ms(times[RUNS - 1]),
            jwks.fetch_count() - fetches_before
        );
        inside.sort();
        let (verified, built) = inside[RUNS / 2];
        println!(
            "    inside the process (median run): verifier built after {:.2} ms, token verified after {:.2} ms",
            built as f64 / 1e3,
            verified as f64 / 1e3
        );
    }
    ExitCode::SUCCESS
}
