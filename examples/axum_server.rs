//! `cargo run --example axum_server`: the example axum app (see `examples/src/axum_app.rs`)
//! protected by a real Cognito user pool, configured from the environment:
//!
//! ```text
//! COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123 COGNITO_CLIENT_ID=1example23456789 \
//!     cargo run --example axum_server
//! curl -i http://127.0.0.1:3000/me -H "Authorization: Bearer $ACCESS_TOKEN"
//! ```
//!
//! `GET /metrics` serves the verifier's metrics in the Prometheus text format.
//!
//! Optional: `COGNITO_JWKS_URI`, `COGNITO_ISSUER` (emulators), `BIND` (default
//! 127.0.0.1:3000), `RUST_LOG` (default `info`). The server starts even when the signing keys
//! cannot be fetched (a warning is logged) and answers 503 until they can be.

use std::process::ExitCode;

use cognito_verify_examples::{axum_app, config, metrics};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match config::start("axum_server").await {
        Ok(config) => config,
        Err(code) => return code,
    };

    let listener = match tokio::net::TcpListener::bind(config.bind).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("axum_server: cannot listen on {}: {error}", config.bind);
            return ExitCode::FAILURE;
        }
    };
    let address = listener.local_addr().unwrap_or(config.bind);
    tracing::info!(
        %address,
        routes = "GET /public /me /scoped /admin /optional /id /metrics",
        "listening"
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let app = match axum_app::app(config.verifier) {
        Ok(app) => app.route("/metrics", axum::routing::get(metrics::axum_handler)),
        Err(error) => {
            eprintln!("axum_server: {error}");
            return ExitCode::FAILURE;
        }
    };
    match axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("axum_server: {error}");
            ExitCode::FAILURE
        }
    }
}
