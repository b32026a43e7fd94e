//! The tower [`Layer`] that authenticates requests: its [`Gate`] checks each request for the
//! core's [`GateService`].

use std::sync::Arc;

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::response::Response;
use cognito_verify::http_auth::{
    Check, Gate, GateService, HttpAuth, Refusal, Requirements, Started,
};
use cognito_verify::{ConfigError, Requirement, Verified};
use futures_util::future::BoxFuture;
use http::Request;
use http::request::Parts;
use tower_layer::Layer;

use crate::auth::respond;

/// Marks a request that went through a [`CognitoAuthLayer`], with the layer's settings (for the
/// extractors: a request that passed an optional layer without a [`Verified`] has no token).
#[derive(Clone)]
pub(crate) struct LayerMark(pub(crate) HttpAuth);

/// A [`Layer`] that authenticates requests, made by [`CognitoAuth`](crate::CognitoAuth)'s
/// `layer`, `optional_layer`, `require_scopes` and `require_groups`.
///
/// A request with a valid token goes on with its [`Verified`] in the extensions; otherwise the
/// layer answers (400, 401, 403 or 503). When a [`Verified`] is already in the extensions (an
/// outer layer verified the token), only the requirements are checked.
#[derive(Debug, Clone)]
pub struct CognitoAuthLayer {
    guard: Arc<Guard>,
}

#[derive(Debug, Clone)]
struct Guard {
    auth: HttpAuth,
    optional: bool,
    requirements: Requirements,
}

impl CognitoAuthLayer {
    pub(crate) fn new(auth: HttpAuth, optional: bool, requirements: Requirements) -> Self {
        let guard = Arc::new(Guard {
            auth,
            optional,
            requirements,
        });
        CognitoAuthLayer { guard }
    }

    /// The layer with more requirements (an empty one is refused): it then requires a token.
    fn require(self, f: impl FnOnce(Requirements) -> Requirements) -> Result<Self, ConfigError> {
        let requirements = f(self.guard.requirements.clone());
        requirements.validate()?;
        Ok(CognitoAuthLayer::new(
            self.guard.auth.clone(),
            false,
            requirements,
        ))
    }

    /// Also requires these scopes; see [`CognitoAuth::require_scopes`](crate::CognitoAuth::require_scopes).
    pub fn require_scopes(self, required: Requirement) -> Result<Self, ConfigError> {
        self.require(|r| r.scopes(required))
    }

    /// Also requires these groups; see [`CognitoAuth::require_groups`](crate::CognitoAuth::require_groups).
    pub fn require_groups(self, required: Requirement) -> Result<Self, ConfigError> {
        self.require(|r| r.groups(required))
    }
}

impl<S> Layer<S> for CognitoAuthLayer {
    type Service = CognitoAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GateService::new(inner, self.clone())
    }
}

/// The [`Service`](tower_service::Service) made by [`CognitoAuthLayer`]. Its responses are axum
/// [`Response`]s.
pub type CognitoAuthService<S> = GateService<S, CognitoAuthLayer>;

/// The response future of [`CognitoAuthService`]: the check, then the inner service.
pub type ResponseFuture<S, B> = cognito_verify::http_auth::ResponseFuture<S, B, CognitoAuthLayer>;

impl<B, ResBody> Gate<B, http::Response<ResBody>> for CognitoAuthLayer
where
    B: Send + 'static,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response;
    type Refusal = Box<Response>;
    type Later = BoxFuture<'static, Checked<B>>;

    fn check(&self, request: Request<B>) -> Gated<B> {
        self.guard.check(request)
    }

    fn refused(refusal: Box<Response>) -> Response {
        *refusal
    }

    fn passed(response: http::Response<ResBody>) -> Response {
        response.map(Body::new)
    }
}

/// The check of one request: at once, or after verifying a token.
type Gated<B> = Check<B, Box<Response>, BoxFuture<'static, Checked<B>>>;

/// The request to pass on, or the refusal's response (boxed: refusals are the rare path).
type Checked<B> = Result<Request<B>, Box<Response>>;

impl Guard {
    /// The check of a request: synchronous unless its token's verification has to wait (for a
    /// key set, a pool or the hook).
    fn check<B: Send + 'static>(self: &Arc<Self>, request: Request<B>) -> Gated<B> {
        let (mut parts, body) = request.into_parts();
        let refuse = |refusal, parts: &_| Err(Box::new(respond(Some(&self.auth), &refusal, parts)));
        // An outer layer has verified the token: only the requirements remain.
        if let Some(verified) = parts.extensions.get::<Verified>() {
            let checked = match self.requirements.check(&self.auth, verified) {
                Ok(()) => Ok(Request::from_parts(parts, body)),
                Err(refusal) => refuse(refusal, &parts),
            };
            return Check::Now(checked);
        }
        let started = match self.auth.find_token(&parts) {
            Ok(Some(token)) => self.auth.start(&token),
            Ok(None) if self.optional => {
                parts.extensions.insert(LayerMark(self.auth.clone()));
                return Check::Now(Ok(Request::from_parts(parts, body)));
            }
            Ok(None) => return Check::Now(refuse(self.auth.missing_token(), &parts)),
            Err(refusal) => return Check::Now(refuse(refusal, &parts)),
        };
        match started {
            Started::Answered(answer) => Check::Now(self.admit(answer, parts, body)),
            Started::Waiting(pending) => {
                let guard = self.clone();
                Check::Later(Box::pin(async move {
                    guard.admit(pending.finish().await, parts, body)
                }))
            }
        }
    }

    /// The request with its verified token, if the route's requirements are met; else the
    /// refusal.
    fn admit<B>(&self, answer: Result<Verified, Refusal>, mut parts: Parts, body: B) -> Checked<B> {
        let checked = answer.and_then(|verified| {
            self.requirements
                .check(&self.auth, &verified)
                .map(|()| verified)
        });
        match checked {
            Ok(verified) => {
                parts.extensions.insert(verified);
                parts.extensions.insert(LayerMark(self.auth.clone()));
                Ok(Request::from_parts(parts, body))
            }
            Err(refusal) => Err(Box::new(respond(Some(&self.auth), &refusal, &parts))),
        }
    }
}
