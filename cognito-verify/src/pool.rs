//! A user pool's configuration: its id, its app clients, its issuer, its keys' location and its
//! own policy (token use, scopes, groups, leeway) where it differs from the verifier-wide one.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{ConfigError, UrlSetting};
use crate::rules::client::ClientPolicy;
use crate::rules::requirement::Requirement;
use crate::rules::token_use::TokenUse;
use crate::rules::{Policy, PolicySettings};

/// AWS's limit on the length of a user pool id.
const MAX_USER_POOL_ID_LEN: usize = 55;

/// One Cognito user pool whose tokens a verifier accepts.
///
/// The issuer and the JWKS URI are derived from the id
/// (`https://cognito-idp.{region}.amazonaws.com/{id}` and that plus
/// `/.well-known/jwks.json`); override them for emulators or replicated pools. The app clients
/// must be stated (or the client check explicitly skipped with [`any_client`](Self::any_client)).
///
/// ```
/// use cognito_verify::Pool;
///
/// let pool = Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789");
/// // moto / cognito-local / LocalStack: same `iss`, keys served locally.
/// let local = Pool::new("us-east-1_abc").any_client()
///     .jwks_uri("http://127.0.0.1:5000/us-east-1_abc/.well-known/jwks.json");
/// ```
///
/// ## A policy per pool
///
/// The token use, the required scopes and groups and the leeway set on the
/// [`VerifierBuilder`](crate::VerifierBuilder) apply to every pool that does not set its own
/// ([`token_use`](Self::token_use), [`require_scopes`](Self::require_scopes),
/// [`require_groups`](Self::require_groups), [`leeway`](Self::leeway)); the app clients are
/// always the pool's. A pool's setting replaces the verifier-wide one for that pool's tokens
/// (a pool's requirement is not added to the verifier-wide requirement), and a token is judged
/// only by the policy of the pool its `iss` chose, also when it is answered from the
/// verified-token cache (whose expiry re-check uses the pool's leeway).
///
/// ```
/// use std::time::Duration;
/// use cognito_verify::{Pool, Requirement, TokenUse, Verifier};
///
/// # fn main() -> Result<(), cognito_verify::ConfigError> {
/// let verifier = Verifier::builder()
///     // The default for every pool: access tokens with `orders/read`.
///     .token_use(TokenUse::Access)
///     .require_scopes(Requirement::any_of(["orders/read"]))
///     .pool(Pool::new("eu-west-1_Tenant1").client_id("1example23456789"))
///     // This tenant's web app sends id tokens of its admins, and its clock drifts.
///     .pool(
///         Pool::new("eu-west-1_Tenant2")
///             .client_id("2example23456789")
///             .token_use(TokenUse::Id)
///             .require_scopes(Requirement::any_of(["profile"]).allow_id_tokens())
///             .require_groups(Requirement::any_of(["admin"]).allow_id_tokens())
///             .leeway(Duration::from_secs(120)),
///     )
///     .build()?;
/// # drop(verifier); Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Pool {
    pub(crate) id: String,
    client_ids: Vec<String>,
    any_client: bool,
    issuer: Option<String>,
    jwks_uri: Option<String>,
    discovery: bool,
    global_issuer: bool,
    replica_regions: Vec<String>,
    additional: Vec<(String, String)>,
    pub(crate) preloaded: Option<Preloaded>,
    /// This pool's own policy settings (`None`: the verifier-wide one).
    policy: PolicySettings,
}

/// A key set given in the configuration, and what happens when it lacks a token's `kid`.
#[derive(Debug, Clone)]
pub(crate) struct Preloaded {
    pub(crate) json: String,
    /// Whether the pool's JWKS URI is still fetched (refresh, unknown `kid`).
    pub(crate) fetches: bool,
}

/// Where an issuer's keys are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyLocation {
    /// A JWKS URI.
    Jwks(String),
    /// An OpenID discovery document whose `jwks_uri` names the JWKS; its `issuer` must be this.
    Discovery { config_url: String, issuer: String },
}

