//! `cargo run --example grpc_server`: the standard gRPC health service (`grpc.health.v1.Health`)
//! protected by a real Cognito user pool (see `examples/src/grpc_app.rs`): `Check` needs a valid
//! access token, `Watch` also the scope `api/read`. Configured from the same environment as
//! `axum_server`:
//!
//! ```text
//! COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123 COGNITO_CLIENT_ID=1example23456789 \
//!     cargo run --example grpc_server
//! grpcurl -plaintext -H "authorization: Bearer $ACCESS_TOKEN" 127.0.0.1:3000 grpc.health.v1.Health/Check
//! ```
//!
//! Optional: `COGNITO_JWKS_URI`, `COGNITO_ISSUER` (emulators), `BIND` (default
//! 127.0.0.1:3000), `RUST_LOG` (default `info`). The server starts even when the signing keys
//! cannot be fetched (a warning is logged) and answers `UNAVAILABLE` until they can be.

use std::process::ExitCode;

use cognito_verify::TokenUse;
use cognito_verify_examples::{config, grpc_app};
use tonic::transport::server::TcpIncoming;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match config::start_for("grpc_server", TokenUse::Access).await {
        Ok(config) => config,
        Err(code) => return code,
    };
    let layer = match grpc_app::layer(config.verifier) {
        Ok(layer) => layer,
        Err(error) => {
            eprintln!("grpc_server: {error}");
            return ExitCode::FAILURE;
        }
    };
    let incoming = match TcpIncoming::bind(config.bind) {
        Ok(incoming) => incoming,
        Err(error) => {
            eprintln!("grpc_server: cannot listen on {}: {error}", config.bind);
            return ExitCode::FAILURE;
        }
    };
    let address = incoming.local_addr().unwrap_or(config.bind);
    tracing::info!(%address, service = "grpc.health.v1.Health", "listening");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match grpc_app::serve(layer, incoming, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("grpc_server: {error}");
            ExitCode::FAILURE
        }
    }
}
