//! Rule: the token is within its validity window.
//!
//! `exp` is required (a token without one would never expire). `nbf` is honoured when present.
//! `iat`, when present, may not be in the future. Each allows the configured leeway for clock
//! skew. NumericDates must be non-negative JSON integers no later than the year 9999.

use crate::token::{Json, Object};

use crate::error::{ClaimProblem, Error};

/// 9999-12-31T23:59:59Z: no real token has a later date, and it keeps arithmetic far from overflow.
const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// Checks `exp`, `nbf` and `iat` at `now` (Unix seconds); returns `exp`.
pub(crate) fn check(claims: &Object<'_>, now: u64, leeway: u64) -> Result<u64, Error> {
    let exp = numeric_date(claims, "exp")?.ok_or(Error::MissingClaim { claim: "exp" })?;
    let nbf = numeric_date(claims, "nbf")?;
    let iat = numeric_date(claims, "iat")?;
    // RFC 7519 §4.1.4: not accepted "on or after" exp.
    if now >= exp.saturating_add(leeway) {
        return Err(Error::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(Error::NotYetValid);
    }
    if iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
        return Err(Error::IssuedInFuture);
    }
    Ok(exp)
}

/// Whether a token whose `exp` was already checked is still unexpired at `now`.
pub(crate) fn still_valid(exp: u64, now: u64, leeway: u64) -> bool {
    now < exp.saturating_add(leeway)
}

/// The NumericDate `claim` of `claims`, if present (also read by the ALB verifier, whose header
/// and payload each may carry an `exp`).
pub(crate) fn numeric_date(claims: &Object<'_>, claim: &'static str) -> Result<Option<u64>, Error> {
    match claims.get(claim) {
        None => Ok(None),
        Some(Json::Number(n)) => match n.as_u64() {
            Some(v) if v <= MAX_NUMERIC_DATE => Ok(Some(v)),
            _ => Err(Error::InvalidClaim {
                claim,
                problem: ClaimProblem::OutOfRange,
            }),
        },
        Some(_) => Err(Error::InvalidClaim {
            claim,
            problem: ClaimProblem::WrongType,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn run(v: Value, now: u64, leeway: u64) -> Result<u64, &'static str> {
        let m = crate::token::test_object(&v);
        check(&m, now, leeway).map_err(|e| e.kind().as_str())
    }

    #[test]
    fn exp_is_required_and_exclusive() {
        assert_eq!(run(json!({"exp": 100}), 99, 0), Ok(100));
        assert_eq!(run(json!({"exp": 100}), 100, 0), Err("expired"));
        assert_eq!(run(json!({"exp": 100}), 109, 10), Ok(100));
        assert_eq!(run(json!({"exp": 100}), 110, 10), Err("expired"));
        assert_eq!(run(json!({}), 0, 0), Err("missing_claim"));
    }

    #[test]
    fn nbf_and_iat_honour_the_leeway() {
        assert_eq!(run(json!({"exp": 1000, "nbf": 110}), 100, 10), Ok(1000));
        assert_eq!(
            run(json!({"exp": 1000, "nbf": 111}), 100, 10),
            Err("not_yet_valid")
        );
        assert_eq!(run(json!({"exp": 1000, "iat": 110}), 100, 10), Ok(1000));
        assert_eq!(
            run(json!({"exp": 1000, "iat": 111}), 100, 10),
            Err("issued_in_future")
        );
    }

    #[test]
    fn dates_must_be_in_range_integers() {
        assert_eq!(run(json!({"exp": "1000"}), 0, 0), Err("invalid_claim"));
        assert_eq!(run(json!({"exp": 1000.5}), 0, 0), Err("invalid_claim"));
        assert_eq!(run(json!({"exp": -1}), 0, 0), Err("invalid_claim"));
        assert_eq!(run(json!({"exp": u64::MAX}), 0, 0), Err("invalid_claim"));
        assert_eq!(run(json!({"exp": 1e300}), 0, 0), Err("invalid_claim"));
        assert_eq!(
            run(json!({"exp": 1000, "nbf": null}), 0, 0),
            Err("invalid_claim")
        );
        assert_eq!(
            run(json!({"exp": 1000, "iat": true}), 0, 0),
            Err("invalid_claim")
        );
    }

    #[test]
    fn still_valid_rechecks_expiry() {
        assert!(still_valid(100, 99, 0));
        assert!(!still_valid(100, 100, 0));
        assert!(still_valid(100, 104, 5));
    }
}
