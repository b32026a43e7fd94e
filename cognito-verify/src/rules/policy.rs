//! The policy the claim rules apply to one pool's tokens, and the one place it is resolved: a
//! pool's own settings over the verifier-wide ones.

use std::time::Duration;

use super::client::ClientPolicy;
use super::requirement::Requirement;
use super::token_use::TokenUse;
use crate::defaults::DEFAULT_LEEWAY;
use crate::error::ConfigError;

/// The policy settings a [`VerifierBuilder`](crate::VerifierBuilder) (for every pool) and a
/// [`Pool`](crate::Pool) (for its own tokens) may set; `None` is "not set here".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PolicySettings {
    pub(crate) token_use: Option<TokenUse>,
    pub(crate) scopes: Option<Requirement>,
    pub(crate) groups: Option<Requirement>,
    pub(crate) leeway: Option<Duration>,
}

impl PolicySettings {
    /// Refuses a requirement that lists nothing or an empty name (it could never be met).
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let requirements = [&self.scopes, &self.groups];
        match requirements
            .into_iter()
            .flatten()
            .any(Requirement::is_empty)
        {
            true => Err(ConfigError::EmptyRequirement),
            false => Ok(()),
        }
    }

    /// The effective policy of a pool with these settings and these app clients: each setting
    /// the pool's own when it has one, else the verifier-wide one (`defaults`), else, for the
    /// leeway, [`DEFAULT_LEEWAY`]. A pool's requirement replaces the verifier-wide one (it is
    /// not added to it). The token use must be set on one of the two.
    pub(crate) fn resolve(
        &self,
        defaults: &PolicySettings,
        clients: ClientPolicy,
    ) -> Result<Policy, ConfigError> {
        self.check()?;
        let token_use = self
            .token_use
            .or(defaults.token_use)
            .ok_or(ConfigError::MissingTokenUse)?;
        let leeway = self.leeway.or(defaults.leeway).unwrap_or(DEFAULT_LEEWAY);
        Ok(Policy {
            token_use,
            clients,
            leeway_secs: leeway.as_secs(),
            scopes: self.scopes.clone().or_else(|| defaults.scopes.clone()),
            groups: self.groups.clone().or_else(|| defaults.groups.clone()),
        })
    }
}

/// The policy the claim rules apply to the tokens of one pool, resolved once when the pool is
/// configured ([`PolicySettings::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Policy {
    pub(crate) token_use: TokenUse,
    pub(crate) clients: ClientPolicy,
    /// Clock-skew leeway for `exp`, `nbf` and `iat`, also when a cached token is re-checked.
    pub(crate) leeway_secs: u64,
    pub(crate) scopes: Option<Requirement>,
    pub(crate) groups: Option<Requirement>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        token_use: Option<TokenUse>,
        scope: Option<&str>,
        leeway: Option<u64>,
    ) -> PolicySettings {
        PolicySettings {
            token_use,
            scopes: scope.map(|s| Requirement::any_of([s])),
            groups: None,
            leeway: leeway.map(Duration::from_secs),
        }
    }

    #[test]
    fn a_pool_setting_wins_and_the_verifier_wide_one_is_the_default() {
        let wide = settings(Some(TokenUse::Access), Some("a"), Some(5));
        let own = settings(Some(TokenUse::Id), Some("b"), Some(0));
        let resolved = own.resolve(&wide, ClientPolicy::Any);
        assert_eq!(
            resolved,
            Ok(Policy {
                token_use: TokenUse::Id,
                clients: ClientPolicy::Any,
                leeway_secs: 0,
                scopes: Some(Requirement::any_of(["b"])),
                groups: None,
            })
        );
        let inherited = PolicySettings::default().resolve(&wide, ClientPolicy::Any);
        assert_eq!(
            inherited.map(|p| (p.token_use, p.leeway_secs, p.scopes)),
            Ok((TokenUse::Access, 5, Some(Requirement::any_of(["a"]))))
        );
        let defaulted = settings(Some(TokenUse::Id), None, None)
            .resolve(&PolicySettings::default(), ClientPolicy::Any);
        assert_eq!(
            defaulted.map(|p| p.leeway_secs),
            Ok(DEFAULT_LEEWAY.as_secs())
        );
    }

    #[test]
    fn the_token_use_must_be_set_somewhere_and_requirements_must_name_something() {
        let none = PolicySettings::default();
        assert_eq!(
            none.resolve(&none, ClientPolicy::Any).map(drop),
            Err(ConfigError::MissingTokenUse)
        );
        let empty = PolicySettings {
            groups: Some(Requirement::any_of(Vec::<String>::new())),
            ..settings(Some(TokenUse::Access), None, None)
        };
        assert_eq!(
            empty.resolve(&none, ClientPolicy::Any).map(drop),
            Err(ConfigError::EmptyRequirement)
        );
    }
}
