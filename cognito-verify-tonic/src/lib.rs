//! Protect a [tonic] 0.14 gRPC server with AWS Cognito User Pool tokens, verified by
//! [`cognito_verify`].
//!
//! This crate reads calls and writes statuses; every decision (token source, one-credential
//! rule, requirements, refusals) is the core's [`cognito_verify::http_auth`], and a refusal
//! becomes a gRPC status by [`code`] and [`status`]: `UNAUTHENTICATED` for a missing or invalid
//! token, `PERMISSION_DENIED` for a missing scope or group or a hook's denial, `UNAVAILABLE`
//! while the signing keys are unavailable, `INVALID_ARGUMENT` for two `authorization` entries;
//! the RFC 6750 challenge in `www-authenticate` metadata.
//!
//! - [`CognitoAuthLayer`]: a tower layer for `Server::builder().layer(…)` (or one service), with
//!   requirements for every call, per service and per method. Asynchronous: always works.
//! - [`CognitoInterceptor`]: a tonic `Interceptor`, synchronous: answers from the keys held
//!   (prefetch them at start-up), `UNAVAILABLE` when they are not.
//! - [`AlbAuthLayer`]: behind an Application Load Balancer that authenticates users, verifies
//!   the `x-amzn-oidc-data` metadata it forwards by the core's [`cognito_verify::alb::AlbAuth`]
//!   (one entry, the identity check): the second example below.
//! - [`RequestExt`]: the verified token in a handler, `request.verified()` or
//!   `request.access_claims()?` (it is `request.extensions().get::<Verified>()`); the ALB
//!   token's claims, `request.alb_claims()?`.
//!
//! ```no_run
//! use cognito_verify::http_auth::Requirements;
//! use cognito_verify::{Pool, Requirement, TokenUse, Verifier};
//! use cognito_verify_tonic::CognitoAuthLayer;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .pool(Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789"))
//!     .token_use(TokenUse::Access)
//!     .build()?;
//! verifier.prefetch().await?;
//! let read = Requirements::new().scopes(Requirement::any_of(["api/read"]));
//! let auth = CognitoAuthLayer::new(verifier).require_method("/grpc.health.v1.Health/Watch", read)?;
//! let (_, health) = tonic_health::server::health_reporter();
//! tonic::transport::Server::builder()
//!     .layer(auth)
//!     .add_service(health)
//!     .serve("127.0.0.1:50051".parse()?)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! ```no_run
//! let verifier = cognito_verify::alb::AlbVerifier::builder()
//!     .alb_arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188")
//!     .issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123")
//!     .client_id("1example23456789")
//!     .build()?;
//! let server = tonic::transport::Server::builder().layer(cognito_verify_tonic::AlbAuthLayer::new(verifier));
//! # Ok::<(), cognito_verify::alb::AlbConfigError>(())
//! ```
//!
//! A complete program: the `grpc_server` example of the workspace.

mod interceptor;
mod layer;
mod status;

pub use interceptor::CognitoInterceptor;
pub use layer::{AlbAuthLayer, CognitoAuthLayer, CognitoAuthService, ResponseFuture};
pub use status::{RequestExt, code, status};

/// The core crate, re-exported so that its version always matches this one's.
pub use cognito_verify;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
