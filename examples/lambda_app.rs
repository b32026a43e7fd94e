//! `lambda_app`: the example axum app (see `examples/src/axum_app.rs`, the routes of
//! `axum_server`) served by AWS Lambda through `lambda_http`: API Gateway REST (v1) and HTTP API
//! (v2) proxy events, function URLs and ALB target events. Configured from the same
//! environment as `axum_server` (`COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`, optional
//! `COGNITO_JWKS_URI`, `COGNITO_ISSUER`, and `COGNITO_JWKS_JSON` or `COGNITO_JWKS_FILE` for
//! preloaded keys). Deploy with `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH=true` so a REST API's
//! stage is not part of the path (`/prod/me` would not match `/me`).
//!
//! ```text
//! cargo lambda watch -p cognito-verify-examples --invoke-address 127.0.0.1 --invoke-port 9000 --ignore-changes
//! cargo lambda invoke lambda_app --data-file event.json --invoke-address 127.0.0.1 --invoke-port 9000
//! ```

use cognito_verify_examples::{axum_app, config};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    config::init_logging();
    let config = config::from_env()?;
    // Keys are fetched during the init phase unless they were preloaded.
    config::warm_up(&config.verifier, config.keys_preloaded).await;
    let app = axum_app::app(config.verifier)?;
    lambda_http::run(app).await
}
