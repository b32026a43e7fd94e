//! The gRPC example app, served by the `grpc_server` example: the standard health service
//! (`grpc.health.v1.Health`, from tonic-health, so any stock gRPC client can call it) behind
//! [`CognitoAuthLayer`], the token as `authorization: Bearer …` metadata.
//!
//! | method | needs |
//! |---|---|
//! | `/grpc.health.v1.Health/Check` | a valid access token |
//! | `/grpc.health.v1.Health/Watch` | a valid access token with the scope `api/read` |
//!
//! Refusals (see [`cognito_verify_tonic::code`]): `UNAUTHENTICATED` without a valid access token
//! (an id token too), `PERMISSION_DENIED` without the scope, `UNAVAILABLE` (with `retry-after`)
//! while the signing keys cannot be fetched, `INVALID_ARGUMENT` for two `authorization`
//! entries; each with the RFC 6750 challenge in `www-authenticate` metadata.

use std::future::Future;

use cognito_verify::http_auth::{HttpAuth, Requirements};
use cognito_verify::{ConfigError, Requirement};
use cognito_verify_tonic::CognitoAuthLayer;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

/// The scope `Watch` requires.
pub const WATCH_SCOPE: &str = "api/read";
/// The path of the `Watch` method.
pub const WATCH: &str = "/grpc.health.v1.Health/Watch";

/// The layer: every call needs a valid token, `Watch` also [`WATCH_SCOPE`]. Give it a verifier
/// that takes access tokens only (`TokenUse::Access`): an id token is then refused.
pub fn layer(auth: impl Into<HttpAuth>) -> Result<CognitoAuthLayer, ConfigError> {
    let read = Requirements::new().scopes(Requirement::any_of([WATCH_SCOPE]));
    CognitoAuthLayer::new(auth).require_method(WATCH, read)
}

/// Serves the health service behind `layer` on `incoming` until `shutdown` completes. The
/// server's own status (service `""`) is `SERVING`.
pub async fn serve(
    layer: CognitoAuthLayer,
    incoming: TcpIncoming,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    let (_reporter, health) = tonic_health::server::health_reporter();
    Server::builder()
        .layer(layer)
        .add_service(health)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}
