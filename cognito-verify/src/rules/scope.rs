//! Rule: the token carries the required scopes (`scope`, a space-separated string).
//!
//! Id tokens have no `scope`, so a scope requirement is never met by one.

use serde_json::{Map, Value};

use super::optional_str;
use super::requirement::Requirement;
use crate::error::Error;

/// The scopes listed in a `scope` claim value.
pub(crate) fn split(scope: &str) -> impl Iterator<Item = &str> + Clone {
    scope.split(' ').filter(|s| !s.is_empty())
}

/// Type-checks `scope` and applies the requirement.
pub(crate) fn check(claims: &Map<String, Value>, required: &Requirement) -> Result<(), Error> {
    check_present(optional_str(claims, "scope")?, required)
}

/// Applies the requirement to an already-read `scope` value.
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

    fn run(v: Value, r: &Requirement) -> Result<(), &'static str> {
        let Value::Object(m) = v else {
            return Err("not an object");
        };
        check(&m, r).map_err(|e| e.kind())
    }

    #[test]
    fn space_separated_scopes() {
        let r = Requirement::any_of(["orders/read"]);
        assert_eq!(run(json!({"scope": "openid orders/read"}), &r), Ok(()));
        assert_eq!(
            run(json!({"scope": "openid  orders/write"}), &r),
            Err("insufficient_scope")
        );
        assert_eq!(run(json!({}), &r), Err("insufficient_scope"));
        assert_eq!(
            run(json!({"scope": ["orders/read"]}), &r),
            Err("invalid_claim")
        );
        let all = Requirement::all_of(["a", "b"]);
        assert_eq!(run(json!({"scope": "b a"}), &all), Ok(()));
        assert_eq!(run(json!({"scope": "a"}), &all), Err("insufficient_scope"));
    }
}
