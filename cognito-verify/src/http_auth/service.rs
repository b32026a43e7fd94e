//! The tower service the layers of the front ends share (feature `tower`), in tower-http's
//! `AsyncRequireAuthorization` shape: a future that checks, then one that calls the inner service.

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
    /// The check of one request: the request to pass on (with what the check put into its
    /// extensions), or the refusal.
    type Check: Future<Output = Result<Request<B>, Self::Refusal>>;

    /// The check of a request.
    fn check(&self, request: Request<B>) -> Self::Check;

    /// The response to a refusal; the inner service is not called.
    fn refused(refusal: Self::Refusal) -> Self::Response;

    /// The inner service's response, as the service's.
    fn passed(response: R) -> Self::Response;
}

/// A [`Service`] that checks each request with its [`Gate`] and calls the inner service with
/// the requests it passes on.
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
        // The service polled ready goes into the future; a clone stays for the next request.
        let clone = self.inner.clone();
        let service = std::mem::replace(&mut self.inner, clone);
        let check = self.gate.check(request);
        ResponseFuture {
            state: State::Check { check },
            service,
        }
    }
}

pin_project! {
    /// The response future of [`GateService`]: the check, then the inner service.
    pub struct ResponseFuture<S, B, G>
    where
        S: Service<Request<B>>,
        G: Gate<B, S::Response>,
    {
        #[pin]
        state: State<G::Check, S::Future>,
        service: S,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<C, F> {
        Check { #[pin] check: C },
        Call { #[pin] future: F },
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
                StateProj::Check { check } => match ready!(check.poll(cx)) {
                    Ok(request) => {
                        let future = this.service.call(request);
                        this.state.set(State::Call { future });
                    }
                    Err(refusal) => return Poll::Ready(Ok(G::refused(refusal))),
                },
                StateProj::Call { future } => return future.poll(cx).map_ok(G::passed),
            }
        }
    }
}
