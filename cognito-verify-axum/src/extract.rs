//! Extractors for handlers: [`AccessToken`], [`IdToken`], [`Claims`] and [`Authenticated`].

use std::fmt;
use std::ops::Deref;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use cognito_verify::alb::{AlbAuth, AlbClaims, AlbRefused};
use cognito_verify::http_auth::{HttpAuth, Refusal};
use cognito_verify::{AccessClaims, Error, ErrorKind, IdClaims, Verified};
use http::StatusCode;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::auth::{CognitoAuth, respond};
use crate::layer::LayerMark;

/// How the extractors find the [`CognitoAuth`] in the router state: every `S` with
/// `CognitoAuth: FromRef<S>`, and `()` (no state: the extractors need a
/// [`CognitoAuthLayer`](crate::CognitoAuthLayer) on the route, or answer 500).
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

/// The request's token (`None` without one), verified once per request: by a layer, or here
/// with the state's settings (and then kept in the extensions for the next extractor).
async fn resolve<S>(
    parts: &mut Parts,
    state: &S,
) -> Result<(Option<Verified>, HttpAuth), AuthRejection>
where
    S: AuthState + Sync,
{
    let mark = parts.extensions.get::<LayerMark>().map(|m| m.0.clone());
    let Some(auth) = mark.or_else(|| state.cognito_auth().map(|a| a.http)) else {
        return Err(AuthRejection::new(Refusal::not_configured(), None, parts));
    };
    if let Some(verified) = parts.extensions.get::<Verified>() {
        return Ok((Some(verified.clone()), auth));
    }
    if parts.extensions.get::<LayerMark>().is_some() {
        // An optional layer let the request through: it has no token.
        return Ok((None, auth));
    }
    match auth.authenticate(parts).await {
        Ok(verified) => {
            if let Some(verified) = &verified {
                parts.extensions.insert(verified.clone());
            }
            Ok((verified, auth))
        }
        Err(refusal) => Err(AuthRejection::new(refusal, Some(auth), parts)),
    }
}

/// `Some(pick(token))` for a request with a valid token, `None` without a token.
async fn optional<S, T>(
    parts: &mut Parts,
    state: &S,
    pick: impl FnOnce(&Verified) -> Result<T, Error> + Send,
) -> Result<(Option<T>, HttpAuth), AuthRejection>
where
    S: AuthState + Sync,
{
    let (verified, auth) = resolve(parts, state).await?;
    match verified.as_ref().map(pick).transpose() {
        Ok(value) => Ok((value, auth)),
        Err(error) => {
            let refusal = auth.refuse(error, None);
            Err(AuthRejection::new(refusal, Some(auth), parts))
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
        (None, auth) => Err(AuthRejection::new(auth.missing_token(), Some(auth), parts)),
    }
}

/// The rejection of the extractors: a [`Refusal`] (or 500 `not_configured` with neither a layer
/// on the route nor a `CognitoAuth` in the state), answered with the settings' body.
#[derive(Debug)]
pub struct AuthRejection {
    refusal: Refusal,
    response: Response,
}

impl AuthRejection {
    fn new(refusal: Refusal, auth: Option<HttpAuth>, parts: &Parts) -> Self {
        let response = respond(auth.as_ref(), &refusal, parts);
        AuthRejection { refusal, response }
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        self.refusal.status()
    }

    /// The refusal: kind, status, `WWW-Authenticate`, `Retry-After`, description.
    pub fn refusal(&self) -> &Refusal {
        &self.refusal
    }

    /// The stable kind of the refusal.
    pub fn kind(&self) -> ErrorKind {
        self.refusal.kind()
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.refusal.fmt(f)
    }
}

impl std::error::Error for AuthRejection {}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        self.response
    }
}

/// Deref and the two extractor traits for a newtype over `$target`, made by `$pick`.
macro_rules! extractor {
    ($name:ident $(<$t:ident: $bound:path>)?, $target:ty, $pick:expr) => {
        impl$(<$t>)? Deref for $name$(<$t>)? {
            type Target = $target;

            fn deref(&self) -> &$target {
                &self.0
            }
        }

        impl<S: AuthState + Send + Sync $(, $t: $bound + Send)?> FromRequestParts<S> for $name$(<$t>)? {
            type Rejection = AuthRejection;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthRejection> {
                required(parts, state, $pick).await.map($name)
            }
        }

        /// `None` when the request has no token; a token that is not valid is refused.
        impl<S: AuthState + Send + Sync $(, $t: $bound + Send)?> OptionalFromRequestParts<S>
            for $name$(<$t>)?
        {
            type Rejection = AuthRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Option<Self>, AuthRejection> {
                Ok(optional(parts, state, $pick).await?.0.map($name))
            }
        }
    };
}

/// The claims of a valid access token. An id token is refused with 401 `invalid_token` (kind
/// `invalid_token_use`), even when the verifier accepts either kind.
#[derive(Debug, Clone)]
pub struct AccessToken(pub AccessClaims);
extractor!(AccessToken, AccessClaims, |v: &Verified| v
    .access_claims()
    .cloned());

/// The claims of a valid id token. An access token is refused with 401 `invalid_token` (kind
/// `invalid_token_use`), even when the verifier accepts either kind.
#[derive(Debug, Clone)]
pub struct IdToken(pub IdClaims);
extractor!(IdToken, IdClaims, |v: &Verified| v.id_claims().cloned());

/// The request's valid token, access or id: its [`Verified`] (typed claims, raw claims, scopes,
/// groups).
#[derive(Debug, Clone)]
pub struct Authenticated(pub Verified);
extractor!(Authenticated, Verified, |v: &Verified| Ok(v.clone()));

/// The claims of a valid token (access or id) deserialized into your own type; claims that do
/// not fit `T` are refused with 401 (kind `invalid_claim`).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Tenant { #[serde(rename = "custom:tenant")] tenant: String }
///
/// async fn handler(cognito_verify_axum::Claims(me): cognito_verify_axum::Claims<Tenant>) -> String {
///     me.tenant
/// }
/// let app: axum::Router<cognito_verify_axum::CognitoAuth> =
///     axum::Router::new().route("/tenant", axum::routing::get(handler));
/// # let _ = app;
/// ```
#[derive(Debug, Clone)]
pub struct Claims<T>(pub T);
extractor!(Claims<T: DeserializeOwned>, T, Verified::deserialize::<T>);

/// The claims of the request's ALB token (`x-amzn-oidc-data`, e.g. `AlbIdentity(claims)`),
/// checked by the [`AlbAuth`] in the router state (reached with [`FromRef`]) by its rules.
#[derive(Debug, Clone)]
pub struct AlbIdentity(pub AlbClaims);

impl<S: Send + Sync> FromRequestParts<S> for AlbIdentity
where
    AlbAuth: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthRejection> {
        Ok(AlbIdentity(AlbAuth::from_ref(state).admit(parts).await?))
    }
}

impl From<Box<AlbRefused>> for AuthRejection {
    fn from(refused: Box<AlbRefused>) -> Self {
        let AlbRefused { refusal, response } = *refused;
        let response = response.map(Into::into);
        AuthRejection { refusal, response }
    }
}
