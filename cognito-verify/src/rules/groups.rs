//! Rule: the token's user is in the required groups (`cognito:groups`, an array of strings,
//! absent when the user is in none).

use serde_json::{Map, Value};

use super::requirement::Requirement;
use crate::error::{ClaimProblem, Error};

const CLAIM: &str = "cognito:groups";

/// Type-checks `cognito:groups` and applies the requirement.
pub(crate) fn check(claims: &Map<String, Value>, required: &Requirement) -> Result<(), Error> {
    let groups: Vec<&str> = match claims.get(CLAIM) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str())
            .collect::<Option<_>>()
            .ok_or(Error::InvalidClaim {
                claim: CLAIM,
                problem: ClaimProblem::WrongType,
            })?,
        Some(_) => {
            return Err(Error::InvalidClaim {
                claim: CLAIM,
                problem: ClaimProblem::WrongType,
            });
        }
    };
    check_present(groups.iter().copied(), required)
}

/// Applies the requirement to already-read group names.
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

    fn run(v: Value, r: &Requirement) -> Result<(), &'static str> {
        let Value::Object(m) = v else {
            return Err("not an object");
        };
        check(&m, r).map_err(|e| e.kind())
    }

    #[test]
    fn groups_any_and_all() {
        let any = Requirement::any_of(["admin", "ops"]);
        assert_eq!(
            run(json!({"cognito:groups": ["users", "ops"]}), &any),
            Ok(())
        );
        assert_eq!(
            run(json!({"cognito:groups": ["users"]}), &any),
            Err("insufficient_group")
        );
        assert_eq!(run(json!({}), &any), Err("insufficient_group"));
        let all = Requirement::all_of(["admin", "ops"]);
        assert_eq!(
            run(json!({"cognito:groups": ["ops"]}), &all),
            Err("insufficient_group")
        );
        assert_eq!(
            run(json!({"cognito:groups": ["ops", "admin"]}), &all),
            Ok(())
        );
    }

    #[test]
    fn groups_must_be_strings() {
        let any = Requirement::any_of(["admin"]);
        assert_eq!(
            run(json!({"cognito:groups": "admin"}), &any),
            Err("invalid_claim")
        );
        assert_eq!(
            run(json!({"cognito:groups": ["admin", 1]}), &any),
            Err("invalid_claim")
        );
    }
}
