//! Extractors for handlers: [`AccessToken`], [`IdToken`], [`Claims`] and [`Authenticated`].

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use cognito_verify::bearer::Challenge;
use cognito_verify::{AccessClaims, Error, IdClaims, Verified};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::auth::{CognitoAuth, Settings};
use crate::layer::LayerMark;
use crate::rejection::AuthRejection;

/// How the extractors find the [`CognitoAuth`] in the router state.
///
/// You do not implement this: it holds for every state `S` with
/// `CognitoAuth: FromRef<S>` (including `CognitoAuth` itself), and for `()`, the state of a
/// router without state, where the extractors rely on a [`CognitoAuthLayer`] on the route
/// (without one they answer 500).
///
/// [`CognitoAuthLayer`]: crate::CognitoAuthLayer
#[diagnostic::on_unimplemented(
    message = "the cognito-verify-axum extractors cannot find a `CognitoAuth` in the state `{Self}`",
    note = "implement `axum::extract::FromRef<{Self}> for CognitoAuth`, or use `CognitoAuth` as the router state"
)]
pub trait AuthState {
    /// The [`CognitoAuth`] in this state, if it has one.
    fn cognito_auth(&self) -> Option<CognitoAuth>;
}

impl<S> AuthState for S
where
    CognitoAuth: FromRef<S>,
{
    fn cognito_auth(&self) -> Option<CognitoAuth> {
        Some(CognitoAuth::from_ref(self))
    }
}

impl AuthState for () {
    fn cognito_auth(&self) -> Option<CognitoAuth> {
        None
    }
}

/// The request's token, verified once per request: by a layer (found in the extensions) or
/// else here with the state's verifier (and then stored in the extensions for the next
/// extractor). `None` when the request has no token.
async fn resolve<S>(
    parts: &mut Parts,
    state: &S,
) -> Result<(Option<Verified>, Option<Arc<Settings>>), AuthRejection>
where
    S: AuthState + Sync,
{
    let mark = parts.extensions.get::<LayerMark>().map(|m| m.0.clone());
    if let Some(verified) = parts.extensions.get::<Verified>() {
        let settings = mark.or_else(|| state.cognito_auth().map(|a| a.settings));
        return Ok((Some(verified.clone()), settings));
    }
    if let Some(settings) = mark {
        // An optional layer let the request through: it has no token.
        return Ok((None, Some(settings)));
    }
    let Some(CognitoAuth { settings }) = state.cognito_auth() else {
        return Err(AuthRejection::not_configured());
    };
    let result = match settings.find_token(parts) {
        None => None,
        Some(token) => Some(settings.verifier.verify_bytes(&token).await),
    };
    match result {
        None => Ok((None, Some(settings))),
        Some(Ok(verified)) => {
            parts.extensions.insert(verified.clone());
            Ok((Some(verified), Some(settings)))
        }
        Some(Err(error)) => {
            let challenge = Challenge::from_error(&error, settings.realm(), None);
            Err(AuthRejection::refused(challenge, Some(settings)))
        }
    }
}

/// `Some(pick(token))` for a request with a valid token, `None` without a token.
async fn optional<S, T>(
    parts: &mut Parts,
    state: &S,
    pick: impl FnOnce(&Verified) -> Result<T, Error> + Send,
) -> Result<(Option<T>, Option<Arc<Settings>>), AuthRejection>
where
    S: AuthState + Sync,
{
    let (verified, settings) = resolve(parts, state).await?;
    match verified.as_ref().map(pick).transpose() {
        Ok(value) => Ok((value, settings)),
        Err(error) => {
            let realm = settings.as_deref().and_then(Settings::realm);
            let challenge = Challenge::from_error(&error, realm, None);
            Err(AuthRejection::refused(challenge, settings))
        }
    }
}

/// `pick(token)`, refusing a request without a token.
async fn required<S, T>(
    parts: &mut Parts,
    state: &S,
    pick: impl FnOnce(&Verified) -> Result<T, Error> + Send,
) -> Result<T, AuthRejection>
where
    S: AuthState + Sync,
{
    match optional(parts, state, pick).await? {
        (Some(value), _) => Ok(value),
        (None, settings) => {
            let challenge = settings
                .as_deref()
                .map_or_else(|| Challenge::missing_token(None), |s| s.missing().clone());
            Err(AuthRejection::refused(challenge, settings))
        }
    }
}

fn access(verified: &Verified) -> Result<AccessClaims, Error> {
    verified.access_claims().cloned()
}

fn id(verified: &Verified) -> Result<IdClaims, Error> {
    verified.id_claims().cloned()
}

fn claims<T: DeserializeOwned>(verified: &Verified) -> Result<T, Error> {
    verified.deserialize::<T>()
}

fn any(verified: &Verified) -> Result<Verified, Error> {
    Ok(verified.clone())
}

macro_rules! extractor {
    ($(#[$meta:meta])* $name:ident($target:ty), $pick:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(pub $target);

        impl Deref for $name {
            type Target = $target;

            fn deref(&self) -> &$target {
                &self.0
            }
        }

        impl<S> FromRequestParts<S> for $name
        where
            S: AuthState + Send + Sync,
        {
            type Rejection = AuthRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                required(parts, state, $pick).await.map($name)
            }
        }

        /// `None` when the request has no token; a request with a token that is not valid is
        /// refused.
        impl<S> OptionalFromRequestParts<S> for $name
        where
            S: AuthState + Send + Sync,
        {
            type Rejection = AuthRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Option<Self>, Self::Rejection> {
                Ok(optional(parts, state, $pick).await?.0.map($name))
            }
        }
    };
}

extractor! {
    /// The claims of a valid access token.
    ///
    /// An id token is refused with 401 `invalid_token` (kind `invalid_token_use`), even when
    /// the verifier accepts either kind. `Option<AccessToken>` is `None` for a request without
    /// a token.
    AccessToken(AccessClaims), access
}

extractor! {
    /// The claims of a valid id token.
    ///
    /// An access token is refused with 401 `invalid_token` (kind `invalid_token_use`), even
    /// when the verifier accepts either kind. `Option<IdToken>` is `None` for a request without
    /// a token.
    IdToken(IdClaims), id
}

extractor! {
    /// The request's valid token, access or id: its [`Verified`] (typed claims, raw claims,
    /// scopes, groups). `Option<Authenticated>` is `None` for a request without a token.
    Authenticated(Verified), any
}

/// The claims of a valid token (access or id) deserialized into your own type.
///
/// A token whose claims do not fit `T` is refused with 401 (kind `invalid_claims`).
/// `Option<Claims<T>>` is `None` for a request without a token.
///
/// ```
/// use cognito_verify_axum::Claims;
///
/// #[derive(serde::Deserialize)]
/// struct Tenant {
///     sub: String,
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
/// }
///
/// async fn handler(Claims(me): Claims<Tenant>) -> String {
///     format!("{} of {}", me.sub, me.tenant)
/// }
/// let app: axum::Router<cognito_verify_axum::CognitoAuth> =
///     axum::Router::new().route("/tenant", axum::routing::get(handler));
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct Claims<T>(pub T);

impl<T> Deref for Claims<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<S, T> FromRequestParts<S> for Claims<T>
where
    S: AuthState + Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        required(parts, state, claims::<T>).await.map(Claims)
    }
}

/// `None` when the request has no token; a request with a token that is not valid (or whose
/// claims do not fit `T`) is refused.
impl<S, T> OptionalFromRequestParts<S> for Claims<T>
where
    S: AuthState + Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(optional(parts, state, claims::<T>).await?.0.map(Claims))
    }
}
