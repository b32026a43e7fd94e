//! [`VerifierBuilder`]: everything a verifier can be told, checked once at `build()`.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::defaults;
use crate::error::ConfigError;
use crate::hook::VerifyHook;
use crate::jwks::{CacheSettings, FetchSettings};
use crate::pool::Pool;
use crate::pools::{
    IssuerMap, NEVER, PoolFactory, PoolResolver, Pools, Resolved, ResolverSettings,
};
use crate::rules::PolicySettings;
use crate::rules::requirement::Requirement;
use crate::rules::token_use::TokenUse;
use crate::token_cache::TokenCache;
use crate::verifier::Verifier;

/// Builds a [`Verifier`]. Start with [`Verifier::builder`].
///
/// Required: at least one [`Pool`] (with its app clients, or `any_client()`) or a
/// [`PoolResolver`], and the [`TokenUse`] (here, or on every pool). Everything else has a documented default (see
/// [`defaults`](crate::defaults)).
///
/// The token use, scope and group requirements and leeway set here are the policy of every pool
/// that does not set its own (see [a policy per pool](Pool#a-policy-per-pool)).
#[must_use]
pub struct VerifierBuilder {
    pools: Vec<Pool>,
    /// The verifier-wide policy: the default of every pool.
    policy: PolicySettings,
    clock: Arc<dyn Clock>,
    hook: Option<Arc<dyn VerifyHook>>,
    fetch: FetchSettings,
    /// The user's HTTP client for key fetches, instead of the library's own.
    http_client: Option<reqwest::Client>,
    cache: CacheSettings,
    token_cache_max_bytes: u64,
    resolver: Option<Arc<dyn PoolResolver>>,
    resolver_settings: ResolverSettings,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        VerifierBuilder {
            pools: Vec::new(),
            policy: PolicySettings::default(),
            clock: Arc::new(SystemClock),
            hook: None,
            fetch: FetchSettings {
                connect_timeout: defaults::DEFAULT_JWKS_CONNECT_TIMEOUT,
                total_timeout: defaults::DEFAULT_JWKS_TOTAL_TIMEOUT,
                max_body_bytes: defaults::DEFAULT_JWKS_MAX_BODY_BYTES,
            },
            http_client: None,
            cache: CacheSettings {
                refresh_interval: defaults::DEFAULT_KEY_REFRESH_INTERVAL,
                max_staleness: defaults::DEFAULT_KEY_MAX_STALENESS,
                unknown_kid_cooldown: defaults::DEFAULT_UNKNOWN_KID_COOLDOWN,
                backoff_initial: defaults::DEFAULT_FETCH_BACKOFF_INITIAL,
                backoff_max: defaults::DEFAULT_FETCH_BACKOFF_MAX,
            },
            token_cache_max_bytes: defaults::DEFAULT_TOKEN_CACHE_MAX_BYTES,
            resolver: None,
            resolver_settings: ResolverSettings::default(),
        }
    }
}

impl VerifierBuilder {
    /// Adds a user pool. With several, each token's `iss` chooses its pool (multi-tenant).
    pub fn pool(mut self, pool: Pool) -> Self {
        self.pools.push(pool);
        self
    }

