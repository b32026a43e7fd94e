//! What a route requires of a verified token beyond the verifier's own rules.

use crate::error::ConfigError;
use crate::{Requirement, Verified};

use super::{HttpAuth, Refusal};

/// The scope and group requirements of a route (or a layer, a middleware, a gRPC method).
///
/// A requirement takes access tokens only unless it was made with
/// [`Requirement::allow_id_tokens`]: an id token is then refused with 401 `invalid_token`
/// (kind `invalid_token_use`), never 403. An empty requirement is refused when the route is
/// built ([`validate`](Self::validate)), never answered at request time.
///
/// ```
/// use cognito_verify::Requirement;
/// use cognito_verify::http_auth::Requirements;
///
/// let admin = Requirements::new().groups(Requirement::any_of(["admin"]));
/// assert!(admin.validate().is_ok());
/// assert!(Requirements::new().scopes(Requirement::any_of([""])).validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    scopes: Option<Requirement>,
    groups: Option<Requirement>,
}

impl Requirements {
    /// No requirement: any valid token.
    pub fn new() -> Self {
        Requirements::default()
    }

    /// Requires these scopes (replacing an earlier scope requirement).
    #[must_use]
    pub fn scopes(mut self, required: Requirement) -> Self {
        self.scopes = Some(required);
        self
    }

    /// Requires these groups (`cognito:groups`; replacing an earlier group requirement).
    #[must_use]
    pub fn groups(mut self, required: Requirement) -> Self {
        self.groups = Some(required);
        self
    }

    /// Whether there is no requirement.
    pub fn is_none(&self) -> bool {
        self.scopes.is_none() && self.groups.is_none()
    }

    /// [`ConfigError::EmptyRequirement`] when a requirement lists nothing or an empty name.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match [&self.scopes, &self.groups]
            .into_iter()
            .flatten()
            .any(Requirement::is_empty)
        {
            true => Err(ConfigError::EmptyRequirement),
            false => Ok(()),
        }
    }

    /// `Ok` when the verified token meets every requirement; else the refusal (401 for a token
    /// of the wrong use, 403 naming the requirement that is not met).
    pub fn check(&self, auth: &HttpAuth, verified: &Verified) -> Result<(), Refusal> {
        if let Some(required) = &self.scopes {
            verified
                .require_scopes(required)
                .map_err(|e| auth.refuse(e, Some(required)))?;
        }
        if let Some(required) = &self.groups {
            verified
                .require_groups(required)
                .map_err(|e| auth.refuse(e, Some(required)))?;
        }
        Ok(())
    }
}
