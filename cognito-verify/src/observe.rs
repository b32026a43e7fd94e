//! What the library tells operators: metrics (feature `metrics`), the span of each verification
//! and warnings an attacker cannot turn into a flood of log lines.
//!
//! # Metrics
//!
//! With the feature `metrics`, the verifier records on the [`metrics`](https://docs.rs/metrics)
//! facade; install a recorder (e.g. `metrics-exporter-prometheus`) **before the first
//! verification**: the handles are registered once, on first use. Without the feature nothing is
//! recorded and nothing of this is compiled in. The names never change:
//!
//! | name | type | labels | what |
//! |---|---|---|---|
//! | [`cognito_verify_verifications_total`](VERIFICATIONS_TOTAL) | counter | `outcome` = `accepted` \| `rejected`, `kind` | every answer of `verify` and `try_verify` (and so of `HttpAuth::start`), counted once; `kind` is the [`ErrorKind`] name of a refusal, empty when accepted |
//! | [`cognito_verify_key_fetches_total`](KEY_FETCHES_TOTAL) | counter | `outcome` = `ok` \| a [`KeyFetchErrorKind`](crate::KeyFetchErrorKind) name | every key fetch the verifier made (JWKS, and ALB keys) |
//! | [`cognito_verify_key_fetch_seconds`](KEY_FETCH_SECONDS) | histogram | | how long each of those fetches took |
//! | [`cognito_verify_token_cache_hits_total`](TOKEN_CACHE_HITS_TOTAL) | counter | | verifications answered from the verified-token cache |
//! | [`cognito_verify_token_cache_misses_total`](TOKEN_CACHE_MISSES_TOTAL) | counter | | lookups in that cache that found nothing usable |
//! | [`cognito_verify_keys_age_seconds`](KEYS_AGE_SECONDS) | gauge | `pool` | age of the key set held for each configured user pool (its main issuer) |
//!
//! Labels are bounded: kinds are a fixed list and `pool` is a configured user pool id, never
//! anything read from a token. The key age is set at each successful fetch and then every
//! [`KEYS_AGE_REPORT_INTERVAL`] by a task that lives as long as the verifier, so it keeps growing
//! while the key endpoint is down (a preloaded key set is reported from its first fetch on; a
//! static one, never refreshed, is not reported): alert on it approaching the maximum staleness
//! ([`DEFAULT_KEY_MAX_STALENESS`](crate::defaults::DEFAULT_KEY_MAX_STALENESS) unless configured).
//!
//! # Logs
//!
//! A refused token is a `debug` event (its kind, never its contents), so a stream of garbage
//! tokens writes nothing at the usual `info` level. Each verification runs in a `debug` span
//! `verify` whose fields `pool`, `outcome` and `kind` are recorded as they become known; when no
//! subscriber wants `debug`, it costs a level check. Failed key fetches and key sets past their
//! maximum staleness are `warn` events, at most one per key URI per [`WARNING_INTERVAL`]; the
//! next one says how many were `suppressed` in between (the suppressed ones are `debug` events).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::Span;

use crate::error::{ErrorKind, KeyFetchError};

/// Counter of verifications, labelled `outcome` (`accepted` or `rejected`) and `kind` (the
/// refusal's [`ErrorKind`] name, empty when accepted).
pub const VERIFICATIONS_TOTAL: &str = "cognito_verify_verifications_total";
/// Counter of key fetches, labelled `outcome`: `ok` or the failure's
/// [`KeyFetchErrorKind`](crate::KeyFetchErrorKind) name.
pub const KEY_FETCHES_TOTAL: &str = "cognito_verify_key_fetches_total";
/// Histogram of the duration of key fetches, in seconds.
pub const KEY_FETCH_SECONDS: &str = "cognito_verify_key_fetch_seconds";
/// Counter of verifications answered from the verified-token cache.
pub const TOKEN_CACHE_HITS_TOTAL: &str = "cognito_verify_token_cache_hits_total";
/// Counter of verified-token cache lookups that found nothing usable.
pub const TOKEN_CACHE_MISSES_TOTAL: &str = "cognito_verify_token_cache_misses_total";
/// Gauge of the age of the key set held for a configured user pool, labelled `pool` (the user
/// pool id), in seconds.
pub const KEYS_AGE_SECONDS: &str = "cognito_verify_keys_age_seconds";

