//! [`AuthError`]: a refused request, and reading an actix request for the core's policy.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, ResponseError, web};
use cognito_verify::alb::AlbRefused;
use cognito_verify::http_auth::{Refusal, request_parts};
use cognito_verify::{Error, ErrorKind, Requirement, Verified};
use futures_util::FutureExt as _;
use futures_util::future::{LocalBoxFuture, Shared};

use crate::CognitoAuth;

/// Why a request was refused: a core [`Refusal`] (400 `invalid_request`, 401, 403, 503, or 500
/// `not_configured` when no [`CognitoAuth`] is registered), answered as the settings say
/// ([`HttpAuth::response`](cognito_verify::http_auth::HttpAuth::response)). Return it from a handler, or let an extractor or the middleware
/// return it. The token never appears in the response, the `Display` text or the log event
/// emitted when it is made.
#[derive(Debug)]
pub struct AuthError {
    refusal: Box<Refusal>,
    response: Box<http::Response<Vec<u8>>>,
}

impl AuthError {
    /// The refusal, logged now with the request's method and path.
    pub(crate) fn new(
        refusal: Refusal,
        auth: Option<&CognitoAuth>,
        req: Option<&HttpRequest>,
    ) -> Self {
        refusal.log(req.map(|r| r.method().as_str()), req.map(HttpRequest::path));
        let response =
            auth.map_or_else(|| refusal.default_response(false), |a| a.response(&refusal));
        let (refusal, response) = (Box::new(refusal), Box::new(response));
        AuthError { refusal, response }
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

impl From<Box<AlbRefused>> for AuthError {
    /// An ALB request's refusal and response, made (and logged) by [`AlbAuth::admit`](cognito_verify::alb::AlbAuth::admit).
    fn from(refused: Box<AlbRefused>) -> Self {
        let AlbRefused { refusal, response } = *refused;
        let (refusal, response) = (Box::new(refusal), Box::new(response));
        AuthError { refusal, response }
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
        let mut builder = HttpResponse::build(self.status_code());
        for (name, value) in self.response.headers() {
            let name = HeaderName::from_bytes(name.as_str().as_bytes());
            let value = HeaderValue::from_bytes(value.as_bytes());
            // Both crates accept the same names and values; nothing is dropped.
            if let (Ok(name), Ok(value)) = (name, value) {
                builder.append_header((name, value));
            }
        }
        builder.body(self.response.body().clone())
    }
}

/// The settings for this request: those an [`Authenticate`](crate::Authenticate) middleware
/// with its own settings left in the extensions, else `app_data` (bare or in `web::Data`).
pub(crate) fn auth_of(req: &HttpRequest) -> Result<CognitoAuth, AuthError> {
    let found = req.extensions().get::<CognitoAuth>().cloned();
    found.map_or_else(|| app_data(req), Ok)
}

/// The `T` in `app_data`, bare or in `web::Data` (500 `not_configured` without one).
pub(crate) fn app_data<T: Clone + 'static>(req: &HttpRequest) -> Result<T, AuthError> {
    let data = req.app_data::<web::Data<T>>().map(|d| d.get_ref());
    let found = req.app_data::<T>().or(data).cloned();
    found.ok_or_else(|| AuthError::new(Refusal::not_configured(), None, Some(req)))
}

/// The request as the core reads it (actix-web 4 is on `http` 0.2): method, URI and headers.
pub(crate) fn parts_of(req: &HttpRequest) -> http::request::Parts {
    let headers = req.headers().iter();
    let headers = headers.map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()));
    request_parts(
        req.method().as_str().as_bytes(),
        &req.uri().to_string(),
        headers,
    )
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
