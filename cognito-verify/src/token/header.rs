//! The JOSE header: only `alg`, `kid` and `crit` matter.
//!
//! `jku`, `jwk`, `x5u` and `x5c` are ignored on purpose: keys come only from the configured JWKS
//! URI, never from a location the token names. `typ` is ignored (Cognito omits it, emulators
//! send `"JWT"`).

use serde_json::Value;

use super::json::Object;

use crate::defaults::MAX_KID_BYTES;
use crate::error::Error;
use crate::rules::algorithm::Algorithm;

super::json::member_names!(
    /// The header members given slots when the header is parsed.
    pub(crate) NAMES = ["alg", "kid", "crit"]
);

/// The parts of a JOSE header the verifier acts on.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) alg: Algorithm,
    pub(crate) kid: String,
}

impl Header {
    /// Reads the header object: `alg` first (an allowed algorithm), then `kid`, then `crit`.
    pub(crate) fn from_object(mut header: Object) -> Result<Self, Error> {
        let alg = match header.get("alg") {
            Some(Value::String(alg)) => Algorithm::from_header(alg)?,
            _ => return Err(Error::UnsupportedAlgorithm),
        };
        let kid = match header.take("kid") {
            Some(Value::String(kid)) if !kid.is_empty() && kid.len() <= MAX_KID_BYTES => kid,
            _ => return Err(Error::MissingKid),
        };
        if header.get("crit").is_some() {
            return Err(Error::UnsupportedCriticalHeader);
        }
        Ok(Header { alg, kid })
    }
}
