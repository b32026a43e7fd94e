//! AWS Lambda front end of [`cognito_verify`]: the core's HTTP policy answered in API Gateway's
//! formats. Policy stays in the core ([`cognito_verify::http_auth`]); this crate only converts
//! events and answers.
//!
//! - [`Authorizer`]: an API Gateway Lambda authorizer — REST API `TOKEN` and `REQUEST`
//!   authorizers answering an IAM policy (`Allow`/`Deny` for the method ARN, `principalId` =
//!   `sub`, the claims in `context`), and the HTTP API simple response (`isAuthorized`,
//!   `context`). What each outcome answers, including keys unavailable, is tabled in
//!   [`authorizer`].
//! - [`GatewayClaims`]: the claims of a token API Gateway already verified, read from the
//!   event's `requestContext` (this trusts the gateway; see [`gateway`]). With the `axum`
//!   feature it is an axum extractor for apps served by `lambda_http`.
//!
//! An axum app (with `cognito-verify-axum`) runs unchanged on `lambda_http::run`; see the
//! repository README ("AWS Lambda") for both programs, cold starts (preloaded keys) and
//! deployment notes.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod authorizer;
pub mod gateway;

pub use authorizer::{Authorizer, AuthorizerError, Decision};
pub use gateway::{ClaimsSource, GatewayClaims};
pub use lambda_http;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadmeDoctests;
