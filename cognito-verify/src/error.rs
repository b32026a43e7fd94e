//! Errors: why a token was refused, why keys are unavailable, and why a configuration is wrong.
//!
//! Every [`Error`] has a stable snake_case [`kind`](Error::kind) (for logs, metrics and API
//! bodies) and an [`ErrorClass`] that maps to the HTTP status a service should answer. Messages
//! never contain the token or any value taken from it.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::claims::Claim;
use crate::rules::token_use::TokenUse;

/// What a rejection means for the caller, and the HTTP status to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The request itself is unacceptable, e.g. it carries more than one credential (400).
    InvalidRequest,
    /// The token is missing, malformed, forged, expired or not for this service (401).
    InvalidToken,
    /// The token is valid but does not grant this access: it lacks a required scope or group,
    /// or the [hook](crate::VerifyHook) denied it ([`HookRejection::forbidden`]) (403).
    InsufficientScope,
    /// The signing keys could not be obtained; the token was neither accepted nor judged (503).
    KeysUnavailable,
}

impl ErrorClass {
    /// The HTTP status a service should answer with: 400, 401, 403 or 503.
    pub const fn status_code(self) -> http::StatusCode {
        match self {
            ErrorClass::InvalidRequest => http::StatusCode::BAD_REQUEST,
            ErrorClass::InvalidToken => http::StatusCode::UNAUTHORIZED,
            ErrorClass::InsufficientScope => http::StatusCode::FORBIDDEN,
            ErrorClass::KeysUnavailable => http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Declares a `Copy` kind enum whose variants each have one stable snake_case name.
macro_rules! kinds {
    ($(#[$meta:meta])* $name:ident($what:literal) { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every kind, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            #[doc = $what]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

kinds! {
    /// Every stable kind of refusal, in one place: the verifier's [`Error`]s, the ALB
    /// verifier's [`AlbError`](crate::alb::AlbError)s and the HTTP front ends' own
    /// (`missing_token`, `invalid_request`, `not_configured`). The names
    /// ([`as_str`](Self::as_str)) never change; new kinds may be added.
    ErrorKind("The stable snake_case name, for logs, metrics and API bodies.") {
        /// [`Error::TokenTooLarge`].
        TokenTooLarge => "token_too_large",
        /// [`Error::Malformed`].
        MalformedToken => "malformed_token",
        /// [`Error::UnsupportedAlgorithm`].
        UnsupportedAlgorithm => "unsupported_algorithm",
        /// [`Error::MissingKid`].
        MissingKid => "missing_kid",
        /// [`Error::UnsupportedCriticalHeader`].
        UnsupportedCrit => "unsupported_crit",
        /// [`Error::UnknownKid`].
        UnknownKid => "unknown_kid",
        /// [`Error::AlgorithmMismatch`].
        AlgorithmMismatch => "algorithm_mismatch",
        /// [`Error::InvalidSignature`].
        InvalidSignature => "invalid_signature",
        /// [`Error::MissingClaim`].
        MissingClaim => "missing_claim",
        /// [`Error::InvalidClaim`] (a claim of the table with the wrong type) and
        /// [`Error::ClaimsShape`] (claims that do not fit the caller's own type).
        InvalidClaim => "invalid_claim",
        /// [`Error::InvalidIssuer`].
        InvalidIssuer => "invalid_issuer",
        /// [`Error::InvalidTokenUse`].
        InvalidTokenUse => "invalid_token_use",
        /// [`Error::InvalidClient`].
        InvalidClient => "invalid_client",
        /// [`Error::Expired`].
        Expired => "expired",
        /// [`Error::NotYetValid`].
        NotYetValid => "not_yet_valid",
        /// [`Error::IssuedInFuture`].
        IssuedInFuture => "issued_in_future",
        /// [`Error::Hook`] with [`HookRejection::unauthorized`] (401).
        HookRejected => "hook_rejected",
        /// [`Error::Hook`] with [`HookRejection::forbidden`] (403).
        HookForbidden => "hook_forbidden",
        /// [`Error::InsufficientScope`].
        InsufficientScope => "insufficient_scope",
        /// [`Error::InsufficientGroup`].
        InsufficientGroup => "insufficient_group",
        /// [`Error::KeysUnavailable`].
        KeysUnavailable => "keys_unavailable",
        /// [`AlbError::InvalidKid`](crate::alb::AlbError::InvalidKid): an ALB token's `kid` is
        /// not a UUID.
        InvalidKid => "invalid_kid",
        /// [`AlbError::InvalidSigner`](crate::alb::AlbError::InvalidSigner): an ALB token was
        /// signed by a load balancer that is not configured.
        InvalidSigner => "invalid_signer",
        /// [`AlbError::IdentityMismatch`](crate::alb::AlbError::IdentityMismatch):
        /// `x-amzn-oidc-identity` is not the verified ALB token's `sub`.
        IdentityMismatch => "identity_mismatch",
        /// An HTTP request carried no token (401 without an `error` attribute).
        MissingToken => "missing_token",
        /// An HTTP request carried more than one credential (400 `invalid_request`).
        InvalidRequest => "invalid_request",
        /// A front end found no settings to verify with (500; a programming error).
        NotConfigured => "not_configured",
    }
}

kinds! {
    /// The stable kind of a [`KeyFetchError`], so that a metric or a log can tell a timeout
    /// from a 404.
    KeyFetchErrorKind("The stable snake_case name, for logs, metrics and API bodies.") {
        /// [`KeyFetchError::Connect`].
        Connect => "connect",
        /// [`KeyFetchError::Timeout`].
        Timeout => "timeout",
        /// [`KeyFetchError::Status`].
        Status => "status",
        /// [`KeyFetchError::Redirect`].
        Redirect => "redirect",
        /// [`KeyFetchError::RateLimited`].
        RateLimited => "rate_limited",
        /// [`KeyFetchError::BodyTooLarge`].
        TooLarge => "too_large",
        /// [`KeyFetchError::Body`].
        Body => "body",
        /// [`KeyFetchError::NotAKeySet`].
        NotAKeySet => "not_a_key_set",
        /// [`KeyFetchError::Discovery`].
        Discovery => "discovery",
        /// [`KeyFetchError::Request`].
        Request => "request",
        /// [`KeyFetchError::BackingOff`].
        BackingOff => "backing_off",
        /// [`KeyFetchError::NoUsableKeys`].
        NoUsableKeys => "no_usable_keys",
        /// [`KeyFetchError::TaskFailed`].
        TaskFailed => "task_failed",
        /// [`KeyFetchError::Resolver`].
        Resolver => "resolver",
        /// [`KeyFetchError::ResolverBusy`].
        ResolverBusy => "resolver_busy",
    }
}

kinds! {
    /// Which claims type a [`Error::ClaimsShape`] error was about. The typed views
    /// ([`AccessClaims`](crate::AccessClaims), [`IdClaims`](crate::IdClaims)) never are: their
    /// claims are type-checked when the token is verified ([`Error::InvalidClaim`]).
    ClaimsTarget("How messages name the type.") {
        /// A type of the caller's ([`Verified::deserialize`](crate::Verified::deserialize)).
        Requested => "the requested claims type",
    }
}

kinds! {
    /// Which URL setting a [`ConfigError::InvalidUrl`] is about.
    UrlSetting("How messages name the setting.") {
        /// The pool's issuer.
        Issuer => "issuer",
        /// The pool's JWKS URI.
        JwksUri => "JWKS URI",
    }
}

/// The shortest wait a refusal for unavailable keys asks for (`Retry-After`): one second, the
/// header's unit, so a client told to retry never retries at once and adds to an outage.
pub const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Which of the three dot-separated parts of a token a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenPart {
    /// The JOSE header.
    Header,
    /// The claims.
    Payload,
    /// The signature.
    Signature,
}

impl fmt::Display for TokenPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenPart::Header => "header",
            TokenPart::Payload => "payload",
            TokenPart::Signature => "signature",
        })
    }
}

/// Why a token is not well-formed JWS compact serialization with JSON object parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Malformed {
    /// The token is not valid UTF-8 text.
    NotUtf8,
    /// The token does not have exactly three dot-separated parts.
    NotThreeParts,
    /// A part is empty.
    EmptyPart,
    /// A part is not strict unpadded base64url.
    Base64,
    /// A part is not valid JSON (or not UTF-8 inside).
    Json,
    /// A part is JSON but not a JSON object.
    NotAnObject,
    /// A JSON object has the same member name twice.
    DuplicateMember,
    /// JSON nesting is deeper than allowed.
    TooDeep,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Malformed::NotUtf8 => "is not UTF-8 text",
            Malformed::NotThreeParts => "does not have exactly three dot-separated parts",
            Malformed::EmptyPart => "is empty",
            Malformed::Base64 => "is not strict unpadded base64url",
            Malformed::Json => "is not valid JSON",
            Malformed::NotAnObject => "is not a JSON object",
            Malformed::DuplicateMember => "has a duplicate member name",
            Malformed::TooDeep => "nests JSON too deeply",
        })
    }
}

