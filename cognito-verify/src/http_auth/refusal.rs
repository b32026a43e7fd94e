//! The answer to a refused request (RFC 6750 §3): status, `WWW-Authenticate`, `Retry-After`, a
//! JSON body that never contains the token, and the log event.
//!
//! A [hook](crate::VerifyHook) that denies a valid token ([`HookRejection::forbidden`], e.g. a
//! user of another tenant) is answered like a missing scope: 403 with
//! `error="insufficient_scope"`, the only RFC 6750 code for "the token is valid but does not
//! grant this" ("the request requires higher privileges than provided by the access token",
//! §3.1), without a `scope` attribute, since no scope would help. RFC 6750 defines no other
//! code, and a 403 without a challenge would tell a client nothing about why. The body's
//! `kind` (`hook_forbidden`) tells it apart from a missing scope (`insufficient_scope`) or
//! group (`insufficient_group`).
//!
//! [`HookRejection::forbidden`]: crate::HookRejection::forbidden

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;
use std::time::SystemTime;

use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use serde_json::{Value, json};

use crate::alb::AlbError;
use crate::error::{Error, ErrorClass, ErrorKind, MIN_RETRY_AFTER};
use crate::observe::WarningLimit;
use crate::rules::requirement::Requirement;

/// The RFC 6750 §3.1 error code of a bearer challenge, like actix-web-httpauth's bearer `Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BearerError {
    /// The request is malformed, e.g. it carries more than one credential (400).
    InvalidRequest,
    /// The token is expired, revoked, malformed or invalid for other reasons (401).
    InvalidToken,
    /// The token lacks a scope (or group) the resource needs, or the hook denied it (403).
    InsufficientScope,
}

impl BearerError {
    /// The code as sent in `error="…"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            BearerError::InvalidRequest => "invalid_request",
            BearerError::InvalidToken => "invalid_token",
            BearerError::InsufficientScope => "insufficient_scope",
        }
    }

    /// The status RFC 6750 gives the code: 400, 401 or 403.
    pub const fn status_code(self) -> StatusCode {
        self.class().status_code()
    }

    /// The error class the code answers.
    pub const fn class(self) -> ErrorClass {
        match self {
            BearerError::InvalidRequest => ErrorClass::InvalidRequest,
            BearerError::InvalidToken => ErrorClass::InvalidToken,
            BearerError::InsufficientScope => ErrorClass::InsufficientScope,
        }
    }

    /// The code for a class; `None` for keys unavailable, where the token was not judged and no
    /// challenge is sent.
    pub const fn of_class(class: ErrorClass) -> Option<Self> {
        match class {
            ErrorClass::InvalidRequest => Some(BearerError::InvalidRequest),
            ErrorClass::InvalidToken => Some(BearerError::InvalidToken),
            ErrorClass::InsufficientScope => Some(BearerError::InsufficientScope),
            ErrorClass::KeysUnavailable => None,
        }
    }
}

impl fmt::Display for BearerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused request and how to answer it. Made by [`HttpAuth`](super::HttpAuth); every front
/// end answers it as [`HttpAuth::response`](super::HttpAuth::response) says.
///
/// ```
/// use cognito_verify::http_auth::{BearerError, Refusal};
/// use cognito_verify::{Error, ErrorKind};
///
/// let refusal = Refusal::new(Error::Expired, Some("api"), None);
/// assert_eq!(refusal.status(), 401);
/// assert_eq!(refusal.kind(), ErrorKind::Expired);
/// assert_eq!(refusal.bearer_error(), Some(BearerError::InvalidToken));
/// assert_eq!(
///     refusal.www_authenticate().map(|v| v.as_bytes()),
///     Some(&br#"Bearer realm="api", error="invalid_token", error_description="token has expired""#[..])
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    kind: ErrorKind,
    status: StatusCode,
    bearer: Option<BearerError>,
    www_authenticate: Option<HeaderValue>,
    retry_after: Option<u64>,
    description: Cow<'static, str>,
    cause: Option<Cause>,
}

/// The verifier's error a refusal answers (the ALB one boxed: it is the larger and the rarer).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cause {
    Cognito(Error),
    Alb(Box<AlbError>),
}

