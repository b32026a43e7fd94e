//! Turning a [`Pool`] into ready-to-verify issuers: at `build()`, for [`Verifier::add_pool`] and
//! for the answers of a [`PoolResolver`](super::PoolResolver), all in one place.
//!
//! [`Verifier::add_pool`]: crate::Verifier::add_pool

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::clock::Clock;
use crate::error::ConfigError;
use crate::jwks::{CacheSettings, FetchSettings, Fetcher, KeySet, KeySource};
use crate::pool::Pool;
use crate::rules::PolicySettings;
use crate::verifier::IssuerRuntime;

/// What every pool shares: the verifier-wide policy (the default of each pool's own), the clock,
/// the fetch and cache settings, one HTTP client.
pub(crate) struct PoolFactory {
    clock: Arc<dyn Clock>,
    policy: PolicySettings,
    fetch: FetchSettings,
    /// The user's HTTP client for key fetches, instead of the library's own.
    http_client: Option<reqwest::Client>,
    cache: CacheSettings,
    /// One HTTP client (connection pool) for every pool that fetches; made when the first one
    /// needs it, so a verifier whose keys are all preloaded has none.
    fetcher: OnceLock<Fetcher>,
    /// The index the next pool gets: configuration order, then the order pools are added or
    /// resolved in; never reused.
    next_pool: AtomicUsize,
}

/// An issuer's answers never expire (configured and added pools).
pub(crate) const NEVER: u64 = u64::MAX;

impl PoolFactory {
    pub(crate) fn new(
        clock: Arc<dyn Clock>,
        policy: PolicySettings,
        fetch: FetchSettings,
        http_client: Option<reqwest::Client>,
        cache: CacheSettings,
    ) -> Self {
        PoolFactory {
            clock,
            policy,
            fetch,
            http_client,
            cache,
            fetcher: OnceLock::new(),
            next_pool: AtomicUsize::new(0),
        }
    }

    /// The issuers of `pool`, each with its own key cache, valid until `expires_ms` (Unix
    /// milliseconds by the verifier's clock, or [`NEVER`]).
    pub(crate) fn runtimes(
        &self,
        pool: &Pool,
        expires_ms: u64,
    ) -> Result<Vec<Arc<IssuerRuntime>>, ConfigError> {
        let resolved = pool.resolve(&self.policy)?;
        let index = self.next_pool.fetch_add(1, Ordering::Relaxed);
        let user_pool_id: Arc<str> = resolved.id.as_str().into();
        let mut runtimes = Vec::with_capacity(resolved.issuers.len());
        for (position, issuer) in resolved.issuers.into_iter().enumerate() {
            // A static set serves every issuer of the pool and never fetches; a preloaded set is
            // the main issuer's (the first), as if just fetched.
            let preloaded = pool
                .preloaded
                .as_ref()
                .filter(|p| !p.fetches || position == 0);
            let set = preloaded
                .map(|p| KeySet::parse(p.json.as_bytes(), self.clock.now()))
                .transpose()
                .map_err(|_| ConfigError::InvalidStaticJwks {
                    pool: resolved.id.clone(),
                })?;
            let clock = self.clock.clone();
            let keys = match (set, preloaded.is_some_and(|p| p.fetches)) {
                (Some(set), false) => {
                    let label = format!("static:{}", resolved.id);
                    KeySource::fixed(label, set, clock, self.cache)
                }
                (set, _) => {
                    let fetcher = self.fetcher()?;
                    let location = issuer.keys.clone();
                    match set {
                        Some(set) => KeySource::hydrated(location, fetcher, set, clock, self.cache),
                        None => KeySource::remote(location, fetcher, clock, self.cache),
                    }
                }
            };
            // The age of the keys is a metric labelled by pool id: for the pools the operator
            // named (configured or added), not for resolved ones, whose number has no fixed bound.
            if position == 0 && expires_ms == NEVER {
                keys.observe.report_age_as(&resolved.id);
            }
            runtimes.push(Arc::new(IssuerRuntime {
                pool: index,
                user_pool_id: user_pool_id.clone(),
                keys_at: issuer.keys.url().to_owned(),
                issuer: issuer.issuer,
                policy: resolved.policy.clone(),
                keys: Arc::new(keys),
                live: AtomicBool::new(true),
                expires_ms,
            }));
        }
        Ok(runtimes)
    }

    fn fetcher(&self) -> Result<Fetcher, ConfigError> {
        if let Some(fetcher) = self.fetcher.get() {
            return Ok(fetcher.clone());
        }
        let made = match &self.http_client {
            Some(client) => Fetcher::with_client(client.clone(), self.fetch),
            None => Fetcher::new(self.fetch)?,
        };
        // Two pools added at once may both have made one: the first stored is everyone's.
        Ok(self.fetcher.get_or_init(|| made).clone())
    }
}