/// Longest a warning about one key URI stays unrepeated: at most one `warn` line per URI and
/// kind of warning per interval.
///
/// The back-off already spaces fetch failures (up to 30 s apart); a minute between lines still
/// shows an outage as it starts and while it lasts, and bounds an endpoint that stays down to
/// 60 lines an hour, however many requests arrive.
pub const WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// How often the age of each pool's key set is reported.
///
/// The usual scrape interval: the gauge is never more than one interval behind, against a
/// maximum staleness measured in hours.
pub const KEYS_AGE_REPORT_INTERVAL: Duration = Duration::from_secs(15);

/// The span of one verification (`debug`, so not even created when no subscriber wants it).
#[inline]
pub(crate) fn verification_span() -> Span {
    tracing::debug_span!(
        "verify",
        pool = tracing::field::Empty,
        outcome = tracing::field::Empty,
        kind = tracing::field::Empty
    )
}

/// Records the pool a token names on the current verification span, when `debug` is on.
#[inline]
pub(crate) fn pool_selected(user_pool_id: &str) {
    if tracing::level_filters::LevelFilter::current() >= tracing::Level::DEBUG {
        Span::current().record("pool", user_pool_id);
    }
}

/// Records the answer of a verification: `None` when accepted, else the refusal's kind.
#[inline]
pub(crate) fn verification(span: &Span, refused: Option<ErrorKind>) {
    if !span.is_disabled() {
        span.record(
            "outcome",
            if refused.is_some() {
                "rejected"
            } else {
                "accepted"
            },
        );
        span.record("kind", refused.map_or("", ErrorKind::as_str));
    }
    #[cfg(feature = "metrics")]
    {
        let handles = recorded::handles();
        match refused {
            None => handles.accepted.increment(1),
            Some(kind) => {
                if let Some(counter) = handles.rejected.get(kind as usize) {
                    counter.increment(1);
                }
            }
        }
    }
}

/// Counts a lookup in the verified-token cache and passes its answer on.
#[inline]
pub(crate) fn token_cache<T>(lookup: Option<T>) -> Option<T> {
    #[cfg(feature = "metrics")]
    {
        let handles = recorded::handles();
        match lookup {
            Some(_) => handles.cache_hits.increment(1),
            None => handles.cache_misses.increment(1),
        }
    }
    lookup
}

/// Started when a key fetch starts; [`key_fetch`] records how it went.
pub(crate) struct FetchTimer {
    #[cfg(feature = "metrics")]
    started: std::time::Instant,
}

impl FetchTimer {
    /// Starts timing a fetch.
    #[inline]
    pub(crate) fn start() -> Self {
        FetchTimer {
            #[cfg(feature = "metrics")]
            started: std::time::Instant::now(),
        }
    }
}

