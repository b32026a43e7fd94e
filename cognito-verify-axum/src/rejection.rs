//! [`AuthRejection`]: why an extractor refused a request, and the response that says so.

use std::fmt;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use cognito_verify::bearer::Challenge;
use http::StatusCode;

use crate::auth::{Settings, render, trace_refusal};

/// The rejection of the extractors: 401, 403 or 503 with `WWW-Authenticate` (RFC 6750 §3) and
/// the body chosen by the [`CognitoAuth`](crate::CognitoAuth) settings; or 500 when an extractor
/// has neither a layer on its route nor a `CognitoAuth` in the state.
pub struct AuthRejection {
    challenge: Option<Challenge>,
    settings: Option<Arc<Settings>>,
}

impl AuthRejection {
    pub(crate) fn refused(challenge: Challenge, settings: Option<Arc<Settings>>) -> Self {
        trace_refusal(&challenge);
        AuthRejection {
            challenge: Some(challenge),
            settings,
        }
    }

    pub(crate) fn not_configured() -> Self {
        tracing::error!(
            kind = "not_configured",
            status = 500,
            "a cognito-verify-axum extractor found no CognitoAuthLayer on the route and no CognitoAuth in the state"
        );
        AuthRejection {
            challenge: None,
            settings: None,
        }
    }

    /// The HTTP status of the response: 401, 403, 503, or 500 (not configured).
    pub fn status(&self) -> StatusCode {
        self.challenge
            .as_ref()
            .map_or(StatusCode::INTERNAL_SERVER_ERROR, |c| {
                StatusCode::from_u16(c.status_code()).unwrap_or(StatusCode::UNAUTHORIZED)
            })
    }

    /// The refusal: status, `WWW-Authenticate`, `Retry-After`, kind and description. `None`
    /// when the extractor is not configured (500).
    pub fn challenge(&self) -> Option<&Challenge> {
        self.challenge.as_ref()
    }

    /// The stable kind: `missing_token`, an [`Error::kind`](cognito_verify::Error::kind), or
    /// `not_configured`.
    pub fn kind(&self) -> &'static str {
        self.challenge
            .as_ref()
            .map_or("not_configured", Challenge::kind)
    }
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRejection")
            .field("challenge", &self.challenge)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.challenge {
            Some(c) => write!(f, "request refused ({}): {}", c.kind(), c.description()),
            None => f.write_str(
                "authentication is not configured: no CognitoAuthLayer on the route and no CognitoAuth in the state",
            ),
        }
    }
}

impl std::error::Error for AuthRejection {}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match &self.challenge {
            Some(challenge) => render(self.settings.as_deref(), challenge),
            None => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "authentication is not configured",
            )
                .into_response(),
        }
    }
}