/// Why a claim of the claims table is unacceptable as a value (its presence and meaning are other
/// errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClaimProblem {
    /// The claim has the wrong JSON type (e.g. a string where a number is required).
    WrongType,
    /// A number is negative, fractional or too large (a NumericDate: beyond the year 9999).
    OutOfRange,
}

impl fmt::Display for ClaimProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClaimProblem::WrongType => "has the wrong JSON type",
            ClaimProblem::OutOfRange => "is out of range",
        })
    }
}

/// Why the signing keys could not be obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFetchError {
    /// Connecting to the JWKS endpoint failed (refused, DNS, TLS).
    Connect,
    /// The fetch did not finish within the total deadline.
    Timeout,
    /// The endpoint answered with a non-success status other than a redirect.
    Status(u16),
    /// The endpoint answered with a redirect (a `3xx` status), or, with an
    /// [injected HTTP client](crate::VerifierBuilder::http_client) that follows redirects, the
    /// answer came from another URL than the one requested. A redirect is never used: it could
    /// take the fetch anywhere, and a JWKS endpoint has no reason to send one.
    Redirect,
    /// The endpoint asked us to wait (429, or 503 with `Retry-After`).
    RateLimited {
        /// How long it asked us to wait, capped by [`MAX_RETRY_AFTER`](crate::defaults::MAX_RETRY_AFTER).
        retry_after: Duration,
    },
    /// The body is larger than the configured cap.
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// Reading the body failed midway.
    Body,
    /// The body is not a JSON object with a `keys` array.
    NotAKeySet,
    /// The OpenID discovery document is unusable: not JSON, another `issuer`, or a missing,
    /// malformed or downgraded (`https` to `http`) `jwks_uri`.
    Discovery,
    /// The HTTP request could not be made for another reason.
    Request,
    /// The last fetch failed and the verifier is waiting before it tries again.
    BackingOff {
        /// Why the last attempt failed.
        last: Box<KeyFetchError>,
        /// How long until the next attempt.
        retry_in: Duration,
    },
    /// The key set has no usable key (it is treated as a failed fetch, so the keys held are
    /// kept).
    NoUsableKeys,
    /// The task running the fetch ended abnormally.
    TaskFailed,
    /// The [`PoolResolver`](crate::PoolResolver) failed or timed out (or answered a pool that
    /// is unusable for the issuer), so the token's pool and keys are unknown.
    Resolver,
    /// The token's issuer is new and the budget of resolver calls is spent for now
    /// ([`ResolverSettings::budget`](crate::ResolverSettings::budget)): retry later.
    ResolverBusy {
        /// How long until the budget allows another call.
        retry_in: Duration,
    },
}

