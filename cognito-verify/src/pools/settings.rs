//! [`ResolverSettings`]: the bounds and lifetimes of what a [`PoolResolver`](super::PoolResolver)
//! answers.

use std::time::Duration;

use crate::defaults;
use crate::error::{ConfigError, UrlSetting};

/// How the answers of a [`PoolResolver`](crate::PoolResolver) are cached and bounded. Every
/// setting has a default in [`defaults`](crate::defaults).
///
/// ```
/// use cognito_verify::ResolverSettings;
/// use std::time::Duration;
///
/// let settings = ResolverSettings::default()
///     .issuer_prefix("http://localhost:9229/") // cognito-local's issuers too
///     .known_ttl(Duration::from_secs(15 * 60))
///     .budget(20, 100);
/// # let _ = settings;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ResolverSettings {
    pub(crate) prefixes: Vec<String>,
    pub(crate) known_ttl: Duration,
    pub(crate) unknown_ttl: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_pools: u64,
    pub(crate) pool_idle: Duration,
    pub(crate) max_unknown: u64,
    pub(crate) per_second: u32,
    pub(crate) burst: u32,
}

impl Default for ResolverSettings {
    fn default() -> Self {
        ResolverSettings {
            prefixes: Vec::new(),
            known_ttl: defaults::DEFAULT_RESOLVED_POOL_TTL,
            unknown_ttl: defaults::DEFAULT_UNKNOWN_ISSUER_TTL,
            timeout: defaults::DEFAULT_POOL_RESOLVER_TIMEOUT,
            max_pools: defaults::DEFAULT_MAX_RESOLVED_POOLS,
            pool_idle: defaults::DEFAULT_RESOLVED_POOL_IDLE,
            max_unknown: defaults::DEFAULT_MAX_UNKNOWN_ISSUERS,
            per_second: defaults::DEFAULT_POOL_RESOLUTIONS_PER_SECOND,
            burst: defaults::DEFAULT_POOL_RESOLUTION_BURST,
        }
    }
}

impl ResolverSettings {
    /// Also asks the resolver about issuers made of this prefix and a pool id (emulators:
    /// `http://localhost:9229/` for cognito-local). An absolute `http(s)` URL ending in `/`;
    /// everything after it must be a valid pool id. Call again for more. Keep it as narrow as
    /// your deployment allows: every issuer under it reaches your resolver.
    pub fn issuer_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefixes.push(prefix.into());
        self
    }

    /// How long a pool the resolver answered is used before it is asked again (default
    /// [`DEFAULT_RESOLVED_POOL_TTL`](defaults::DEFAULT_RESOLVED_POOL_TTL)), by the verifier's
    /// clock.
    pub fn known_ttl(mut self, ttl: Duration) -> Self {
        self.known_ttl = ttl;
        self
    }

    /// How long an issuer the resolver refused stays refused without asking again (default
    /// [`DEFAULT_UNKNOWN_ISSUER_TTL`](defaults::DEFAULT_UNKNOWN_ISSUER_TTL)), by the verifier's
    /// clock.
    pub fn unknown_ttl(mut self, ttl: Duration) -> Self {
        self.unknown_ttl = ttl;
        self
    }

    /// Longest wait for one answer; past it the token is refused as `keys_unavailable`
    /// (default [`DEFAULT_POOL_RESOLVER_TIMEOUT`](defaults::DEFAULT_POOL_RESOLVER_TIMEOUT)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Most resolved pools held, with their keys, and how long one unused is kept (defaults
    /// [`DEFAULT_MAX_RESOLVED_POOLS`](defaults::DEFAULT_MAX_RESOLVED_POOLS) and
    /// [`DEFAULT_RESOLVED_POOL_IDLE`](defaults::DEFAULT_RESOLVED_POOL_IDLE)). A pool evicted is
    /// resolved and its keys fetched again when its next token comes.
    pub fn max_pools(mut self, max_pools: u64, idle: Duration) -> Self {
        self.max_pools = max_pools;
        self.pool_idle = idle;
        self
    }

    /// Most refused issuers remembered (default
    /// [`DEFAULT_MAX_UNKNOWN_ISSUERS`](defaults::DEFAULT_MAX_UNKNOWN_ISSUERS)).
    pub fn max_unknown(mut self, max_unknown: u64) -> Self {
        self.max_unknown = max_unknown;
        self
    }

    /// The budget of resolver calls for issuers the verifier holds no answer for: `burst` at
    /// once, refilled at `per_second` (defaults
    /// [`DEFAULT_POOL_RESOLUTIONS_PER_SECOND`](defaults::DEFAULT_POOL_RESOLUTIONS_PER_SECOND) and
    /// [`DEFAULT_POOL_RESOLUTION_BURST`](defaults::DEFAULT_POOL_RESOLUTION_BURST)). Beyond it a
    /// token of a new issuer is refused as `keys_unavailable` (503, `Retry-After`) without
    /// calling the resolver, so a flood of made-up issuers costs at most
    /// `burst + per_second × seconds` calls. Issuers already answered (known, refused, or known
    /// and due for a fresh answer) do not spend it.
    pub fn budget(mut self, per_second: u32, burst: u32) -> Self {
        self.per_second = per_second;
        self.burst = burst;
        self
    }

    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        for prefix in &self.prefixes {
            let invalid = || ConfigError::InvalidUrl {
                what: UrlSetting::Issuer,
                url: prefix.clone(),
            };
            let url = reqwest::Url::parse(prefix).map_err(|_| invalid())?;
            let ok = matches!(url.scheme(), "https" | "http")
                && url.host_str().is_some()
                && prefix.ends_with('/')
                && url.query().is_none()
                && url.fragment().is_none();
            if !ok {
                return Err(invalid());
            }
        }
        Ok(())
    }
}
