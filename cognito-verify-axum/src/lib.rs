//! Protect an [axum] 0.8 service with AWS Cognito User Pool tokens, verified by
//! [`cognito_verify`].
//!
//! Build one [`CognitoAuth`] from your [`Verifier`](cognito_verify::Verifier), then:
//!
//! - **Extractors** in handlers: [`AccessToken`] (access-token claims), [`IdToken`] (id-token
//!   claims), [`Claims<T>`](Claims) (your own claims type) and [`Authenticated`] (the
//!   [`Verified`](cognito_verify::Verified) token). Each works on its own, with the
//!   `CognitoAuth` in the router state (reached through [`FromRef`](axum::extract::FromRef)),
//!   and behind a layer, where it reads the token the layer verified instead of verifying it
//!   again. `Option<AccessToken>` (and so on) is `None` for a request without a token; a token
//!   that is present but not valid is refused.
//! - **Layers** ([`CognitoAuthLayer`]): [`CognitoAuth::layer`] refuses every request without a
//!   valid token and puts the `Verified` into the request extensions;
//!   [`CognitoAuth::optional_layer`] lets requests without a token through;
//!   [`CognitoAuth::require_scopes`] and [`CognitoAuth::require_groups`] (with `route_layer`,
//!   on a route or a nested router) also require scopes or groups, any-of or all-of.
//!
//! The token is read from `Authorization: Bearer …` by default, or from a cookie
//! ([`CognitoAuth::token_from_cookie`]) or by your own function ([`CognitoAuth::token_from`]).
//! No check is made here: every decision is the verifier's.
//!
//! # Responses
//!
//! | situation | status | headers | default body |
//! |---|---|---|---|
//! | no token | 401 | `WWW-Authenticate: Bearer` | `{"error":"unauthorized","kind":"missing_token"}` |
//! | invalid token (malformed, forged, expired, other client, wrong token use, …) | 401 | `WWW-Authenticate: Bearer error="invalid_token", error_description="…"` | `{"error":"invalid_token","kind":"expired"}` |
//! | valid token, missing scope or group | 403 | `WWW-Authenticate: Bearer error="insufficient_scope", error_description="…", scope="<required names>"` | `{"error":"insufficient_scope","kind":"insufficient_scope"}` |
//! | signing keys unavailable | 503 | `Retry-After: <seconds>` | `{"error":"temporarily_unavailable","kind":"keys_unavailable"}` |
//!
//! The body never contains the token; add a human-readable `"message"` with
//! [`CognitoAuth::expose_detail`], or render your own body with [`CognitoAuth::render_with`].
//! Each refusal emits a `tracing` event with its `kind` and `status` (`debug` for a missing
//! token, `info` for a refused one, `warn` when keys are unavailable), never the token.
//!
//! # Example
//!
//! The layers compose with tower-http's and with `Router::with_state`:
//!
//! ```
//! use axum::Router;
//! use axum::body::Body;
//! use axum::extract::{FromRef, State};
//! use axum::http::{Request, StatusCode, header};
//! use axum::routing::get;
//! use cognito_verify::testing::{JwksServer, TestIssuer};
//! use cognito_verify::{Requirement, TokenUse, Verifier};
//! use cognito_verify_axum::{AccessToken, Authenticated, CognitoAuth};
//! use tower::ServiceExt as _;
//! use tower_http::trace::TraceLayer;
//!
//! #[derive(Clone)]
//! struct AppState {
//!     auth: CognitoAuth,
//!     greeting: &'static str,
//! }
//!
//! // The extractors find the verifier in the state.
//! impl FromRef<AppState> for CognitoAuth {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.auth.clone()
//!     }
//! }
//!
//! async fn me(State(state): State<AppState>, AccessToken(claims): AccessToken) -> String {
//!     format!("{}, {}", state.greeting, claims.username.unwrap_or(claims.sub))
//! }
//!
//! async fn orders(Authenticated(token): Authenticated) -> String {
//!     format!("orders of {}", token.subject())
//! }
//!
//! async fn anyone(user: Option<AccessToken>) -> &'static str {
//!     if user.is_some() { "hello, user" } else { "hello, stranger" }
//! }
//!
//! fn app(verifier: Verifier) -> Router {
//!     let auth = CognitoAuth::new(verifier);
//!     Router::new()
//!         .route("/me", get(me))
//!         .route(
//!             "/orders",
//!             get(orders).route_layer(auth.require_scopes(Requirement::any_of(["orders/read"]))),
//!         )
//!         .route("/", get(anyone))
//!         .layer(TraceLayer::new_for_http())
//!         .with_state(AppState { auth, greeting: "hello" })
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A local stand-in for a user pool (feature `testing` of cognito-verify).
//! let issuer = TestIssuer::new();
//! let jwks = JwksServer::start(issuer.jwks_json()).await?;
//! let verifier = Verifier::builder()
//!     .pool(issuer.pool().jwks_uri(jwks.url()))
//!     .token_use(TokenUse::Access)
//!     .build()?;
//! let app = app(verifier);
//!
//! let get = |path: &str, token: Option<&str>| {
//!     let mut request = Request::get(path);
//!     if let Some(token) = token {
//!         request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
//!     }
//!     request.body(Body::empty())
//! };
//! let user = issuer.access_token().sign();
//! let m2m = issuer.m2m_token(["orders/read"]).sign();
//!
//! let response = app.clone().oneshot(get("/me", Some(&user))?).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//!
//! let response = app.clone().oneshot(get("/me", None)?).await?;
//! assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
//! assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
//!
//! let response = app.clone().oneshot(get("/orders", Some(&user))?).await?;
//! assert_eq!(response.status(), StatusCode::FORBIDDEN);
//! let response = app.clone().oneshot(get("/orders", Some(&m2m))?).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//!
//! let response = app.oneshot(get("/", None)?).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! # Ok(()) }
//! ```
//!
//! A router without state works too when a layer covers the routes whose handlers use the
//! extractors: `Router::new().route(..).layer(auth.layer())`.

mod auth;
mod extract;
mod layer;
mod rejection;

pub use auth::CognitoAuth;
pub use extract::{AccessToken, AuthState, Authenticated, Claims, IdToken};
pub use layer::{CognitoAuthLayer, CognitoAuthService, ResponseFuture};
pub use rejection::AuthRejection;

/// The core crate, re-exported so that its version always matches this one's.
pub use cognito_verify;
