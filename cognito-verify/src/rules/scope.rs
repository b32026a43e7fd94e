//! Rule: the token carries the required scopes (`scope`, a space-separated string).
//!
//! `scope` must be a string when present (checked for every token). The requirement itself is
//! applied after every other check, so a 403 is only ever answered for an otherwise valid token:
//! to the parsed claims when verifying, to the typed claims by
//! [`crate::Verified::require_scopes`]. Id tokens have no `scope`, so a scope requirement is never
//! met by one.

use super::optional_str;
use super::requirement::Requirement;
use crate::error::Error;
use crate::token::Object;

/// The scopes listed in a `scope` claim value.
pub(crate) fn split(scope: &str) -> impl Iterator<Item = &str> + Clone {
    scope.split(' ').filter(|s| !s.is_empty())
}

/// `scope`, when present, is a string.
pub(crate) fn check_type(claims: &Object) -> Result<(), Error> {
    optional_str(claims, "scope").map(drop)
}

/// Applies the requirement to a `scope` value.
pub(crate) fn check_present(scope: Option<&str>, required: &Requirement) -> Result<(), Error> {
    if required.is_met_by(split(scope.unwrap_or(""))) {
        Ok(())
    } else {
        Err(Error::InsufficientScope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn space_separated_scopes() {
        let r = Requirement::any_of(["orders/read"]);
        let run = |scope: Option<&str>, r: &Requirement| {
            check_present(scope, r).map_err(|e| e.kind().as_str())
        };
        assert_eq!(run(Some("openid orders/read"), &r), Ok(()));
        assert_eq!(
            run(Some("openid  orders/write"), &r),
            Err("insufficient_scope")
        );
        assert_eq!(run(None, &r), Err("insufficient_scope"));
        let all = Requirement::all_of(["a", "b"]);
        assert_eq!(run(Some("b a"), &all), Ok(()));
        assert_eq!(run(Some("a"), &all), Err("insufficient_scope"));
    }

    #[test]
    fn scope_must_be_a_string() {
        let kind = |v| check_type(&crate::token::test_object(&v)).map_err(|e| e.kind().as_str());
        assert_eq!(kind(json!({"scope": "a b"})), Ok(()));
        assert_eq!(kind(json!({})), Ok(()));
        assert_eq!(kind(json!({"scope": ["a"]})), Err("invalid_claim"));
    }
}
