//! Verify the user-claims token an Application Load Balancer forwards (`x-amzn-oidc-data`).
//!
//! When an ALB authenticates users (with a Cognito user pool or any OIDC IdP) it forwards three
//! headers: `x-amzn-oidc-accesstoken` (the IdP's access token: verify a Cognito one with
//! [`Verifier`](crate::Verifier)), `x-amzn-oidc-identity` (the user's `sub`, unsigned) and
//! `x-amzn-oidc-data`, a JWT the load balancer signs with ES256. Every ALB of a region signs
//! with the same keys, so the `signer` check is what ties a token to *your* load balancer.
//!
//! An [`AlbVerifier`] checks, in order: size and form (three parts, base64url unpadded or padded
//! exactly as ALB pads, strict JSON objects); `alg` is `ES256` and no `crit`; `kid` is a UUID
//! (before it goes anywhere near a URL); `signer` is a configured load balancer; `client` a
//! configured app client; `iss` (payload, and header when present) the configured issuer; `sub`
//! present; an `exp` present (header or payload) and every `exp` present not past; then the key
//! for `kid` (fetched from `https://public-keys.auth.elb.{region}.amazonaws.com/{kid}` and
//! cached) and the signature (64-byte `r || s`; both `s` and `n − s` verify, as ALB does not
//! normalise). Every refusal is an [`AlbError`] with a stable [`kind`](AlbError::kind) (the
//! core's [`ErrorKind`](crate::ErrorKind)): class 401 for the token, 503 when its key cannot be
//! obtained. A key endpoint answering 404 or 403
//! means "no such key" (`unknown_kid`, 401), so a forgery with a random kid is not a 503.
//!
//! Over HTTP, [`AlbAuth`] reads the headers from [`http::request::Parts`] (one
//! `x-amzn-oidc-data`; the identity check) and answers refusals as the Cognito front ends do;
//! the axum and actix `AlbIdentity` extractors use it.
//!
//! ```no_run
//! use cognito_verify::alb::AlbVerifier;
//!
//! # async fn run(data: &str, identity: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = AlbVerifier::builder()
//!     .alb_arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188")
//!     .issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123")
//!     .client_id("1example23456789")
//!     .build()?;
//!
//! let claims = verifier.verify(data).await?;
//! claims.check_identity(identity)?; // optional: x-amzn-oidc-identity is the verified `sub`
//! println!("hello {}", claims.sub());
//! # Ok(()) }
//! ```

mod auth;
mod config;
pub mod defaults;
mod error;
mod keys;
mod token;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use auth::{
    ACCESS_TOKEN_HEADER, AlbAuth, AlbRefused, DATA_HEADER, IDENTITY_HEADER, IdentityCheck,
};
pub use config::AlbVerifierBuilder;
pub use error::{AlbConfigError, AlbError, AlbKeyError};

use crate::clock::{Clock, unix_seconds};
use crate::error::{Malformed, TokenPart};
use crate::rules::time::still_valid;
use keys::AlbKeys;

/// Which app clients' tokens are accepted.
#[derive(Debug)]
enum Clients {
    Any,
    Only(Vec<String>),
}

struct Inner {
    arns: Vec<String>,
    issuer: String,
    clients: Clients,
    leeway: u64,
    clock: Arc<dyn Clock>,
    keys: Arc<AlbKeys>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlbVerifier")
            .field("arns", &self.arns)
            .field("issuer", &self.issuer)
            .field("clients", &self.clients)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// Verifies ALB user-claims tokens (`x-amzn-oidc-data`). Cheap to clone; share one per service.
#[derive(Debug, Clone)]
pub struct AlbVerifier {
    inner: Arc<Inner>,
}

impl AlbVerifier {
    /// Starts configuring a verifier.
    pub fn builder() -> AlbVerifierBuilder {
        AlbVerifierBuilder::default()
    }

    /// Verifies `token` (the value of `x-amzn-oidc-data`) and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<AlbClaims, AlbError> {
        let inner = &*self.inner;
        let parsed = token::parse(token)?;
        let header = &parsed.header;
        let payload = &parsed.payload;
        if !inner.arns.contains(&header.signer) {
            return Err(AlbError::InvalidSigner);
        }
        if let Clients::Only(clients) = &inner.clients
            && !clients.contains(&header.client)
        {
            return Err(AlbError::InvalidClient);
        }
        if header.iss.as_ref().is_some_and(|iss| *iss != inner.issuer) {
            return Err(AlbError::InvalidIssuer);
        }
        match &payload.iss {
            None => return Err(AlbError::MissingClaim { claim: "iss" }),
            Some(iss) if *iss != inner.issuer => return Err(AlbError::InvalidIssuer),
            Some(_) => {}
        }
        let Some(sub) = &payload.sub else {
            return Err(AlbError::MissingClaim { claim: "sub" });
        };
        let exp = match (header.exp, payload.exp) {
            (None, None) => return Err(AlbError::MissingClaim { claim: "exp" }),
            (Some(a), Some(b)) => a.min(b),
            (Some(e), None) | (None, Some(e)) => e,
        };
        if !still_valid(exp, unix_seconds(inner.clock.now()), inner.leeway) {
            return Err(AlbError::Expired);
        }

        let key = inner.keys.key(&header.kid).await?;
        key.verify_sig(parsed.signing_input.as_bytes(), &parsed.signature)
            .map_err(|_| AlbError::InvalidSignature)?;

        // The strict parser accepted this text, so it is one object without duplicate names.
        let claims: Map<String, Value> = serde_json::from_slice(&payload.json)
            .map_err(|_| AlbError::malformed(TokenPart::Payload, Malformed::Json))?;
        Ok(AlbClaims {
            sub: sub.clone(),
            iss: inner.issuer.clone(),
            exp,
            signer: header.signer.clone(),
            client: header.client.clone(),
            kid: header.kid.as_str().to_owned(),
            claims,
        })
    }

    /// How many key fetches this verifier has started (for tests and metrics).
    pub fn key_fetch_count(&self) -> u64 {
        self.inner.keys.fetch_count()
    }
}

/// The claims of a verified ALB token: the payload (the IdP's user claims) and the header
/// members the verifier checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AlbClaims {
    sub: String,
    iss: String,
    exp: u64,
    signer: String,
    client: String,
    kid: String,
    claims: Map<String, Value>,
}

impl AlbClaims {
    /// The user (`sub`).
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// The IdP issuer (`iss`).
    pub fn iss(&self) -> &str {
        &self.iss
    }

    /// When the token expires (Unix seconds): the earlier of the header's and the payload's
    /// `exp`.
    pub fn exp(&self) -> u64 {
        self.exp
    }

    /// The load balancer that signed the token (the header's `signer`, one of the configured
    /// ARNs).
    pub fn signer(&self) -> &str {
        &self.signer
    }

    /// The app client (the header's `client`).
    pub fn client(&self) -> &str {
        &self.client
    }

    /// The id of the key the token was signed with.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Every payload claim.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// One payload claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// The payload claims, taken.
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }

    /// Checks the `x-amzn-oidc-identity` header's value (unsigned) against the verified `sub`:
    /// [`AlbError::IdentityMismatch`] when they differ.
    pub fn check_identity(&self, identity: &str) -> Result<(), AlbError> {
        if identity == self.sub {
            Ok(())
        } else {
            Err(AlbError::IdentityMismatch)
        }
    }
}