impl Refusal {
    /// A verification error: 401 `invalid_token`, 403 `insufficient_scope` (a missing scope or
    /// group, naming `required`'s names, or a hook's denial), or 503 with `Retry-After` and no
    /// challenge when keys are unavailable.
    pub fn new(error: Error, realm: Option<&str>, required: Option<&Requirement>) -> Self {
        let class = error.class();
        let bearer = BearerError::of_class(class);
        let description = Cow::Owned(error.to_string());
        let scope = match bearer {
            Some(BearerError::InsufficientScope) => required.map(|r| r.names().join(" ")),
            _ => None,
        };
        Refusal {
            kind: error.kind(),
            status: class.status_code(),
            bearer,
            www_authenticate: bearer
                .map(|code| challenge(realm, Some(code), Some(&description), scope.as_deref())),
            // Never "retry at once": a client told 0 s would add to the outage.
            retry_after: error
                .retry_after()
                .map(|d| d.max(MIN_RETRY_AFTER).as_secs()),
            description,
            cause: Some(Cause::Cognito(error)),
        }
    }

    /// An ALB token's refusal ([`AlbAuth`](crate::alb::AlbAuth)), answered like a verification
    /// error: 401 `invalid_token` with a `Bearer` challenge, or 503 with `Retry-After` and no
    /// challenge when its key is unavailable.
    pub fn alb(error: AlbError, realm: Option<&str>) -> Self {
        let bearer = BearerError::of_class(error.class());
        let description = Cow::Owned(error.to_string());
        Refusal {
            kind: error.kind(),
            status: error.class().status_code(),
            bearer,
            www_authenticate: bearer
                .map(|code| challenge(realm, Some(code), Some(&description), None)),
            retry_after: error
                .retry_after()
                .map(|d| d.max(MIN_RETRY_AFTER).as_secs()),
            description,
            cause: Some(Cause::Alb(Box::new(error))),
        }
    }

    /// No token: 401 with a challenge without `error` (RFC 6750 §3.1).
    pub fn missing_token(realm: Option<&str>) -> Self {
        Refusal::plain(
            ErrorKind::MissingToken,
            StatusCode::UNAUTHORIZED,
            None,
            Some(challenge(realm, None, None, None)),
            "no bearer token in the request",
        )
    }

    /// More than one credential in the request: 400 `invalid_request`.
    pub fn ambiguous(realm: Option<&str>) -> Self {
        const WHY: &str = "the request carries more than one credential";
        let code = BearerError::InvalidRequest;
        Refusal::plain(
            ErrorKind::InvalidRequest,
            code.status_code(),
            Some(code),
            Some(challenge(realm, Some(code), Some(WHY), None)),
            WHY,
        )
    }

    /// No settings to verify with (a programming error of the service): 500, no challenge.
    pub fn not_configured() -> Self {
        Refusal::plain(
            ErrorKind::NotConfigured,
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            None,
            "authentication is not configured: no verifier settings for this request",
        )
    }

    /// A synchronous verification without the keys it needs (they are being fetched): like
    /// keys unavailable, 503 with `Retry-After` and no challenge.
    pub(crate) fn keys_not_held() -> Self {
        Refusal {
            retry_after: Some(MIN_RETRY_AFTER.as_secs()),
            ..Refusal::plain(
                ErrorKind::KeysUnavailable,
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                None,
                "signing keys are unavailable: the key for this token is not held yet",
            )
        }
    }

    /// A synchronous verification with a verifier that has a hook (a programming error of the
    /// service, refused when a front end is built): 500, no challenge.
    pub(crate) fn async_hook() -> Self {
        Refusal::plain(
            ErrorKind::NotConfigured,
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            None,
            "authentication is not configured: a synchronous verification cannot run the verifier's hook",
        )
    }

    fn plain(
        kind: ErrorKind,
        status: StatusCode,
        bearer: Option<BearerError>,
        www_authenticate: Option<HeaderValue>,
        description: &'static str,
    ) -> Self {
        Refusal {
            kind,
            status,
            bearer,
            www_authenticate,
            retry_after: None,
            description: Cow::Borrowed(description),
            cause: None,
        }
    }

    /// The stable kind: an [`Error::kind`], an [`AlbError::kind`], `missing_token`,
    /// `invalid_request` or `not_configured`.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status: 400, 401, 403, 503, or 500 (not configured).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The RFC 6750 error code, if the challenge has one.
    pub fn bearer_error(&self) -> Option<BearerError> {
        self.bearer
    }

    /// The `WWW-Authenticate` value, if one is sent (not for 503 or 500).
    pub fn www_authenticate(&self) -> Option<&HeaderValue> {
        self.www_authenticate.as_ref()
    }

