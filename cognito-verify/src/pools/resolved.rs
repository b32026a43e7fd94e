//! Pools found by a [`PoolResolver`] at run time: the answers held (pools with their keys, and
//! refusals), one resolver call per issuer at a time, and the budget for new issuers.
//!
//! Rules:
//! - Only an `iss` of a pool's shape ([`UnknownIssuer::parse`]) reaches the resolver; any other
//!   unknown issuer is `invalid_issuer` at once.
//! - Answers are held by the verifier's clock: a pool for the known TTL, a refusal for the
//!   unknown TTL, a failure (error or timeout) for [`RESOLVER_FAILURE_HOLD`]. While held, an
//!   answer is given without calling the resolver; memory is bounded separately (counts, and an
//!   idle time for pools), in real time.
//! - Lookups of one issuer are serialized on a per-issuer async lock (moka's entry API): the
//!   first calls the resolver, the others then find its answer.
//! - A call for an issuer with no answer held spends the [`Budget`]; an exhausted budget is a
//!   503 (`resolver_busy`) without a call. Re-asking about a pool whose answer expired does not
//!   spend it (there are at most as many such calls as pools held, once per TTL).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use moka::ops::compute::Op;

use super::budget::Budget;
use super::factory::PoolFactory;
use super::resolver::{PoolResolver, UnknownIssuer};
use super::settings::ResolverSettings;
use crate::clock::{Clock, unix_millis};
use crate::error::{Error, KeyFetchError};
use crate::verifier::IssuerRuntime;

/// How long a failed resolution (an error, a timeout, an unusable pool) is answered from memory:
/// one second, [`MIN_RETRY_AFTER`](crate::MIN_RETRY_AFTER), the wait the 503 asks clients for.
/// A broken resolver is then called at most once a second per issuer.
const RESOLVER_FAILURE_HOLD: Duration = Duration::from_secs(1);

/// A refusal held.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// The resolver said no: `invalid_issuer`.
    Unknown { until_ms: u64 },
    /// The resolver failed: `keys_unavailable`.
    Failed { until_ms: u64 },
}

/// What the held answers say about an issuer.
pub(crate) enum Held {
    /// A resolved pool, current.
    Pool(Arc<IssuerRuntime>),
    /// Refused, without asking.
    Refused(Error),
    /// Ask the resolver; `expired` when a pool was held and its answer has expired.
    Ask { expired: bool },
}

pub(crate) struct Resolved {
    resolver: Arc<dyn PoolResolver>,
    settings: ResolverSettings,
    clock: Arc<dyn Clock>,
    pools: moka::sync::Cache<Arc<str>, Arc<IssuerRuntime>, foldhash::fast::RandomState>,
    refused: moka::sync::Cache<Arc<str>, Refusal, foldhash::fast::RandomState>,
    /// Never holds a value: its per-key lock serializes the lookups of one issuer.
    lookups: moka::future::Cache<Arc<str>, (), foldhash::fast::RandomState>,
    budget: Budget,
    calls: AtomicU64,
}

impl Resolved {
    pub(crate) fn new(
        resolver: Arc<dyn PoolResolver>,
        settings: ResolverSettings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let hasher = foldhash::fast::RandomState::default;
        let pools = moka::sync::Cache::builder()
            .max_capacity(settings.max_pools)
            .time_to_idle(settings.pool_idle)
            .build_with_hasher(hasher());
        let refused = moka::sync::Cache::builder()
            .max_capacity(settings.max_unknown)
            .time_to_live(settings.unknown_ttl.max(RESOLVER_FAILURE_HOLD))
            .build_with_hasher(hasher());
        let lookups = moka::future::Cache::builder()
            .max_capacity(1)
            .build_with_hasher(hasher());
        let budget = Budget::new(
            settings.per_second,
            settings.burst,
            unix_millis(clock.now()),
        );
        Resolved {
            resolver,
            settings,
            clock,
            pools,
            refused,
            lookups,
            budget,
            calls: AtomicU64::new(0),
        }
    }

    /// The read path: what the held answers say about `iss`, without waiting.
    pub(crate) fn held(&self, iss: &str, now: SystemTime) -> Held {
        let now_ms = unix_millis(now);
        let mut expired = false;
        if let Some(pool) = self.pools.get(iss) {
            if pool.is_current(now_ms) {
                return Held::Pool(pool);
            }
            expired = true;
        }
        match self.refused.get(iss) {
            Some(Refusal::Unknown { until_ms }) if now_ms < until_ms => {
                Held::Refused(Error::InvalidIssuer)
            }
            Some(Refusal::Failed { until_ms }) if now_ms < until_ms => {
                Held::Refused(Error::KeysUnavailable(KeyFetchError::Resolver))
            }
            _ => Held::Ask { expired },
        }
    }

