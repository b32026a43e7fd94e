//! [`AuthError`]: a refused request, answered as RFC 6750 says.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use cognito_verify::bearer::Challenge;
use cognito_verify::{Error, Requirement};

use crate::config::CognitoAuth;

/// Why a request was refused: no token, a token the verifier refused (or keys that could not be
/// fetched), or an app that was not configured.
///
/// It is an actix [`ResponseError`]: return it (or let an extractor return it) and actix answers
///
/// | case | status | `WWW-Authenticate` |
/// |---|---|---|
/// | no token | 401 | `Bearer` (plus `realm`), no `error` attribute |
/// | invalid token | 401 | `Bearer error="invalid_token", error_description="…"` |
/// | missing scope or group | 403 | `Bearer error="insufficient_scope", …, scope="…"` |
/// | keys unavailable | 503 | none; `Retry-After` instead |
/// | no [`CognitoAuth`] in `app_data` | 500 | none |
///
/// with a JSON body `{"error": …, "kind": …}` (see
/// [`Challenge::json_body`](cognito_verify::bearer::Challenge::json_body)) or the one your
/// [`render_with`](CognitoAuth::render_with) hook writes. The token never appears in the
/// response, in the `Display` text, or in the `tracing` event logged when the error is made.
pub struct AuthError {
    inner: Box<Inner>,
}

struct Inner {
    reason: Reason,
    answer: Option<(Challenge, CognitoAuth)>,
}

enum Reason {
    MissingToken,
    Refused(Error),
    NotConfigured,
}

impl AuthError {
    /// No token in the request.
    pub(crate) fn missing_token(auth: &CognitoAuth, req: Option<&HttpRequest>) -> Self {
        let challenge = Challenge::missing_token(auth.realm_name());
        AuthError::new(Reason::MissingToken, Some((challenge, auth.clone())), req)
    }

    /// The verifier (or a requirement) refused the token.
    pub(crate) fn refused(
        auth: &CognitoAuth,
        error: Error,
        required: Option<&Requirement>,
        req: Option<&HttpRequest>,
    ) -> Self {
        let challenge = Challenge::from_error(&error, auth.realm_name(), required);
        AuthError::new(Reason::Refused(error), Some((challenge, auth.clone())), req)
    }

    /// No [`CognitoAuth`] could be found for the request.
    pub(crate) fn not_configured(req: Option<&HttpRequest>) -> Self {
        AuthError::new(Reason::NotConfigured, None, req)
    }

    fn new(
        reason: Reason,
        answer: Option<(Challenge, CognitoAuth)>,
        req: Option<&HttpRequest>,
    ) -> Self {
        let error = AuthError {
            inner: Box::new(Inner { reason, answer }),
        };
        error.log(req);
        error
    }

    /// One `tracing` event per refusal: kind, status, method and path; never the token.
    fn log(&self, req: Option<&HttpRequest>) {
        let kind = self.kind();
        let status = self.status_code().as_u16();
        let method = req.map(|r| r.method().as_str());
        let path = req.map(HttpRequest::path);
        match &self.inner.reason {
            Reason::MissingToken => {
                tracing::debug!(kind, status, method, path, "request refused: no token");
            }
            Reason::Refused(error) if status == 503 => {
                tracing::warn!(kind, status, method, path, %error, "request refused: signing keys unavailable");
            }
            Reason::Refused(error) => {
                tracing::info!(kind, status, method, path, %error, "request refused");
            }
            Reason::NotConfigured => tracing::error!(
                kind,
                status,
                method,
                path,
                "no CognitoAuth in app_data: register one with App::app_data(CognitoAuth::new(verifier))"
            ),
        }
    }

    /// A stable snake_case name: `missing_token`, `not_configured`, or the verifier's
    /// [`Error::kind`] (`expired`, `insufficient_scope`, `keys_unavailable`, …).
    pub fn kind(&self) -> &'static str {
        match &self.inner.reason {
            Reason::MissingToken => "missing_token",
            Reason::Refused(error) => error.kind(),
            Reason::NotConfigured => "not_configured",
        }
    }

    /// The verifier's error, when a token was refused (not for a missing token).
    pub fn error(&self) -> Option<&Error> {
        match &self.inner.reason {
            Reason::Refused(error) => Some(error),
            _ => None,
        }
    }

    /// Whether the request carried no token at all.
    pub fn is_missing_token(&self) -> bool {
        matches!(self.inner.reason, Reason::MissingToken)
    }

    /// The RFC 6750 answer (status, `WWW-Authenticate`, `Retry-After`, default body); `None` only
    /// when the app is not configured.
    pub fn challenge(&self) -> Option<&Challenge> {
        self.inner.answer.as_ref().map(|(challenge, _)| challenge)
    }
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthError")
            .field("kind", &self.kind())
            .field("status", &self.status_code().as_u16())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.reason {
            Reason::MissingToken => f.write_str("no bearer token in the request"),
            Reason::Refused(error) => write!(f, "token refused: {error}"),
            Reason::NotConfigured => {
                f.write_str("cognito-verify-actix is not configured: no CognitoAuth in app_data")
            }
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error().map(|e| e as _)
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match &self.inner.answer {
            Some((challenge, _)) => status_of(challenge),
            None => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match &self.inner.answer {
            Some((challenge, auth)) => auth.respond(challenge),
            None => HttpResponse::InternalServerError().json(not_configured_body()),
        }
    }
}

fn not_configured_body() -> NotConfiguredBody {
    NotConfiguredBody {
        error: "server_error",
        kind: "not_configured",
    }
}

#[derive(serde::Serialize)]
struct NotConfiguredBody {
    error: &'static str,
    kind: &'static str,
}

fn status_of(challenge: &Challenge) -> StatusCode {
    StatusCode::from_u16(challenge.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A response builder with the challenge's status, `WWW-Authenticate` and `Retry-After`.
pub(crate) fn response_head(challenge: &Challenge) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status_of(challenge));
    if let Some(value) = challenge.www_authenticate() {
        // The core quotes every attribute to printable ASCII, so this cannot fail; if it ever
        // did, the status still tells the client what happened.
        if let Ok(value) = HeaderValue::from_str(value) {
            builder.insert_header((header::WWW_AUTHENTICATE, value));
        }
    }
    if let Some(secs) = challenge.retry_after_secs() {
        builder.insert_header((header::RETRY_AFTER, secs));
    }
    builder
}
