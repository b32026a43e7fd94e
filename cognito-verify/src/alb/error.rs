//! Why an ALB token was refused, why its key is unavailable, and why a configuration is wrong.
//!
//! The kinds are the core's [`ErrorKind`] and [`ConfigErrorKind`], the Cognito verifier's where
//! the meaning is the same (`expired`, `invalid_signature`, `unknown_kid`, …); the ALB-only ones
//! are `invalid_kid`, `invalid_signer` and `identity_mismatch`. Messages never contain the token or any value taken from it.

use std::fmt;
use std::time::Duration;

use crate::error::{
    ClaimProblem, ConfigErrorKind, ErrorClass, ErrorKind, KeyFetchError, Malformed, TokenPart,
};

/// Why the key of an ALB token could not be obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AlbKeyError {
    /// The fetch failed: connection, timeout, a status other than 200, 403 or 404, a body over
    /// the cap.
    Fetch(KeyFetchError),
    /// The endpoint answered 200 with a body that is not one PEM `PUBLIC KEY` holding an EC P-256
    /// SubjectPublicKeyInfo (an RSA key, another curve, garbage).
    NotAnEcP256Key,
}

impl fmt::Display for AlbKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlbKeyError::Fetch(e) => write!(f, "{e}"),
            AlbKeyError::NotAnEcP256Key => {
                f.write_str("the key endpoint's answer is not an EC P-256 public key PEM")
            }
        }
    }
}

impl std::error::Error for AlbKeyError {}

/// Why an ALB token (`x-amzn-oidc-data`) was not accepted.
///
/// Match on [`kind`](AlbError::kind) or [`class`](AlbError::class) rather than on the `Display`
/// text, which may be reworded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlbError {
    /// The token is longer than [`MAX_TOKEN_BYTES`](crate::defaults::MAX_TOKEN_BYTES).
    #[error("token is larger than {limit} bytes")]
    TokenTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The token is not three parts of base64url (padded as ALB pads, or unpadded) JSON objects
    /// and a signature.
    #[error("token {part} {}", describe_malformed(*reason))]
    Malformed {
        /// The part the problem was found in.
        part: TokenPart,
        /// What is wrong.
        reason: Malformed,
    },
    /// The header's `alg` is missing or not `ES256`.
    #[error("token algorithm is missing or not allowed (allowed: ES256)")]
    UnsupportedAlgorithm,
    /// The header lists `crit` extensions; none is supported.
    #[error("token header has a `crit` member, and no extension is supported")]
    UnsupportedCriticalHeader,
    /// The header has no `kid`, or it is not a string.
    #[error("token header has no `kid`")]
    MissingKid,
    /// The header's `kid` is not a UUID (the only form ALB uses, and the only one that goes
    /// into a key URL).
    #[error("token `kid` is not a UUID")]
    InvalidKid,
    /// The key endpoint has no key with the token's `kid` (it answered 404 or 403).
    #[error("the key endpoint has no key with the token's `kid`")]
    UnknownKid,
    /// The header's `signer` is not one of the configured load balancers.
    #[error("token was signed by a load balancer that is not configured")]
    InvalidSigner,
    /// The header's `client` is not one of the configured app clients.
    #[error("token was issued to an app client that is not allowed")]
    InvalidClient,
    /// The header's or the payload's `iss` is not the configured issuer.
    #[error("token issuer is not the configured issuer")]
    InvalidIssuer,
    /// A required member is absent: `signer`, `client` (header), `iss`, `sub` (payload), or
    /// `exp` (in neither).
    #[error("required claim `{claim}` is missing")]
    MissingClaim {
        /// The member's name.
        claim: &'static str,
    },
    /// A member has an unacceptable value shape.
    #[error("claim `{claim}` {problem}")]
    InvalidClaim {
        /// The member's name.
        claim: &'static str,
        /// What is wrong with it.
        problem: ClaimProblem,
    },
    /// An `exp` (header or payload) plus leeway is past.
    #[error("token has expired")]
    Expired,
    /// The signature is not a valid ES256 signature (64 bytes, `r || s`) of the token by the
    /// key.
    #[error("token signature is invalid")]
    InvalidSignature,
    /// `x-amzn-oidc-identity` is not the verified token's `sub`.
    #[error("the identity header does not match the token's `sub`")]
    IdentityMismatch,
    /// The key could not be obtained; the token was neither accepted nor judged.
    #[error("the token's key is unavailable: {reason}")]
    KeysUnavailable {
        /// Why.
        reason: AlbKeyError,
        /// When the verifier is waiting before it fetches this key again: how long.
        retry_in: Option<Duration>,
    },
}

fn describe_malformed(reason: Malformed) -> String {
    match reason {
        Malformed::Base64 => {
            "is not base64url (unpadded, or padded with `=` to a multiple of 4)".to_owned()
        }
        other => other.to_string(),
    }
}

