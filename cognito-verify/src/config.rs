//! [`VerifierBuilder`]: everything a verifier can be told, checked once at `build()`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::defaults;
use crate::error::ConfigError;
use crate::hook::VerifyHook;
use crate::jwks::{CacheSettings, FetchSettings, Fetcher, KeySet, KeySource};
use crate::pool::Pool;
use crate::rules::Policy;
use crate::rules::requirement::Requirement;
use crate::rules::token_use::TokenUse;
use crate::token_cache::TokenCache;
use crate::verifier::{IssuerRuntime, Verifier};

/// Builds a [`Verifier`]. Start with [`Verifier::builder`].
///
/// Required: at least one [`Pool`] (with its app clients, or `any_client()`), and the
/// [`TokenUse`]. Everything else has a documented default (see [`defaults`](crate::defaults)).
#[must_use]
pub struct VerifierBuilder {
    pools: Vec<Pool>,
    token_use: Option<TokenUse>,
    scopes: Option<Requirement>,
    groups: Option<Requirement>,
    leeway: Duration,
    clock: Arc<dyn Clock>,
    hook: Option<Arc<dyn VerifyHook>>,
    fetch: FetchSettings,
    cache: CacheSettings,
    token_cache_max_bytes: u64,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        VerifierBuilder {
            pools: Vec::new(),
            token_use: None,
            scopes: None,
            groups: None,
            leeway: defaults::DEFAULT_LEEWAY,
            clock: Arc::new(SystemClock),
            hook: None,
            fetch: FetchSettings {
                connect_timeout: defaults::DEFAULT_JWKS_CONNECT_TIMEOUT,
                total_timeout: defaults::DEFAULT_JWKS_TOTAL_TIMEOUT,
                max_body_bytes: defaults::DEFAULT_JWKS_MAX_BODY_BYTES,
            },
            cache: CacheSettings {
                refresh_interval: defaults::DEFAULT_KEY_REFRESH_INTERVAL,
                max_staleness: defaults::DEFAULT_KEY_MAX_STALENESS,
                unknown_kid_cooldown: defaults::DEFAULT_UNKNOWN_KID_COOLDOWN,
                backoff_initial: defaults::DEFAULT_FETCH_BACKOFF_INITIAL,
                backoff_max: defaults::DEFAULT_FETCH_BACKOFF_MAX,
            },
            token_cache_max_bytes: defaults::DEFAULT_TOKEN_CACHE_MAX_BYTES,
        }
    }
}

impl VerifierBuilder {
    /// Adds a user pool. With several, each token's `iss` chooses its pool (multi-tenant).
    pub fn pool(mut self, pool: Pool) -> Self {
        self.pools.push(pool);
        self
    }

    /// Which tokens to accept: access, id or either. Required.
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.token_use = Some(token_use);
        self
    }

    /// Every token must meet this scope requirement (`scope` claim; id tokens have none).
    pub fn require_scopes(mut self, required: Requirement) -> Self {
        self.scopes = Some(required);
        self
    }

    /// Every token's user must meet this group requirement (`cognito:groups`).
    pub fn require_groups(mut self, required: Requirement) -> Self {
        self.groups = Some(required);
        self
    }

    /// Clock-skew leeway for `exp`, `nbf` and `iat` (default [`DEFAULT_LEEWAY`](defaults::DEFAULT_LEEWAY)).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
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
        if self.pools.is_empty() {
            return Err(ConfigError::NoPools);
        }
        let token_use = self.token_use.ok_or(ConfigError::MissingTokenUse)?;
        for requirement in [&self.scopes, &self.groups].into_iter().flatten() {
            if requirement.is_empty() {
                return Err(ConfigError::EmptyRequirement);
            }
        }
        // One HTTP client (connection pool) for every pool that fetches; none when all keys are
        // preloaded.
        let mut fetcher: Option<Fetcher> = None;
        let mut seen = HashSet::new();
        let mut issuers = Vec::new();
        for (pool_index, pool) in self.pools.iter().enumerate() {
            let resolved = pool.resolve()?;
            for (index, issuer) in resolved.issuers.into_iter().enumerate() {
                if !seen.insert(issuer.issuer.clone()) {
                    return Err(ConfigError::DuplicateIssuer {
                        issuer: issuer.issuer,
                    });
                }
                // A static set serves every issuer of the pool and never fetches; a preloaded
                // set is the main issuer's (the first), as if just fetched.
                let preloaded = pool.preloaded.as_ref().filter(|p| !p.fetches || index == 0);
                let set = preloaded
                    .map(|p| KeySet::parse(p.json.as_bytes(), self.clock.now()))
                    .transpose()
                    .map_err(|_| ConfigError::InvalidStaticJwks {
                        pool: resolved.id.clone(),
                    })?;
                let keys = match (set, preloaded.is_some_and(|p| p.fetches)) {
                    (Some(set), false) => {
                        let label = format!("static:{}", resolved.id);
                        KeySource::fixed(label, set, self.clock.clone(), self.cache)
                    }
                    (set, _) => {
                        let fetcher = match &fetcher {
                            Some(fetcher) => fetcher.clone(),
                            None => fetcher.insert(Fetcher::new(self.fetch)?).clone(),
                        };
                        let (location, clock) = (issuer.keys.clone(), self.clock.clone());
                        match set {
                            Some(set) => {
                                KeySource::hydrated(location, fetcher, set, clock, self.cache)
                            }
                            None => KeySource::remote(location, fetcher, clock, self.cache),
                        }
                    }
                };
                if index == 0 {
                    keys.observe.report_age_as(&resolved.id);
                }
                issuers.push(IssuerRuntime {
                    pool: pool_index,
                    user_pool_id: resolved.id.as_str().into(),
                    issuer: issuer.issuer,
                    keys_at: issuer.keys.url().to_owned(),
                    clients: resolved.clients.clone(),
                    keys: Arc::new(keys),
                });
            }
        }
        let policy = Policy {
            token_use,
            leeway_secs: self.leeway.as_secs(),
            scopes: self.scopes,
            groups: self.groups,
        };
        let token_cache =
            (self.token_cache_max_bytes > 0).then(|| TokenCache::new(self.token_cache_max_bytes));
        Ok(Verifier::from_parts(
            issuers,
            policy,
            self.clock,
            self.hook,
            token_cache,
        ))
    }
}