impl fmt::Display for KeyFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFetchError::Connect => f.write_str("could not connect to the JWKS endpoint"),
            KeyFetchError::Timeout => f.write_str("the JWKS fetch timed out"),
            KeyFetchError::Status(s) => write!(f, "the JWKS endpoint answered HTTP {s}"),
            KeyFetchError::Redirect => {
                f.write_str("the JWKS endpoint answered with a redirect, which is not followed")
            }
            KeyFetchError::RateLimited { retry_after } => write!(
                f,
                "the JWKS endpoint asked to retry after {} s",
                retry_after.as_secs()
            ),
            KeyFetchError::BodyTooLarge { limit } => {
                write!(f, "the JWKS response is larger than {limit} bytes")
            }
            KeyFetchError::Body => f.write_str("reading the JWKS response failed"),
            KeyFetchError::NotAKeySet => {
                f.write_str("the JWKS response is not a JSON object with a `keys` array")
            }
            KeyFetchError::Discovery => f.write_str(
                "the OpenID discovery document is unusable (issuer mismatch or bad jwks_uri)",
            ),
            KeyFetchError::Request => f.write_str("the JWKS request could not be made"),
            KeyFetchError::NoUsableKeys => f.write_str("the JWKS has no usable key"),
            KeyFetchError::BackingOff { last, .. } => {
                write!(
                    f,
                    "waiting before fetching the JWKS again (last attempt: {last})"
                )
            }
            KeyFetchError::TaskFailed => f.write_str("the JWKS fetch task failed"),
            KeyFetchError::Resolver => {
                f.write_str("the pool resolver failed to answer for the token's issuer")
            }
            KeyFetchError::ResolverBusy { .. } => {
                f.write_str("too many new issuers to resolve right now")
            }
        }
    }
}

