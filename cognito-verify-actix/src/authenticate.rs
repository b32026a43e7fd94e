//! The one step every extractor and middleware shares: find the token, verify it once per
//! request, remember the outcome in the request's extensions.

use actix_web::{HttpMessage as _, HttpRequest};
use cognito_verify::{Error, Verified};
use futures_util::FutureExt as _;
use futures_util::future::{LocalBoxFuture, Shared};

use crate::config::CognitoAuth;
use crate::error::AuthError;

type Outcome = Shared<LocalBoxFuture<'static, Result<Verified, Error>>>;

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
            let outcome = async move { verifier.verify_bytes(&token).await }
                .boxed_local()
                .shared();
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
