//! Rule: the token's user is in the required groups (`cognito:groups`, an array of strings,
//! absent when the user is in none).
//!
//! The claim's type is checked for every token; the requirement itself is applied after every
//! other check (a 403 only for an otherwise valid token), to the parsed claims when verifying and
//! to the typed claims by [`crate::Verified::require_groups`].

use super::requirement::Requirement;
use crate::error::{ClaimProblem, Error};
use crate::token::{Json, Object};

const CLAIM: &str = "cognito:groups";

/// `cognito:groups`, when present, is an array of strings.
pub(crate) fn check_type(claims: &Object) -> Result<(), Error> {
    match claims.get(CLAIM) {
        None => Ok(()),
        Some(value) if value.as_str_array().is_some() => Ok(()),
        Some(_) => Err(Error::InvalidClaim {
            claim: CLAIM,
            problem: ClaimProblem::WrongType,
        }),
    }
}

/// The group names in `cognito:groups` (of a token whose claims passed [`check_type`]).
pub(crate) fn names<'o>(claims: &'o Object<'_>) -> impl Iterator<Item = &'o str> + Clone {
    let items = claims.get(CLAIM).and_then(Json::as_str_array);
    items.unwrap_or_default().iter().filter_map(Json::as_str)
}

/// Applies the requirement to the token's group names.
pub(crate) fn check_present<'a, I>(groups: I, required: &Requirement) -> Result<(), Error>
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    if required.is_met_by(groups) {
        Ok(())
    } else {
        Err(Error::InsufficientGroup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_any_and_all() {
        let run = |groups: &[&str], r: &Requirement| {
            check_present(groups.iter().copied(), r).map_err(|e| e.kind().as_str())
        };
        let any = Requirement::any_of(["admin", "ops"]);
        assert_eq!(run(&["users", "ops"], &any), Ok(()));
        assert_eq!(run(&["users"], &any), Err("insufficient_group"));
        assert_eq!(run(&[], &any), Err("insufficient_group"));
        let all = Requirement::all_of(["admin", "ops"]);
        assert_eq!(run(&["ops"], &all), Err("insufficient_group"));
        assert_eq!(run(&["ops", "admin"], &all), Ok(()));
    }

    #[test]
    fn groups_must_be_strings() {
        let kind = |v| check_type(&crate::token::test_object(&v)).map_err(|e| e.kind().as_str());
        assert_eq!(kind(json!({"cognito:groups": ["a"]})), Ok(()));
        assert_eq!(kind(json!({})), Ok(()));
        assert_eq!(
            kind(json!({"cognito:groups": "admin"})),
            Err("invalid_claim")
        );
        assert_eq!(
            kind(json!({"cognito:groups": ["admin", 1]})),
            Err("invalid_claim")
        );
        assert_eq!(kind(json!({"cognito:groups": null})), Err("invalid_claim"));
    }
}
