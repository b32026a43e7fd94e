//! [`AlbAuth`]: the HTTP policy for ALB-authenticated requests, on [`http`] crate types, shared
//! by every front end (the axum and actix `AlbIdentity` extractors only read the request and
//! write the response).

use std::fmt;
use std::sync::Arc;

use http::HeaderValue;
use http::request::Parts;

use crate::alb::{AlbClaims, AlbError, AlbVerifier};
use crate::error::{Malformed, TokenPart};
use crate::http_auth::Refusal;

/// The header holding the ALB-signed user-claims token.
pub const DATA_HEADER: &str = "x-amzn-oidc-data";
/// The header holding the user's `sub`, as ALB forwards it (unsigned).
pub const IDENTITY_HEADER: &str = "x-amzn-oidc-identity";
/// The header holding the IdP's access token (verify a Cognito one with a
/// [`Verifier`](crate::Verifier); see [`AlbAuth`]).
pub const ACCESS_TOKEN_HEADER: &str = "x-amzn-oidc-accesstoken";

/// What [`AlbAuth`] does with `x-amzn-oidc-identity` (the unsigned `sub` ALB forwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum IdentityCheck {
    /// When the header is present it must equal the verified `sub` (`identity_mismatch`, 401,
    /// otherwise). The default: ALB always sends it, so a value that disagrees with the signed
    /// token means something between the load balancer and the service rewrote the request.
    #[default]
    WhenPresent,
    /// The header must be present and equal the verified `sub`.
    Required,
    /// The header is not looked at.
    Ignore,
}

/// Verifies the ALB headers of a request: exactly one `x-amzn-oidc-data` (none: 401
/// `missing_token`; two or more: 400 `invalid_request`, the one-credential rule), verified by an
/// [`AlbVerifier`], then `x-amzn-oidc-identity` checked as [`IdentityCheck`] says (two or more:
/// 400). Refusals are the core's [`Refusal`]s with the Cognito front ends' statuses and JSON
/// body: 401 `invalid_token`, 400 `invalid_request`, 503 with `Retry-After` when the token's key
/// is unavailable.
///
/// The 401 carries a `Bearer` challenge like every other refusal of this library, although the
/// client (a browser behind the load balancer) never sends this token itself: HTTP requires a
/// challenge on a 401, and one answer shape for every front end beats a scheme of our own. Put
/// the ALB's authentication action in front of every route that uses it; a 401 from the
/// service means the load balancer was bypassed or misconfigured.
///
/// Cheap to clone (one reference count). To also verify the IdP's access token
/// (`x-amzn-oidc-accesstoken`, a Cognito access token when the IdP is a user pool), read it with
/// the Cognito front end's custom token source:
///
/// ```
/// use cognito_verify::alb::ACCESS_TOKEN_HEADER;
/// use cognito_verify::http_auth::HttpAuth;
///
/// # fn f(verifier: cognito_verify::Verifier) -> HttpAuth {
/// // Exactly one header, or no token (401 missing_token).
/// HttpAuth::new(verifier).token_from(|parts| {
///     let mut values = parts.headers.get_all(ACCESS_TOKEN_HEADER).iter();
///     match (values.next(), values.next()) {
///         (Some(one), None) => one.to_str().ok().map(str::to_owned),
///         _ => None,
///     }
/// })
/// # }
/// ```
#[derive(Clone)]
pub struct AlbAuth {
    inner: Arc<Settings>,
}

#[derive(Clone)]
struct Settings {
    verifier: AlbVerifier,
    identity: IdentityCheck,
    realm: Option<Arc<str>>,
    detail: bool,
}

impl fmt::Debug for AlbAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &*self.inner;
        f.debug_struct("AlbAuth")
            .field("verifier", &s.verifier)
            .field("identity", &s.identity)
            .field("realm", &s.realm)
            .field("detail", &s.detail)
            .finish()
    }
}

impl From<AlbVerifier> for AlbAuth {
    fn from(verifier: AlbVerifier) -> Self {
        AlbAuth::new(verifier)
    }
}

impl AlbAuth {
    /// [`IdentityCheck::WhenPresent`], no realm, JSON bodies without a message.
    pub fn new(verifier: AlbVerifier) -> Self {
        let settings = Settings {
            verifier,
            identity: IdentityCheck::default(),
            realm: None,
            detail: false,
        };
        AlbAuth {
            inner: Arc::new(settings),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Settings)) -> Self {
        f(Arc::make_mut(&mut self.inner));
        self
    }

    /// What to do with `x-amzn-oidc-identity`.
    #[must_use]
    pub fn identity_check(self, check: IdentityCheck) -> Self {
        self.edit(|s| s.identity = check)
    }

