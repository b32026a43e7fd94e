//! Rule: the token was issued to an allowed app client.
//!
//! Access tokens carry the client in `client_id` and have no `aud`; id tokens carry it in `aud`
//! (a string). Checking `aud` on an access token — what a generic JWT audience check does —
//! would let every access token through, so each kind is checked on its own claim.

use crate::token::Object;

use super::required_str;
use super::token_use::ActualUse;
use crate::error::Error;

/// Which app clients of a pool are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientPolicy {
    /// Only these client ids.
    Only(Vec<String>),
    /// Every client of the pool (an explicit opt-out of the client check).
    Any,
}

pub(crate) fn check(
    claims: &Object,
    token_use: ActualUse,
    policy: &ClientPolicy,
) -> Result<(), Error> {
    let claim = match token_use {
        ActualUse::Access => "client_id",
        ActualUse::Id => "aud",
    };
    // Read (and type-check) the claim even when every client is allowed: it must be there.
    let client = required_str(claims, claim)?;
    match policy {
        ClientPolicy::Any => Ok(()),
        ClientPolicy::Only(allowed) if allowed.iter().any(|c| c == client) => Ok(()),
        ClientPolicy::Only(_) => Err(Error::InvalidClient),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn claims(v: Value) -> Object<'static> {
        crate::token::test_object(&v)
    }

    #[test]
    fn access_tokens_are_checked_on_client_id_not_aud() {
        let only = ClientPolicy::Only(vec!["a".into(), "b".into()]);
        assert_eq!(
            check(&claims(json!({"client_id": "b"})), ActualUse::Access, &only),
            Ok(())
        );
        assert_eq!(
            check(
                &claims(json!({"client_id": "c", "aud": "a"})),
                ActualUse::Access,
                &only
            ),
            Err(Error::InvalidClient)
        );
        assert_eq!(
            check(&claims(json!({"aud": "a"})), ActualUse::Access, &only),
            Err(Error::MissingClaim { claim: "client_id" })
        );
    }

    #[test]
    fn id_tokens_are_checked_on_aud_as_a_string() {
        let only = ClientPolicy::Only(vec!["a".into()]);
        assert_eq!(
            check(&claims(json!({"aud": "a"})), ActualUse::Id, &only),
            Ok(())
        );
        assert_eq!(
            check(
                &claims(json!({"aud": "x", "client_id": "a"})),
                ActualUse::Id,
                &only
            ),
            Err(Error::InvalidClient)
        );
        assert_eq!(
            check(&claims(json!({"aud": ["a"]})), ActualUse::Id, &only)
                .map_err(|e| e.kind().as_str()),
            Err("invalid_claim")
        );
    }

    #[test]
    fn any_client_still_requires_the_claim() {
        assert_eq!(
            check(
                &claims(json!({"client_id": "z"})),
                ActualUse::Access,
                &ClientPolicy::Any
            ),
            Ok(())
        );
        assert_eq!(
            check(&claims(json!({})), ActualUse::Id, &ClientPolicy::Any),
            Err(Error::MissingClaim { claim: "aud" })
        );
    }
}
