//! The key cache of one JWKS URI: lock-free reads, coalesced fetches, refresh, back-off and the
//! unknown-`kid` cooldown.
//!
//! Read path: one `ArcSwap` load, no lock, no reference-count write. Everything else — starting a
//! fetch, joining one in flight, recording a failure — happens on the slow path under a mutex
//! that the read path never takes.
//!
//! Rules, in the order they apply:
//! - A key set younger than the refresh interval is used as is.
//! - Older than that, it is still used, and a refresh starts in the background (one at a time,
//!   never during a back-off).
//! - Older than the maximum staleness, it is no longer used: the request waits for a fetch, and
//!   answers "keys unavailable" if that fails or the verifier is backing off.
//! - A `kid` missing from the held set triggers a refetch: at once for the first such miss, then
//!   at most once per cooldown. A set fetched (or joined) for an unknown `kid` is final for the
//!   request.
//! - A set fetched (or joined) because none was usable (a cold start, or keys past their
//!   staleness) may predate a rotation the token already comes from: when it lacks the `kid`,
//!   that miss is an unknown `kid` like any other (at once the first time, then at most once per
//!   cooldown, joining a fetch in flight). So one verify causes at most one fetch plus one
//!   refetch, and a flood of unknown kids still at most one refetch per cooldown.
//! - Every fetch runs in its own task (so it completes even if the request that started it is
//!   dropped) and every concurrent waiter shares it: at most one fetch in flight per URI.
//! - After a failure, no fetch is attempted until the back-off (doubling from the initial to the
//!   maximum, or the endpoint's `Retry-After` if longer) has passed.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};

use super::fetch::Fetcher;
use super::keyset::{Key, KeySet};
use crate::clock::{Clock, elapsed, unix_millis};
use crate::error::{Error, KeyFetchError};
use crate::observe::{self, KeysWatch};
use crate::pool::KeyLocation;

/// Timing of the key cache.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CacheSettings {
    pub(crate) refresh_interval: Duration,
    pub(crate) max_staleness: Duration,
    pub(crate) unknown_kid_cooldown: Duration,
    pub(crate) backoff_initial: Duration,
    pub(crate) backoff_max: Duration,
}

type FetchResult = Result<Arc<KeySet>, KeyFetchError>;
type SharedFetch = Shared<BoxFuture<'static, FetchResult>>;

/// Why the read path could not answer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup {
    /// No key set young enough to use.
    NoKeys,
    /// A usable set without the `kid`; its generation.
    UnknownKid { generation: u64 },
}

/// State only the slow path touches.
#[derive(Default)]
struct Slow {
    inflight: Option<SharedFetch>,
    failures: u32,
    last_error: Option<KeyFetchError>,
    retry_not_before: Option<SystemTime>,
    last_unknown_kid_refetch: Option<SystemTime>,
}

/// The cached keys of one JWKS URI.
pub(crate) struct KeySource {
    location: KeyLocation,
    /// `None` for a preloaded, never-refreshed key set.
    fetcher: Option<Fetcher>,
    clock: Arc<dyn Clock>,
    settings: CacheSettings,
    current: ArcSwapOption<KeySet>,
    slow: Mutex<Slow>,
    /// Hints for the read path, so it decides whether to start a background refresh without
    /// taking the mutex: a fetch is in flight / no attempt before this many ms after the epoch.
    fetch_in_flight: AtomicBool,
    retry_not_before_ms: AtomicU64,
    fetch_count: AtomicU64,
    generations: AtomicU64,
    /// Its rate-limited warnings and the age of its keys (metrics).
    pub(crate) observe: KeysWatch,
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySource")
            .field("location", &self.location)
            .field("static", &self.fetcher.is_none())
            .finish_non_exhaustive()
    }
}

impl KeySource {
    /// A source that fetches from `location`.
    pub(crate) fn remote(
        location: KeyLocation,
        fetcher: Fetcher,
        clock: Arc<dyn Clock>,
        settings: CacheSettings,
    ) -> Self {
        Self::new(location, Some(fetcher), None, clock, settings)
    }