impl KeyFetchError {
    /// The stable kind of this failure.
    pub const fn kind(&self) -> KeyFetchErrorKind {
        match self {
            KeyFetchError::Connect => KeyFetchErrorKind::Connect,
            KeyFetchError::Timeout => KeyFetchErrorKind::Timeout,
            KeyFetchError::Status(_) => KeyFetchErrorKind::Status,
            KeyFetchError::Redirect => KeyFetchErrorKind::Redirect,
            KeyFetchError::RateLimited { .. } => KeyFetchErrorKind::RateLimited,
            KeyFetchError::BodyTooLarge { .. } => KeyFetchErrorKind::TooLarge,
            KeyFetchError::Body => KeyFetchErrorKind::Body,
            KeyFetchError::NotAKeySet => KeyFetchErrorKind::NotAKeySet,
            KeyFetchError::Discovery => KeyFetchErrorKind::Discovery,
            KeyFetchError::Request => KeyFetchErrorKind::Request,
            KeyFetchError::BackingOff { .. } => KeyFetchErrorKind::BackingOff,
            KeyFetchError::NoUsableKeys => KeyFetchErrorKind::NoUsableKeys,
            KeyFetchError::TaskFailed => KeyFetchErrorKind::TaskFailed,
            KeyFetchError::Resolver => KeyFetchErrorKind::Resolver,
            KeyFetchError::ResolverBusy { .. } => KeyFetchErrorKind::ResolverBusy,
        }
    }
}

impl std::error::Error for KeyFetchError {}

/// A refusal by the user's [`VerifyHook`](crate::VerifyHook): the token is not accepted
/// (401, [`unauthorized`](Self::unauthorized)) or it is but may not do this (403,
/// [`forbidden`](Self::forbidden)).
///
/// The reason is for logs and for the refusal's `error_description`; it is part of the error's
/// message, so never put secrets or token contents in it.
///
/// ```
/// use cognito_verify::{Error, ErrorClass, ErrorKind, HookRejection};
///
/// let signed_out = Error::Hook(HookRejection::unauthorized("session signed out"));
/// assert_eq!((signed_out.kind(), signed_out.status_code().as_u16()), (ErrorKind::HookRejected, 401));
///
/// let other_tenant = Error::Hook(HookRejection::forbidden("tenant suspended"));
/// assert_eq!(other_tenant.kind(), ErrorKind::HookForbidden);
/// assert_eq!(other_tenant.class(), ErrorClass::InsufficientScope);
/// assert_eq!(other_tenant.status_code().as_u16(), 403);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRejection {
    reason: Cow<'static, str>,
    forbidden: bool,
}

impl HookRejection {
    /// The token is not accepted (kind `hook_rejected`, class
    /// [`InvalidToken`](ErrorClass::InvalidToken): 401 `invalid_token`), e.g. a signed-out
    /// session or a revoked token.
    pub fn unauthorized(reason: impl Into<Cow<'static, str>>) -> Self {
        HookRejection {
            reason: reason.into(),
            forbidden: false,
        }
    }

    /// The token is valid, but its user may not do this (kind `hook_forbidden`, class
    /// [`InsufficientScope`](ErrorClass::InsufficientScope): 403 with an RFC 6750
    /// `insufficient_scope` challenge without a `scope` attribute, gRPC `PERMISSION_DENIED`),
    /// e.g. a user of another tenant or without the role. A client must not retry with the same
    /// token; signing in again does not help either.
    pub fn forbidden(reason: impl Into<Cow<'static, str>>) -> Self {
        HookRejection {
            reason: reason.into(),
            forbidden: true,
        }
    }

