//! A JWKS document turned into ready-to-use keys, each parsed exactly once.
//!
//! Unusable keys are skipped one by one with a log event, so one bad entry never takes the good
//! ones down with it: an unknown `kty`, a `use` other than `sig`, `key_ops` without `verify`, an
//! `alg` that is not an RSA signature algorithm, a missing `kid`, `n`/`e` that are not strict
//! base64url, a modulus under 2048 or over 8192 bits, an exponent that is even, under 3 or over
//! 2^32. Two keys under one `kid` make that kid ambiguous and neither is used.
//!
//! The document itself is read under the same strict JSON rules as a token (one object, no
//! duplicate member names at any level, bounded nesting): a document that breaks them — two
//! `keys` members, say, which serde_json alone would silently resolve to the last — is a failed
//! fetch, as is a document with no usable key at all (the keys already held stay in use).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::SystemTime;

use aws_lc_rs::digest::{Context, SHA256, SHA256_OUTPUT_LEN};
use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse};
use serde::Deserialize as _;
use serde_json::Value;

use crate::defaults::MAX_KEYS_PER_SET;
use crate::error::TokenPart;
use crate::error::{Error, KeyFetchError};
use crate::token::algorithm::{Algorithm, is_rsa_signature_alg};
use crate::token::base64url;
use crate::token::json::{member_names, parse_object};

/// Smallest RSA modulus accepted, in bits (NIST SP 800-131A; Cognito uses 2048).
const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits (bounds verify cost; aws-lc-rs's own upper limit).
const MAX_RSA_BITS: usize = 8192;
/// Largest RSA public exponent accepted: 2^32 (RFC 8017 only asks for an odd `e` ≥ 3; 65537 is
/// what every issuer uses; verifiers such as aws-lc refuse larger ones when verifying, so such a
/// key could never verify anything and is refused when the set is read).
const MAX_RSA_EXPONENT: u64 = 1 << 32;

member_names!(
    /// The members of a JWKS document the strict parse gives slots to.
    DOCUMENT_NAMES = ["keys"]
);

/// What makes a published key the key it is: a SHA-256 of its modulus and exponent, and the
/// `alg` it is published with. Two fetches of the same JWK give equal identities; a different
/// key, or the same key with another `alg`, under the same `kid` gives another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyIdentity {
    components: [u8; SHA256_OUTPUT_LEN],
    alg: Option<KeyAlgorithm>,
}

impl KeyIdentity {
    pub(crate) fn of(n: &[u8], e: &[u8], alg: Option<KeyAlgorithm>) -> Self {
        let mut digest = Context::new(&SHA256);
        // Length-prefixed, so no other split of the same bytes gives the same digest.
        for part in [n, e] {
            digest.update(&(part.len() as u64).to_be_bytes());
            digest.update(part);
        }
        let mut components = [0; SHA256_OUTPUT_LEN];
        components.copy_from_slice(digest.finish().as_ref());
        KeyIdentity { components, alg }
    }
}

/// One usable public key.
pub(crate) struct Key {
    /// The JWK's `alg`, when it states one.
    alg: Option<KeyAlgorithm>,
    identity: KeyIdentity,
    /// Parsed once, here, for RS256 verification.
    rs256: ParsedPublicKey,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// Which key this is (for binding a cached verification to the key that made it).
    pub(crate) fn identity(&self) -> KeyIdentity {
        self.identity
    }

    /// Verifies `signature` over `signing_input` with algorithm `alg`.
    pub(crate) fn verify<'a>(
        &self,
        alg: Algorithm,
        signing_input: &'a str,
        signature: &[u8],
    ) -> Result<Signed<'a>, Error> {
        if !alg.agrees_with(self.alg) {
            return Err(Error::AlgorithmMismatch);
        }
        let key = match alg {
            Algorithm::Rs256 => &self.rs256,
        };
        key.verify_sig(signing_input.as_bytes(), signature)
            .map(|()| Signed { signing_input })
            .map_err(|_| Error::InvalidSignature)
    }
}

/// Proof that a signature over `signing_input` verified with a key of a configured key set: only
/// [`Key::verify`] makes one. What must only ever hold signed input (the header memo) asks for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signed<'a> {
    signing_input: &'a str,
}

impl<'a> Signed<'a> {
    /// The signed bytes: `header "." payload` in base64url, exactly as received.
    pub(crate) fn signing_input(&self) -> &'a str {
        self.signing_input
    }
}

/// The usable keys of one JWKS document, by `kid`.
#[derive(Debug)]
pub(crate) struct KeySet {
    /// By `kid`; a short list (at most [`MAX_KEYS_PER_SET`], usually 2) is searched faster than
    /// a hash map is hashed.
    keys: Vec<(String, Key)>,
    /// When the document was fetched (by the verifier's clock).
    pub(crate) fetched_at: SystemTime,
    /// Which fetch of its source produced it (0 for a preloaded set).
    pub(crate) generation: u64,
}

