//! The actix-web example server: `cargo run --example actix_server`.
//!
//! Same environment variables, routes and answers as `axum_server` (see
//! `cognito_verify_examples::config` and `cognito_verify_examples::actix_app`):
//!
//! ```sh
//! COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123 COGNITO_CLIENT_ID=1example23456789 \
//!     cargo run --example actix_server
//! curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:3000/me
//! ```
//!
//! `GET /metrics` serves the verifier's metrics in the Prometheus text format.
//!
//! It starts even when the key endpoint is down: requests then answer 503 with `Retry-After`
//! until the keys can be fetched.

use std::process::ExitCode;

use actix_web::{HttpServer, web};
use cognito_verify_examples::{actix_app, config, metrics};

#[actix_web::main]
async fn main() -> ExitCode {
    let config = match config::start("actix_server").await {
        Ok(config) => config,
        Err(code) => return code,
    };

    let verifier = config.verifier;
    let server = HttpServer::new(move || {
        actix_app::app(verifier.clone()).route("/metrics", web::get().to(metrics::actix_handler))
    })
    .bind(config.bind);
    let server = match server {
        Ok(server) => server,
        Err(error) => {
            eprintln!("actix_server: cannot listen on {}: {error}", config.bind);
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(bind = %config.bind, "actix_server listening");
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("actix_server: {error}");
            ExitCode::FAILURE
        }
    }
}
