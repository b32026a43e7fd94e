//! The README's first program: an axum service whose `/me` route needs a valid Cognito access
//! token of your user pool and app client.
//!
//! ```text
//! USER_POOL_ID=eu-west-1_AbCdEf123 CLIENT_ID=1example23456789 cargo run --example quickstart_axum
//! curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:3000/me
//! ```

use axum::{Json, Router, routing::get};
use cognito_verify::{AccessClaims, Pool, TokenUse, Verifier};
use cognito_verify_axum::{AccessToken, CognitoAuth};

async fn me(AccessToken(claims): AccessToken) -> Json<AccessClaims> {
    Json(claims)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let verifier = Verifier::builder()
        .pool(Pool::new(std::env::var("USER_POOL_ID")?).client_id(std::env::var("CLIENT_ID")?))
        .token_use(TokenUse::Access)
        .build()?;
    let auth = CognitoAuth::new(verifier);
    let app = Router::new().route("/me", get(me)).layer(auth.layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
