//! [`CognitoAuth`]: the shared settings of the layer and the extractors.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use axum::response::{IntoResponse, Json, Response};
use cognito_verify::bearer::{Challenge, token_from_authorization};
use cognito_verify::{Requirement, Verifier};
use http::header::{AUTHORIZATION, COOKIE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::layer::CognitoAuthLayer;

type Extractor = dyn Fn(&Parts) -> Option<String> + Send + Sync;
type Renderer = dyn Fn(&Challenge) -> Response + Send + Sync;

/// The verifier and how to use it over HTTP: where the token is read from and how a refusal is
/// answered. Build it once at start-up; it is cheap to clone (one reference count).
///
/// Put it in your router's state (or make it reachable with [`FromRef`](axum::extract::FromRef))
/// for the extractors, and make layers from it: [`layer`](Self::layer),
/// [`optional_layer`](Self::optional_layer), [`require_scopes`](Self::require_scopes),
/// [`require_groups`](Self::require_groups).
///
/// ```
/// use cognito_verify::{Pool, TokenUse, Verifier};
/// use cognito_verify_axum::CognitoAuth;
///
/// # fn main() -> Result<(), cognito_verify::ConfigError> {
/// let verifier = Verifier::builder()
///     .pool(Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789"))
///     .token_use(TokenUse::Access)
///     .build()?;
/// let auth = CognitoAuth::new(verifier)
///     .realm("orders")
///     .token_from_cookie("access_token");
/// # let _ = auth; Ok(()) }
/// ```
#[derive(Clone)]
pub struct CognitoAuth {
    pub(crate) settings: Arc<Settings>,
}

/// Everything decided once, read on every request.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) verifier: Verifier,
    source: TokenSource,
    realm: Option<String>,
    detail: bool,
    render: Option<Arc<Renderer>>,
    /// The answer to a request without a token, computed once.
    missing: Challenge,
}

#[derive(Clone)]
enum TokenSource {
    Authorization,
    Cookie(String),
    Custom(Arc<Extractor>),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Authorization => f.write_str("Authorization"),
            TokenSource::Cookie(name) => f.debug_tuple("Cookie").field(name).finish(),
            TokenSource::Custom(_) => f.write_str("Custom"),
        }
    }
}

impl fmt::Debug for CognitoAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &*self.settings;
        f.debug_struct("CognitoAuth")
            .field("verifier", &s.verifier)
            .field("source", &s.source)
            .field("realm", &s.realm)
            .field("detail", &s.detail)
            .field("render", &s.render.is_some())
            .finish()
    }
}

impl CognitoAuth {
    /// Reads the token from `Authorization: Bearer <token>` (RFC 6750 §2.1), answers refusals
    /// with a JSON body without detail, and sends no `realm`.
    pub fn new(verifier: Verifier) -> Self {
        CognitoAuth {
            settings: Arc::new(Settings {
                verifier,
                source: TokenSource::Authorization,
                realm: None,
                detail: false,
                render: None,
                missing: Challenge::missing_token(None),
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Settings)) -> Self {
        f(Arc::make_mut(&mut self.settings));
        self
    }

    /// Reads the token from the cookie with this name instead of the `Authorization` header.
    ///
    /// The cookie's value is the bare token (no `Bearer ` prefix; surrounding double quotes are
    /// removed). Cookies are sent by browsers automatically: protect state-changing routes
    /// against cross-site requests (`SameSite` cookies, CSRF tokens) when you use this.
    #[must_use]
    pub fn token_from_cookie(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.edit(|s| s.source = TokenSource::Cookie(name))
    }

    /// Reads the token with your own function instead of the `Authorization` header; `None` (or
    /// an empty string) means the request has no token.
    ///
    /// ```
    /// # fn f(auth: cognito_verify_axum::CognitoAuth) -> cognito_verify_axum::CognitoAuth {
    /// // A custom header, e.g. set by a gateway.
    /// auth.token_from(|parts| {
    ///     let value = parts.headers.get("x-access-token")?;
    ///     value.to_str().ok().map(str::to_owned)
    /// })
    /// # }
    /// ```
    #[must_use]
    pub fn token_from<F>(self, extract: F) -> Self
    where
        F: Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    {
        self.edit(|s| s.source = TokenSource::Custom(Arc::new(extract)))
    }

    /// Sends `realm="<realm>"` in every `WWW-Authenticate` challenge.
    #[must_use]
    pub fn realm(self, realm: impl Into<String>) -> Self {
        let realm = realm.into();
        self.edit(|s| {
            s.missing = Challenge::missing_token(Some(&realm));
            s.realm = Some(realm);
        })
    }

    /// Adds a human-readable `"message"` to the default JSON body (e.g. "token has expired").
    /// Off by default: the message says which check failed, which helps an attacker as much as
    /// a developer. It never contains the token. The `WWW-Authenticate` header always carries an
    /// `error_description`, as RFC 6750 §3 describes.
    #[must_use]
    pub fn expose_detail(self, detail: bool) -> Self {
        self.edit(|s| s.detail = detail)
    }

    /// Renders the body of every refusal with your function instead of the default JSON
    /// (`{"error": …, "kind": …}`, see [`Challenge::json_body`]).
    ///
    /// The status, `WWW-Authenticate` and `Retry-After` are set on the response afterwards, so
    /// the function only chooses the body and any other headers.
    ///
    /// ```
    /// # fn f(auth: cognito_verify_axum::CognitoAuth) -> cognito_verify_axum::CognitoAuth {
    /// auth.render_with(|challenge| format!("denied: {}", challenge.kind()))
    /// # }
    /// ```
    #[must_use]
    pub fn render_with<F, R>(self, render: F) -> Self
    where
        F: Fn(&Challenge) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        let render: Arc<Renderer> = Arc::new(move |c| render(c).into_response());
        self.edit(|s| s.render = Some(render))
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.settings.verifier
    }

    /// A layer that lets through only requests with a valid token, and puts its
    /// [`Verified`](cognito_verify::Verified) into the request extensions.
    pub fn layer(&self) -> CognitoAuthLayer {
        CognitoAuthLayer::new(self.clone(), false)
    }

    /// A layer that lets through requests without a token (the extractors then see no token:
    /// `Option<AccessToken>` is `None`), and refuses requests whose token is invalid.
    pub fn optional_layer(&self) -> CognitoAuthLayer {
        CognitoAuthLayer::new(self.clone(), true)
    }

    /// A layer that requires a valid token with these scopes (403 `insufficient_scope` naming
    /// them otherwise). Use it with `route_layer` on a route or a nested router. Behind
    /// [`layer`](Self::layer) it does not verify the token again.
    ///
    /// An empty requirement is never met: every request is refused.
    pub fn require_scopes(&self, required: Requirement) -> CognitoAuthLayer {
        self.layer().require_scopes(required)
    }

    /// A layer that requires a valid token whose user is in these groups (`cognito:groups`;
    /// 403 `insufficient_scope` naming them otherwise). See
    /// [`require_scopes`](Self::require_scopes).
    pub fn require_groups(&self, required: Requirement) -> CognitoAuthLayer {
        self.layer().require_groups(required)
    }
}

impl Settings {
    /// The token in the request, per the configured source.
    pub(crate) fn find_token<'a>(&self, parts: &'a Parts) -> Option<Cow<'a, [u8]>> {
        match &self.source {
            TokenSource::Authorization => parts
                .headers
                .get(AUTHORIZATION)
                .and_then(|v| token_from_authorization(v.as_bytes()))
                .map(Cow::Borrowed),
            TokenSource::Cookie(name) => cookie(&parts.headers, name).map(Cow::Borrowed),
            TokenSource::Custom(extract) => extract(parts)
                .filter(|t| !t.is_empty())
                .map(|t| Cow::Owned(t.into_bytes())),
        }
    }

    pub(crate) fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    pub(crate) fn missing(&self) -> &Challenge {
        &self.missing
    }
}

