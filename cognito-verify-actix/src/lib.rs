//! actix-web 4 integration for [`cognito_verify`]: extractors, a middleware and RFC 6750
//! responses for AWS Cognito User Pool tokens.
//!
//! This crate holds no validation logic: every token is judged by a [`cognito_verify::Verifier`];
//! this crate finds the token, calls the verifier, and answers refusals.
//!
//! - Register a [`CognitoAuth`] (the verifier plus realm, token source and body settings) with
//!   [`App::app_data`](actix_web::App::app_data).
//! - Take [`AccessToken`], [`IdToken`], [`Claims<T>`](Claims) (your own claims type) or
//!   [`Authenticated`] (the raw [`Verified`](cognito_verify::Verified)) as handler arguments;
//!   [`Optional<T>`](Optional) for optional authentication (no token → `None`; a token that is
//!   not valid is still refused — unlike actix's `Option<T>`, which would hide the refusal).
//! - Wrap an `App`, `scope`, resource or route in the [`Authenticate`] middleware to protect it
//!   and to require scopes or groups (any-of or all-of). It verifies once per request and leaves
//!   the result in the request's extensions, so extractors behind it do not verify again.
//! - Refusals are [`AuthError`]s, an actix `ResponseError`: 401 with
//!   `WWW-Authenticate: Bearer error="invalid_token", …` (no `error` attribute when the token is
//!   missing), 403 with `error="insufficient_scope"` and the required `scope`, 503 with
//!   `Retry-After` when the signing keys cannot be fetched. The JSON body can be replaced
//!   ([`CognitoAuth::render_with`]). Each refusal is logged as a `tracing` event with its kind,
//!   never with the token.
//!
//! ```no_run
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use cognito_verify::{Pool, Requirement, TokenUse, Verifier};
//! use cognito_verify_actix::{AccessToken, Authenticate, CognitoAuth, Optional};
//!
//! async fn me(AccessToken(claims): AccessToken) -> HttpResponse {
//!     HttpResponse::Ok().json(claims)
//! }
//!
//! async fn greeting(user: Optional<AccessToken>) -> HttpResponse {
//!     match user.into_inner() {
//!         Some(AccessToken(claims)) => HttpResponse::Ok().body(format!("hello {}", claims.sub)),
//!         None => HttpResponse::Ok().body("hello stranger"),
//!     }
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let verifier = Verifier::builder()
//!         .pool(Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789"))
//!         .token_use(TokenUse::Access)
//!         .build()?;
//!     let auth = CognitoAuth::new(verifier).realm("orders-api");
//!
//!     HttpServer::new(move || {
//!         App::new()
//!             .app_data(auth.clone())
//!             .route("/greeting", web::get().to(greeting))
//!             .route("/me", web::get().to(me))
//!             .service(
//!                 web::scope("/admin")
//!                     .wrap(Authenticate::required().require_groups(Requirement::any_of(["admin"])))
//!                     .route("/me", web::get().to(me)),
//!             )
//!     })
//!     .bind("127.0.0.1:8080")?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```
//!
//! Tokens can come from a cookie instead of the `Authorization` header:
//! `CognitoAuth::new(verifier).token_from_cookie("access_token")` (see [`TokenSource`]).

mod authenticate;
mod config;
mod error;
mod extract;
mod middleware;

pub use config::{CognitoAuth, TokenSource};
pub use error::AuthError;
pub use extract::{AccessToken, Authenticated, Claims, FromVerified, IdToken, Optional};
pub use middleware::{Authenticate, AuthenticateMiddleware};