impl KeyLocation {
    /// The URL fetched first (for logs and diagnostics).
    pub(crate) fn url(&self) -> &str {
        match self {
            KeyLocation::Jwks(url)
            | KeyLocation::Discovery {
                config_url: url, ..
            } => url,
        }
    }
}

/// One issuer a pool's tokens may carry, with its own keys.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedIssuer {
    pub(crate) issuer: String,
    pub(crate) keys: KeyLocation,
}

/// A pool's configuration, checked.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedPool {
    pub(crate) id: String,
    /// The main issuer first, then the global and replica issuers when configured.
    pub(crate) issuers: Vec<ResolvedIssuer>,
    /// The effective policy of the pool's tokens, shared by its issuers.
    pub(crate) policy: Arc<Policy>,
}

impl Pool {
    /// A pool by its id, e.g. `"eu-west-1_AbCdEf123"` (checked when the verifier is built).
    pub fn new(user_pool_id: impl Into<String>) -> Self {
        Pool {
            id: user_pool_id.into(),
            ..Pool::default()
        }
    }

    /// Accepts tokens issued to this app client (call again for more).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.push(client_id.into());
        self
    }

    /// Accepts tokens issued to any of these app clients.
    pub fn client_ids<I, S>(mut self, client_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.client_ids
            .extend(client_ids.into_iter().map(Into::into));
        self
    }

    /// Accepts tokens issued to every app client of the pool: an explicit opt-out of the client
    /// check (`client_id` / `aud` must still be present).
    pub fn any_client(mut self) -> Self {
        self.any_client = true;
        self
    }

    /// Accepts this kind of token from this pool, instead of the verifier-wide
    /// [`token_use`](crate::VerifierBuilder::token_use) (which may then be left unset if every
    /// pool sets its own).
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.policy.token_use = Some(token_use);
        self
    }

    /// Every token of this pool must meet this scope requirement, instead of the verifier-wide
    /// [`require_scopes`](crate::VerifierBuilder::require_scopes) (replaced, not added to).
    pub fn require_scopes(mut self, required: Requirement) -> Self {
        self.policy.scopes = Some(required);
        self
    }

    /// Every token's user of this pool must meet this group requirement, instead of the
    /// verifier-wide [`require_groups`](crate::VerifierBuilder::require_groups) (replaced, not
    /// added to).
    pub fn require_groups(mut self, required: Requirement) -> Self {
        self.policy.groups = Some(required);
        self
    }

    /// Clock-skew leeway for `exp`, `nbf` and `iat` of this pool's tokens, instead of the
    /// verifier-wide [`leeway`](crate::VerifierBuilder::leeway). It also applies when a token
    /// of this pool is answered from the verified-token cache.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.policy.leeway = Some(leeway);
        self
    }

    /// Replaces the derived issuer: `iss` must equal this exactly. The JWKS URI is then derived
    /// from it unless also overridden. `http` is allowed because it is explicit.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Replaces the derived JWKS URI. `http` is allowed because it is explicit (emulators); the
    /// keys of emulators are public, so never configure one in production.
    pub fn jwks_uri(mut self, jwks_uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(jwks_uri.into());
        self
    }

    /// Finds each issuer's JWKS through OpenID discovery,
    /// `{issuer}/.well-known/openid-configuration`, instead of deriving its URI. The document's
    /// `issuer` must equal the configured issuer, and an `https` document may only point to an
    /// `https` JWKS. Discovery happens with each key fetch, never at build time.
    pub fn discover_jwks_uri(mut self) -> Self {
        self.discovery = true;
        self
    }

    /// Also accepts the Multi-Region Replication global issuer,
    /// `https://issuer-cognito-idp.{region}.amazonaws.com/{id}`, checked against its own JWKS
    /// (under that issuer). Off by default.
    pub fn accept_global_issuer(mut self) -> Self {
        self.global_issuer = true;
        self
    }

    /// Also accepts tokens signed in this replica region,
    /// `https://cognito-idp.{replica}.amazonaws.com/{id}`, checked against that region's own JWKS.
    /// Off by default; call once per replica.
    pub fn replica_region(mut self, region: impl Into<String>) -> Self {
        self.replica_regions.push(region.into());
        self
    }

    /// Also accepts this issuer, checked against the keys at `jwks_uri` (for issuer forms not
    /// covered above, or to serve a replica's keys from somewhere else in tests). Both must be
    /// absolute `http(s)` URLs.
    pub fn additional_issuer(
        mut self,
        issuer: impl Into<String>,
        jwks_uri: impl Into<String>,
    ) -> Self {
        self.additional.push((issuer.into(), jwks_uri.into()));
        self
    }

    /// Uses this JWKS document and never fetches one (air-gapped services, tests). Replaces a
    /// [`preload_jwks`](Self::preload_jwks) set.
    pub fn static_jwks(mut self, jwks_json: impl Into<String>) -> Self {
        self.preloaded = Some(Preloaded {
            json: jwks_json.into(),
            fetches: false,
        });
        self
    }

    /// Starts the main issuer's key cache with this JWKS document, as if it had just been
    /// fetched from the pool's JWKS URI, which is still used afterwards: an unknown `kid` (a
    /// rotation) refetches under the usual cooldown, and the set is refreshed and expires on the
    /// usual schedule, counted from when the verifier is built. For cold starts (AWS Lambda):
    /// the first token verifies without a network round trip. Other issuers of the pool (global,
    /// replica, additional) fetch their own keys. An invalid document fails
    /// [`build`](crate::VerifierBuilder::build) (`invalid_static_jwks`). Replaces a
    /// [`static_jwks`](Self::static_jwks) set.
    ///
    /// ```
    /// use cognito_verify::Pool;
    ///
    /// # let jwks_json = r#"{"keys":[]}"#;
    /// let pool = Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789").preload_jwks(jwks_json);
    /// ```
    pub fn preload_jwks(mut self, jwks_json: impl Into<String>) -> Self {
        self.preloaded = Some(Preloaded {
            json: jwks_json.into(),
            fetches: true,
        });
        self
    }

    /// Checks the configuration and derives what was not given; the pool's effective policy is
    /// its own settings over `defaults`, the verifier-wide ones.
    pub(crate) fn resolve(&self, defaults: &PolicySettings) -> Result<ResolvedPool, ConfigError> {
        let region = region_of(&self.id).ok_or_else(|| ConfigError::InvalidUserPoolId {
            id: self.id.clone(),
        })?;
        let policy = Arc::new(self.policy.resolve(defaults, self.client_policy()?)?);
        if self.discovery && self.jwks_uri.is_some() {
            return Err(ConfigError::ConflictingKeyLocation {
                pool: self.id.clone(),
            });
        }
        let main = match &self.issuer {
            Some(issuer) => check_url(UrlSetting::Issuer, issuer)?,
            None => format!("https://cognito-idp.{region}.amazonaws.com/{}", self.id),
        };
        let mut issuers = vec![ResolvedIssuer {
            keys: match &self.jwks_uri {
                Some(uri) => KeyLocation::Jwks(check_url(UrlSetting::JwksUri, uri)?),
                None => self.derived_location(&main),
            },
            issuer: main,
        }];
        if self.global_issuer {
            let issuer = format!(
                "https://issuer-cognito-idp.{region}.amazonaws.com/{}",
                self.id
            );
            issuers.push(ResolvedIssuer {
                keys: self.derived_location(&issuer),
                issuer,
            });
        }
        for replica in &self.replica_regions {
            if !is_region(replica) {
                return Err(ConfigError::InvalidRegion {
                    region: replica.clone(),
                });
            }
            let issuer = format!("https://cognito-idp.{replica}.amazonaws.com/{}", self.id);
            issuers.push(ResolvedIssuer {
                keys: self.derived_location(&issuer),
                issuer,
            });
        }
        for (issuer, jwks_uri) in &self.additional {
            issuers.push(ResolvedIssuer {
                issuer: check_url(UrlSetting::Issuer, issuer)?,
                keys: KeyLocation::Jwks(check_url(UrlSetting::JwksUri, jwks_uri)?),
            });
        }
        Ok(ResolvedPool {
            id: self.id.clone(),
            issuers,
            policy,
        })
    }

    fn derived_location(&self, issuer: &str) -> KeyLocation {
        if self.discovery {
            KeyLocation::Discovery {
                config_url: format!("{issuer}/.well-known/openid-configuration"),
                issuer: issuer.to_owned(),
            }
        } else {
            KeyLocation::Jwks(format!("{issuer}/.well-known/jwks.json"))
        }
    }

    fn client_policy(&self) -> Result<ClientPolicy, ConfigError> {
        let pool = || self.id.clone();
        match (self.any_client, self.client_ids.is_empty()) {
            (true, true) => Ok(ClientPolicy::Any),
            (false, false) if self.client_ids.iter().any(String::is_empty) => {
                Err(ConfigError::EmptyClientId { pool: pool() })
            }
            (false, false) => Ok(ClientPolicy::Only(self.client_ids.clone())),
            (true, false) => Err(ConfigError::ConflictingClientPolicy { pool: pool() }),
            (false, true) => Err(ConfigError::MissingClientPolicy { pool: pool() }),
        }
    }
}

