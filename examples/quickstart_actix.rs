//! The README's first actix-web program: a service whose `/me` route needs a valid Cognito access
//! token of your user pool and app client.
//!
//! ```text
//! USER_POOL_ID=eu-west-1_AbCdEf123 CLIENT_ID=1example23456789 cargo run --example quickstart_actix
//! curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:8080/me
//! ```

use actix_web::{App, HttpResponse, HttpServer, web};
use cognito_verify::{Pool, TokenUse, Verifier};
use cognito_verify_actix::{AccessToken, CognitoAuth};

async fn me(AccessToken(claims): AccessToken) -> HttpResponse {
    HttpResponse::Ok().json(claims)
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let verifier = Verifier::builder()
        .pool(Pool::new(std::env::var("USER_POOL_ID")?).client_id(std::env::var("CLIENT_ID")?))
        .token_use(TokenUse::Access)
        .build()?;
    let auth = CognitoAuth::new(verifier);
    HttpServer::new(move || {
        App::new()
            .app_data(auth.clone())
            .route("/me", web::get().to(me))
    })
    .bind("127.0.0.1:8080")?
    .run()
    .await?;
    Ok(())
}