    /// Finds pools at run time: a token whose `iss` names no configured pool but has the form of
    /// a Cognito issuer is the resolver's to answer (see [`PoolResolver`], which is
    /// trust-bearing). With one, a verifier may have no pool configured at all. A resolved pool
    /// takes the policy set here unless it sets its own, like a configured one.
    pub fn pool_resolver(mut self, resolver: impl PoolResolver) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }

    /// How the resolver's answers are cached and bounded (default: [`ResolverSettings::default`]).
    pub fn resolver_settings(mut self, settings: ResolverSettings) -> Self {
        self.resolver_settings = settings;
        self
    }

    /// Which tokens to accept: access, id or either. Required, unless every pool sets its own
    /// ([`Pool::token_use`]).
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.policy.token_use = Some(token_use);
        self
    }

    /// Every token must meet this scope requirement (`scope` claim; id tokens have none), unless
    /// its pool sets its own ([`Pool::require_scopes`]).
    pub fn require_scopes(mut self, required: Requirement) -> Self {
        self.policy.scopes = Some(required);
        self
    }

    /// Every token's user must meet this group requirement (`cognito:groups`), unless its pool
    /// sets its own ([`Pool::require_groups`]).
    pub fn require_groups(mut self, required: Requirement) -> Self {
        self.policy.groups = Some(required);
        self
    }

    /// Clock-skew leeway for `exp`, `nbf` and `iat` (default [`DEFAULT_LEEWAY`](defaults::DEFAULT_LEEWAY)),
    /// unless a token's pool sets its own ([`Pool::leeway`]).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.policy.leeway = Some(leeway);
        self
    }

    /// The clock for every time decision (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// A custom check run after every built-in rule.
    pub fn hook(mut self, hook: impl VerifyHook) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Connect timeout of JWKS fetches (default [`DEFAULT_JWKS_CONNECT_TIMEOUT`](defaults::DEFAULT_JWKS_CONNECT_TIMEOUT)).
    pub fn jwks_connect_timeout(mut self, timeout: Duration) -> Self {
        self.fetch.connect_timeout = timeout;
        self
    }

    /// Total deadline of one JWKS fetch, body included (default [`DEFAULT_JWKS_TOTAL_TIMEOUT`](defaults::DEFAULT_JWKS_TOTAL_TIMEOUT)).
    pub fn jwks_timeout(mut self, timeout: Duration) -> Self {
        self.fetch.total_timeout = timeout;
        self
    }

    /// Largest JWKS body accepted (default [`DEFAULT_JWKS_MAX_BODY_BYTES`](defaults::DEFAULT_JWKS_MAX_BODY_BYTES)).
    pub fn jwks_max_body_bytes(mut self, bytes: usize) -> Self {
        self.fetch.max_body_bytes = bytes;
        self
    }

    /// Fetches keys (and discovery documents) with this HTTP client instead of one built by the
    /// library: for a corporate proxy, custom root certificates, or a connection pool shared
    /// with the rest of the service. It must be a `reqwest` 0.13 client (the version this crate
    /// uses).
    ///
    /// The library's limits still apply to each of its requests:
    /// - the total deadline ([`jwks_timeout`](Self::jwks_timeout)), set on every request (it
    ///   replaces the client's own timeout for these requests) and enforced around the whole
    ///   fetch;
    /// - the body size cap ([`jwks_max_body_bytes`](Self::jwks_max_body_bytes)), applied while
    ///   the body is read (to the decoded bytes, if the client decompresses);
    /// - no redirect is used: a `3xx` answer, or an answer from another URL than the one
    ///   requested (a client that follows redirects), is refused as a failed fetch
    ///   ([`KeyFetchError::Redirect`](crate::KeyFetchError::Redirect)).
    ///
    /// What cannot be applied to a client built elsewhere, and is the client's own:
    /// - the connect timeout ([`jwks_connect_timeout`](Self::jwks_connect_timeout) is ignored; a
    ///   connection attempt is still bounded by the total deadline);
    /// - the redirect policy: a client that follows redirects does send the follow-up request
    ///   (its answer is then refused, never used); build it with
    ///   `.redirect(reqwest::redirect::Policy::none())` so that none is sent;
    /// - proxies, TLS settings and root certificates, HTTP versions, default headers, and the
    ///   `User-Agent` (the library's own client sends `cognito-verify/<version>`).
    ///
    /// ```
    /// use cognito_verify::{Pool, TokenUse, Verifier};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()?;
    /// let verifier = Verifier::builder()
    ///     .pool(Pool::new("eu-west-1_AbCdEf123").client_id("1example23456789"))
    ///     .token_use(TokenUse::Access)
    ///     .http_client(client)
    ///     .build()?;
    /// # drop(verifier); Ok(()) }
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Age at which keys are refreshed in the background (default [`DEFAULT_KEY_REFRESH_INTERVAL`](defaults::DEFAULT_KEY_REFRESH_INTERVAL)).
    pub fn key_refresh_interval(mut self, interval: Duration) -> Self {
        self.cache.refresh_interval = interval;
        self
    }

    /// Age past which keys that could not be refreshed stop being used (default [`DEFAULT_KEY_MAX_STALENESS`](defaults::DEFAULT_KEY_MAX_STALENESS)).
    pub fn key_max_staleness(mut self, staleness: Duration) -> Self {
        self.cache.max_staleness = staleness;
        self
    }

    /// Minimum time between refetches caused by unknown kids (default [`DEFAULT_UNKNOWN_KID_COOLDOWN`](defaults::DEFAULT_UNKNOWN_KID_COOLDOWN)).
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.cache.unknown_kid_cooldown = cooldown;
        self
    }

    /// Back-off after failed fetches: first wait and longest wait (defaults
    /// [`DEFAULT_FETCH_BACKOFF_INITIAL`](defaults::DEFAULT_FETCH_BACKOFF_INITIAL) and
    /// [`DEFAULT_FETCH_BACKOFF_MAX`](defaults::DEFAULT_FETCH_BACKOFF_MAX)).
    pub fn fetch_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.cache.backoff_initial = initial;
        self.cache.backoff_max = max.max(initial);
        self
    }

    /// Memory budget of the verified-token cache in bytes; 0 disables it (default
    /// [`DEFAULT_TOKEN_CACHE_MAX_BYTES`](defaults::DEFAULT_TOKEN_CACHE_MAX_BYTES)).
    pub fn token_cache_max_bytes(mut self, bytes: u64) -> Self {
        self.token_cache_max_bytes = bytes;
        self
    }

    /// Checks the configuration and builds the verifier. Does not fetch keys: call
    /// [`Verifier::prefetch`] at start-up for that.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        if self.pools.is_empty() && self.resolver.is_none() {
            return Err(ConfigError::NoPools);
        }
        self.policy.check()?;
        self.resolver_settings.check()?;
        let factory = PoolFactory::new(
            self.clock.clone(),
            self.policy.clone(),
            self.fetch,
            self.http_client,
            self.cache,
        );
        let mut issuers = IssuerMap::default();
        for pool in &self.pools {
            issuers.insert_pool(&factory.runtimes(pool, NEVER)?)?;
        }
        let resolved = self
            .resolver
            .map(|resolver| Resolved::new(resolver, self.resolver_settings, self.clock.clone()));
        let pools = Pools::new(issuers, resolved, factory);
        let token_cache =
            (self.token_cache_max_bytes > 0).then(|| TokenCache::new(self.token_cache_max_bytes));
        Ok(Verifier::from_parts(
            pools,
            self.clock,
            self.hook,
            token_cache,
        ))
    }
}