    /// The same as [`unauthorized`](Self::unauthorized) (401).
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        HookRejection::unauthorized(reason)
    }

    /// The reason given by the hook.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Whether the hook denied a valid token (403) rather than refusing the token (401).
    pub const fn is_forbidden(&self) -> bool {
        self.forbidden
    }

    /// The stable kind: `hook_rejected` (401) or `hook_forbidden` (403).
    pub const fn kind(&self) -> ErrorKind {
        match self.forbidden {
            false => ErrorKind::HookRejected,
            true => ErrorKind::HookForbidden,
        }
    }

    /// How [`Error::Hook`]'s message starts.
    const fn what(&self) -> &'static str {
        match self.forbidden {
            false => "token rejected by a custom check",
            true => "access denied by a custom check",
        }
    }

    /// The class: [`InvalidToken`](ErrorClass::InvalidToken) (401) or
    /// [`InsufficientScope`](ErrorClass::InsufficientScope) (403).
    pub const fn class(&self) -> ErrorClass {
        match self.forbidden {
            false => ErrorClass::InvalidToken,
            true => ErrorClass::InsufficientScope,
        }
    }
}

impl fmt::Display for HookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Why a token was not accepted.
///
/// Match on [`kind`](Error::kind) or [`class`](Error::class) rather than on the `Display` text,
/// which may be reworded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token is longer than [`MAX_TOKEN_BYTES`](crate::defaults::MAX_TOKEN_BYTES).
    #[error("token is larger than {limit} bytes")]
    TokenTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The token is not well-formed.
    #[error("{}", describe_malformed(*part, *reason))]
    Malformed {
        /// The part the problem was found in.
        part: TokenPart,
        /// What is wrong.
        reason: Malformed,
    },
    /// The header's `alg` is missing, not a string, or not allowed (only RS256 is).
    #[error("token algorithm is missing or not allowed (allowed: RS256)")]
    UnsupportedAlgorithm,
    /// The header has no usable `kid` (missing, not a string, empty or too long).
    #[error("token header has no usable `kid`")]
    MissingKid,
    /// The header is otherwise unacceptable (e.g. it lists `crit` extensions).
    #[error("token header has a `crit` member, and no extension is supported")]
    UnsupportedCriticalHeader,
    /// No usable key with the token's `kid` is in the issuer's key set.
    #[error("no usable key in the key set has the token's `kid`")]
    UnknownKid,
    /// The header's `alg` disagrees with the key's type or the JWK's `alg`.
    #[error("token algorithm does not match the key's algorithm")]
    AlgorithmMismatch,
    /// The signature does not verify with the key.
    #[error("token signature is invalid")]
    InvalidSignature,
    /// A claim the token's use requires (see [`Claim`]) is absent.
    #[error("required claim `{claim}` is missing")]
    MissingClaim {
        /// The claim.
        claim: Claim,
    },
    /// A claim of the claims table has the wrong type or is out of range (kind
    /// `invalid_claim`).
    #[error("claim `{claim}` {problem}")]
    InvalidClaim {
        /// The claim.
        claim: Claim,
        /// What is wrong with it.
        problem: ClaimProblem,
    },
    /// The `iss` claim is not the issuer of any configured user pool (nor one the
    /// [`PoolResolver`](crate::PoolResolver) answers).
    #[error("token issuer is not a configured user pool")]
    InvalidIssuer,
    /// `token_use` is not the configured use.
    #[error("token_use is not the expected {expected}")]
    InvalidTokenUse {
        /// The use that was expected.
        expected: TokenUse,
    },
    /// `client_id` (access token) or `aud` (id token) is not a configured app client.
    #[error("token was issued to an app client that is not allowed")]
    InvalidClient,
    /// The token has expired (`exp` plus leeway is past).
    #[error("token has expired")]
    Expired,
    /// The token is not valid yet (`nbf` minus leeway is in the future).
    #[error("token is not valid yet")]
    NotYetValid,
    /// The token claims to be issued in the future (`iat` minus leeway).
    #[error("token was issued in the future")]
    IssuedInFuture,
    /// The claims could not be read as the caller's own type (kind `invalid_claim`, as a
    /// wrongly typed claim of the table is).
    #[error("token claims do not have the shape of {target}")]
    ClaimsShape {
        /// The type that was asked for.
        target: ClaimsTarget,
    },
    /// The user's hook refused the token (kind and class: [`HookRejection::kind`] and
    /// [`HookRejection::class`]).
    #[error("{what}: {reason}", what = .0.what(), reason = .0.reason())]
    Hook(HookRejection),
    /// The token lacks a required scope.
    #[error("token lacks a required scope")]
    InsufficientScope,
    /// The token's user is not in a required group.
    #[error("token's user is not in a required group")]
    InsufficientGroup,
    /// The signing keys could not be obtained.
    #[error("signing keys are unavailable: {0}")]
    KeysUnavailable(KeyFetchError),
}