    /// The `Retry-After` value in seconds (at least [`MIN_RETRY_AFTER`](crate::MIN_RETRY_AFTER)),
    /// sent when keys are unavailable.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
    }

    /// The human-readable reason (never contains the token).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The verifier's error, when a token was refused.
    pub fn error(&self) -> Option<&Error> {
        match &self.cause {
            Some(Cause::Cognito(e)) => Some(e),
            _ => None,
        }
    }

    /// The ALB verifier's error, when an ALB token was refused.
    pub fn alb_error(&self) -> Option<&AlbError> {
        match &self.cause {
            Some(Cause::Alb(e)) => Some(e),
            _ => None,
        }
    }

    /// The default JSON body: `{"error": …, "kind": …}`, plus `"message"` when `detail` is
    /// true. `error` is the RFC 6750 code, or `unauthorized` (no token),
    /// `temporarily_unavailable` (keys unavailable) or `server_error` (not configured).
    pub fn json_body(&self, detail: bool) -> Value {
        let error = match (self.bearer, self.kind) {
            (Some(code), _) => code.as_str(),
            (None, ErrorKind::KeysUnavailable) => "temporarily_unavailable",
            (None, ErrorKind::NotConfigured) => "server_error",
            (None, _) => "unauthorized",
        };
        let mut body = json!({ "error": error, "kind": self.kind });
        if detail {
            body["message"] = Value::String(self.description.to_string());
        }
        body
    }

    /// Sets the status, `WWW-Authenticate` and `Retry-After` of `response` from the refusal,
    /// replacing whatever a body renderer put there.
    pub fn apply<B>(&self, response: &mut http::Response<B>) {
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        match &self.www_authenticate {
            Some(value) => headers.insert(WWW_AUTHENTICATE, value.clone()),
            None => headers.remove(WWW_AUTHENTICATE),
        };
        match self.retry_after {
            Some(secs) => headers.insert(RETRY_AFTER, HeaderValue::from(secs)),
            None => headers.remove(RETRY_AFTER),
        };
    }

    /// The default response: [`json_body`](Self::json_body) with the refusal's headers.
    pub fn default_response(&self, detail: bool) -> http::Response<Vec<u8>> {
        let mut response = http::Response::new(self.json_body(detail).to_string().into_bytes());
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.apply(&mut response);
        response
    }

    /// Emits the one `tracing` event of a refusal: kind, status, reason and, when known, the
    /// request's method and path; never the token. `debug`, so that clients sending bad tokens
    /// cannot flood the logs (failed key fetches have their own rate-limited warnings); only a
    /// route that can never be met (not configured) is an `error`, at most one line per
    /// [`WARNING_INTERVAL`](crate::observe::WARNING_INTERVAL) in the process.
    pub fn log(&self, method: Option<&str>, path: Option<&str>) {
        let (kind, status, reason) = (self.kind.as_str(), self.status.as_u16(), &*self.description);
        match self.kind {
            ErrorKind::MissingToken => {
                tracing::debug!(
                    kind,
                    status,
                    method,
                    path,
                    reason,
                    "request refused: no token"
                );
            }
            ErrorKind::KeysUnavailable => tracing::debug!(
                kind,
                status,
                method,
                path,
                reason,
                "request refused: signing keys unavailable"
            ),
            ErrorKind::NotConfigured => {
                static NOT_CONFIGURED: WarningLimit = WarningLimit::new();
                match NOT_CONFIGURED.allow(SystemTime::now()) {
                    Some(suppressed) => tracing::error!(
                        kind,
                        status,
                        method,
                        path,
                        reason,
                        suppressed,
                        "request refused"
                    ),
                    None => tracing::debug!(kind, status, method, path, reason, "request refused"),
                }
            }
            _ => tracing::debug!(kind, status, method, path, reason, "request refused"),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request refused ({}): {}", self.kind, self.description)
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Some(Cause::Cognito(e)) => Some(e),
            Some(Cause::Alb(e)) => Some(&**e),
            None => None,
        }
    }
}