    /// A source that starts with a preloaded key set, treated like one just fetched from
    /// `location` (refreshed, expired and refetched for an unknown `kid` as usual).
    pub(crate) fn hydrated(
        location: KeyLocation,
        fetcher: Fetcher,
        set: KeySet,
        clock: Arc<dyn Clock>,
        settings: CacheSettings,
    ) -> Self {
        Self::new(
            location,
            Some(fetcher),
            Some(Arc::new(set)),
            clock,
            settings,
        )
    }

    /// A source that serves a preloaded key set and never fetches.
    pub(crate) fn fixed(
        label: String,
        set: KeySet,
        clock: Arc<dyn Clock>,
        settings: CacheSettings,
    ) -> Self {
        Self::new(
            KeyLocation::Jwks(label),
            None,
            Some(Arc::new(set)),
            clock,
            settings,
        )
    }

    fn new(
        location: KeyLocation,
        fetcher: Option<Fetcher>,
        set: Option<Arc<KeySet>>,
        clock: Arc<dyn Clock>,
        settings: CacheSettings,
    ) -> Self {
        KeySource {
            location,
            fetcher,
            clock,
            settings,
            current: ArcSwapOption::new(set),
            slow: Mutex::new(Slow::default()),
            fetch_in_flight: AtomicBool::new(false),
            retry_not_before_ms: AtomicU64::new(0),
            fetch_count: AtomicU64::new(0),
            generations: AtomicU64::new(0),
            observe: KeysWatch::default(),
        }
    }

    /// How old the held key set is, if there is one.
    fn keys_age(&self) -> Option<Duration> {
        let set = self.current.load();
        Some(elapsed(set.as_deref()?.fetched_at, self.clock.now()))
    }

    /// How many fetches this source has started.
    pub(crate) fn fetch_count(&self) -> u64 {
        self.fetch_count.load(Ordering::Relaxed)
    }

    /// Waits until no fetch of this source is in flight (each one's outcome recorded).
    #[cfg(feature = "testing")]
    pub(crate) async fn fetches_finished(&self) {
        loop {
            let inflight = self.lock().inflight.clone();
            match inflight {
                Some(fetch) => drop(fetch.await),
                None => return,
            }
        }
    }

    /// The read path: runs `f` with the key for `kid` if a usable set has it.
    pub(crate) fn with_key<R>(
        self: &Arc<Self>,
        kid: &str,
        now: SystemTime,
        f: impl FnOnce(&Key) -> R,
    ) -> Result<R, Lookup> {
        let guard = self.current.load();
        let Some(set) = guard.as_deref() else {
            return Err(Lookup::NoKeys);
        };
        if self.fetcher.is_some() {
            let age = elapsed(set.fetched_at, now);
            if age > self.settings.max_staleness {
                self.warn_stale(age, now);
                return Err(Lookup::NoKeys);
            }
            if age >= self.settings.refresh_interval {
                self.refresh_in_background(now);
            }
        }
        match set.get(kid) {
            Some(key) => Ok(f(key)),
            None => Err(Lookup::UnknownKid {
                generation: set.generation,
            }),
        }
    }

    /// The slow path: obtains a set holding `kid`, fetching (at most once) as the rules allow.
    pub(crate) async fn resolve(
        self: &Arc<Self>,
        kid: &str,
        miss: Lookup,
    ) -> Result<Arc<KeySet>, Error> {
        let fetch = self.plan_fetch(kid, miss)?;
        let set = fetch.await.map_err(Error::KeysUnavailable)?;
        if set.get(kid).is_some() {
            return Ok(set);
        }
        if let Lookup::UnknownKid { .. } = miss {
            // Fetched for this very kid: final.
            return Err(Error::UnknownKid);
        }
        // Fetched because no set was usable: this is the first look at the kid in a fresh set,
        // an unknown kid under the usual rules.
        let unknown = Lookup::UnknownKid {
            generation: set.generation,
        };
        let refetch = self.plan_fetch(kid, unknown)?;
        let set = refetch.await.map_err(Error::KeysUnavailable)?;
        match set.get(kid) {
            Some(_) => Ok(set),
            None => Err(Error::UnknownKid),
        }
    }

