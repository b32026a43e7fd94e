//! Rule: `iss` is exactly the issuer of a known user pool (configured, added, or answered by the
//! resolver), which then supplies the keys.
//!
//! The comparison is exact (no trailing-slash or case folding): a hash lookup of the whole
//! string. An `iss` that names no known pool is a token error, and causes no key fetch.

use std::sync::Arc;

use crate::claims::{Claim, peek_str};
use crate::error::Error;
use crate::token::Parsed;
use crate::verifier::IssuerRuntime;

/// The pool `find` gives for the token's `iss`.
/// `iss` is read before the signature is checked (it chooses the key), with the type check of
/// the claims table.
pub(crate) fn select<T>(
    payload: &Parsed,
    find: impl FnOnce(&str) -> Result<T, Error>,
) -> Result<T, Error> {
    find(peek_str(payload, Claim::Iss)?)
}

/// `pool`, if it is the token's issuer (a pool chosen by `iss` before the token was parsed
/// again).
pub(crate) fn confirm<'p>(
    payload: &Parsed,
    pool: &'p Arc<IssuerRuntime>,
) -> Result<&'p Arc<IssuerRuntime>, Error> {
    select(payload, |iss| {
        (iss == pool.issuer)
            .then_some(pool)
            .ok_or(Error::InvalidIssuer)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn exact_match_only() {
        let pools = [
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A",
            "https://x/eu-west-1_B",
        ];
        let run = |v: Value| {
            let m = crate::token::test_payload(&v);
            select(&m, |iss| {
                pools
                    .iter()
                    .position(|p| *p == iss)
                    .ok_or(Error::InvalidIssuer)
            })
            .map_err(|e| e.kind().as_str())
        };
        assert_eq!(run(json!({"iss": "https://x/eu-west-1_B"})), Ok(1));
        assert_eq!(
            run(json!({"iss": "https://x/eu-west-1_B/"})),
            Err("invalid_issuer")
        );
        assert_eq!(
            run(json!({"iss": "https://X/eu-west-1_B"})),
            Err("invalid_issuer")
        );
        assert_eq!(run(json!({"iss": 1})), Err("invalid_claim"));
        assert_eq!(run(json!({})), Err("missing_claim"));
    }
}
