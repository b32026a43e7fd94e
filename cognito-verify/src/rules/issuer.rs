//! Rule: `iss` is exactly the issuer of a configured user pool, which then supplies the keys.
//!
//! The comparison is exact (no trailing-slash or case folding). An `iss` that names no configured
//! pool is a token error, and causes no key fetch.

use crate::claims::{Claim, peek_str};
use crate::error::Error;
use crate::token::Parsed;

/// The index in `issuers` of the pool that issued the token.
/// `iss` is read before the signature is checked (it chooses the key), with the type check of
/// the claims table.
pub(crate) fn select<'a, I>(payload: &Parsed, issuers: I) -> Result<usize, Error>
where
    I: IntoIterator<Item = &'a str>,
{
    let iss = peek_str(payload, Claim::Iss)?;
    issuers
        .into_iter()
        .position(|issuer| issuer == iss)
        .ok_or(Error::InvalidIssuer)
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
            select(&m, pools).map_err(|e| e.kind().as_str())
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
