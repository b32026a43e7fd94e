//! Rule: the signing algorithm is on the allow-list and agrees with the key.
//!
//! Cognito signs with RS256 only, so RS256 is the whole allow-list. `none`, HMAC (`HS*`, the
//! classic "public key as HMAC secret" attack), PSS, ECDSA and every other name are refused
//! before any key is looked up. The key must be an RSA key, and when its JWK states an `alg`,
//! that must equal the header's: an RS256 signature relabelled `RS384` or `ES256` is refused.

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaParameters};
use jsonwebtoken::jwk::KeyAlgorithm;

use crate::error::Error;

/// An allowed JWS algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, keys of 2048 to 8192 bits.
    Rs256,
}

impl Algorithm {
    /// Reads the header's `alg`; anything not allowed is [`Error::UnsupportedAlgorithm`].
    pub(crate) fn from_header(alg: &str) -> Result<Self, Error> {
        match alg {
            "RS256" => Ok(Algorithm::Rs256),
            _ => Err(Error::UnsupportedAlgorithm),
        }
    }

    /// The aws-lc-rs parameters keys are parsed for (the key-size range is enforced by them).
    pub(crate) fn parameters(self) -> &'static RsaParameters {
        match self {
            Algorithm::Rs256 => &RSA_PKCS1_2048_8192_SHA256,
        }
    }

    /// Whether a key whose JWK states `jwk_alg` (if any) may verify a signature of this algorithm.
    pub(crate) fn agrees_with(self, jwk_alg: Option<KeyAlgorithm>) -> bool {
        match (self, jwk_alg) {
            (_, None) => true,
            (Algorithm::Rs256, Some(alg)) => alg == KeyAlgorithm::RS256,
        }
    }
}

/// Whether a JWK `alg` can belong to an RSA signing key at all (others make the JWK unusable).
pub(crate) fn is_rsa_signature_alg(alg: KeyAlgorithm) -> bool {
    matches!(
        alg,
        KeyAlgorithm::RS256
            | KeyAlgorithm::RS384
            | KeyAlgorithm::RS512
            | KeyAlgorithm::PS256
            | KeyAlgorithm::PS384
            | KeyAlgorithm::PS512
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rs256_is_allowed() {
        assert_eq!(Algorithm::from_header("RS256"), Ok(Algorithm::Rs256));
        for alg in [
            "none", "None", "HS256", "RS384", "RS512", "PS256", "ES256", "EdDSA", "rs256",
            "RS256 ", "",
        ] {
            assert_eq!(
                Algorithm::from_header(alg),
                Err(Error::UnsupportedAlgorithm),
                "{alg}"
            );
        }
    }

    #[test]
    fn header_alg_must_match_the_jwk_alg() {
        assert!(Algorithm::Rs256.agrees_with(None));
        assert!(Algorithm::Rs256.agrees_with(Some(KeyAlgorithm::RS256)));
        assert!(!Algorithm::Rs256.agrees_with(Some(KeyAlgorithm::RS384)));
        assert!(!Algorithm::Rs256.agrees_with(Some(KeyAlgorithm::ES256)));
        assert!(!Algorithm::Rs256.agrees_with(Some(KeyAlgorithm::PS256)));
    }
}
