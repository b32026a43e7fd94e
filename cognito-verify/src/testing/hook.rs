//! A hook with both verdicts, for testing how a service answers them.

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, ready};

use crate::claims::Verified;
use crate::error::HookRejection;
use crate::hook::VerifyHook;

/// A [`VerifyHook`] that gives each of a hook's two refusals to the tokens of one subject
/// (`sub`): it denies those of `forbidden` (403, [`HookRejection::forbidden`] with
/// [`FORBIDDEN`](Self::FORBIDDEN)) and refuses those of `refused` (401,
/// [`HookRejection::unauthorized`] with [`REFUSED`](Self::REFUSED)); every other token passes.
/// For testing that a service (an adapter, a middleware of your own) answers both as it should.
///
/// ```
/// use cognito_verify::testing::{SubjectHook, TestIssuer};
/// use cognito_verify::{TokenUse, Verifier};
///
/// let issuer = TestIssuer::new();
/// let verifier = Verifier::builder()
///     .pool(issuer.pool().static_jwks(issuer.jwks_json()))
///     .token_use(TokenUse::Access)
///     .hook(SubjectHook::new("mallory", "revoked"))
///     .build()?;
/// # Ok::<(), cognito_verify::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SubjectHook {
    forbidden: String,
    refused: String,
}

impl SubjectHook {
    /// The reason given with the denial (403).
    pub const FORBIDDEN: &'static str = "tenant suspended";
    /// The reason given with the refusal (401).
    pub const REFUSED: &'static str = "session signed out";

    /// Denies the tokens whose subject is `forbidden`, refuses those whose subject is `refused`.
    pub fn new(forbidden: impl Into<String>, refused: impl Into<String>) -> Self {
        SubjectHook {
            forbidden: forbidden.into(),
            refused: refused.into(),
        }
    }
}

impl VerifyHook for SubjectHook {
    fn check(&self, token: &Verified) -> BoxFuture<'static, Result<(), HookRejection>> {
        let subject = token.subject();
        let verdict = if subject == self.forbidden {
            Err(HookRejection::forbidden(Self::FORBIDDEN))
        } else if subject == self.refused {
            Err(HookRejection::unauthorized(Self::REFUSED))
        } else {
            Ok(())
        };
        ready(verdict).boxed()
    }
}
