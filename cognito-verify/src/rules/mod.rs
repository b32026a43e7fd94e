//! The validation rules, one file each. [`check_claims`] runs the claim rules in order after the
//! signature has been verified; the issuer rule runs before it (it chooses the key), and the
//! algorithm allow-list with the header, in the token layer (`token::algorithm`).

pub(crate) mod client;
pub(crate) mod groups;
pub(crate) mod issuer;
pub(crate) mod policy;
pub(crate) mod requirement;
pub(crate) mod scope;
pub(crate) mod time;
pub(crate) mod token_use;

use crate::claims::Claims;
use crate::error::Error;
use crate::token::Parsed;
pub(crate) use policy::{Policy, PolicySettings};

/// Runs the claim rules that judge the token itself by its pool's policy, in order: token use,
/// then the type of every claim of that use's view ([`Claims::check`]), app client, time.
pub(crate) fn check_claims(
    payload: &mut Parsed,
    policy: &Policy,
    now: u64,
) -> Result<Claims, Error> {
    let token_use = token_use::check(payload, policy.token_use)?;
    let claims = Claims::check(payload, token_use)?;
    client::check(&claims, &policy.clients)?;
    time::check(&claims, now, policy.leeway_secs)?;
    Ok(claims)
}

/// The pool's scope and group requirements, applied last (after every other rule) so that a 403 is only ever answered for a token that is otherwise
/// entirely valid. Reads the same claims as [`crate::Verified::require_scopes`]
/// and [`crate::Verified::require_groups`]: an id token has no scopes.
pub(crate) fn check_requirements(claims: &Claims, policy: &Policy) -> Result<(), Error> {
    if let Some(required) = &policy.scopes {
        required.check_use(claims.token_use())?;
        scope::check_present(claims.scope(), required)?;
    }
    if let Some(required) = &policy.groups {
        required.check_use(claims.token_use())?;
        groups::check_present(claims.groups(), required)?;
    }
    Ok(())
}
