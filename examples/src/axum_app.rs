//! The axum example app, served by the `axum_server` and `demo` examples.
//!
//! | route | needs | answers |
//! |---|---|---|
//! | `GET /public` | nothing | `{"public":true}` |
//! | `GET /me` | a valid access token | the access token's claims |
//! | `GET /scoped` | a valid access token with scope `api/read` | `{"scoped":true,"sub":…}` |
//! | `GET /admin` | a valid access token of a user in group `admin` | `{"admin":true,"sub":…}` |
//! | `GET /optional` | nothing, but a token that is sent must be valid | `{"authenticated":true,"sub":…}` or `{"authenticated":false}` |
//! | `GET /id` | a valid id token | the id token's claims |
//!
//! Refusals: 400 `invalid_request` for a request with more than one credential, 401 with
//! `WWW-Authenticate: Bearer` (no token) or `Bearer error="invalid_token"` (also for an id token
//! on `/scoped` or `/admin`), 403 with `error="insufficient_scope"` and the required `scope`,
//! 503 with `Retry-After` while the signing keys cannot be fetched.

use axum::routing::get;
use axum::{Json, Router};
use cognito_verify::{AccessClaims, ConfigError, IdClaims, Requirement, Verifier};
use cognito_verify_axum::{AccessToken, Authenticated, CognitoAuth, IdToken};
use serde_json::{Value, json};

/// The scope `GET /scoped` requires.
pub const REQUIRED_SCOPE: &str = "api/read";
/// The group `GET /admin` requires.
pub const REQUIRED_GROUP: &str = "admin";

/// The app. `verifier` should accept both token uses (`TokenUse::Either`): `/me` asks for an
/// access token and `/id` for an id token.
pub fn app(verifier: Verifier) -> Result<Router, ConfigError> {
    app_with(CognitoAuth::new(verifier))
}

/// The app with these settings (e.g. tokens from a cookie).
pub fn app_with(auth: CognitoAuth) -> Result<Router, ConfigError> {
    Ok(Router::new()
        .route("/public", get(public))
        .route("/me", get(me))
        .route(
            "/scoped",
            get(scoped).route_layer(auth.require_scopes(Requirement::any_of([REQUIRED_SCOPE]))?),
        )
        .route(
            "/admin",
            get(admin).route_layer(auth.require_groups(Requirement::any_of([REQUIRED_GROUP]))?),
        )
        .route("/optional", get(optional))
        .route("/id", get(id))
        .with_state(auth))
}

async fn public() -> Json<Value> {
    Json(json!({ "public": true }))
}

async fn me(AccessToken(claims): AccessToken) -> Json<AccessClaims> {
    Json(claims)
}

async fn scoped(Authenticated(token): Authenticated) -> Json<Value> {
    Json(json!({ "scoped": true, "sub": token.subject() }))
}

async fn admin(Authenticated(token): Authenticated) -> Json<Value> {
    Json(json!({ "admin": true, "sub": token.subject() }))
}

async fn optional(user: Option<Authenticated>) -> Json<Value> {
    Json(match user {
        Some(Authenticated(token)) => json!({ "authenticated": true, "sub": token.subject() }),
        None => json!({ "authenticated": false }),
    })
}

async fn id(IdToken(claims): IdToken) -> Json<IdClaims> {
    Json(claims)
}
