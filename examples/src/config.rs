//! Verifier configuration from the environment, shared by the `axum_server`, `actix_server` and
//! `grpc_server` examples so the servers accept exactly the same tokens.
//!
//! | variable | meaning |
//! |---|---|
//! | `COGNITO_USER_POOL_ID` | required, e.g. `eu-west-1_AbCdEf123` |
//! | `COGNITO_CLIENT_ID` | required, one or more app client ids, comma-separated |
//! | `COGNITO_JWKS_URI` | optional JWKS URI override (emulators) |
//! | `COGNITO_ISSUER` | optional issuer override (emulators) |
//! | `COGNITO_JWKS_JSON` | optional: the pool's JWKS document, preloaded ([`Pool::preload_jwks`]) |
//! | `COGNITO_JWKS_FILE` | optional: a file holding it (not both) |
//! | `BIND` | listen address, default `127.0.0.1:3000` (not for Lambda) |
//!
//! Preloaded keys verify the first token without fetching (a Lambda cold start); a `kid` they
//! lack is still fetched from the JWKS URI, so a key rotation after deployment is followed.

use std::net::SocketAddr;
use std::process::ExitCode;

use cognito_verify::http_auth::Requirements;
use cognito_verify::{Pool, Requirement, TokenUse, Verifier};

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
    /// Whether the keys were preloaded (`COGNITO_JWKS_JSON` / `COGNITO_JWKS_FILE`), so there is
    /// nothing to fetch at start-up.
    pub keys_preloaded: bool,
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
    let (verifier, keys_preloaded) = verifier_from_vars(&var, token_use)?;
    let bind = var("BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
    let bind = bind
        .parse()
        .map_err(|_| format!("BIND {bind:?} is not an address like 127.0.0.1:3000"))?;
    Ok(ServerConfig {
        verifier,
        bind,
        keys_preloaded,
    })
}

/// The verifier of the `COGNITO_*` variables for tokens of this use, and whether its keys were
/// preloaded.
pub fn verifier_from_vars(
    var: impl Fn(&str) -> Option<String>,
    token_use: TokenUse,
) -> Result<(Verifier, bool), String> {
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
    let preloaded = match (var("COGNITO_JWKS_JSON"), var("COGNITO_JWKS_FILE")) {
        (Some(_), Some(_)) => {
            return Err("set COGNITO_JWKS_JSON or COGNITO_JWKS_FILE, not both".to_owned());
        }
        (Some(json), None) => Some(json),
        (None, Some(path)) => Some(
            std::fs::read_to_string(&path)
                .map_err(|e| format!("COGNITO_JWKS_FILE {path:?} cannot be read: {e}"))?,
        ),
        (None, None) => None,
    };
    let keys_preloaded = preloaded.is_some();
    if let Some(json) = preloaded {
        pool = pool.preload_jwks(json);
    }
    let verifier = Verifier::builder()
        .pool(pool)
        .token_use(token_use)
        .build()
        .map_err(|e| format!("invalid configuration: {e}"))?;
    Ok((verifier, keys_preloaded))
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

/// Fetches the keys at start-up (unless they were preloaded); a failure is logged, not fatal
/// (requests answer 503 until the keys can be fetched).
pub async fn warm_up(verifier: &Verifier, keys_preloaded: bool) {
    if keys_preloaded {
        return;
    }
    if let Err(error) = verifier.prefetch().await {
        tracing::warn!(%error, "could not fetch the signing keys at start-up; requests will be refused as unavailable (503) until they can be fetched");
    }
}

/// What to print when the configuration is missing or wrong.
pub const USAGE: &str = "\
usage: COGNITO_USER_POOL_ID=<region_id> COGNITO_CLIENT_ID=<id>[,<id>...] cargo run --example <server>
optional: COGNITO_JWKS_URI, COGNITO_ISSUER (for emulators), COGNITO_JWKS_JSON or COGNITO_JWKS_FILE
(preloaded keys), BIND (default 127.0.0.1:3000), RUST_LOG";

/// The common start of the servers: logging (`RUST_LOG`, default `info`), the Prometheus
/// recorder ([`metrics::install`](crate::metrics::install)), the configuration from the environment (exit status 2 with the usage on error), and the key warm-up.
pub async fn start(server: &str) -> Result<ServerConfig, ExitCode> {
    start_for(server, TokenUse::Either).await
}

/// Like [`start`], for a verifier that accepts `token_use`.
pub async fn start_for(server: &str, token_use: TokenUse) -> Result<ServerConfig, ExitCode> {
    init_logging();
    crate::metrics::install();
    let config = from_env_for(token_use).map_err(|message| {
        eprintln!("{server}: {message}\n{USAGE}");
        ExitCode::from(2)
    })?;
    warm_up(&config.verifier, config.keys_preloaded).await;
    Ok(config)
}

/// Logging (`RUST_LOG`, default `info`); on Lambda it goes to CloudWatch.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
}

/// What the `lambda_authorizer` example needs: a verifier of access tokens and what every
/// token must carry.
#[derive(Debug)]
pub struct AuthorizerConfig {
    /// The verifier (access tokens only: an authorizer guards an API).
    pub verifier: Verifier,
    /// `COGNITO_REQUIRED_SCOPES`: optional, space-separated; a token needs one of them.
    pub requirements: Requirements,
    /// Whether the keys were preloaded.
    pub keys_preloaded: bool,
}

/// Reads the authorizer's configuration: the `COGNITO_*` variables of [`from_vars`], and
/// `COGNITO_REQUIRED_SCOPES`.
pub fn authorizer_from_vars(
    var: impl Fn(&str) -> Option<String>,
) -> Result<AuthorizerConfig, String> {
    let (verifier, keys_preloaded) = verifier_from_vars(&var, TokenUse::Access)?;
    let scopes: Vec<String> = var("COGNITO_REQUIRED_SCOPES")
        .unwrap_or_default()
        .split_ascii_whitespace()
        .map(str::to_owned)
        .collect();
    let mut requirements = Requirements::new();
    if !scopes.is_empty() {
        requirements = requirements.scopes(Requirement::any_of(scopes));
    }
    Ok(AuthorizerConfig {
        verifier,
        requirements,
        keys_preloaded,
    })
}

/// Reads the authorizer's configuration from the process environment.
pub fn authorizer_from_env() -> Result<AuthorizerConfig, String> {
    authorizer_from_vars(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}
