//! Rule: the token carries the required scopes (`scope`, a space-separated string).
//!
//! `scope`'s type (a string) is the claims table's. The requirement itself is applied after every
//! other check, so a 403 is only ever answered for an otherwise valid token: to the checked
//! claims, when verifying and by [`crate::Verified::require_scopes`] alike. Id tokens have no
//! `scope`, so a scope requirement is never met by one.

use super::requirement::Requirement;
use crate::error::Error;

/// The scopes listed in a `scope` claim value.
pub(crate) fn split(scope: &str) -> impl Iterator<Item = &str> + Clone {
    scope.split(' ').filter(|s| !s.is_empty())
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
}
