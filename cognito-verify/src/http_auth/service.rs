//! The tower service the layers of the front ends share (feature `tower`), in tower-http's
//! `AsyncRequireAuthorization` shape: a future that checks, then one that calls the inner service;
//! a check that answers at once ([`Check::Now`]) calls the inner service straight away.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Request;
use pin_project_lite::pin_project;
use tower_service::Service;

/// What a [`GateService`] checks of each request (with a body `B`) and how it answers, given
/// `R`, the inner service's response.
pub trait Gate<B, R> {
    /// The service's response: the inner service's, converted, or a refusal's.
    type Response;
    /// What the check answers instead of the request (boxed by a gate whose refusals are large:
    /// they are the rare path).
    type Refusal;
    /// A check that has to wait: the request to pass on (with what the check put into its
    /// extensions), or the refusal.
    type Later: Future<Output = Result<Request<B>, Self::Refusal>>;

    /// The check of a request: at once where it can be answered, else a future.
    fn check(&self, request: Request<B>) -> Check<B, Self::Refusal, Self::Later>;

    /// The response to a refusal; the inner service is not called.
    fn refused(refusal: Self::Refusal) -> Self::Response;

    /// The inner service's response, as the service's.
    fn passed(response: R) -> Self::Response;
}

/// How a [`Gate`]'s check of one request ends.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "`Now` carries the request on the common path, straight into the inner service's call: boxing it would cost every request an allocation"
)]
pub enum Check<B, Refusal, Later> {
    /// Answered at once: the request to pass on, or the refusal.
    Now(Result<Request<B>, Refusal>),
    /// Answered by this future (a key set to fetch, the hook to run).
    Later(Later),
}

/// A [`Service`] that checks each request with its [`Gate`] and calls the inner service with
/// the requests it passes on: at once when the check answers at once, else when its future does
/// (with the inner service, polled ready, moved into the response future).
#[derive(Debug, Clone)]
pub struct GateService<S, G> {
    inner: S,
    gate: G,
}

impl<S, G> GateService<S, G> {
    /// The inner service, behind the gate.
    pub fn new(inner: S, gate: G) -> Self {
        GateService { inner, gate }
    }
}

impl<S, B, G> Service<Request<B>> for GateService<S, G>
where
    S: Service<Request<B>> + Clone,
    G: Gate<B, S::Response>,
{
    type Response = G::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S, B, G>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let state = match self.gate.check(request) {
            Check::Now(Ok(request)) => State::Call {
                future: self.inner.call(request),
            },
            Check::Now(Err(refusal)) => State::Refused {
                response: std::future::ready(G::refused(refusal)),
            },
            Check::Later(check) => {
                // The service polled ready goes into the future; a clone stays for the next
                // request.
                let clone = self.inner.clone();
                State::Check {
                    check,
                    service: std::mem::replace(&mut self.inner, clone),
                }
            }
        };
        ResponseFuture { state }
    }
}

pin_project! {
    /// The response future of [`GateService`]: the check if it has to wait, then the inner
    /// service; or the refusal.
    pub struct ResponseFuture<S, B, G>
    where
        S: Service<Request<B>>,
        G: Gate<B, S::Response>,
    {
        #[pin]
        state: State<G::Later, S, S::Future, G::Response>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<C, S, F, R> {
        Check { #[pin] check: C, service: S },
        Call { #[pin] future: F },
        Refused { #[pin] response: std::future::Ready<R> },
    }
}

impl<S, B, G> Future for ResponseFuture<S, B, G>
where
    S: Service<Request<B>>,
    G: Gate<B, S::Response>,
{
    type Output = Result<G::Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Check { check, service } => match ready!(check.poll(cx)) {
                    Ok(request) => {
                        let future = service.call(request);
                        this.state.set(State::Call { future });
                    }
                    Err(refusal) => return Poll::Ready(Ok(G::refused(refusal))),
                },
                StateProj::Call { future } => return future.poll(cx).map_ok(G::passed),
                StateProj::Refused { response } => return response.poll(cx).map(Ok),
            }
        }
    }
}