impl AlbError {
    /// The stable kind of this error, for logs, metrics and API bodies (see
    /// [`ErrorKind::as_str`]): the Cognito verifier's kinds where the meaning is the same.
    pub const fn kind(&self) -> ErrorKind {
        match self {
            AlbError::TokenTooLarge { .. } => ErrorKind::TokenTooLarge,
            AlbError::Malformed { .. } => ErrorKind::MalformedToken,
            AlbError::UnsupportedAlgorithm => ErrorKind::UnsupportedAlgorithm,
            AlbError::UnsupportedCriticalHeader => ErrorKind::UnsupportedCrit,
            AlbError::MissingKid => ErrorKind::MissingKid,
            AlbError::InvalidKid => ErrorKind::InvalidKid,
            AlbError::UnknownKid => ErrorKind::UnknownKid,
            AlbError::InvalidSigner => ErrorKind::InvalidSigner,
            AlbError::InvalidClient => ErrorKind::InvalidClient,
            AlbError::InvalidIssuer => ErrorKind::InvalidIssuer,
            AlbError::MissingClaim { .. } => ErrorKind::MissingClaim,
            AlbError::InvalidClaim { .. } => ErrorKind::InvalidClaim,
            AlbError::Expired => ErrorKind::Expired,
            AlbError::InvalidSignature => ErrorKind::InvalidSignature,
            AlbError::IdentityMismatch => ErrorKind::IdentityMismatch,
            AlbError::KeysUnavailable { .. } => ErrorKind::KeysUnavailable,
        }
    }

    /// The class of this error: [`ErrorClass::KeysUnavailable`] (503) when the key could not be
    /// obtained, [`ErrorClass::InvalidToken`] (401) for every other refusal.
    pub const fn class(&self) -> ErrorClass {
        match self {
            AlbError::KeysUnavailable { .. } => ErrorClass::KeysUnavailable,
            _ => ErrorClass::InvalidToken,
        }
    }

    /// How long a client should wait before retrying, for errors where waiting helps (at least
    /// one second).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AlbError::KeysUnavailable {
                reason: AlbKeyError::Fetch(KeyFetchError::RateLimited { retry_after }),
                retry_in: None,
            } => Some(*retry_after),
            AlbError::KeysUnavailable { retry_in, .. } => Some(
                retry_in
                    .unwrap_or(Duration::ZERO)
                    .max(Duration::from_secs(1)),
            ),
            _ => None,
        }
    }

    pub(crate) const fn malformed(part: TokenPart, reason: Malformed) -> Self {
        AlbError::Malformed { part, reason }
    }
}

/// Why an [`AlbVerifierBuilder`](crate::alb::AlbVerifierBuilder) could not build a verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlbConfigError {
    /// No load balancer ARN was configured.
    #[error("no load balancer configured: call .alb_arn(..)")]
    NoLoadBalancer,
    /// An ARN is not an Application Load Balancer's
    /// (`arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID`).
    #[error(
        "{arn:?} is not an Application Load Balancer ARN (arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID)"
    )]
    InvalidArn {
        /// The ARN as given.
        arn: String,
    },
    /// Two ARNs are in different regions (their tokens are signed with different regions' keys;
    /// use one verifier per region).
    #[error(
        "load balancers of different regions ({first} and {other}); use one verifier per region"
    )]
    MixedRegions {
        /// The first ARN's region.
        first: String,
        /// The other region.
        other: String,
    },
    /// The IdP issuer was not configured, or is empty.
    #[error("no issuer configured: call .issuer(..) with the IdP's issuer URL")]
    MissingIssuer,
    /// Neither app client ids nor the explicit `any_client()` opt-out were given.
    #[error(
        "no app client configured: call .client_id(..) or, to accept every client, .any_client()"
    )]
    MissingClientPolicy,
    /// Both app client ids and `any_client()` were given.
    #[error("both .client_id(..) and .any_client() were called; choose one")]
    ConflictingClientPolicy,
    /// An app client id is empty.
    #[error("an app client id is empty")]
    EmptyClientId,
    /// The key URL override is not an absolute http(s) URL.
    #[error("key base URL {url:?} is not an absolute http(s) URL")]
    InvalidKeyUrl {
        /// The URL as given.
        url: String,
    },
    /// The HTTP client could not be built.
    #[error("the HTTP client for key fetches could not be built")]
    HttpClient,
}

impl AlbConfigError {
    /// The stable kind of this error (see [`ConfigErrorKind::as_str`]): the Cognito builder's
    /// kinds where the meaning is the same.
    pub const fn kind(&self) -> ConfigErrorKind {
        match self {
            AlbConfigError::NoLoadBalancer => ConfigErrorKind::NoLoadBalancer,
            AlbConfigError::InvalidArn { .. } => ConfigErrorKind::InvalidArn,
            AlbConfigError::MixedRegions { .. } => ConfigErrorKind::MixedRegions,
            AlbConfigError::MissingIssuer => ConfigErrorKind::MissingIssuer,
            AlbConfigError::MissingClientPolicy => ConfigErrorKind::MissingClientPolicy,
            AlbConfigError::ConflictingClientPolicy => ConfigErrorKind::ConflictingClientPolicy,
            AlbConfigError::EmptyClientId => ConfigErrorKind::EmptyClientId,
            AlbConfigError::InvalidKeyUrl { .. } => ConfigErrorKind::InvalidUrl,
            AlbConfigError::HttpClient => ConfigErrorKind::HttpClient,
        }
    }
}