    /// For a caller that cannot wait: starts (or joins) in the background the fetch
    /// [`resolve`](Self::resolve) would wait for, or answers what it would answer without
    /// fetching (an unknown `kid` within the cooldown, a back-off). Without a Tokio runtime
    /// nothing is started (the fetch would have nothing to run on).
    pub(crate) fn fetch_in_background(
        self: &Arc<Self>,
        kid: &str,
        miss: Lookup,
    ) -> Result<(), Error> {
        if self.fetcher.is_none() {
            // A preloaded set is final.
            return Err(Error::UnknownKid);
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            // The fetch runs in its own task; the slow path keeps it for later callers.
            drop(self.plan_fetch(kid, miss)?);
        }
        Ok(())
    }

    /// Decides, under the slow-path lock, whether this miss may fetch (or join a fetch).
    fn plan_fetch(self: &Arc<Self>, kid: &str, miss: Lookup) -> Result<SharedFetch, Error> {
        let now = self.clock.now();
        let mut slow = self.lock();
        if let Some(fetch) = &slow.inflight {
            return Ok(fetch.clone());
        }
        if self.fetcher.is_none() {
            return Err(Error::UnknownKid);
        }
        match miss {
            Lookup::NoKeys => {
                // Another request may have fetched since our read.
                if let Some(ready) = self.current_if(kid, |set| {
                    elapsed(set.fetched_at, now) <= self.settings.max_staleness
                }) {
                    return Ok(ready);
                }
                self.backoff_check(&slow, now)?;
            }
            Lookup::UnknownKid { generation } => {
                // Another request may have fetched a newer set since our read.
                if let Some(ready) = self.current_if(kid, |set| set.generation != generation) {
                    return Ok(ready);
                }
                self.backoff_check(&slow, now)?;
                let cooling = slow
                    .last_unknown_kid_refetch
                    .is_some_and(|last| elapsed(last, now) < self.settings.unknown_kid_cooldown);
                if cooling {
                    return Err(Error::UnknownKid);
                }
                slow.last_unknown_kid_refetch = Some(now);
                tracing::debug!(uri = %self.location.url(), "unknown kid: refetching the key set");
            }
        }
        Ok(self.start_fetch(&mut slow))
    }

    /// The current set as an already-finished fetch, if it has `kid` and passes `usable`.
    fn current_if(&self, kid: &str, usable: impl Fn(&KeySet) -> bool) -> Option<SharedFetch> {
        let set = self.current.load_full()?;
        (usable(&set) && set.get(kid).is_some())
            .then(|| futures_util::future::ready(Ok(set)).boxed().shared())
    }

    fn backoff_check(&self, slow: &Slow, now: SystemTime) -> Result<(), Error> {
        match slow.retry_not_before {
            Some(not_before) if now < not_before => {
                Err(Error::KeysUnavailable(KeyFetchError::BackingOff {
                    last: Box::new(slow.last_error.clone().unwrap_or(KeyFetchError::Request)),
                    retry_in: elapsed(now, not_before),
                }))
            }
            _ => Ok(()),
        }
    }

    /// Fetches now (joining a fetch in flight), whatever the back-off: for start-up.
    pub(crate) async fn prefetch(self: &Arc<Self>) -> Result<(), KeyFetchError> {
        if self.fetcher.is_none() {
            return Ok(());
        }
        let fetch = {
            let mut slow = self.lock();
            self.start_fetch(&mut slow)
        };
        fetch.await.map(drop)
    }

    fn refresh_in_background(self: &Arc<Self>, now: SystemTime) {
        if self.fetch_in_flight.load(Ordering::Relaxed)
            || unix_millis(now) < self.retry_not_before_ms.load(Ordering::Relaxed)
            || tokio::runtime::Handle::try_current().is_err()
        {
            return;
        }
        let mut slow = self.lock();
        if slow.inflight.is_none() && self.backoff_check(&slow, now).is_ok() {
            tracing::debug!(uri = %self.location.url(), "key set is due for refresh: refreshing in the background");
            drop(self.start_fetch(&mut slow));
        }
    }

