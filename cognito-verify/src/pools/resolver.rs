//! [`PoolResolver`]: the user's answer to "which pool issued this?" for an issuer no configured
//! pool has, and the issuer shapes it is asked about.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;

use crate::pool::{Pool, is_region, region_of};

/// Finds the [`Pool`] of an issuer at run time, for services with a user pool per tenant.
///
/// The verifier asks only about a token whose form, header and payload passed the shape checks,
/// whose `iss` names no configured or added pool, and whose `iss` has the form of a Cognito
/// issuer (`https://cognito-idp.{region}.amazonaws.com/{region}_{id}`) or starts with a
/// configured [prefix](crate::ResolverSettings::issuer_prefix) followed by a pool id. It asks
/// before any key is fetched: an issuer the resolver refuses costs no fetch.
///
/// **The resolver is trust-bearing.** Every pool it answers is trusted as if configured: answer
/// only pools your service owns (look the pool id up in your tenant table), never "any pool
/// that exists", or tokens of every Cognito pool in the world are accepted.
///
/// Answers:
/// - `Ok(Some(pool))`: the pool, with its app clients, exactly as for
///   [`VerifierBuilder::pool`](crate::VerifierBuilder::pool). One of its issuers must be the one
///   asked about. It is then used like a configured pool (keys fetched and cached, tokens
///   cached) until the answer expires or the pool is evicted for idleness
///   ([`ResolverSettings`](crate::ResolverSettings)).
/// - `Ok(None)`: not a pool of this service; the token is refused as `invalid_issuer`, and so is
///   every token of that issuer until the negative answer expires.
/// - `Err(_)`: the resolver could not tell (its database is down); the token is refused as
///   `keys_unavailable` (503), never accepted.
///
/// Closures work through [`resolver_fn`]:
///
/// ```
/// use cognito_verify::{Pool, ResolverError, TokenUse, Verifier, resolver_fn};
/// use std::collections::HashMap;
/// use std::sync::Arc;
///
/// // Your tenant table: pool id -> app client id.
/// let tenants = Arc::new(HashMap::from([("eu-west-1_AbCdEf123".to_owned(), "1example23456789".to_owned())]));
/// let verifier = Verifier::builder()
///     .token_use(TokenUse::Access)
///     .pool_resolver(resolver_fn(move |issuer| {
///         let tenants = tenants.clone();
///         async move {
///             Ok::<_, ResolverError>(tenants.get(issuer.user_pool_id()).map(|client| {
///                 Pool::new(issuer.user_pool_id()).client_id(client.clone())
///             }))
///         }
///     }))
///     .build()?;
/// # Ok::<(), cognito_verify::ConfigError>(())
/// ```
pub trait PoolResolver: Send + Sync + 'static {
    /// The pool of `issuer`, `None` for an issuer this service does not accept.
    fn resolve(
        &self,
        issuer: UnknownIssuer,
    ) -> BoxFuture<'static, Result<Option<Pool>, ResolverError>>;
}

/// A [`PoolResolver`] from an async closure.
pub fn resolver_fn<F, Fut>(f: F) -> impl PoolResolver
where
    F: Fn(UnknownIssuer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<Pool>, ResolverError>> + Send + 'static,
{
    ResolverFn(f)
}

struct ResolverFn<F>(F);

impl<F, Fut> PoolResolver for ResolverFn<F>
where
    F: Fn(UnknownIssuer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<Pool>, ResolverError>> + Send + 'static,
{
    fn resolve(
        &self,
        issuer: UnknownIssuer,
    ) -> BoxFuture<'static, Result<Option<Pool>, ResolverError>> {
        (self.0)(issuer).boxed()
    }
}

/// A resolver's failure to answer (its tenant store is unreachable, say). The token is refused
/// as `keys_unavailable` (503) and the reason logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverError {
    reason: Cow<'static, str>,
}

impl ResolverError {
    /// A failure with a reason for logs (no secrets, no token contents).
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        ResolverError {
            reason: reason.into(),
        }
    }

    /// The reason given.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ResolverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ResolverError {}

/// An issuer a [`PoolResolver`] is asked about: a token's `iss`, of a shape that names a pool.
/// Only its form has been checked; the token's signature has not (that needs the pool's keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownIssuer {
    issuer: Arc<str>,
    /// Where the pool id starts in `issuer` (it runs to the end).
    pool_id_at: usize,
}

impl UnknownIssuer {
    /// The token's `iss`, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The user pool id it names, e.g. `eu-west-1_AbC123` (a valid pool id).
    pub fn user_pool_id(&self) -> &str {
        &self.issuer[self.pool_id_at..]
    }

    /// The region of that pool id, e.g. `eu-west-1`.
    pub fn region(&self) -> &str {
        let id = self.user_pool_id();
        region_of(id).unwrap_or(id)
    }

    /// `iss` as an issuer the resolver may be asked about: the Cognito form (the host's region
    /// that of the pool id), or one of `prefixes` followed by a pool id.
    pub(crate) fn parse(iss: &Arc<str>, prefixes: &[String]) -> Option<Self> {
        let at = cognito_pool_id_at(iss).or_else(|| {
            prefixes.iter().find_map(|prefix| {
                let id = iss.strip_prefix(prefix.as_str())?;
                region_of(id).map(|_| prefix.len())
            })
        })?;
        Some(UnknownIssuer {
            issuer: iss.clone(),
            pool_id_at: at,
        })
    }
}

/// Where the pool id starts in `https://cognito-idp.{region}.amazonaws.com/{region}_{id}`.
fn cognito_pool_id_at(iss: &str) -> Option<usize> {
    const HOST_START: &str = "https://cognito-idp.";
    const HOST_END: &str = ".amazonaws.com/";
    let rest = iss.strip_prefix(HOST_START)?;
    let (region, id) = rest.split_once(HOST_END)?;
    (is_region(region) && region_of(id) == Some(region))
        .then(|| HOST_START.len() + region.len() + HOST_END.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pool_shaped_issuers_are_asked_about() {
        let prefixes = ["http://127.0.0.1:9229/".to_owned()];
        let parse = |iss: &str| {
            UnknownIssuer::parse(&Arc::from(iss), &prefixes)
                .map(|u| (u.user_pool_id().to_owned(), u.region().to_owned()))
        };
        let pool = |id: &str, region: &str| Some((id.to_owned(), region.to_owned()));
        assert_eq!(
            parse("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"),
            pool("eu-west-1_AbC123", "eu-west-1")
        );
        assert_eq!(
            parse("http://127.0.0.1:9229/local_1a2b"),
            pool("local_1a2b", "local")
        );
        for refused in [
            "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_AbC123",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123?x",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab/../x",
            "http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
            "https://cognito-idp.EU-west-1.amazonaws.com/EU-west-1_AbC123",
            "https://cognito-idp.eu-west-1.amazonaws.com.evil/eu-west-1_A",
            "https://evil.example/eu-west-1_AbC123",
            "http://127.0.0.1:9229/local_1a2b/x",
            "http://127.0.0.1:92290/local_1a2b",
            "",
        ] {
            assert_eq!(parse(refused), None, "{refused}");
        }
    }
}