fn describe_malformed(part: TokenPart, reason: Malformed) -> String {
    match reason {
        Malformed::NotUtf8 => "token is not UTF-8 text".to_owned(),
        Malformed::NotThreeParts => {
            "token does not have exactly three dot-separated parts".to_owned()
        }
        _ => format!("token {part} {reason}"),
    }
}

impl Error {
    /// The stable kind of this error, for logs, metrics and API bodies (see [`ErrorKind::as_str`]).
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Error::TokenTooLarge { .. } => ErrorKind::TokenTooLarge,
            Error::Malformed { .. } => ErrorKind::MalformedToken,
            Error::UnsupportedAlgorithm => ErrorKind::UnsupportedAlgorithm,
            Error::MissingKid => ErrorKind::MissingKid,
            Error::UnsupportedCriticalHeader => ErrorKind::UnsupportedCrit,
            Error::UnknownKid => ErrorKind::UnknownKid,
            Error::AlgorithmMismatch => ErrorKind::AlgorithmMismatch,
            Error::InvalidSignature => ErrorKind::InvalidSignature,
            Error::MissingClaim { .. } => ErrorKind::MissingClaim,
            Error::InvalidClaim { .. } => ErrorKind::InvalidClaim,
            Error::InvalidIssuer => ErrorKind::InvalidIssuer,
            Error::InvalidTokenUse { .. } => ErrorKind::InvalidTokenUse,
            Error::InvalidClient => ErrorKind::InvalidClient,
            Error::Expired => ErrorKind::Expired,
            Error::NotYetValid => ErrorKind::NotYetValid,
            Error::IssuedInFuture => ErrorKind::IssuedInFuture,
            Error::ClaimsShape { .. } => ErrorKind::InvalidClaim,
            Error::Hook(rejection) => rejection.kind(),
            Error::InsufficientScope => ErrorKind::InsufficientScope,
            Error::InsufficientGroup => ErrorKind::InsufficientGroup,
            Error::KeysUnavailable(_) => ErrorKind::KeysUnavailable,
        }
    }

    /// The class of this error: what it means for the caller and which HTTP status to answer.
    pub const fn class(&self) -> ErrorClass {
        match self {
            Error::InsufficientScope | Error::InsufficientGroup => ErrorClass::InsufficientScope,
            Error::Hook(rejection) => rejection.class(),
            Error::KeysUnavailable(_) => ErrorClass::KeysUnavailable,
            _ => ErrorClass::InvalidToken,
        }
    }

    /// The HTTP status for this error (shorthand for `self.class().status_code()`).
    pub const fn status_code(&self) -> http::StatusCode {
        self.class().status_code()
    }

    /// How long a client should wait before retrying, for errors where waiting helps.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::KeysUnavailable(KeyFetchError::RateLimited { retry_after }) => {
                Some(*retry_after)
            }
            Error::KeysUnavailable(
                KeyFetchError::BackingOff { retry_in, .. }
                | KeyFetchError::ResolverBusy { retry_in },
            ) => Some((*retry_in).max(MIN_RETRY_AFTER)),
            Error::KeysUnavailable(_) => Some(MIN_RETRY_AFTER),
            _ => None,
        }
    }

    pub(crate) const fn malformed(part: TokenPart, reason: Malformed) -> Self {
        Error::Malformed { part, reason }
    }
}