/// Records one key fetch: its outcome and its duration.
#[inline]
pub(crate) fn key_fetch<T>(timer: FetchTimer, result: &Result<T, KeyFetchError>) {
    #[cfg(feature = "metrics")]
    {
        let handles = recorded::handles();
        handles
            .fetch_seconds
            .record(timer.started.elapsed().as_secs_f64());
        match result {
            Ok(_) => handles.fetch_ok.increment(1),
            Err(error) => {
                if let Some(counter) = handles.fetch_failed.get(error.kind() as usize) {
                    counter.increment(1);
                }
            }
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (timer, result);
}

/// At most one warning per [`WARNING_INTERVAL`]; counts the others.
#[derive(Debug, Default)]
pub(crate) struct WarningLimit {
    /// No warning before this many milliseconds after the epoch.
    next_ms: AtomicU64,
    suppressed: AtomicU64,
}

impl WarningLimit {
    /// A limit that allows a warning at once.
    pub(crate) const fn new() -> Self {
        WarningLimit {
            next_ms: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(how many were suppressed since the last one)` when a warning may be written at
    /// `now`; `None` (and one more suppressed) otherwise.
    pub(crate) fn allow(&self, now: SystemTime) -> Option<u64> {
        let now_ms = unix_millis(now);
        let next = self.next_ms.load(Ordering::Relaxed);
        let interval = u64::try_from(WARNING_INTERVAL.as_millis()).unwrap_or(u64::MAX);
        if now_ms >= next
            && self
                .next_ms
                .compare_exchange(
                    next,
                    now_ms.saturating_add(interval),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            Some(self.suppressed.swap(0, Ordering::Relaxed))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What one key source reports: its rate-limited warnings and, for a pool's main issuer, the
/// age of its keys.
#[derive(Debug, Default)]
pub(crate) struct KeysWatch {
    /// Warnings about failed fetches.
    pub(crate) fetch_failures: WarningLimit,
    /// Warnings about a key set past its maximum staleness.
    pub(crate) staleness: WarningLimit,
    #[cfg(feature = "metrics")]
    age: recorded::KeysAge,
}

impl KeysWatch {
    /// Reports the age of this source's keys as those of the user pool `pool`.
    #[inline]
    pub(crate) fn report_age_as(&self, pool: &str) {
        #[cfg(feature = "metrics")]
        self.age.label(pool);
        #[cfg(not(feature = "metrics"))]
        let _ = pool;
    }

    /// After a successful fetch by `source`: reports its keys' age now and, from the first
    /// one on, every [`KEYS_AGE_REPORT_INTERVAL`] for as long as `source` lives.
    #[inline]
    pub(crate) fn keys_fetched<S: Send + Sync + 'static>(
        &self,
        source: &std::sync::Arc<S>,
        age: fn(&S) -> Option<Duration>,
    ) {
        #[cfg(feature = "metrics")]
        self.age.fetched(source, age);
        #[cfg(not(feature = "metrics"))]
        let _ = (source, age);
    }
}

#[cfg(feature = "metrics")]
mod recorded {
    //! The metrics handles, registered once.

    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};
    use std::time::Duration;

    use metrics::{Counter, Gauge, Histogram, Unit};

    use super::{
        KEY_FETCH_SECONDS, KEY_FETCHES_TOTAL, KEYS_AGE_REPORT_INTERVAL, KEYS_AGE_SECONDS,
        TOKEN_CACHE_HITS_TOTAL, TOKEN_CACHE_MISSES_TOTAL, VERIFICATIONS_TOTAL,
    };
    use crate::error::{ErrorKind, KeyFetchErrorKind};

    /// Every handle of the hot path, one per label set, so recording allocates nothing.
    pub(super) struct Handles {
        pub(super) accepted: Counter,
        /// Indexed by `ErrorKind as usize` (its place in [`ErrorKind::ALL`]).
        pub(super) rejected: [Counter; ErrorKind::ALL.len()],
        pub(super) fetch_ok: Counter,
        /// Indexed by `KeyFetchErrorKind as usize`.
        pub(super) fetch_failed: [Counter; KeyFetchErrorKind::ALL.len()],
        pub(super) fetch_seconds: Histogram,
        pub(super) cache_hits: Counter,
        pub(super) cache_misses: Counter,
    }

    static HANDLES: OnceLock<Handles> = OnceLock::new();

    /// The handles, registered with the recorder installed at the first call.
    #[inline]
    pub(super) fn handles() -> &'static Handles {
        HANDLES.get_or_init(register)
    }

    fn register() -> Handles {
        describe();
        Handles {
            accepted: metrics::counter!(VERIFICATIONS_TOTAL, "outcome" => "accepted", "kind" => ""),
            rejected: std::array::from_fn(|i| {
                let kind = ErrorKind::ALL[i].as_str();
                metrics::counter!(VERIFICATIONS_TOTAL, "outcome" => "rejected", "kind" => kind)
            }),
            fetch_ok: metrics::counter!(KEY_FETCHES_TOTAL, "outcome" => "ok"),
            fetch_failed: std::array::from_fn(|i| {
                let kind = KeyFetchErrorKind::ALL[i].as_str();
                metrics::counter!(KEY_FETCHES_TOTAL, "outcome" => kind)
            }),
            fetch_seconds: metrics::histogram!(KEY_FETCH_SECONDS),
            cache_hits: metrics::counter!(TOKEN_CACHE_HITS_TOTAL),
            cache_misses: metrics::counter!(TOKEN_CACHE_MISSES_TOTAL),
        }
    }

    fn describe() {
        metrics::describe_counter!(
            VERIFICATIONS_TOTAL,
            "Token verifications by outcome (accepted, rejected) and refusal kind."
        );
        metrics::describe_counter!(
            KEY_FETCHES_TOTAL,
            "JWKS fetches by outcome (ok or the failure's kind)."
        );
        metrics::describe_histogram!(
            KEY_FETCH_SECONDS,
            Unit::Seconds,
            "Duration of JWKS fetches."
        );
        metrics::describe_counter!(
            TOKEN_CACHE_HITS_TOTAL,
            "Verifications answered from the verified-token cache."
        );
        metrics::describe_counter!(
            TOKEN_CACHE_MISSES_TOTAL,
            "Verified-token cache lookups that found nothing usable."
        );
        metrics::describe_gauge!(
            KEYS_AGE_SECONDS,
            Unit::Seconds,
            "Age of the signing keys held for each configured user pool."
        );
    }

    /// The key-age gauge of one source: unlabelled (not reported) until it is told its pool.
    #[derive(Debug, Default)]
    pub(super) struct KeysAge {
        pool: OnceLock<Arc<str>>,
        gauge: OnceLock<Gauge>,
        reporting: AtomicBool,
    }

    impl KeysAge {
        pub(super) fn label(&self, pool: &str) {
            let _ = self.pool.set(pool.into());
        }

        pub(super) fn fetched<S: Send + Sync + 'static>(
            &self,
            source: &Arc<S>,
            age: fn(&S) -> Option<Duration>,
        ) {
            let Some(pool) = self.pool.get() else {
                return;
            };
            let gauge = self
                .gauge
                .get_or_init(|| metrics::gauge!(KEYS_AGE_SECONDS, "pool" => pool.to_string()));
            if let Some(age) = age(source) {
                gauge.set(age.as_secs_f64());
            }
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return;
            };
            if self.reporting.swap(true, Ordering::Relaxed) {
                return;
            }
            let (source, gauge) = (Arc::downgrade(source), gauge.clone());
            runtime.spawn(async move {
                let mut every = tokio::time::interval(KEYS_AGE_REPORT_INTERVAL);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    every.tick().await;
                    let Some(source) = source.upgrade() else {
                        return;
                    };
                    if let Some(age) = age(&source) {
                        gauge.set(age.as_secs_f64());
                    }
                }
            });
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn kinds_index_their_handles() {
            for (i, kind) in ErrorKind::ALL.iter().enumerate() {
                assert_eq!(*kind as usize, i);
            }
            for (i, kind) in KeyFetchErrorKind::ALL.iter().enumerate() {
                assert_eq!(*kind as usize, i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_warning_per_interval_then_the_count_of_the_suppressed() {
        let limit = WarningLimit::default();
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(limit.allow(t0), Some(0));
        assert_eq!(limit.allow(t0), None);
        assert_eq!(limit.allow(t0 + WARNING_INTERVAL / 2), None);
        assert_eq!(limit.allow(t0 + WARNING_INTERVAL), Some(2));
        assert_eq!(limit.allow(t0 + WARNING_INTERVAL), None);
        assert_eq!(limit.allow(t0 + WARNING_INTERVAL * 3), Some(1));
    }
}
