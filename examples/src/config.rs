//! Verifier configuration from the environment, shared by the `axum_server`, `actix_server` and
//! `grpc_server` examples so the servers accept exactly the same tokens.
//!
//! | variable | meaning |
//! |---|---|
//! | `COGNITO_USER_POOL_ID` | required, e.g. `eu-west-1_AbCdEf123` |
//! | `COGNITO_CLIENT_ID` | required, one or more app client ids, comma-separated |
//! | `COGNITO_JWKS_URI` | optional JWKS URI override (emulators) |
//! | `COGNITO_ISSUER` | optional issuer override (emulators) |
//! | `BIND` | listen address, default `127.0.0.1:3000` |

use std::net::SocketAddr;
use std::process::ExitCode;

use cognito_verify::{Pool, TokenUse, Verifier};

/// The listen address when `BIND` is unset: loopback only, so an example never listens publicly
/// by accident.
pub const DEFAULT_BIND: &str = "127.0.0.1:3000";

/// What a server example needs.
#[derive(Debug)]
pub struct ServerConfig {
    /// The verifier (accepts access and id tokens; each route asks for the kind it needs).
    pub verifier: Verifier,
    /// Where to listen.
    pub bind: SocketAddr,
}

/// Reads the configuration through `var` (pass `|k| std::env::var(k).ok()`), for a verifier
/// that accepts access and id tokens.
pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<ServerConfig, String> {
    from_vars_for(var, TokenUse::Either)
}

/// Like [`from_vars`], for a verifier that accepts `token_use` (the gRPC server: access tokens).
pub fn from_vars_for(
    var: impl Fn(&str) -> Option<String>,
    token_use: TokenUse,
) -> Result<ServerConfig, String> {
    let pool_id = var("COGNITO_USER_POOL_ID").ok_or("COGNITO_USER_POOL_ID is not set")?;
    let clients = var("COGNITO_CLIENT_ID").ok_or("COGNITO_CLIENT_ID is not set")?;
    let mut pool = Pool::new(pool_id).client_ids(
        clients
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
    );
    if let Some(uri) = var("COGNITO_JWKS_URI") {
        pool = pool.jwks_uri(uri);
    }
    if let Some(issuer) = var("COGNITO_ISSUER") {
        pool = pool.issuer(issuer);
    }
    let verifier = Verifier::builder()
        .pool(pool)
        .token_use(token_use)
        .build()
        .map_err(|e| format!("invalid configuration: {e}"))?;
    let bind = var("BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
    let bind = bind
        .parse()
        .map_err(|_| format!("BIND {bind:?} is not an address like 127.0.0.1:3000"))?;
    Ok(ServerConfig { verifier, bind })
}

/// Reads the configuration from the process environment.
pub fn from_env() -> Result<ServerConfig, String> {
    from_env_for(TokenUse::Either)
}

/// Like [`from_env`], for a verifier that accepts `token_use`.
pub fn from_env_for(token_use: TokenUse) -> Result<ServerConfig, String> {
    from_vars_for(
        |k| std::env::var(k).ok().filter(|v| !v.is_empty()),
        token_use,
    )
}

/// Fetches the keys at start-up; a failure is logged, not fatal (requests answer 503 until the
/// keys can be fetched).
pub async fn warm_up(verifier: &Verifier) {
    if let Err(error) = verifier.prefetch().await {
        tracing::warn!(%error, "could not fetch the signing keys at start-up; requests will be refused as unavailable (503) until they can be fetched");
    }
}

/// What to print when the configuration is missing or wrong.
pub const USAGE: &str = "\
usage: COGNITO_USER_POOL_ID=<region_id> COGNITO_CLIENT_ID=<id>[,<id>...] cargo run --example <server>
optional: COGNITO_JWKS_URI, COGNITO_ISSUER (for emulators), BIND (default 127.0.0.1:3000), RUST_LOG";

/// The common start of the servers: logging (`RUST_LOG`, default `info`), the configuration
/// from the environment (exit status 2 with the usage on error), and the key warm-up.
pub async fn start(server: &str) -> Result<ServerConfig, ExitCode> {
    start_for(server, TokenUse::Either).await
}

/// Like [`start`], for a verifier that accepts `token_use`.
pub async fn start_for(server: &str, token_use: TokenUse) -> Result<ServerConfig, ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = from_env_for(token_use).map_err(|message| {
        eprintln!("{server}: {message}\n{USAGE}");
        ExitCode::from(2)
    })?;
    warm_up(&config.verifier).await;
    Ok(config)
}
