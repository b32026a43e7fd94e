//! The tower [`Layer`] and [`Service`] that authenticate requests.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::response::Response;
use cognito_verify::bearer::Challenge;
use cognito_verify::{Requirement, Verified};
use futures_util::future::BoxFuture;
use http::{Request, StatusCode};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::auth::{CognitoAuth, Settings, render, trace_refusal};

/// Marks a request that went through a [`CognitoAuthLayer`], with the layer's settings (for the
/// extractors: a request that passed an optional layer without a [`Verified`] has no token).
#[derive(Clone)]
pub(crate) struct LayerMark(pub(crate) Arc<Settings>);

/// A [`Layer`] that authenticates every request with a [`CognitoAuth`]. Made by
/// [`CognitoAuth::layer`], [`optional_layer`](CognitoAuth::optional_layer),
/// [`require_scopes`](CognitoAuth::require_scopes) and
/// [`require_groups`](CognitoAuth::require_groups).
///
/// A request with a valid token goes on with the token's [`Verified`] in its extensions;
/// otherwise the layer answers: 401 (no token, or an invalid one), 403 (a requirement is not
/// met) or 503 (the signing keys are unavailable). When a [`Verified`] is already in the
/// extensions (an outer layer verified the token), only the requirements are checked.
#[derive(Clone)]
pub struct CognitoAuthLayer {
    guard: Arc<Guard>,
}

/// What a layer checks, decided when it is built.
struct Guard {
    settings: Arc<Settings>,
    optional: bool,
    scopes: Option<Requirement>,
    groups: Option<Requirement>,
}

impl fmt::Debug for CognitoAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = &*self.guard;
        f.debug_struct("CognitoAuthLayer")
            .field("optional", &g.optional)
            .field("scopes", &g.scopes)
            .field("groups", &g.groups)
            .finish_non_exhaustive()
    }
}

impl CognitoAuthLayer {
    pub(crate) fn new(auth: CognitoAuth, optional: bool) -> Self {
        CognitoAuthLayer {
            guard: Arc::new(Guard {
                settings: auth.settings,
                optional,
                scopes: None,
                groups: None,
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Guard)) -> Self {
        let g = &*self.guard;
        let mut guard = Guard {
            settings: g.settings.clone(),
            optional: g.optional,
            scopes: g.scopes.clone(),
            groups: g.groups.clone(),
        };
        f(&mut guard);
        self.guard = Arc::new(guard);
        self
    }

    /// Also requires these scopes (403 `insufficient_scope` naming them otherwise). A layer
    /// with a requirement always requires a token, even if it was made by `optional_layer`.
    #[must_use]
    pub fn require_scopes(self, required: Requirement) -> Self {
        self.edit(|g| {
            g.optional = false;
            g.scopes = Some(required);
        })
    }

    /// Also requires the user to be in these groups (403 `insufficient_scope` naming them
    /// otherwise). A layer with a requirement always requires a token.
    #[must_use]
    pub fn require_groups(self, required: Requirement) -> Self {
        self.edit(|g| {
            g.optional = false;
            g.groups = Some(required);
        })
    }
}

impl<S> Layer<S> for CognitoAuthLayer {
    type Service = CognitoAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CognitoAuthService {
            inner,
            guard: self.guard.clone(),
        }
    }
}

impl Guard {
    /// The requirements on a verified token.
    fn check(&self, verified: &Verified) -> Result<(), Challenge> {
        let realm = self.settings.realm();
        if let Some(required) = &self.scopes {
            verified
                .require_scopes(required)
                .map_err(|e| Challenge::from_error(&e, realm, Some(required)))?;
        }
        if let Some(required) = &self.groups {
            verified
                .require_groups(required)
                .map_err(|e| Challenge::from_error(&e, realm, Some(required)))?;
        }
        Ok(())
    }

