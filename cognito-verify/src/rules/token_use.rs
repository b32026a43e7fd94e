//! Rule: `token_use` is present and is the configured use.

use crate::claims::{Claim, peek_str};
use crate::error::Error;
use crate::token::Parsed;

/// Which kind of Cognito token a verifier accepts. There is no default: it must be stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenUse {
    /// Access tokens only (`token_use: "access"`), the usual choice for APIs.
    Access,
    /// Id tokens only (`token_use: "id"`).
    Id,
    /// Either kind; `token_use` must still be `"access"` or `"id"`.
    Either,
}

impl std::fmt::Display for TokenUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenUse::Access => "\"access\"",
            TokenUse::Id => "\"id\"",
            TokenUse::Either => "\"access\" or \"id\"",
        })
    }
}

/// The kind a verified token actually is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActualUse {
    /// An access token.
    Access,
    /// An id token.
    Id,
}

/// The token's use, read with the type check of the claims table (before the rest of the type
/// check, which depends on it).
pub(crate) fn check(payload: &Parsed, allowed: TokenUse) -> Result<ActualUse, Error> {
    let actual = match peek_str(payload, Claim::TokenUse)? {
        "access" => Some(ActualUse::Access),
        "id" => Some(ActualUse::Id),
        _ => None,
    };
    match (allowed, actual) {
        (TokenUse::Access, Some(ActualUse::Access)) => Ok(ActualUse::Access),
        (TokenUse::Id, Some(ActualUse::Id)) => Ok(ActualUse::Id),
        (TokenUse::Either, Some(actual)) => Ok(actual),
        _ => Err(Error::InvalidTokenUse { expected: allowed }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn with(v: Value) -> Parsed {
        crate::token::test_payload(&serde_json::json!({ "token_use": v }))
    }

    #[test]
    fn matches_the_configured_use() {
        assert_eq!(
            check(&with(json!("access")), TokenUse::Access),
            Ok(ActualUse::Access)
        );
        assert_eq!(check(&with(json!("id")), TokenUse::Id), Ok(ActualUse::Id));
        assert_eq!(
            check(&with(json!("id")), TokenUse::Either),
            Ok(ActualUse::Id)
        );
        assert_eq!(
            check(&with(json!("access")), TokenUse::Either),
            Ok(ActualUse::Access)
        );
    }

    #[test]
    fn refuses_other_uses() {
        assert_eq!(
            check(&with(json!("id")), TokenUse::Access).map_err(|e| e.kind().as_str()),
            Err("invalid_token_use")
        );
        assert_eq!(
            check(&with(json!("access")), TokenUse::Id).map_err(|e| e.kind().as_str()),
            Err("invalid_token_use")
        );
        assert_eq!(
            check(&with(json!("refresh")), TokenUse::Either).map_err(|e| e.kind().as_str()),
            Err("invalid_token_use")
        );
        assert_eq!(
            check(&with(json!("ACCESS")), TokenUse::Either).map_err(|e| e.kind().as_str()),
            Err("invalid_token_use")
        );
        assert_eq!(
            check(&with(json!(["access"])), TokenUse::Either).map_err(|e| e.kind().as_str()),
            Err("invalid_claim")
        );
        assert_eq!(
            check(&crate::token::test_payload(&json!({})), TokenUse::Either)
                .map_err(|e| e.kind().as_str()),
            Err("missing_claim")
        );
    }
}
