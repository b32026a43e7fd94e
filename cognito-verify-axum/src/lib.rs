//! Protect an [axum] 0.8 service with AWS Cognito User Pool tokens, verified by
//! [`cognito_verify`].
//!
//! This crate reads requests and writes responses; every decision (token source, one-credential
//! rule, requirements, refusals: 400, 401, 403, 503) is the core's [`cognito_verify::http_auth`].
//! Build one [`CognitoAuth`], then use the **extractors** [`AccessToken`], [`IdToken`],
//! [`Claims<T>`](Claims) and [`Authenticated`] (with the `CognitoAuth` in the router state, or
//! behind a layer; `Option<AccessToken>` is `None` without a token, a token that is not valid is
//! refused), and the **layers** [`CognitoAuth::layer`], [`CognitoAuth::optional_layer`],
//! [`CognitoAuth::require_scopes`] and [`CognitoAuth::require_groups`] (access tokens only).
//! Behind an ALB that authenticates users, [`AlbIdentity`] gives the verified `x-amzn-oidc-data`.
//!
//! ```
//! use axum::Router;
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode, header};
//! use axum::routing::get;
//! use cognito_verify::testing::{JwksServer, TestIssuer};
//! use cognito_verify::{Requirement, TokenUse, Verifier};
//! use cognito_verify_axum::{AccessToken, CognitoAuth};
//! use tower::ServiceExt as _;
//!
//! async fn me(AccessToken(claims): AccessToken) -> String {
//!     claims.sub
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = TestIssuer::new(); // a local stand-in for a user pool (feature `testing`)
//! let jwks = JwksServer::start(issuer.jwks_json()).await?;
//! let pool = issuer.pool().jwks_uri(jwks.url());
//! let verifier = Verifier::builder().pool(pool).token_use(TokenUse::Access).build()?;
//! let auth = CognitoAuth::new(verifier);
//! let orders = auth.require_scopes(Requirement::any_of(["orders/read"]))?;
//! let app = Router::new()
//!     .route("/me", get(me))
//!     .route("/orders", get(me).route_layer(orders))
//!     .with_state(auth);
//!
//! let get = |path: &str, token: &str| {
//!     let bearer = format!("Bearer {token}");
//!     Request::get(path).header(header::AUTHORIZATION, bearer).body(Body::empty())
//! };
//! let user = issuer.access_token().sign();
//! assert_eq!(app.clone().oneshot(get("/me", &user)?).await?.status(), StatusCode::OK);
//! assert_eq!(app.oneshot(get("/orders", &user)?).await?.status(), StatusCode::FORBIDDEN);
//! # Ok(()) }
//! ```

mod auth;
mod extract;
mod layer;

pub use auth::CognitoAuth;
pub use extract::AlbIdentity;
pub use extract::{AccessToken, AuthRejection, AuthState, Authenticated, Claims, IdToken};
pub use layer::{CognitoAuthLayer, CognitoAuthService, ResponseFuture};

/// The core crate, re-exported so that its version always matches this one's.
pub use cognito_verify;