    fn refuse(&self, challenge: &Challenge) -> Response {
        trace_refusal(challenge);
        render(Some(&self.settings), challenge)
    }
}

/// The [`Service`] made by [`CognitoAuthLayer`]. Its responses are axum [`Response`]s: the
/// inner service's body is boxed (axum's own body passes through unchanged).
#[derive(Clone)]
pub struct CognitoAuthService<S> {
    inner: S,
    guard: Arc<Guard>,
}

impl<S: fmt::Debug> fmt::Debug for CognitoAuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoAuthService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ResBody> Service<Request<B>> for CognitoAuthService<S>
where
    S: Service<Request<B>, Response = http::Response<ResBody>> + Clone,
    B: Send + 'static,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let guard = &self.guard;

        // An outer layer has verified the token: only the requirements remain.
        if let Some(verified) = request.extensions().get::<Verified>() {
            return match guard.check(verified) {
                Ok(()) => ResponseFuture::calling(self.inner.call(request)),
                Err(challenge) => ResponseFuture::answered(guard.refuse(&challenge)),
            };
        }

        let (mut parts, body) = request.into_parts();
        let Some(token) = guard.settings.find_token(&parts).map(|t| t.into_owned()) else {
            if guard.optional {
                parts.extensions.insert(LayerMark(guard.settings.clone()));
                return ResponseFuture::calling(self.inner.call(Request::from_parts(parts, body)));
            }
            return ResponseFuture::answered(guard.refuse(guard.settings.missing()));
        };

        // The service that was polled ready goes into the future; a clone stays here, to be
        // polled ready for the next request.
        let clone = self.inner.clone();
        let service = std::mem::replace(&mut self.inner, clone);
        let guard = guard.clone();
        let verify = Box::pin(async move {
            let challenge = match guard.settings.verifier.verify_bytes(&token).await {
                Ok(verified) => match guard.check(&verified) {
                    Ok(()) => {
                        parts.extensions.insert(verified);
                        parts.extensions.insert(LayerMark(guard.settings.clone()));
                        return Ok(Request::from_parts(parts, body));
                    }
                    Err(challenge) => challenge,
                },
                Err(error) => Challenge::from_error(&error, guard.settings.realm(), None),
            };
            Err(guard.refuse(&challenge))
        });
        ResponseFuture {
            state: State::Verifying {
                verify,
                service: Some(service),
            },
        }
    }
}

pin_project! {
    /// The response future of [`CognitoAuthService`].
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B, S::Future>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B, F> {
        // Refused without asking the inner service.
        Answered { response: Option<Response> },
        // Verifying the token; then the request goes to `service`, which was polled ready.
        Verifying {
            verify: BoxFuture<'static, Result<Request<B>, Response>>,
            service: Option<S>,
        },
        // The inner service is answering.
        Calling { #[pin] future: F },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    fn answered(response: Response) -> Self {
        ResponseFuture {
            state: State::Answered {
                response: Some(response),
            },
        }
    }

    fn calling(future: S::Future) -> Self {
        ResponseFuture {
            state: State::Calling { future },
        }
    }
}

impl<S, B> fmt::Debug for ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = http::Response<ResBody>>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Output = Result<Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let request = match this.state.as_mut().project() {
                StateProj::Answered { response } => {
                    return Poll::Ready(Ok(response.take().unwrap_or_else(polled_after_done)));
                }
                StateProj::Verifying { verify, .. } => match ready!(verify.as_mut().poll(cx)) {
                    Ok(request) => request,
                    Err(refusal) => {
                        this.state.set(State::Answered { response: None });
                        return Poll::Ready(Ok(refusal));
                    }
                },
                StateProj::Calling { future } => {
                    return future
                        .poll(cx)
                        .map(|result| result.map(|response| response.map(Body::new)));
                }
            };
            let StateProj::Verifying { service, .. } = this.state.as_mut().project() else {
                return Poll::Ready(Ok(polled_after_done()));
            };
            let Some(mut service) = service.take() else {
                return Poll::Ready(Ok(polled_after_done()));
            };
            let future = service.call(request);
            this.state.set(State::Calling { future });
        }
    }
}

/// The answer if a completed future is polled again (a caller bug; futures may do anything
/// then, but a 500 is the least surprising).
fn polled_after_done() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}
