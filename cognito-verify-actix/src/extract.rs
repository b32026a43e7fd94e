//! Extractors: the verified token's claims as handler arguments.

use std::ops::{Deref, DerefMut};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use cognito_verify::{AccessClaims, Error, IdClaims, Requirement, Verified};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::authenticate::authenticate;
use crate::config::CognitoAuth;
use crate::error::AuthError;

/// What an extractor makes of a verified token.
///
/// Implemented by [`AccessToken`], [`IdToken`], [`Claims`] and [`Authenticated`], which are
/// also extractors on their own. Implement it for a type of yours to extract it through
/// [`Optional`]; for a required value of your own type, [`Claims<T>`](Claims) usually suffices.
/// Return a core [`Error`] to refuse: it is answered like any other refusal (e.g.
/// [`Error::InvalidTokenUse`] → 401 `invalid_token`, [`Error::InsufficientScope`] → 403).
pub trait FromVerified: Sized {
    /// Builds the value from the verified token and the settings it was verified with.
    fn from_verified(verified: &Verified, auth: &CognitoAuth) -> Result<Self, Error>;
}

/// The claims of a verified **access** token.
///
/// An id token is refused with 401 `invalid_token` (`invalid_token_use`), even when the verifier
/// accepts either kind.
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use cognito_verify_actix::AccessToken;
///
/// #[get("/me")]
/// async fn me(AccessToken(claims): AccessToken) -> HttpResponse {
///     HttpResponse::Ok().body(format!("hello {}", claims.sub))
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AccessToken(pub AccessClaims);

/// The claims of a verified **id** token.
///
/// An access token is refused with 401 `invalid_token` (`invalid_token_use`), even when the
/// verifier accepts either kind.
#[derive(Debug, Clone, PartialEq)]
pub struct IdToken(pub IdClaims);

/// The claims of a verified token (access or id) deserialized into your own type `T`.
///
/// Claims that do not fit `T` are refused with 401 `invalid_token` (`invalid_claims`). The
/// verifier's rules have all passed first; `T` only chooses which claims you read.
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use cognito_verify_actix::Claims;
///
/// #[derive(serde::Deserialize)]
/// struct Tenant {
///     sub: String,
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
/// }
///
/// #[get("/tenant")]
/// async fn tenant(Claims(t): Claims<Tenant>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("{} in {}", t.sub, t.tenant))
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Claims<T>(pub T);

/// The verified token itself (access or id), with the settings it was verified with, so a
/// handler can check requirements of its own and answer exactly as the middleware would.
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

    /// `Ok` when the token has the required scopes; else the 403 `insufficient_scope` refusal,
    /// naming the scopes in `WWW-Authenticate`.
    pub fn require_scopes(&self, required: &Requirement) -> Result<(), AuthError> {
        self.verified
            .require_scopes(required)
            .map_err(|e| AuthError::refused(&self.auth, e, Some(required), None))
    }

    /// `Ok` when the token's user is in the required groups; else the 403 `insufficient_scope`
    /// refusal (kind `insufficient_group`), naming the groups in `WWW-Authenticate`.
    pub fn require_groups(&self, required: &Requirement) -> Result<(), AuthError> {
        self.verified
            .require_groups(required)
            .map_err(|e| AuthError::refused(&self.auth, e, Some(required), None))
    }
}

impl Deref for Authenticated {
    type Target = Verified;

    fn deref(&self) -> &Verified {
        &self.verified
    }
}

/// Optional authentication: `Optional(None)` when the request carries no token, `Optional(Some(_))`
/// when it carries a valid one, and a refusal (401, 403 or 503, as for `T` itself) when it carries
/// one that is not valid.
///
/// Use it instead of `Option<T>`: actix's own `Option<T>` extractor turns *every* failure into
/// `None`, so an expired or forged token would be served as anonymous, and a key outage would
/// silently log everybody out.
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use cognito_verify_actix::{AccessToken, Optional};
///
/// #[get("/greeting")]
/// async fn greeting(user: Optional<AccessToken>) -> HttpResponse {
///     match user.into_inner() {
///         Some(AccessToken(claims)) => HttpResponse::Ok().body(format!("hello {}", claims.sub)),
///         None => HttpResponse::Ok().body("hello stranger"),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Optional<T>(pub Option<T>);

impl<T> Optional<T> {
    /// The inner option.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T> Deref for Optional<T> {
    type Target = Option<T>;

    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> DerefMut for Optional<T> {
    fn deref_mut(&mut self) -> &mut Option<T> {
        &mut self.0
    }
}

macro_rules! newtype {
    ($name:ident $(<$t:ident>)?, $inner:ty) => {
        impl$(<$t>)? $name$(<$t>)? {
            /// The claims, by value.
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

        impl$(<$t>)? DerefMut for $name$(<$t>)? {
            fn deref_mut(&mut self) -> &mut $inner {
                &mut self.0
            }
        }
    };
}

newtype!(AccessToken, AccessClaims);
newtype!(IdToken, IdClaims);
newtype!(Claims<T>, T);

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
        Ok(Authenticated {
            verified: verified.clone(),
            auth: auth.clone(),
        })
    }
}

/// What a request's token made into a `T`.
enum Found<T> {
    Value(T),
    /// No token; the settings, to answer with.
    NoToken(CognitoAuth),
}

async fn extract<T: FromVerified>(req: &HttpRequest) -> Result<Found<T>, AuthError> {
    let auth = CognitoAuth::of_request(req).ok_or_else(|| AuthError::not_configured(Some(req)))?;
    match authenticate(req, &auth).await? {
        Some(verified) => T::from_verified(&verified, &auth)
            .map(Found::Value)
            .map_err(|e| AuthError::refused(&auth, e, None, Some(req))),
        None => Ok(Found::NoToken(auth)),
    }
}

/// The request's token made into a `T`; no token is a 401.
async fn require<T: FromVerified>(req: HttpRequest) -> Result<T, AuthError> {
    match extract(&req).await? {
        Found::Value(value) => Ok(value),
        Found::NoToken(auth) => Err(AuthError::missing_token(&auth, Some(&req))),
    }
}

/// The request's token made into a `T`; no token is `None`.
async fn optional<T: FromVerified>(req: HttpRequest) -> Result<Optional<T>, AuthError> {
    match extract(&req).await? {
        Found::Value(value) => Ok(Optional(Some(value))),
        Found::NoToken(_) => Ok(Optional(None)),
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
        Box::pin(optional::<T>(req.clone()))
    }
}