    /// Whether the resolver may be asked about `iss` at all (its shape).
    pub(crate) fn may_ask(&self, iss: &Arc<str>) -> Option<UnknownIssuer> {
        UnknownIssuer::parse(iss, &self.settings.prefixes)
    }

    /// The pool of `iss`: held, or asked of the resolver (one call per issuer at a time).
    pub(crate) async fn resolve(
        &self,
        factory: &PoolFactory,
        iss: &Arc<str>,
    ) -> Result<Arc<IssuerRuntime>, Error> {
        let Some(candidate) = self.may_ask(iss) else {
            return Err(Error::InvalidIssuer);
        };
        // Set by the closure, which moka always runs; were it not, the token is refused (503).
        let mut answer = Err(Error::KeysUnavailable(KeyFetchError::Resolver));
        self.lookups
            .entry_by_ref(iss)
            .and_compute_with(|_| async {
                answer = self.resolve_alone(factory, candidate).await;
                Op::Nop
            })
            .await;
        answer
    }

    /// [`resolve`](Self::resolve) under the issuer's lock: an answer found since is used.
    async fn resolve_alone(
        &self,
        factory: &PoolFactory,
        candidate: UnknownIssuer,
    ) -> Result<Arc<IssuerRuntime>, Error> {
        let now_ms = unix_millis(self.clock.now());
        let iss: Arc<str> = candidate.issuer().into();
        match self.held(&iss, self.clock.now()) {
            Held::Pool(pool) => return Ok(pool),
            Held::Refused(error) => return Err(error),
            Held::Ask { expired: true } => {}
            Held::Ask { expired: false } => {
                if let Err(retry_in) = self.budget.take(now_ms) {
                    return Err(Error::KeysUnavailable(KeyFetchError::ResolverBusy {
                        retry_in,
                    }));
                }
            }
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        let asked = self.resolver.resolve(candidate);
        // Outside a Tokio runtime there is no timer: the resolver's own future is awaited.
        let asked = match tokio::runtime::Handle::try_current() {
            Ok(_) => tokio::time::timeout(self.settings.timeout, asked).await,
            Err(_) => Ok(asked.await),
        };
        let failed = |why: &dyn std::fmt::Display| {
            tracing::warn!(issuer = %iss, reason = %why, "pool resolver failed");
            self.refused.insert(
                iss.clone(),
                Refusal::Failed {
                    until_ms: add_ms(now_ms, RESOLVER_FAILURE_HOLD),
                },
            );
            Err(Error::KeysUnavailable(KeyFetchError::Resolver))
        };
        let pool = match asked {
            Ok(Ok(Some(pool))) => pool,
            Ok(Ok(None)) => {
                if let Some(old) = self.pools.remove(&iss) {
                    old.retire();
                }
                let until_ms = add_ms(now_ms, self.settings.unknown_ttl);
                self.refused.insert(iss, Refusal::Unknown { until_ms });
                return Err(Error::InvalidIssuer);
            }
            Ok(Err(error)) => return failed(&error),
            Err(_) => return failed(&"no answer within the timeout"),
        };
        let expires_ms = add_ms(now_ms, self.settings.known_ttl);
        let runtime = match factory.runtimes(&pool, expires_ms) {
            Ok(runtimes) => runtimes.into_iter().find(|r| *r.issuer == *iss),
            Err(error) => return failed(&format_args!("unusable pool: {error}")),
        };
        let Some(runtime) = runtime else {
            return failed(&"the pool answered does not have this issuer");
        };
        tracing::info!(issuer = %iss, pool = %runtime.user_pool_id, "pool resolved");
        self.refused.invalidate(&iss);
        if let Some(old) = self.pools.get(&iss) {
            old.retire();
        }
        self.pools.insert(iss, runtime.clone());
        Ok(runtime)
    }

    /// Forgets the pool `user_pool_id`: its issuers are retired and dropped. Returns whether
    /// one was held.
    pub(crate) fn forget(&self, user_pool_id: &str) -> bool {
        let mut found = false;
        for (iss, pool) in self.pools.iter() {
            if &*pool.user_pool_id == user_pool_id {
                pool.retire();
                self.pools.invalidate(&*iss);
                found = true;
            }
        }
        found
    }

    /// Forgets what is held for `iss` (a pool now configured takes its place).
    pub(crate) fn forget_issuer(&self, iss: &str) {
        self.pools.invalidate(iss);
        self.refused.invalidate(iss);
    }

    /// The resolved pools held now.
    pub(crate) fn pools(&self) -> Vec<Arc<IssuerRuntime>> {
        self.pools.iter().map(|(_, pool)| pool).collect()
    }

    /// How many times the resolver has been called.
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

fn add_ms(now_ms: u64, d: Duration) -> u64 {
    now_ms.saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