/// A `Bearer` challenge (RFC 6750 §3) with the attributes given.
fn challenge(
    realm: Option<&str>,
    error: Option<BearerError>,
    description: Option<&str>,
    scope: Option<&str>,
) -> HeaderValue {
    let mut value = String::from("Bearer");
    let attributes = [
        ("realm", realm),
        ("error", error.map(BearerError::as_str)),
        ("error_description", description),
        ("scope", scope),
    ];
    for (i, (name, v)) in attributes
        .into_iter()
        .filter_map(|(n, v)| Some((n, v?)))
        .enumerate()
    {
        let _ = write!(
            value,
            "{}{name}=\"{}\"",
            if i == 0 { " " } else { ", " },
            quoted(v)
        );
    }
    // Every byte is printable ASCII (see `quoted`), which a header value always accepts.
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("Bearer"))
}

/// RFC 6750 restricts attribute values to printable ASCII without `"` and `\`; replace the rest.
fn quoted(v: &str) -> String {
    v.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => '\'',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KeyFetchError;

    #[test]
    fn insufficient_scope_names_the_scope() {
        let r = Requirement::any_of(["orders/read", "orders/write"]);
        let c = Refusal::new(Error::InsufficientScope, Some("api"), Some(&r));
        assert_eq!(c.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            c.www_authenticate().map(HeaderValue::as_bytes),
            Some(&b"Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"token lacks a required scope\", scope=\"orders/read orders/write\""[..])
        );
    }

    #[test]
    fn a_hook_may_refuse_with_401_or_deny_with_403() {
        let denied = Error::Hook(crate::HookRejection::forbidden("tenant suspended"));
        let r = Refusal::new(denied, Some("api"), None);
        assert_eq!(
            (r.status(), r.kind(), r.bearer_error()),
            (
                StatusCode::FORBIDDEN,
                ErrorKind::HookForbidden,
                Some(BearerError::InsufficientScope)
            )
        );
        assert_eq!(
            r.www_authenticate().map(HeaderValue::as_bytes),
            Some(&b"Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"access denied by a custom check: tenant suspended\""[..])
        );
        assert_eq!(
            r.json_body(false),
            json!({"error": "insufficient_scope", "kind": "hook_forbidden"})
        );
        let refused = Error::Hook(crate::HookRejection::unauthorized("signed out"));
        let r = Refusal::new(refused, None, None);
        assert_eq!(
            (r.status(), r.kind(), r.bearer_error()),
            (
                StatusCode::UNAUTHORIZED,
                ErrorKind::HookRejected,
                Some(BearerError::InvalidToken)
            )
        );
        assert_eq!(
            r.www_authenticate().map(HeaderValue::as_bytes),
            Some(&b"Bearer error=\"invalid_token\", error_description=\"token rejected by a custom check: signed out\""[..])
        );
    }

    #[test]
    fn keys_unavailable_is_503_with_retry_after_and_no_challenge() {
        let c = Refusal::new(Error::KeysUnavailable(KeyFetchError::Timeout), None, None);
        assert_eq!(
            (c.status(), c.www_authenticate(), c.retry_after_secs()),
            (StatusCode::SERVICE_UNAVAILABLE, None, Some(1))
        );
        assert_eq!(c.json_body(false)["error"], "temporarily_unavailable");
        let now = KeyFetchError::RateLimited {
            retry_after: std::time::Duration::ZERO,
        };
        let c = Refusal::new(Error::KeysUnavailable(now), None, None);
        assert_eq!(c.retry_after_secs(), Some(1), "the floor");
        let later = KeyFetchError::RateLimited {
            retry_after: std::time::Duration::from_secs(30),
        };
        let c = Refusal::new(Error::KeysUnavailable(later), None, None);
        assert_eq!(c.retry_after_secs(), Some(30));
    }

    #[test]
    fn each_front_end_refusal_has_its_status_and_body() {
        let table = [
            (
                Refusal::missing_token(None),
                401,
                "unauthorized",
                Some("Bearer"),
            ),
            (
                Refusal::ambiguous(None),
                400,
                "invalid_request",
                Some(
                    "Bearer error=\"invalid_request\", error_description=\"the request carries more than one credential\"",
                ),
            ),
            (Refusal::not_configured(), 500, "server_error", None),
        ];
        for (refusal, status, error, challenge) in table {
            assert_eq!(refusal.status(), status);
            assert_eq!(refusal.json_body(false)["error"], error);
            assert_eq!(refusal.json_body(false)["kind"], refusal.kind().as_str());
            assert_eq!(
                refusal.www_authenticate().map(HeaderValue::as_bytes),
                challenge.map(str::as_bytes)
            );
        }
    }

    #[test]
    fn attribute_values_are_quoted_safely() {
        assert_eq!(quoted("a\"b\\c\u{e9}\n"), "a'b'c''");
    }
}