    /// Sends `realm="<realm>"` in every challenge.
    #[must_use]
    pub fn realm(self, realm: impl Into<String>) -> Self {
        let realm: Arc<str> = realm.into().into();
        self.edit(|s| s.realm = Some(realm))
    }

    /// Adds a human-readable `"message"` to the JSON body (off by default, as for
    /// [`HttpAuth::expose_detail`](crate::http_auth::HttpAuth::expose_detail)).
    #[must_use]
    pub fn expose_detail(self, detail: bool) -> Self {
        self.edit(|s| s.detail = detail)
    }

    /// Whether refusals carry a human-readable message ([`expose_detail`](Self::expose_detail)).
    pub fn includes_detail(&self) -> bool {
        self.inner.detail
    }

    /// The verifier.
    pub fn verifier(&self) -> &AlbVerifier {
        &self.inner.verifier
    }

    /// Verifies the request's ALB headers and returns the token's claims, or the refusal.
    pub async fn authenticate(&self, parts: &Parts) -> Result<AlbClaims, Refusal> {
        let s = &*self.inner;
        let realm = s.realm.as_deref();
        let data = match one(parts, DATA_HEADER) {
            Ok(Some(value)) => value,
            Ok(None) => return Err(Refusal::missing_token(realm)),
            Err(()) => return Err(Refusal::ambiguous(realm)),
        };
        let identity = match s.identity {
            IdentityCheck::Ignore => None,
            _ => one(parts, IDENTITY_HEADER).map_err(|()| Refusal::ambiguous(realm))?,
        };
        let token = std::str::from_utf8(data.as_bytes())
            .map_err(|_| AlbError::malformed(TokenPart::Header, Malformed::NotUtf8));
        let checked = match token {
            Ok(token) => s.verifier.verify(token).await,
            Err(error) => Err(error),
        };
        let claims = checked.map_err(|e| Refusal::alb(e, realm))?;
        let identity_ok = match (s.identity, identity) {
            (_, Some(value)) => value.as_bytes() == claims.sub().as_bytes(),
            (IdentityCheck::Required, None) => false,
            (_, None) => true,
        };
        if identity_ok {
            Ok(claims)
        } else {
            Err(Refusal::alb(AlbError::IdentityMismatch, realm))
        }
    }

    /// What a front end calls: [`authenticate`](Self::authenticate), and for a refusal its one
    /// log event (with the request's method and path, never the token) and its
    /// [`response`](Self::response).
    pub async fn admit(&self, parts: &Parts) -> Result<AlbClaims, Box<AlbRefused>> {
        self.authenticate(parts).await.map_err(|refusal| {
            refusal.log(Some(parts.method.as_str()), Some(parts.uri.path()));
            let response = self.response(&refusal);
            Box::new(AlbRefused { refusal, response })
        })
    }

    /// The response to a refusal: the default JSON body (with a `"message"` when
    /// [`expose_detail`](Self::expose_detail) is on) and the refusal's headers.
    pub fn response(&self, refusal: &Refusal) -> http::Response<Vec<u8>> {
        refusal.default_response(self.inner.detail)
    }
}

/// A request [`AlbAuth::admit`] refused: the refusal (logged) and the response to send.
#[derive(Debug)]
pub struct AlbRefused {
    /// Why: kind, status, `WWW-Authenticate`, `Retry-After`, the [`AlbError`] if any.
    pub refusal: Refusal,
    /// The answer: the refusal's status and headers, the JSON body.
    pub response: http::Response<Vec<u8>>,
}

/// The request's one value of `name`: `Ok(None)` without one, `Err` with two or more.
fn one<'a>(parts: &'a Parts, name: &str) -> Result<Option<&'a HeaderValue>, ()> {
    let mut values = parts.headers.get_all(name).into_iter();
    match (values.next(), values.next()) {
        (first, None) => Ok(first),
        (_, Some(_)) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_or_none_or_too_many() {
        let parts = |values: &[&'static str]| {
            let mut request = http::Request::new(());
            for v in values {
                let value = HeaderValue::from_static(v);
                request.headers_mut().append(DATA_HEADER, value);
            }
            request.into_parts().0
        };
        assert_eq!(one(&parts(&[]), DATA_HEADER), Ok(None));
        assert_eq!(
            one(&parts(&["a"]), DATA_HEADER).map(|v| v.map(HeaderValue::as_bytes)),
            Ok(Some(&b"a"[..]))
        );
        assert_eq!(one(&parts(&["a", "a"]), DATA_HEADER), Err(()));
    }
}