/// The value of the first cookie named `name` (RFC 6265 §4.2 `cookie-string`), unquoted.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a [u8]> {
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|b| *b == b';'))
        .find_map(|pair| {
            let (n, v) = pair.split_at(pair.iter().position(|b| *b == b'=')?);
            (n.trim_ascii() == name.as_bytes()).then(|| {
                let v = v[1..].trim_ascii();
                v.strip_prefix(b"\"")
                    .and_then(|v| v.strip_suffix(b"\""))
                    .unwrap_or(v)
            })
        })
        .filter(|v| !v.is_empty())
}

/// The response to a refusal: the body from the hook (or the default JSON), then the status,
/// `WWW-Authenticate` and `Retry-After` from the challenge.
pub(crate) fn render(settings: Option<&Settings>, challenge: &Challenge) -> Response {
    let mut response = match settings {
        Some(Settings {
            render: Some(render),
            ..
        }) => render(challenge),
        _ => {
            let detail = settings.is_some_and(|s| s.detail);
            Json(challenge.json_body(detail)).into_response()
        }
    };
    *response.status_mut() =
        StatusCode::from_u16(challenge.status_code()).unwrap_or(StatusCode::UNAUTHORIZED);
    let headers = response.headers_mut();
    match challenge
        .www_authenticate()
        .map(HeaderValue::from_str)
        .transpose()
    {
        Ok(Some(value)) => {
            headers.insert(http::header::WWW_AUTHENTICATE, value);
        }
        Ok(None) => {
            headers.remove(http::header::WWW_AUTHENTICATE);
        }
        // The core only emits printable ASCII; should that ever change, still challenge.
        Err(_) => {
            headers.insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            );
        }
    }
    match challenge.retry_after_secs() {
        Some(secs) => {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
        None => {
            headers.remove(http::header::RETRY_AFTER);
        }
    }
    response
}

/// Emits the tracing event for a refusal: its kind and status, never the token.
pub(crate) fn trace_refusal(challenge: &Challenge) {
    let (kind, status, reason) = (
        challenge.kind(),
        challenge.status_code(),
        challenge.description(),
    );
    match status {
        503 => tracing::warn!(kind, status, reason, "request refused: keys unavailable"),
        _ if challenge.error_code().is_none() => {
            tracing::debug!(kind, status, reason, "request refused: no token");
        }
        _ => tracing::info!(kind, status, reason, "request refused"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(COOKIE, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cookie_parsing() {
        let h = headers(&["a=1; tok=abc.def.ghi; b=2"]);
        assert_eq!(cookie(&h, "tok"), Some(&b"abc.def.ghi"[..]));
        assert_eq!(cookie(&h, "to"), None);
        assert_eq!(
            cookie(&headers(&["x=1", "tok=\"q\""]), "tok"),
            Some(&b"q"[..])
        );
        assert_eq!(cookie(&headers(&["tok="]), "tok"), None);
        assert_eq!(cookie(&headers(&["tok"]), "tok"), None);
        assert_eq!(cookie(&headers(&[" tok = v ;"]), "tok"), Some(&b"v"[..]));
        assert_eq!(cookie(&headers(&[]), "tok"), None);
    }
}