    /// Starts a fetch in its own task, or returns the one in flight.
    fn start_fetch(self: &Arc<Self>, slow: &mut Slow) -> SharedFetch {
        if let Some(fetch) = &slow.inflight {
            return fetch.clone();
        }
        let this = Arc::clone(self);
        let task = async move {
            let timer = observe::FetchTimer::start();
            let result = match &this.fetcher {
                Some(fetcher) => {
                    fetcher
                        .fetch(&this.location, this.clock.now())
                        .await
                        .map(|mut set| {
                            set.generation = this.generations.fetch_add(1, Ordering::Relaxed) + 1;
                            Arc::new(set)
                        })
                }
                None => Err(KeyFetchError::Request),
            };
            this.complete(&result);
            observe::key_fetch(timer, &result);
            if result.is_ok() {
                this.observe.keys_fetched(&this, Self::keys_age);
            }
            result
        };
        let fetch: BoxFuture<'static, FetchResult> = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let handle = runtime.spawn(task);
                async move { handle.await.unwrap_or(Err(KeyFetchError::TaskFailed)) }.boxed()
            }
            // Without a runtime the fetch runs inside the waiting futures (it is then cancelled
            // if they all are).
            Err(_) => task.boxed(),
        };
        let fetch = fetch.shared();
        self.fetch_count.fetch_add(1, Ordering::Relaxed);
        self.fetch_in_flight.store(true, Ordering::Relaxed);
        slow.inflight = Some(fetch.clone());
        fetch
    }

    /// Records the outcome of a fetch (called by the fetch task itself).
    fn complete(&self, result: &FetchResult) {
        let now = self.clock.now();
        let mut slow = self.lock();
        slow.inflight = None;
        match result {
            Ok(set) => {
                tracing::info!(uri = %self.location.url(), keys = set.len(), kids = ?set.kids().collect::<Vec<_>>(), "fetched key set");
                self.current.store(Some(Arc::clone(set)));
                slow.failures = 0;
                slow.last_error = None;
                slow.retry_not_before = None;
                self.retry_not_before_ms.store(0, Ordering::Relaxed);
            }
            Err(error) => {
                slow.failures = slow.failures.saturating_add(1);
                let mut wait = backoff(&self.settings, slow.failures);
                if let KeyFetchError::RateLimited { retry_after } = error {
                    wait = wait.max(*retry_after);
                }
                let (uri, failures) = (self.location.url(), slow.failures);
                let retry_in_ms = wait.as_millis() as u64;
                match self.observe.fetch_failures.allow(now) {
                    Some(suppressed) => {
                        tracing::warn!(uri, %error, failures, retry_in_ms, suppressed, "key set fetch failed")
                    }
                    None => {
                        tracing::debug!(uri, %error, failures, retry_in_ms, "key set fetch failed")
                    }
                }
                let not_before = now + wait;
                slow.retry_not_before = Some(not_before);
                slow.last_error = Some(error.clone());
                self.retry_not_before_ms
                    .store(unix_millis(not_before), Ordering::Relaxed);
            }
        }
        self.fetch_in_flight.store(false, Ordering::Relaxed);
    }

    /// Says (at most once per [`observe::WARNING_INTERVAL`]) that the held keys are too old to use.
    #[cold]
    fn warn_stale(&self, age: Duration, now: SystemTime) {
        if let Some(suppressed) = self.observe.staleness.allow(now) {
            tracing::warn!(
                uri = self.location.url(),
                age_secs = age.as_secs(),
                max_staleness_secs = self.settings.max_staleness.as_secs(),
                suppressed,
                "held keys are past their maximum staleness: not used until a fetch succeeds"
            );
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slow> {
        // The state stays consistent even if a holder panicked: every update is a plain store.
        self.slow.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The wait after the `failures`-th consecutive failure: initial × 2^(failures-1), capped.
fn backoff(settings: &CacheSettings, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    settings
        .backoff_initial
        .saturating_mul(1 << doublings)
        .min(settings.backoff_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = CacheSettings {
            refresh_interval: Duration::from_secs(1),
            max_staleness: Duration::from_secs(1),
            unknown_kid_cooldown: Duration::from_secs(1),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
        };
        let waits: Vec<u64> = (1..=7).map(|n| backoff(&s, n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(backoff(&s, u32::MAX).as_secs(), 30);
    }
}
