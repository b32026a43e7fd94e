//! [`CognitoAuth`]: the core's HTTP settings, and the layers made from them.

use std::ops::Deref;

use axum::body::Body;
use axum::response::Response;
use cognito_verify::http_auth::{HttpAuth, Refusal, Requirements};
use cognito_verify::{ConfigError, Requirement};
use http::request::Parts;

use crate::layer::CognitoAuthLayer;

/// The verifier and how to use it over HTTP (a [`HttpAuth`]: token source, realm, body), for
/// the extractors (in the router state, or reached with [`FromRef`](axum::extract::FromRef))
/// and the layers, e.g. `CognitoAuth::new(HttpAuth::new(verifier).realm("orders"))`. Derefs to
/// the [`HttpAuth`] (its [`verifier`](HttpAuth::verifier), …); cheap to clone (one reference
/// count).
#[derive(Debug, Clone)]
pub struct CognitoAuth {
    pub(crate) http: HttpAuth,
}

impl Deref for CognitoAuth {
    type Target = HttpAuth;

    fn deref(&self) -> &HttpAuth {
        &self.http
    }
}

impl From<HttpAuth> for CognitoAuth {
    fn from(http: HttpAuth) -> Self {
        CognitoAuth { http }
    }
}

impl CognitoAuth {
    /// Settings for a verifier (or a configured [`HttpAuth`]): by default the token is read from
    /// `Authorization: Bearer`, no realm is sent, refusals have a JSON body without detail.
    pub fn new(auth: impl Into<HttpAuth>) -> Self {
        CognitoAuth { http: auth.into() }
    }

    /// A layer that lets through only requests with a valid token, and puts its
    /// [`Verified`](cognito_verify::Verified) into the request extensions.
    pub fn layer(&self) -> CognitoAuthLayer {
        CognitoAuthLayer::new(self.http.clone(), false, Requirements::new())
    }

    /// A layer that lets requests without a token through (the extractors then see none:
    /// `Option<AccessToken>` is `None`) and refuses those whose token is invalid.
    pub fn optional_layer(&self) -> CognitoAuthLayer {
        CognitoAuthLayer::new(self.http.clone(), true, Requirements::new())
    }

    /// A layer that requires a valid **access** token with these scopes (403
    /// `insufficient_scope` naming them; an id token is 401 `invalid_token` unless the
    /// requirement [allows id tokens](Requirement::allow_id_tokens)). Use it with
    /// `route_layer`; behind [`layer`](Self::layer) it does not verify again. An empty
    /// requirement is refused here ([`ConfigError::EmptyRequirement`]).
    pub fn require_scopes(&self, required: Requirement) -> Result<CognitoAuthLayer, ConfigError> {
        self.layer().require_scopes(required)
    }

    /// Like [`require_scopes`](Self::require_scopes), for groups (`cognito:groups`).
    pub fn require_groups(&self, required: Requirement) -> Result<CognitoAuthLayer, ConfigError> {
        self.layer().require_groups(required)
    }
}

/// The axum response to a refusal, after its log event (with the request's method and path).
pub(crate) fn respond(auth: Option<&HttpAuth>, refusal: &Refusal, parts: &Parts) -> Response {
    refusal.log(Some(parts.method.as_str()), Some(parts.uri.path()));
    let response = auth.map_or_else(|| refusal.default_response(false), |a| a.response(refusal));
    response.map(Body::from)
}
