//! Rule: the token was issued to an allowed app client.
//!
//! Access tokens carry the client in `client_id` and have no `aud`; id tokens carry it in `aud`
//! (a string). Checking `aud` on an access token — what a generic JWT audience check does —
//! would let every access token through, so each kind is checked on its own claim (the claims
//! table requires it of each view, so it is always there).

use crate::claims::Claims;
use crate::error::Error;

/// Which app clients of a pool are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientPolicy {
    /// Only these client ids.
    Only(Vec<String>),
    /// Every client of the pool (an explicit opt-out of the client check).
    Any,
}

pub(crate) fn check(claims: &Claims, policy: &ClientPolicy) -> Result<(), Error> {
    match policy {
        ClientPolicy::Any => Ok(()),
        ClientPolicy::Only(allowed) if allowed.iter().any(|c| c == claims.client()) => Ok(()),
        ClientPolicy::Only(_) => Err(Error::InvalidClient),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Claim;
    use serde_json::{Value, json};

    /// The client rule on a payload (after the type check, as when verifying).
    fn run(mut v: Value, policy: &ClientPolicy) -> Result<(), Error> {
        for (name, value) in [("sub", json!("s")), ("iss", json!("i")), ("exp", json!(1))] {
            v[name] = value;
        }
        check(&Claims::for_test(&v)?, policy)
    }

    #[test]
    fn access_tokens_are_checked_on_client_id_not_aud() {
        let only = ClientPolicy::Only(vec!["a".into(), "b".into()]);
        let access = |v: Value| {
            let mut v = v;
            v["token_use"] = json!("access");
            v
        };
        assert_eq!(run(access(json!({"client_id": "b"})), &only), Ok(()));
        assert_eq!(
            run(access(json!({"client_id": "c", "aud": "a"})), &only),
            Err(Error::InvalidClient)
        );
        assert_eq!(
            run(access(json!({"aud": "a"})), &only),
            Err(Error::MissingClaim {
                claim: Claim::ClientId
            })
        );
    }

    #[test]
    fn id_tokens_are_checked_on_aud_as_a_string() {
        let only = ClientPolicy::Only(vec!["a".into()]);
        let id = |v: Value| {
            let mut v = v;
            v["token_use"] = json!("id");
            v
        };
        assert_eq!(run(id(json!({"aud": "a"})), &only), Ok(()));
        assert_eq!(
            run(id(json!({"aud": "x", "client_id": "a"})), &only),
            Err(Error::InvalidClient)
        );
        assert_eq!(
            run(id(json!({"aud": ["a"]})), &only).map_err(|e| e.kind().as_str()),
            Err("invalid_claim")
        );
    }

    #[test]
    fn any_client_still_requires_the_claim() {
        let any = ClientPolicy::Any;
        assert_eq!(
            run(json!({"client_id": "z", "token_use": "access"}), &any),
            Ok(())
        );
        assert_eq!(
            run(json!({"token_use": "id"}), &any),
            Err(Error::MissingClaim { claim: Claim::Aud })
        );
    }
}
