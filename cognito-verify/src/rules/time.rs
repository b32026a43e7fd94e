//! Rule: the token is within its validity window.
//!
//! `exp` is required (a token without one would never expire). `nbf` is honoured when present.
//! `iat`, when present, may not be in the future. Each allows the configured leeway for clock
//! skew. Their type (NumericDates: non-negative JSON integers no later than the year 9999) is the
//! claims table's.

use crate::claims::Claims;
use crate::error::Error;

/// Checks `exp`, `nbf` and `iat` at `now` (Unix seconds).
pub(crate) fn check(claims: &Claims, now: u64, leeway: u64) -> Result<(), Error> {
    // RFC 7519 §4.1.4: not accepted "on or after" exp.
    if !still_valid(claims.exp(), now, leeway) {
        return Err(Error::Expired);
    }
    if claims
        .nbf()
        .is_some_and(|nbf| nbf > now.saturating_add(leeway))
    {
        return Err(Error::NotYetValid);
    }
    if claims
        .iat()
        .is_some_and(|iat| iat > now.saturating_add(leeway))
    {
        return Err(Error::IssuedInFuture);
    }
    Ok(())
}

/// Whether a token whose `exp` was already checked is still unexpired at `now`.
pub(crate) fn still_valid(exp: u64, now: u64, leeway: u64) -> bool {
    now < exp.saturating_add(leeway)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn run(mut v: Value, now: u64, leeway: u64) -> Result<u64, &'static str> {
        for (name, value) in [
            ("sub", "s"),
            ("iss", "i"),
            ("client_id", "c"),
            ("token_use", "access"),
        ] {
            v[name] = json!(value);
        }
        let kind = |e: Error| e.kind().as_str();
        let claims = Claims::for_test(&v).map_err(kind)?;
        check(&claims, now, leeway).map_err(kind)?;
        Ok(claims.exp())
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
