//! actix-web 4 integration for [`cognito_verify`]: extractors and a middleware for AWS Cognito
//! User Pool tokens.
//!
//! This crate reads requests and writes responses; every decision (token source, the
//! one-credential rule, requirements, refusals: 400, 401, 403, 503) is the core's
//! [`cognito_verify::http_auth`]. Register a [`CognitoAuth`] (the core's settings: verifier,
//! realm, token source — `Authorization`, a cookie or your own function — and body) with
//! [`App::app_data`](actix_web::App::app_data); take [`AccessToken`], [`IdToken`],
//! [`Claims<T>`](Claims), [`Authenticated`] or [`Optional<T>`](Optional) in handlers; wrap
//! routes in the [`Authenticate`] middleware to require a token, scopes or groups (of an
//! access token). Refusals are [`AuthError`]s, each logged once without the token. Behind an ALB
//! that authenticates users, [`AlbIdentity`] gives the verified `x-amzn-oidc-data`.
//!
//! ```no_run
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use cognito_verify::{Pool, Requirement, TokenUse, Verifier};
//! use cognito_verify_actix::{AccessToken, Authenticate, CognitoAuth};
//!
//! async fn me(AccessToken(claims): AccessToken) -> HttpResponse {
//!     HttpResponse::Ok().json(claims)
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let pool = Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789");
//!     let verifier = Verifier::builder().pool(pool).token_use(TokenUse::Access).build()?;
//!     let auth = CognitoAuth::new(verifier).realm("orders-api");
//!     HttpServer::new(move || {
//!         let admins = Authenticate::required().require_groups(Requirement::any_of(["admin"]));
//!         App::new()
//!             .app_data(auth.clone())
//!             .route("/me", web::get().to(me))
//!             .service(web::scope("/admin").wrap(admins).route("/me", web::get().to(me)))
//!     })
//!     .bind("127.0.0.1:8080")?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```

mod error;
mod extract;
mod middleware;

pub use error::AuthError;
pub use extract::AlbIdentity;
pub use extract::{AccessToken, Authenticated, Claims, FromVerified, IdToken, Optional};
pub use middleware::{Authenticate, AuthenticateMiddleware};

/// The core crate, re-exported so that its version always matches this one's.
pub use cognito_verify;
/// The settings this crate finds in `app_data`: the core's
/// [`HttpAuth`](cognito_verify::http_auth::HttpAuth) (also as `web::Data<CognitoAuth>`).
pub use cognito_verify::http_auth::HttpAuth as CognitoAuth;
/// Where the token is read from (the core's).
pub use cognito_verify::http_auth::TokenSource;