impl KeySet {
    /// Parses a JWKS document. It must be a JSON object with a `keys` array; the entries are
    /// judged one by one.
    pub(crate) fn parse(body: &[u8], fetched_at: SystemTime) -> Result<Self, KeyFetchError> {
        // The strict rules first (the parts kept are only checked), then the entries' contents.
        parse_object(body, TokenPart::Payload, &DOCUMENT_NAMES)
            .map_err(|_| KeyFetchError::NotAKeySet)?;
        let document: Value =
            serde_json::from_slice(body).map_err(|_| KeyFetchError::NotAKeySet)?;
        let Some(Value::Array(entries)) = document.get("keys") else {
            return Err(KeyFetchError::NotAKeySet);
        };
        let mut keys = HashMap::new();
        let mut ambiguous = HashSet::new();
        for (index, entry) in entries.iter().enumerate() {
            if index >= MAX_KEYS_PER_SET {
                tracing::warn!(
                    kept = MAX_KEYS_PER_SET,
                    total = entries.len(),
                    "JWKS has too many keys; the rest are skipped"
                );
                break;
            }
            let (kid, key) = match parse_key(entry) {
                Ok(parsed) => parsed,
                Err(reason) => {
                    tracing::warn!(index, reason, "skipping unusable JWKS key");
                    continue;
                }
            };
            if ambiguous.contains(&kid) {
                continue;
            }
            if keys.insert(kid.clone(), key).is_some() {
                tracing::warn!(kid = %kid, "JWKS lists two keys under one kid; that kid is not used");
                keys.remove(&kid);
                ambiguous.insert(kid);
            }
        }
        if keys.is_empty() {
            // Replacing good keys with none would refuse every token; keep what is held instead.
            return Err(KeyFetchError::NoUsableKeys);
        }
        Ok(KeySet {
            keys: keys.into_iter().collect(),
            fetched_at,
            generation: 0,
        })
    }

    /// The key with this `kid`.
    pub(crate) fn get(&self, kid: &str) -> Option<&Key> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key)
    }

    /// How many usable keys the set has.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The kids of the usable keys.
    pub(crate) fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(kid, _)| kid.as_str())
    }
}

fn parse_key(entry: &Value) -> Result<(String, Key), &'static str> {
    let jwk = Jwk::deserialize(entry).map_err(|_| "not a JWK of a known key type")?;
    let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
        return Err("not an RSA key");
    };
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => return Err("`use` is not \"sig\""),
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.contains(&KeyOperations::Verify)
    {
        return Err("`key_ops` does not include \"verify\"");
    }
    if let Some(alg) = jwk.common.key_algorithm
        && !is_rsa_signature_alg(alg)
    {
        return Err("`alg` is not an RSA signature algorithm");
    }
    let kid = match &jwk.common.key_id {
        Some(kid) if !kid.is_empty() => kid.clone(),
        _ => return Err("no `kid`"),
    };
    let n = decode_uint(&rsa.n).ok_or("`n` is not base64url")?;
    let e = decode_uint(&rsa.e).ok_or("`e` is not base64url")?;
    check_exponent(&e)?;
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    if bits < MIN_RSA_BITS {
        return Err("RSA modulus is shorter than 2048 bits");
    }
    if bits > MAX_RSA_BITS {
        return Err("RSA modulus is longer than 8192 bits");
    }
    let rs256 = RsaPublicKeyComponents {
        n: &n[..],
        e: &e[..],
    }
    .to_parsed_public_key(Algorithm::Rs256.parameters())
    .map_err(|_| "RSA components do not form a public key")?;
    Ok((
        kid,
        Key {
            alg: jwk.common.key_algorithm,
            identity: KeyIdentity::of(&n, &e, jwk.common.key_algorithm),
            rs256,
        },
    ))
}

/// The RSA exponent rule: odd, at least 3, at most [`MAX_RSA_EXPONENT`] (`e` big-endian, without
/// leading zeros).
fn check_exponent(e: &[u8]) -> Result<(), &'static str> {
    let value = match e.len() {
        0..=8 => e.iter().fold(0u64, |value, &b| value << 8 | u64::from(b)),
        _ => u64::MAX,
    };
    if value % 2 == 0 || value < 3 {
        return Err("RSA exponent is even or less than 3");
    }
    if value > MAX_RSA_EXPONENT {
        return Err("RSA exponent is larger than 2^32");
    }
    Ok(())
}

/// Decodes a base64url unsigned big-endian integer, dropping leading zero bytes.
fn decode_uint(b64: &str) -> Option<Vec<u8>> {
    let bytes = base64url::decode_to_vec(b64).ok()?;
    let first = bytes.iter().position(|&b| b != 0)?;
    Some(bytes[first..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_exponents_are_odd_from_3_to_2_pow_32() {
        let be = |e: u64| {
            let bytes = e.to_be_bytes();
            let first = bytes.iter().position(|&b| b != 0).unwrap_or(7);
            bytes[first..].to_vec()
        };
        for ok in [3, 5, 17, 65537, (1 << 32) - 1] {
            assert_eq!(check_exponent(&be(ok)), Ok(()), "{ok}");
        }
        for bad in [1, 2, 4, 65536, 1 << 32, (1 << 32) + 1, u64::MAX] {
            assert!(check_exponent(&be(bad)).is_err(), "{bad}");
        }
        assert!(check_exponent(&[1; 9]).is_err(), "longer than 8 bytes");
    }
}