/// Why a [`VerifierBuilder`](crate::VerifierBuilder) could not build a verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No user pool was configured, and no [`PoolResolver`](crate::PoolResolver).
    #[error("no user pool configured (and no pool resolver)")]
    NoPools,
    /// A user pool id does not match AWS's pattern `[\w-]+_[0-9a-zA-Z]+` (at most 55 characters).
    #[error(
        "user pool id {id:?} is not of the form REGION_ID (AWS pattern [\\w-]+_[0-9a-zA-Z]+, at most 55 characters)"
    )]
    InvalidUserPoolId {
        /// The id as given.
        id: String,
    },
    /// The token use (access, id or either) was not stated.
    #[error(
        "token use not configured: call .token_use(TokenUse::Access | Id | Either) on the builder or on every pool"
    )]
    MissingTokenUse,
    /// A pool has neither app client ids nor the explicit `any_client()` opt-out.
    #[error(
        "user pool {pool}: no app client configured: call .client_id(..) or, to accept every client of the pool, .any_client()"
    )]
    MissingClientPolicy {
        /// The pool id.
        pool: String,
    },
    /// A pool has both app client ids and `any_client()`.
    #[error("user pool {pool}: both .client_id(..) and .any_client() were called; choose one")]
    ConflictingClientPolicy {
        /// The pool id.
        pool: String,
    },
    /// A pool has both a JWKS URI override and OpenID discovery.
    #[error(
        "user pool {pool}: both .jwks_uri(..) and .discover_jwks_uri() were called; choose one"
    )]
    ConflictingKeyLocation {
        /// The pool id.
        pool: String,
    },
    /// A replica region is not a region name.
    #[error("replica region {region:?} is not a region name (lowercase letters, digits, dashes)")]
    InvalidRegion {
        /// The region as given.
        region: String,
    },
    /// An app client id is empty.
    #[error("user pool {pool}: an app client id is empty")]
    EmptyClientId {
        /// The pool id.
        pool: String,
    },
    /// An issuer or JWKS URL is not an absolute `https` URL (or `http`, which only an explicit
    /// override may use).
    #[error("{what} {url:?} is not an absolute http(s) URL")]
    InvalidUrl {
        /// Which setting.
        what: UrlSetting,
        /// The URL as given.
        url: String,
    },
    /// Two pools have the same issuer, so a token's `iss` could not choose between them.
    #[error("two user pools have the issuer {issuer:?}")]
    DuplicateIssuer {
        /// The issuer.
        issuer: String,
    },
    /// A preloaded JWKS document is not a key set.
    #[error("user pool {pool}: the preloaded JWKS is not a JSON object with a `keys` array")]
    InvalidStaticJwks {
        /// The pool id.
        pool: String,
    },
    /// A requirement (scopes or groups) lists nothing, or an empty name.
    #[error("a scope or group requirement is empty or contains an empty name")]
    EmptyRequirement,
    /// The HTTP client could not be built.
    #[error("the HTTP client for JWKS fetches could not be built")]
    HttpClient,
    /// A synchronous front end (e.g. a tonic interceptor) was built on a verifier with a hook,
    /// which only an asynchronous verification can run.
    #[error(
        "the verifier has an asynchronous hook, which a synchronous front end cannot run; use the asynchronous one (e.g. the tonic layer)"
    )]
    AsyncHook,
    /// A gRPC rule names neither a service (`package.Service`) nor a method
    /// (`/package.Service/Method`).
    #[error(
        "{name:?} is not a gRPC service name (package.Service) or method path (/package.Service/Method)"
    )]
    InvalidGrpcName {
        /// The name as given.
        name: String,
    },
}

kinds! {
    /// The stable kind of a [`ConfigError`] or an
    /// [`AlbConfigError`](crate::alb::AlbConfigError).
    ConfigErrorKind("The stable snake_case name, for logs, metrics and API bodies.") {
        /// [`ConfigError::NoPools`].
        NoPools => "no_pools",
        /// [`ConfigError::InvalidUserPoolId`].
        InvalidUserPoolId => "invalid_user_pool_id",
        /// [`ConfigError::MissingTokenUse`].
        MissingTokenUse => "missing_token_use",
        /// [`ConfigError::MissingClientPolicy`].
        MissingClientPolicy => "missing_client_policy",
        /// [`ConfigError::ConflictingClientPolicy`].
        ConflictingClientPolicy => "conflicting_client_policy",
        /// [`ConfigError::EmptyClientId`].
        EmptyClientId => "empty_client_id",
        /// [`ConfigError::ConflictingKeyLocation`].
        ConflictingKeyLocation => "conflicting_key_location",
        /// [`ConfigError::InvalidRegion`].
        InvalidRegion => "invalid_region",
        /// [`ConfigError::InvalidUrl`].
        InvalidUrl => "invalid_url",
        /// [`ConfigError::DuplicateIssuer`].
        DuplicateIssuer => "duplicate_issuer",
        /// [`ConfigError::InvalidStaticJwks`].
        InvalidStaticJwks => "invalid_static_jwks",
        /// [`ConfigError::EmptyRequirement`].
        EmptyRequirement => "empty_requirement",
        /// [`ConfigError::HttpClient`].
        HttpClient => "http_client",
        /// [`ConfigError::AsyncHook`].
        AsyncHook => "async_hook",
        /// [`ConfigError::InvalidGrpcName`].
        InvalidGrpcName => "invalid_grpc_name",
        /// [`AlbConfigError::NoLoadBalancer`](crate::alb::AlbConfigError::NoLoadBalancer).
        NoLoadBalancer => "no_load_balancer",
        /// [`AlbConfigError::InvalidArn`](crate::alb::AlbConfigError::InvalidArn).
        InvalidArn => "invalid_arn",
        /// [`AlbConfigError::MixedRegions`](crate::alb::AlbConfigError::MixedRegions).
        MixedRegions => "mixed_regions",
        /// [`AlbConfigError::MissingIssuer`](crate::alb::AlbConfigError::MissingIssuer).
        MissingIssuer => "missing_issuer",
    }
}

