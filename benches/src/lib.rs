//! Shared fixtures for the criterion benches, the memory report and the load-test server.
//!
//! Everything runs offline: a [`TestIssuer`] makes a real RSA-2048 key and Cognito-shaped tokens,
//! and verifiers are built with the key set preloaded (`Pool::static_jwks`), so a `verify` never
//! waits on the network and its future completes on its first poll.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_verify::testing::TestIssuer;
use cognito_verify::{TokenUse, Verifier};
use cognito_verify_axum::CognitoAuth;
use futures_util::FutureExt as _;

/// What can go wrong while setting a fixture up (a broken bench, never a measurement).
pub type SetupError = Box<dyn std::error::Error + Send + Sync>;

/// One issuer and one token of each kind, all signed by the issuer's RSA-2048 key.
#[derive(Debug)]
pub struct Fixture {
    /// The stand-in user pool.
    pub issuer: TestIssuer,
    /// A user's access token.
    pub access: String,
    /// A user's id token.
    pub id: String,
    /// A machine-to-machine (client_credentials) access token.
    pub m2m: String,
}

impl Fixture {
    /// A fresh key and three tokens (valid for an hour).
    pub fn new() -> Self {
        let issuer = TestIssuer::new();
        let access = issuer.access_token().groups(["admin"]).sign();
        let id = issuer.id_token().groups(["admin"]).sign();
        let m2m = issuer.m2m_token(["orders/read", "orders/write"]).sign();
        Fixture {
            issuer,
            access,
            id,
            m2m,
        }
    }

    /// A verifier with this issuer's keys preloaded. `cache_bytes` is the verified-token cache
    /// budget; 0 disables the cache.
    pub fn verifier(&self, token_use: TokenUse, cache_bytes: u64) -> Result<Verifier, SetupError> {
        verifier_for(&self.issuer, token_use, cache_bytes)
    }

    /// The bare aws-lc-rs reference for this issuer's signing key.
    pub fn bare(&self) -> Result<BareRs256, SetupError> {
        BareRs256::from_jwk(&self.issuer.signing_key().jwk())
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

/// A verifier for `issuer` with its JWKS preloaded.
pub fn verifier_for(
    issuer: &TestIssuer,
    token_use: TokenUse,
    cache_bytes: u64,
) -> Result<Verifier, SetupError> {
    Ok(Verifier::builder()
        .pool(issuer.pool().static_jwks(issuer.jwks_json()))
        .token_use(token_use)
        .token_cache_max_bytes(cache_bytes)
        .build()?)
}

/// Runs a verification that cannot suspend (preloaded keys, no hook) without any runtime.
///
/// Returns whether the token was accepted; `None` if the future did suspend (a bench bug).
pub fn verify_now(verifier: &Verifier, token: &str) -> Option<bool> {
    verifier.verify(token).now_or_never().map(|r| r.is_ok())
}

/// The reference: RSASSA-PKCS1-v1_5 SHA-256 verification with aws-lc-rs and a public key parsed
/// once, nothing else (no base64, no JSON, no claim checks).
#[derive(Debug)]
pub struct BareRs256 {
    key: ParsedPublicKey,
}

impl BareRs256 {
    /// Parses the key of a JWK (`n`, `e` in base64url) once.
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<Self, SetupError> {
        let part = |name: &str| -> Result<Vec<u8>, SetupError> {
            let b64 = jwk[name].as_str().ok_or("JWK member missing")?;
            Ok(URL_SAFE_NO_PAD.decode(b64)?)
        };
        let (n, e) = (part("n")?, part("e")?);
        let key = RsaPublicKeyComponents {
            n: &n[..],
            e: &e[..],
        }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .map_err(|_| "not an RSA public key")?;
        Ok(BareRs256 { key })
    }

    /// Length of the DER encoding the parsed key keeps.
    pub fn der_len(&self) -> usize {
        self.key.as_ref().len()
    }

    /// Verifies `signature` over `signing_input`.
    pub fn verify(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(signing_input, signature).is_ok()
    }
}

/// A token's signing input (everything up to the last `.`) and its decoded signature.
pub fn split_token(token: &str) -> Result<(&str, Vec<u8>), SetupError> {
    let (input, signature) = token.rsplit_once('.').ok_or("not a JWS")?;
    Ok((input, URL_SAFE_NO_PAD.decode(signature)?))
}

/// Counts the requests a [`app`] answered; shared by its handler.
#[derive(Debug, Clone, Default)]
pub struct Served(Arc<AtomicU64>);

impl Served {
    /// Requests answered so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

async fn hello(State(served): State<Served>) -> &'static str {
    served.0.fetch_add(1, Ordering::Relaxed);
    "ok"
}

/// The app under test: `GET /` answers `ok` (and counts). With a verifier, the whole router is
/// wrapped in the axum adapter's layer (401 without a valid bearer token); without, it is the
/// same router, unprotected.
pub fn app(verifier: Option<&Verifier>, served: Served) -> Router {
    let router = Router::new().route("/", get(hello)).with_state(served);
    match verifier {
        Some(verifier) => router.layer(CognitoAuth::new(verifier.clone()).layer()),
        None => router,
    }
}

/// Resident set size of this process, in bytes (Linux `/proc/self/statm`, 4 KiB pages).
pub fn rss_bytes() -> Result<u64, SetupError> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .ok_or("no resident field in /proc/self/statm")?
        .parse()?;
    Ok(pages * 4096)
}

/// The time `batch` calls (a paired bench's batch) of `work` take; every call must succeed.
pub fn time(batch: usize, work: impl Fn() -> bool) -> Result<Duration, SetupError> {
    let started = Instant::now();
    let ok = (0..batch).filter(|_| work()).count();
    let elapsed = started.elapsed();
    if ok == batch {
        Ok(elapsed)
    } else {
        Err("a verification failed during the run".into())
    }
}

/// Microseconds per call of a batch of `batch` calls that took `d`.
pub fn micros(d: Duration, batch: usize) -> f64 {
    d.as_secs_f64() * 1e6 / batch as f64
}

/// The `q` quantile (nearest rank) of `values`.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((values.len() as f64 - 1.0) * q).round() as usize;
    values.get(rank).copied().unwrap_or(f64::NAN)
}