/// An AWS region name as it appears in a hostname: lowercase letters, digits and dashes.
pub(crate) fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The region part of a valid user pool id (AWS pattern `[\w-]+_[0-9a-zA-Z]+`, ≤ 55 chars).
pub(crate) fn region_of(id: &str) -> Option<&str> {
    if id.len() > MAX_USER_POOL_ID_LEN {
        return None;
    }
    let (region, suffix) = id.rsplit_once('_')?;
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let suffix_ok = !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_alphanumeric());
    (region_ok && suffix_ok).then_some(region)
}

fn check_url(what: UrlSetting, url: &str) -> Result<String, ConfigError> {
    let invalid = || ConfigError::InvalidUrl {
        what,
        url: url.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| invalid())?;
    let scheme_ok = matches!(parsed.scheme(), "https" | "http");
    if !scheme_ok || parsed.host_str().is_none() {
        return Err(invalid());
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Pool {
        /// Resolved as the only pool of a verifier accepting access tokens.
        fn resolve_alone(&self) -> Result<ResolvedPool, ConfigError> {
            let defaults = PolicySettings {
                token_use: Some(TokenUse::Access),
                ..PolicySettings::default()
            };
            self.resolve(&defaults)
        }
    }

    #[test]
    fn pool_ids_follow_the_aws_pattern() {
        assert_eq!(region_of("us-east-1_AbC123xyz"), Some("us-east-1"));
        assert_eq!(region_of("local_1a2b3c4d"), Some("local"));
        assert_eq!(
            region_of("us-east-1_0123456789abcdef0123456789abcdef"),
            Some("us-east-1")
        );
        for bad in [
            "",
            "us-east-1",
            "_abc",
            "us-east-1_",
            "us-east-1_ab-c",
            "us east-1_abc",
            "us-east-1_abc/../x",
            "us-east-1_abc.evil.com",
        ] {
            assert_eq!(region_of(bad), None, "{bad:?}");
        }
        let long = format!("us-east-1_{}", "a".repeat(46));
        assert_eq!(long.len(), 56);
        assert_eq!(region_of(&long), None);
        assert!(region_of(&long[..55]).is_some());
    }

    #[test]
    fn issuer_and_jwks_are_derived() {
        let p = Pool::new("eu-west-1_Ab12")
            .client_id("c")
            .resolve_alone()
            .map_err(|e| e.kind().as_str());
        let p = p.as_ref().map(|p| {
            (
                p.issuers[0].issuer.as_str(),
                p.issuers[0].keys.url(),
                p.policy.clients.clone(),
            )
        });
        assert_eq!(
            p,
            Ok((
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12",
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12/.well-known/jwks.json",
                ClientPolicy::Only(vec!["c".into()])
            ))
        );
        let o = Pool::new("local_x")
            .any_client()
            .issuer("http://127.0.0.1:9229/local_x")
            .resolve_alone();
        assert_eq!(
            o.map(|p| p.issuers[0].keys.url().to_owned()),
            Ok("http://127.0.0.1:9229/local_x/.well-known/jwks.json".into())
        );
    }

    #[test]
    fn replication_issuers_are_opt_in_and_each_has_its_own_jwks() {
        let urls = |p: Pool| {
            p.any_client().resolve_alone().map(|r| {
                r.issuers
                    .into_iter()
                    .map(|i| (i.issuer, i.keys.url().to_owned()))
                    .collect::<Vec<_>>()
            })
        };
        let plain = urls(Pool::new("eu-west-1_Ab12")).map(|v| v.len());
        assert_eq!(plain, Ok(1));
        let replicated = urls(
            Pool::new("eu-west-1_Ab12")
                .accept_global_issuer()
                .replica_region("us-east-1"),
        );
        let base = "amazonaws.com/eu-west-1_Ab12";
        assert_eq!(
            replicated,
            Ok(vec![
                (
                    format!("https://cognito-idp.eu-west-1.{base}"),
                    format!("https://cognito-idp.eu-west-1.{base}/.well-known/jwks.json")
                ),
                (
                    format!("https://issuer-cognito-idp.eu-west-1.{base}"),
                    format!("https://issuer-cognito-idp.eu-west-1.{base}/.well-known/jwks.json")
                ),
                (
                    format!("https://cognito-idp.us-east-1.{base}"),
                    format!("https://cognito-idp.us-east-1.{base}/.well-known/jwks.json")
                ),
            ])
        );
        let discovered = Pool::new("eu-west-1_Ab12")
            .any_client()
            .discover_jwks_uri()
            .resolve_alone();
        assert_eq!(
            discovered.map(|r| r.issuers[0].keys.clone()),
            Ok(KeyLocation::Discovery {
                config_url: format!(
                    "https://cognito-idp.eu-west-1.{base}/.well-known/openid-configuration"
                ),
                issuer: format!("https://cognito-idp.eu-west-1.{base}"),
            })
        );
        let kind = |p: Pool| {
            p.any_client()
                .resolve_alone()
                .map(drop)
                .map_err(|e| e.kind().as_str())
        };
        assert_eq!(
            kind(Pool::new("eu-west-1_A").replica_region("evil.com/x")),
            Err("invalid_region")
        );
        assert_eq!(
            kind(
                Pool::new("eu-west-1_A")
                    .discover_jwks_uri()
                    .jwks_uri("https://x/j")
            ),
            Err("conflicting_key_location")
        );
        assert_eq!(
            kind(Pool::new("eu-west-1_A").additional_issuer("https://x/p", "ftp://x")),
            Err("invalid_url")
        );
    }

    #[test]
    fn client_policy_must_be_explicit() {
        let kind = |p: Pool| p.resolve_alone().map(drop).map_err(|e| e.kind().as_str());
        assert_eq!(kind(Pool::new("eu-west-1_A")), Err("missing_client_policy"));
        assert_eq!(
            kind(Pool::new("eu-west-1_A").client_id("")),
            Err("empty_client_id")
        );
        assert_eq!(
            kind(Pool::new("eu-west-1_A").client_id("c").any_client()),
            Err("conflicting_client_policy")
        );
        assert_eq!(
            kind(
                Pool::new("eu-west-1_A")
                    .jwks_uri("file:///etc/passwd")
                    .any_client()
            ),
            Err("invalid_url")
        );
        assert_eq!(
            kind(Pool::new("eu-west-1_A").issuer("not a url").any_client()),
            Err("invalid_url")
        );
    }
}