impl ConfigError {
    /// The stable kind of this error (see [`ConfigErrorKind::as_str`]).
    pub const fn kind(&self) -> ConfigErrorKind {
        match self {
            ConfigError::NoPools => ConfigErrorKind::NoPools,
            ConfigError::InvalidUserPoolId { .. } => ConfigErrorKind::InvalidUserPoolId,
            ConfigError::MissingTokenUse => ConfigErrorKind::MissingTokenUse,
            ConfigError::MissingClientPolicy { .. } => ConfigErrorKind::MissingClientPolicy,
            ConfigError::ConflictingClientPolicy { .. } => ConfigErrorKind::ConflictingClientPolicy,
            ConfigError::EmptyClientId { .. } => ConfigErrorKind::EmptyClientId,
            ConfigError::ConflictingKeyLocation { .. } => ConfigErrorKind::ConflictingKeyLocation,
            ConfigError::InvalidRegion { .. } => ConfigErrorKind::InvalidRegion,
            ConfigError::InvalidUrl { .. } => ConfigErrorKind::InvalidUrl,
            ConfigError::DuplicateIssuer { .. } => ConfigErrorKind::DuplicateIssuer,
            ConfigError::InvalidStaticJwks { .. } => ConfigErrorKind::InvalidStaticJwks,
            ConfigError::EmptyRequirement => ConfigErrorKind::EmptyRequirement,
            ConfigError::HttpClient => ConfigErrorKind::HttpClient,
            ConfigError::AsyncHook => ConfigErrorKind::AsyncHook,
            ConfigError::InvalidGrpcName { .. } => ConfigErrorKind::InvalidGrpcName,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_stable_snake_case_name() {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "two kinds share a name");
        for name in names {
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
        }
        assert_eq!(ErrorKind::InvalidRequest.to_string(), "invalid_request");
        assert_eq!(
            serde_json::to_value(ErrorKind::MissingToken).ok(),
            Some(serde_json::json!("missing_token"))
        );
    }

    #[test]
    fn a_key_fetch_failure_says_which() {
        let table = [
            (KeyFetchError::Timeout, "timeout"),
            (KeyFetchError::Status(404), "status"),
            (KeyFetchError::Redirect, "redirect"),
            (KeyFetchError::Connect, "connect"),
            (KeyFetchError::BodyTooLarge { limit: 1 }, "too_large"),
            (KeyFetchError::NotAKeySet, "not_a_key_set"),
            (
                KeyFetchError::BackingOff {
                    last: Box::new(KeyFetchError::Timeout),
                    retry_in: Duration::ZERO,
                },
                "backing_off",
            ),
        ];
        for (error, kind) in table {
            assert_eq!(error.kind().as_str(), kind, "{error}");
        }
    }

    #[test]
    fn classes_give_statuses_and_retry_after_has_a_floor() {
        let invalid = Error::InvalidTokenUse {
            expected: TokenUse::Access,
        };
        assert_eq!(invalid.status_code(), http::StatusCode::UNAUTHORIZED);
        assert_eq!(
            invalid.to_string(),
            "token_use is not the expected \"access\""
        );
        assert_eq!(
            ErrorClass::InvalidRequest.status_code(),
            http::StatusCode::BAD_REQUEST
        );
        let backing_off = Error::KeysUnavailable(KeyFetchError::BackingOff {
            last: Box::new(KeyFetchError::Connect),
            retry_in: Duration::from_millis(10),
        });
        assert_eq!(backing_off.retry_after(), Some(MIN_RETRY_AFTER));
    }
}
