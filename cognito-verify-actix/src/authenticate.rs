//! The one step every extractor and middleware shares: find the token, verify it once per
//! request, remember the outcome in the request's extensions.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use actix_web::{HttpMessage as _, HttpRequest};
use cognito_verify::{Error, Verified};
use futures_util::future::LocalBoxFuture;

use crate::config::CognitoAuth;
use crate::error::AuthError;

/// The verification of this request's token by these settings, shared by everyone who asks
/// during the request (middleware, extractors, several extractors at once), so the token is
/// verified once however many ask.
#[derive(Clone)]
struct Slot {
    auth: CognitoAuth,
    outcome: Outcome,
}

/// The request's verified token (`None` when it carries none), verifying it on first use.
///
/// An outcome is reused only when it was reached with the same settings (the same
/// [`CognitoAuth`]), so a route with its own verifier never trusts another verifier's result.
pub(crate) async fn authenticate(
    req: &HttpRequest,
    auth: &CognitoAuth,
) -> Result<Option<Verified>, AuthError> {
    let earlier = req
        .extensions()
        .get::<Slot>()
        .filter(|slot| slot.auth.same_as(auth))
        .map(|slot| slot.outcome.clone());
    let outcome = match earlier {
        Some(outcome) => outcome,
        None => {
            let Some(token) = auth.token_of(req) else {
                return Ok(None);
            };
            let verifier = auth.verifier().clone();
            let outcome =
                Outcome::new(Box::pin(async move { verifier.verify_bytes(&token).await }));
            req.extensions_mut().insert(Slot {
                auth: auth.clone(),
                outcome: outcome.clone(),
            });
            outcome
        }
    };
    match outcome.await {
        Ok(verified) => {
            req.extensions_mut().insert(verified.clone());
            Ok(Some(verified))
        }
        Err(error) => Err(AuthError::refused(auth, error, None, Some(req))),
    }
}

/// One verification, awaited by any number of parties of the same request.
///
/// Like `futures::future::Shared`, but for the single thread a request lives on: a `RefCell`
/// instead of a lock. Whoever polls drives the verification; the others wait and are woken when
/// it ends, or when a party that drove it is dropped first (so one of them takes over).
#[derive(Clone)]
struct Outcome {
    state: Rc<RefCell<State>>,
}

struct State {
    /// The verification; out of the cell only while a party polls it.
    future: Option<LocalBoxFuture<'static, Result<Verified, Error>>>,
    result: Option<Result<Verified, Error>>,
    waiting: Vec<Waker>,
}

impl Outcome {
    fn new(future: LocalBoxFuture<'static, Result<Verified, Error>>) -> Self {
        Outcome {
            state: Rc::new(RefCell::new(State {
                future: Some(future),
                result: None,
                waiting: Vec::new(),
            })),
        }
    }

    /// Wakes every waiting party (outside the borrow: a waker may run code).
    fn wake_all(&self) {
        let waiting = std::mem::take(&mut self.state.borrow_mut().waiting);
        waiting.into_iter().for_each(Waker::wake);
    }
}

impl Future for Outcome {
    type Output = Result<Verified, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let taken = {
            let mut state = self.state.borrow_mut();
            if let Some(result) = &state.result {
                return Poll::Ready(result.clone());
            }
            let taken = state.future.take();
            if !state.waiting.iter().any(|w| w.will_wake(cx.waker())) {
                state.waiting.push(cx.waker().clone());
            }
            taken
        };
        // Another party is polling the verification right now; it wakes us when done.
        let Some(mut future) = taken else {
            return Poll::Pending;
        };
        let poll = future.as_mut().poll(cx);
        let mut state = self.state.borrow_mut();
        match poll {
            Poll::Ready(result) => {
                state.result = Some(result.clone());
                drop(state);
                self.wake_all();
                Poll::Ready(result)
            }
            Poll::Pending => {
                state.future = Some(future);
                Poll::Pending
            }
        }
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        // The verification may have registered only this party's waker: wake the others so
        // one of them drives it from now on.
        let done = self.state.borrow().result.is_some();
        if !done && Rc::strong_count(&self.state) > 1 {
            self.wake_all();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::cell::Cell;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures_util::task::{ArcWake, waker};

    use super::*;

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Counter(AtomicUsize);

    impl ArcWake for Counter {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A verification that is pending until `open` is set, counting its polls.
    fn gated(open: Rc<Cell<bool>>, polls: Rc<Cell<usize>>) -> Outcome {
        Outcome::new(Box::pin(std::future::poll_fn(move |_| {
            polls.set(polls.get() + 1);
            match open.get() {
                true => Poll::Ready(Err(Error::Expired)),
                false => Poll::Pending,
            }
        })))
    }

    fn poll(outcome: &mut Outcome, counter: &Arc<Counter>) -> Poll<Result<Verified, Error>> {
        let waker = waker(counter.clone());
        Pin::new(outcome).poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn every_party_gets_the_one_result() {
        let (open, polls) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(0)));
        let mut a = gated(open.clone(), polls.clone());
        let mut b = a.clone();
        let (wa, wb) = (Arc::new(Counter::default()), Arc::new(Counter::default()));
        assert!(poll(&mut a, &wa).is_pending());
        assert!(poll(&mut b, &wb).is_pending());
        open.set(true);
        assert!(matches!(
            poll(&mut a, &wa),
            Poll::Ready(Err(Error::Expired))
        ));
        // `b` was woken by `a`'s completion, and gets the result without polling again.
        assert_eq!(wb.0.load(Ordering::SeqCst), 1);
        let driven = polls.get();
        assert!(matches!(
            poll(&mut b, &wb),
            Poll::Ready(Err(Error::Expired))
        ));
        assert_eq!(polls.get(), driven);
        let mut late = a.clone();
        assert!(matches!(
            poll(&mut late, &wb),
            Poll::Ready(Err(Error::Expired))
        ));
        assert_eq!(polls.get(), driven);
    }

    #[test]
    fn a_dropped_driver_hands_over() {
        let (open, polls) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(0)));
        let mut a = gated(open.clone(), polls.clone());
        let mut b = a.clone();
        let (wa, wb) = (Arc::new(Counter::default()), Arc::new(Counter::default()));
        assert!(poll(&mut b, &wb).is_pending());
        assert!(poll(&mut a, &wa).is_pending());
        drop(a);
        assert!(
            wb.0.load(Ordering::SeqCst) >= 1,
            "the waiting party is woken"
        );
        open.set(true);
        assert!(matches!(
            poll(&mut b, &wb),
            Poll::Ready(Err(Error::Expired))
        ));
    }
}
