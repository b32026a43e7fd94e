//! HTTP glue shared by the framework adapters: reading a bearer token (RFC 6750 §2.1) and
//! answering a refusal (RFC 6750 §3) with the right status, `WWW-Authenticate`, `Retry-After`
//! and a JSON body that never contains the token.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::error::{Error, ErrorClass};
use crate::rules::requirement::Requirement;

/// The token in an `Authorization` header value of the form `Bearer <token>`.
///
/// The scheme is case-insensitive; one or more spaces may follow it. Returns `None` for any other
/// scheme or an empty token (a request with no usable credentials).
///
/// ```
/// use cognito_verify::bearer::token_from_authorization;
/// assert_eq!(token_from_authorization(b"Bearer abc.def.ghi"), Some(&b"abc.def.ghi"[..]));
/// assert_eq!(token_from_authorization(b"bearer  x"), Some(&b"x"[..]));
/// assert_eq!(token_from_authorization(b"Basic dXNlcg=="), None);
/// ```
pub fn token_from_authorization(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer ";
    if value.len() < SCHEME.len() || !value[..SCHEME.len()].eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    let token = value[SCHEME.len()..].trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// How to answer a request that was refused: status, headers and body.
///
/// ```
/// use cognito_verify::bearer::Challenge;
///
/// let missing = Challenge::missing_token(Some("api"));
/// assert_eq!(missing.status_code(), 401);
/// assert_eq!(missing.www_authenticate(), Some("Bearer realm=\"api\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    status: u16,
    www_authenticate: Option<String>,
    retry_after: Option<u64>,
    error: Option<&'static str>,
    kind: &'static str,
    description: String,
}

impl Challenge {
    /// No token was sent: 401 with `WWW-Authenticate: Bearer` and no `error` attribute (RFC 6750
    /// §3.1: a request without authentication information gets no error code).
    pub fn missing_token(realm: Option<&str>) -> Self {
        Challenge {
            status: 401,
            www_authenticate: Some(header_value(realm, None, None, None)),
            retry_after: None,
            error: None,
            kind: "missing_token",
            description: "no bearer token in the request".to_owned(),
        }
    }

    /// A verification error: 401 `invalid_token`, 403 `insufficient_scope` (naming the
    /// `required` scopes or groups when given), or 503 with `Retry-After` when keys are
    /// unavailable (no `WWW-Authenticate`: the token was not judged).
    pub fn from_error(error: &Error, realm: Option<&str>, required: Option<&Requirement>) -> Self {
        let description = error.to_string();
        let (code, retry_after) = match error.class() {
            ErrorClass::InvalidToken => (Some("invalid_token"), None),
            ErrorClass::InsufficientScope => (Some("insufficient_scope"), None),
            _ => (
                None,
                Some(error.retry_after().map_or(1, |d| d.as_secs().max(1))),
            ),
        };
        let www_authenticate = code.map(|code| {
            let scope = required.map(|r| r.names().join(" "));
            header_value(realm, Some(code), Some(&description), scope.as_deref())
        });
        Challenge {
            status: error.status_code(),
            www_authenticate,
            retry_after,
            error: code,
            kind: error.kind(),
            description,
        }
    }

    /// The HTTP status: 401, 403 or 503.
    pub fn status_code(&self) -> u16 {
        self.status
    }

    /// The `WWW-Authenticate` header value, if one is to be sent.
    pub fn www_authenticate(&self) -> Option<&str> {
        self.www_authenticate.as_deref()
    }

    /// The `Retry-After` header value in seconds, if one is to be sent.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
    }

    /// The RFC 6750 error code (`invalid_token`, `insufficient_scope`), if any.
    pub fn error_code(&self) -> Option<&'static str> {
        self.error
    }

    /// The stable kind: `missing_token` or the [`Error::kind`].
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The human-readable reason (never contains the token).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The default JSON body: `{"error": …, "kind": …}`, plus `"message"` when `detail` is true.
    /// `error` is the RFC 6750 code, or `"unauthorized"` / `"temporarily_unavailable"`.
    pub fn json_body(&self, detail: bool) -> Value {
        let error = self.error.unwrap_or(match self.status {
            503 => "temporarily_unavailable",
            _ => "unauthorized",
        });
        let mut body = json!({ "error": error, "kind": self.kind });
        if detail {
            body["message"] = Value::String(self.description.clone());
        }
        body
    }
}

fn header_value(
    realm: Option<&str>,
    error: Option<&str>,
    description: Option<&str>,
    scope: Option<&str>,
) -> String {
    let mut value = String::from("Bearer");
    let mut first = true;
    let mut param = |name: &str, v: &str| {
        let _ = write!(
            value,
            "{}{name}=\"{}\"",
            if first { " " } else { ", " },
            quoted(v)
        );
        first = false;
    };
    if let Some(realm) = realm {
        param("realm", realm);
    }
    if let Some(error) = error {
        param("error", error);
    }
    if let Some(description) = description {
        param("error_description", description);
    }
    if let Some(scope) = scope {
        param("scope", scope);
    }
    value
}

/// RFC 6750 restricts attribute values to printable ASCII without `"` and `\`; replace the rest.
fn quoted(v: &str) -> String {
    v.chars()
        .map(|c| {
            if (' '..='~').contains(&c) && c != '"' && c != '\\' {
                c
            } else {
                '\''
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KeyFetchError;

    #[test]
    fn invalid_token_challenge() {
        let c = Challenge::from_error(&Error::Expired, None, None);
        assert_eq!(c.status_code(), 401);
        assert_eq!(
            c.www_authenticate(),
            Some("Bearer error=\"invalid_token\", error_description=\"token has expired\"")
        );
        assert_eq!(
            c.json_body(false),
            json!({"error": "invalid_token", "kind": "expired"})
        );
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        let r = Requirement::any_of(["orders/read", "orders/write"]);
        let c = Challenge::from_error(&Error::InsufficientScope, Some("api"), Some(&r));
        assert_eq!(c.status_code(), 403);
        assert_eq!(
            c.www_authenticate(),
            Some(
                "Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"token lacks a required scope\", scope=\"orders/read orders/write\""
            )
        );
    }

    #[test]
    fn keys_unavailable_is_503_with_retry_after() {
        let c = Challenge::from_error(&Error::KeysUnavailable(KeyFetchError::Timeout), None, None);
        assert_eq!(
            (c.status_code(), c.www_authenticate(), c.retry_after_secs()),
            (503, None, Some(1))
        );
        assert_eq!(c.json_body(false)["error"], "temporarily_unavailable");
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(token_from_authorization(b"BEARER t"), Some(&b"t"[..]));
        assert_eq!(token_from_authorization(b"Bearer "), None);
        assert_eq!(token_from_authorization(b"Bearer"), None);
        assert_eq!(token_from_authorization(b"Bearerx t"), None);
        assert_eq!(token_from_authorization(b""), None);
    }
}
