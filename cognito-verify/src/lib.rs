//! Verify AWS Cognito User Pool tokens (RS256 JWTs) in Rust services.
//!
//! A [`Verifier`] checks a token the way a security-minded reviewer would: strict JWS compact
//! form, an algorithm allow-list (RS256), the key chosen by `kid` from the pool's JWKS (fetched,
//! cached and refreshed for you, each key parsed once), the signature, then the claims —
//! `iss`, `token_use`, `client_id` (access) or `aud` (id), `exp`/`nbf`/`iat`, scopes and groups —
//! and finally your own [hook](VerifyHook). Every refusal is an [`Error`] with a stable
//! [`kind`](Error::kind) (an [`ErrorKind`]) and an HTTP [class](ErrorClass): 401 invalid token,
//! 403 insufficient scope (or a hook's [denial](HookRejection::forbidden)), 503 keys
//! unavailable. Scope and group [requirements](Requirement) are met by access tokens only, unless
//! one [allows id tokens](Requirement::allow_id_tokens).
//!
//! With several pools (multi-tenant), each [`Pool`] may set its own token use, requirements and
//! leeway ([a policy per pool](Pool#a-policy-per-pool)); key fetches may use your own
//! [`reqwest::Client`] ([`VerifierBuilder::http_client`]).
//!
//! Many pools (a pool per tenant): the token's `iss` chooses among any number of configured pools
//! with one hash lookup; pools can be added and removed on a live verifier
//! ([`Verifier::add_pool`], [`Verifier::remove_pool`]), or found at run time by your
//! [`PoolResolver`], with bounded, cached answers ([`ResolverSettings`]).
//!
//! [`http_auth`] holds the HTTP policy every front end (axum, actix-web, …) shares: where the
//! token is read from, the one-credential rule (400 `invalid_request`), route requirements and
//! RFC 6750 refusals, on `http` crate types.
//!
//! ```no_run
//! use cognito_verify::{Pool, Requirement, TokenUse, Verifier};
//!
//! # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .pool(Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789"))
//!     .token_use(TokenUse::Access)
//!     .require_scopes(Requirement::any_of(["orders/read"]))
//!     .build()?;
//!
//! match verifier.verify(token).await {
//!     Ok(verified) => println!("subject {}", verified.subject()),
//!     Err(e) => println!("{} ({}): {e}", e.status_code(), e.kind()),
//! }
//! # Ok(()) }
//! ```
//!
//! With the `testing` feature, the `testing` module mints Cognito-shaped tokens with real keys
//! and serves their JWKS on loopback, so handlers can be tested without AWS.
//!
//! With the `metrics` feature, the verifier records counters, a histogram and a gauge on the
//! [`metrics`](https://docs.rs/metrics) facade (verifications by outcome and kind, key fetches
//! and their duration, verified-token cache hits and misses, the age of each pool's keys); the
//! names, labels and the logging rules (refusals at `debug`, rate-limited warnings, a span per
//! verification) are in [`observe`].
//!
//! With the `tower` feature, [`http_auth`] also holds `GateService`, the tower service the axum
//! and tonic layers share: its `Gate` checks each request, then the inner service is called.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod alb;
mod claims;
mod clock;
mod config;
pub mod defaults;
mod error;
mod hook;
pub mod http_auth;
mod jwks;
pub mod observe;
mod pool;
mod pools;
mod rules;
mod token;
mod token_cache;
mod verifier;

#[cfg(feature = "testing")]
pub mod testing;

pub use claims::{AccessClaims, Claim, CognitoClaims, IdClaims, Verified};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::VerifierBuilder;
pub use error::{
    ClaimProblem, ClaimsTarget, ConfigError, ConfigErrorKind, Error, ErrorClass, ErrorKind,
    HookRejection, KeyFetchError, KeyFetchErrorKind, MIN_RETRY_AFTER, Malformed, TokenPart,
    UrlSetting,
};
pub use hook::{VerifyHook, hook_fn};
pub use pool::Pool;
pub use pools::{PoolResolver, ResolverError, ResolverSettings, UnknownIssuer, resolver_fn};
pub use rules::requirement::Requirement;
pub use rules::token_use::{ActualUse, TokenUse};
pub use verifier::{TokenCacheStats, TryVerifyError, Verifier};

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadmeDoctests;
