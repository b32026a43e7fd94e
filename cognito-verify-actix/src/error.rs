//! [`AuthError`]: a refused request, and reading an actix request for the core's policy.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, ResponseError, web};
use cognito_verify::http_auth::Refusal;
use cognito_verify::{Error, ErrorKind, Requirement};
use futures_util::FutureExt as _;
use futures_util::future::{LocalBoxFuture, Shared};

use crate::CognitoAuth;
use cognito_verify::Verified;

/// Why a request was refused: a core [`Refusal`] (400 `invalid_request`, 401, 403, 503, or 500
/// `not_configured` when no [`CognitoAuth`] is registered), answered as the settings say
/// ([`HttpAuth::response`](cognito_verify::http_auth::HttpAuth::response)). Return it from a handler, or let an extractor or the middleware
/// return it. The token never appears in the response, the `Display` text or the log event
/// emitted when it is made.
#[derive(Debug)]
pub struct AuthError {
    refusal: Box<Refusal>,
    auth: Option<CognitoAuth>,
}

impl AuthError {
    /// The refusal, logged now with the request's method and path.
    pub(crate) fn new(
        refusal: Refusal,
        auth: Option<&CognitoAuth>,
        req: Option<&HttpRequest>,
    ) -> Self {
        refusal.log(req.map(|r| r.method().as_str()), req.map(HttpRequest::path));
        AuthError {
            refusal: Box::new(refusal),
            auth: auth.cloned(),
        }
    }

    /// The refusal of `error` answered with these settings, exactly as the extractors and the
    /// middleware answer theirs: for checks of your own in a handler. Pass the requirement that
    /// was not met, if any, to name it in `WWW-Authenticate`.
    pub fn refused(auth: &CognitoAuth, error: Error, required: Option<&Requirement>) -> Self {
        AuthError::new(auth.refuse(error, required), Some(auth), None)
    }

    /// The stable kind: `missing_token`, `invalid_request`, `not_configured` or the verifier's
    /// [`Error::kind`](cognito_verify::Error::kind).
    pub fn kind(&self) -> ErrorKind {
        self.refusal.kind()
    }

    /// The refusal: status, `WWW-Authenticate`, `Retry-After`, the verifier's error if any.
    pub fn refusal(&self) -> &Refusal {
        &self.refusal
    }
}

impl From<Refusal> for AuthError {
    /// A refusal made by the caller (e.g. [`HttpAuth::refuse`](cognito_verify::http_auth::HttpAuth::refuse)), logged without a request.
    fn from(refusal: Refusal) -> Self {
        AuthError::new(refusal, None, None)
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.refusal.fmt(f)
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.refusal.error().map(|e| e as _)
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        let status = self.refusal.status().as_u16();
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let response = match &self.auth {
            Some(auth) => auth.response(&self.refusal),
            None => self.refusal.default_response(false),
        };
        let (head, body) = response.into_parts();
        let mut builder = HttpResponse::build(self.status_code());
        for (name, value) in &head.headers {
            let name = HeaderName::from_bytes(name.as_str().as_bytes());
            let value = HeaderValue::from_bytes(value.as_bytes());
            // Both crates accept the same names and values; nothing is dropped.
            if let (Ok(name), Ok(value)) = (name, value) {
                builder.append_header((name, value));
            }
        }
        builder.body(body)
    }
}

/// The settings for this request: those an [`Authenticate`](crate::Authenticate) middleware
/// with its own settings left in the extensions, else `app_data` (bare or in `web::Data`).
pub(crate) fn auth_of(req: &HttpRequest) -> Result<CognitoAuth, AuthError> {
    let found = req.extensions().get::<CognitoAuth>().cloned().or_else(|| {
        let data = req
            .app_data::<web::Data<CognitoAuth>>()
            .map(|d| d.get_ref());
        req.app_data::<CognitoAuth>().or(data).cloned()
    });
    found.ok_or_else(|| AuthError::new(Refusal::not_configured(), None, Some(req)))
}

/// The request as the core reads it: method, URI and headers. (actix-web 4 is on `http` 0.2;
/// every method, URI, name and value it accepted is valid in `http` 1 too.)
fn parts_of(req: &HttpRequest) -> http::request::Parts {
    let mut request = http::Request::new(());
    *request.method_mut() =
        http::Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or_default();
    *request.uri_mut() = req.uri().to_string().parse().unwrap_or_default();
    for (name, value) in req.headers() {
        let name = http::HeaderName::from_bytes(name.as_str().as_bytes());
        if let (Ok(name), Ok(value)) = (name, http::HeaderValue::from_bytes(value.as_bytes())) {
            request.headers_mut().append(name, value);
        }
    }
    request.into_parts().0
}

type Outcome = Shared<LocalBoxFuture<'static, Result<Option<Verified>, Refusal>>>;

/// This request's authentication by these settings, shared by everyone who asks during the
/// request (middleware, extractors), so the token is verified once however many ask.
#[derive(Clone)]
struct Slot(CognitoAuth, Outcome);

/// The request's verified token (`None` when it carries none), verified on first use. An
/// outcome is reused only for the same settings, so a route with its own verifier never trusts
/// another verifier's result.
pub(crate) async fn authenticate(
    req: &HttpRequest,
    auth: &CognitoAuth,
) -> Result<Option<Verified>, AuthError> {
    let earlier = req
        .extensions()
        .get::<Slot>()
        .filter(|s| s.0.same_as(auth))
        .map(|s| s.1.clone());
    let outcome = earlier.unwrap_or_else(|| {
        let (owned, parts) = (auth.clone(), parts_of(req));
        let outcome = async move { owned.authenticate(&parts).await }
            .boxed_local()
            .shared();
        req.extensions_mut()
            .insert(Slot(auth.clone(), outcome.clone()));
        outcome
    });
    match outcome.await {
        Ok(verified) => {
            if let Some(verified) = &verified {
                req.extensions_mut().insert(verified.clone());
            }
            Ok(verified)
        }
        Err(refusal) => Err(AuthError::new(refusal, Some(auth), Some(req))),
    }
}
