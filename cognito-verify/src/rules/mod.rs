//! The validation rules, one file each. [`check_claims`] runs the claim rules in order after the
//! signature has been verified; the issuer rule runs before it (it chooses the key), and the
//! algorithm allow-list with the header, in the token layer (`token::algorithm`).

pub(crate) mod client;
pub(crate) mod groups;
pub(crate) mod issuer;
pub(crate) mod requirement;
pub(crate) mod scope;
pub(crate) mod time;
pub(crate) mod token_use;

use crate::error::Error;
use crate::token::{Json, Object};
use client::ClientPolicy;
use requirement::Requirement;
use token_use::{ActualUse, TokenUse};

/// The verifier-wide policy the claim rules apply.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) token_use: TokenUse,
    pub(crate) leeway_secs: u64,
    pub(crate) scopes: Option<Requirement>,
    pub(crate) groups: Option<Requirement>,
}

/// What the claim rules established about a token whose signature is verified.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checked {
    pub(crate) token_use: ActualUse,
    pub(crate) exp: u64,
}

/// Runs the claim rules that judge the token itself, in order: token use, app client, time, and
/// the types of `scope` and `cognito:groups`.
pub(crate) fn check_claims(
    claims: &Object,
    clients: &ClientPolicy,
    policy: &Policy,
    now: u64,
) -> Result<Checked, Error> {
    let token_use = token_use::check(claims, policy.token_use)?;
    client::check(claims, token_use, clients)?;
    let exp = time::check(claims, now, policy.leeway_secs)?;
    scope::check_type(claims)?;
    groups::check_type(claims)?;
    Ok(Checked { token_use, exp })
}

/// The configured scope and group requirements, applied last (after every other rule and the
/// typed claims' shape) so that a 403 is only ever answered for a token that is otherwise
/// entirely valid. Reads the same claims as [`crate::Verified::require_scopes`]
/// and [`crate::Verified::require_groups`]: an id token has no scopes.
pub(crate) fn check_requirements(
    claims: &Object<'_>,
    token_use: ActualUse,
    policy: &Policy,
) -> Result<(), Error> {
    if let Some(required) = &policy.scopes {
        required.check_use(token_use)?;
        let scope = match token_use {
            ActualUse::Access => optional_str(claims, "scope")?,
            ActualUse::Id => None,
        };
        scope::check_present(scope, required)?;
    }
    if let Some(required) = &policy.groups {
        required.check_use(token_use)?;
        groups::check_present(groups::names(claims), required)?;
    }
    Ok(())
}

/// Reads an optional string claim: absent is `None`, any other JSON type is an error.
pub(crate) fn optional_str<'a>(
    claims: &'a Object,
    claim: &'static str,
) -> Result<Option<&'a str>, Error> {
    match claims.get(claim) {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::InvalidClaim {
            claim,
            problem: crate::error::ClaimProblem::WrongType,
        }),
    }
}

/// Reads a required string claim.
pub(crate) fn required_str<'a>(claims: &'a Object, claim: &'static str) -> Result<&'a str, Error> {
    optional_str(claims, claim)?.ok_or(Error::MissingClaim { claim })
}
