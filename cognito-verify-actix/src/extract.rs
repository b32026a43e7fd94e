//! Extractors: the verified token's claims as handler arguments.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use cognito_verify::alb::{AlbAuth, AlbClaims};
use cognito_verify::{AccessClaims, Error, IdClaims, Requirement, Verified};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::CognitoAuth;
use crate::error::{AuthError, app_data, auth_of, authenticate, parts_of};

/// What an extractor makes of a verified token: implemented by [`AccessToken`], [`IdToken`],
/// [`Claims`] and [`Authenticated`]; implement it for your own type to extract it through
/// [`Optional`]. A core [`Error`] refuses the request like any other refusal.
pub trait FromVerified: Sized {
    /// Builds the value from the verified token and the settings it was verified with.
    fn from_verified(verified: &Verified, auth: &CognitoAuth) -> Result<Self, Error>;
}

/// The claims of a verified **access** token; an id token is refused with 401 `invalid_token`
/// (`invalid_token_use`), even when the verifier accepts either kind.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessToken(pub AccessClaims);

/// The claims of a verified **id** token; an access token is refused with 401 `invalid_token`
/// (`invalid_token_use`), even when the verifier accepts either kind.
#[derive(Debug, Clone, PartialEq)]
pub struct IdToken(pub IdClaims);

/// The claims of a verified token (access or id) deserialized into your own type `T`; claims
/// that do not fit `T` are refused with 401 `invalid_token` (`invalid_claim`).
#[derive(Debug, Clone, PartialEq)]
pub struct Claims<T>(pub T);

/// The verified token (access or id) with the settings it was verified with, so a handler can
/// check requirements of its own and answer exactly as the middleware would.
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use cognito_verify::Requirement;
/// use cognito_verify_actix::{AuthError, Authenticated};
///
/// #[get("/reports")]
/// async fn reports(user: Authenticated) -> Result<HttpResponse, AuthError> {
///     user.require_scopes(&Requirement::any_of(["reports/read"]))?;
///     Ok(HttpResponse::Ok().body(format!("reports for {}", user.subject())))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Authenticated {
    verified: Verified,
    auth: CognitoAuth,
}

impl Authenticated {
    /// The verified token.
    pub fn verified(&self) -> &Verified {
        &self.verified
    }

    /// The verified token, by value.
    pub fn into_inner(self) -> Verified {
        self.verified
    }

    /// `Ok` when the token is an access token (unless the requirement
    /// [allows id tokens](Requirement::allow_id_tokens)) with the required scopes; else the
    /// refusal (401 `invalid_token_use`, or 403 naming the scopes).
    pub fn require_scopes(&self, required: &Requirement) -> Result<(), AuthError> {
        let checked = self.verified.require_scopes(required);
        checked.map_err(|e| self.auth.refuse(e, Some(required)).into())
    }

    /// Like [`require_scopes`](Self::require_scopes), for groups (kind `insufficient_group`).
    pub fn require_groups(&self, required: &Requirement) -> Result<(), AuthError> {
        let checked = self.verified.require_groups(required);
        checked.map_err(|e| self.auth.refuse(e, Some(required)).into())
    }
}

impl Deref for Authenticated {
    type Target = Verified;

    fn deref(&self) -> &Verified {
        &self.verified
    }
}

/// Optional authentication: `None` when the request carries no token, `Some` for a valid one,
/// and a refusal (as for `T` itself) for one that is not valid. Use it instead of `Option<T>`,
/// which turns *every* failure into `None`: a forged token would be served as anonymous.
#[derive(Debug, Clone, PartialEq)]
pub struct Optional<T>(pub Option<T>);

macro_rules! newtype {
    ($name:ident $(<$t:ident>)?, $inner:ty) => {
        impl$(<$t>)? $name$(<$t>)? {
            /// The inner value.
            pub fn into_inner(self) -> $inner {
                self.0
            }
        }

        impl$(<$t>)? Deref for $name$(<$t>)? {
            type Target = $inner;

            fn deref(&self) -> &$inner {
                &self.0
            }
        }
    };
}

newtype!(AccessToken, AccessClaims);
newtype!(IdToken, IdClaims);
newtype!(Claims<T>, T);
newtype!(Optional<T>, Option<T>);
newtype!(AlbIdentity, AlbClaims);

impl FromVerified for AccessToken {
    fn from_verified(verified: &Verified, _: &CognitoAuth) -> Result<Self, Error> {
        verified.access_claims().cloned().map(AccessToken)
    }
}

impl FromVerified for IdToken {
    fn from_verified(verified: &Verified, _: &CognitoAuth) -> Result<Self, Error> {
        verified.id_claims().cloned().map(IdToken)
    }
}

impl<T: DeserializeOwned> FromVerified for Claims<T> {
    fn from_verified(verified: &Verified, _: &CognitoAuth) -> Result<Self, Error> {
        verified.deserialize().map(Claims)
    }
}

impl FromVerified for Authenticated {
    fn from_verified(verified: &Verified, auth: &CognitoAuth) -> Result<Self, Error> {
        let (verified, auth) = (verified.clone(), auth.clone());
        Ok(Authenticated { verified, auth })
    }
}

/// The request's token made into a `T` (`None` without a token), and the settings.
async fn extract<T: FromVerified>(
    req: &HttpRequest,
) -> Result<(Option<T>, CognitoAuth), AuthError> {
    let auth = auth_of(req)?;
    let Some(verified) = authenticate(req, &auth).await? else {
        return Ok((None, auth));
    };
    match T::from_verified(&verified, &auth) {
        Ok(value) => Ok((Some(value), auth)),
        Err(error) => {
            let refusal = auth.refuse(error, None);
            Err(AuthError::new(refusal, Some(&auth), Some(req)))
        }
    }
}

/// The request's token made into a `T`; no token is a 401.
async fn require<T: FromVerified>(req: HttpRequest) -> Result<T, AuthError> {
    match extract(&req).await? {
        (Some(value), _) => Ok(value),
        (None, auth) => {
            let refusal = auth.missing_token();
            Err(AuthError::new(refusal, Some(&auth), Some(&req)))
        }
    }
}

macro_rules! from_request {
    ($name:ident $(<$t:ident: $bound:path>)?) => {
        impl$(<$t: $bound + 'static>)? FromRequest for $name$(<$t>)? {
            type Error = AuthError;
            type Future = LocalBoxFuture<'static, Result<Self, AuthError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                Box::pin(require::<Self>(req.clone()))
            }
        }
    };
}

from_request!(AccessToken);
from_request!(IdToken);
from_request!(Authenticated);
from_request!(Claims<T: DeserializeOwned>);

impl<T: FromVerified + 'static> FromRequest for Optional<T> {
    type Error = AuthError;
    type Future = LocalBoxFuture<'static, Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Optional(extract::<T>(&req).await?.0)) })
    }
}

/// The claims of the request's ALB token (`x-amzn-oidc-data`), checked by the [`AlbAuth`] in
/// `app_data` (bare or in `web::Data`; 500 `not_configured` without one) by its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct AlbIdentity(pub AlbClaims);

impl FromRequest for AlbIdentity {
    type Error = AuthError;
    type Future = LocalBoxFuture<'static, Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let auth = app_data::<AlbAuth>(&req)?;
            Ok(AlbIdentity(auth.admit(&parts_of(&req)).await?))
        })
    }
}
