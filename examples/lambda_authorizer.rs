//! `lambda_authorizer`: an API Gateway Lambda authorizer for Cognito access tokens. One
//! function answers REST API `TOKEN` and `REQUEST` authorizer events (an IAM policy) and HTTP
//! API payload 2.0 events (the simple response); see `cognito_verify_lambda::authorizer` for
//! what each outcome answers. Configured from `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`,
//! optional `COGNITO_JWKS_URI`, `COGNITO_ISSUER`, `COGNITO_JWKS_JSON` or `COGNITO_JWKS_FILE`
//! (preloaded keys) and `COGNITO_REQUIRED_SCOPES` (space-separated, any of them).

use cognito_verify_examples::config;
use cognito_verify_lambda::Authorizer;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    config::init_logging();
    let config = config::authorizer_from_env()?;
    config::warm_up(&config.verifier, config.keys_preloaded).await;
    let authorizer = &Authorizer::new(config.verifier).require(config.requirements)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        authorizer.handle(event.payload)
    }))
    .await
}
