//! Rule: the token's user is in the required groups (`cognito:groups`, an array of strings,
//! absent when the user is in none).
//!
//! The claim's type is the claims table's; the requirement itself is applied after every other
//! check (a 403 only for an otherwise valid token), to the checked claims, when verifying and by
//! [`crate::Verified::require_groups`] alike.

use super::requirement::Requirement;
use crate::error::Error;

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
}
