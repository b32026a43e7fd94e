//! The per-`kid` key cache of an ALB verifier: lock-free reads, one fetch in flight per kid,
//! keys parsed once, unknown kids remembered, a global bound on fetches for new kids, and
//! stale-if-error.
//!
//! Read path: one lookup in a concurrent map (moka), no lock. Starting or joining a fetch
//! happens on the slow path under a mutex the read path never takes.
//!
//! Rules, in the order they apply:
//! - A key younger than the refresh interval is used as is; older, it is still used and a
//!   refresh starts in the background (one per kid); older than the maximum staleness, it is no
//!   longer used and the request waits for a fetch (and answers "key unavailable" if that
//!   fails).
//! - A kid the endpoint answered 404 or 403 for is unknown: refused at once, without a fetch,
//!   for the cooldown.
//! - A kid without a held key (new, unknown past its cooldown, or failed) may start a fetch only
//!   if no such fetch started within the cooldown, for all kids together: a flood of random kids
//!   costs at most one fetch per cooldown. A new kid refused by this bound is `unknown_kid`; a
//!   kid whose last fetch failed is "key unavailable".
//! - A failed refresh keeps the held key (stale-if-error) and the kid is not fetched again for
//!   the cooldown (or the endpoint's `Retry-After`, if longer).
//! - Every fetch runs in its own task (so it completes even if the request that started it is
//!   dropped) and every concurrent waiter for that kid shares it.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};

use crate::alb::error::{AlbError, AlbKeyError};
use crate::alb::token::Kid;
use crate::clock::{Clock, elapsed};
use crate::error::KeyFetchError;
use crate::jwks::Fetcher;
use crate::observe::{self, WarningLimit};

/// Timing of the key cache.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AlbCacheSettings {
    pub(crate) refresh_interval: Duration,
    pub(crate) max_staleness: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) max_kids: u64,
}

/// What one fetch of a kid's key found.
#[derive(Clone)]
enum Fetched {
    Key(Arc<ParsedPublicKey>),
    /// 404 or 403: the endpoint has no such key.
    NoSuchKey,
    Failed(AlbKeyError),
}

impl Fetched {
    /// The fetch's outcome as a key fetch's (for metrics): no such key is the 404 it was.
    fn outcome(&self) -> Result<(), KeyFetchError> {
        match self {
            Fetched::Key(_) => Ok(()),
            Fetched::NoSuchKey => Err(KeyFetchError::Status(404)),
            Fetched::Failed(AlbKeyError::Fetch(error)) => Err(error.clone()),
            Fetched::Failed(AlbKeyError::NotAnEcP256Key) => Err(KeyFetchError::NoUsableKeys),
        }
    }
}

type SharedFetch = Shared<BoxFuture<'static, Fetched>>;

/// What the cache holds for a kid.
enum Entry {
    Key {
        key: Arc<ParsedPublicKey>,
        fetched_at: SystemTime,
        /// After a failed refresh: no fetch before this.
        retry_not_before: Option<SystemTime>,
        last_error: Option<AlbKeyError>,
        /// A background refresh of this entry was started.
        refreshing: AtomicBool,
    },
    /// The endpoint answered 404 or 403 at this time.
    Unknown { at: SystemTime },
    /// The last fetch failed (and no key is held).
    Failed {
        error: AlbKeyError,
        retry_not_before: SystemTime,
    },
}

/// State only the slow path touches.
#[derive(Default)]
struct Slow {
    inflight: HashMap<Kid, SharedFetch>,
    last_new_kid_fetch: Option<SystemTime>,
}

/// The keys of one region's (or one override's) key endpoint, by kid.
pub(crate) struct AlbKeys {
    base_url: String,
    fetcher: Fetcher,
    clock: Arc<dyn Clock>,
    settings: AlbCacheSettings,
    entries: moka::sync::Cache<Kid, Arc<Entry>, foldhash::fast::RandomState>,
    slow: Mutex<Slow>,
    fetch_count: AtomicU64,
    /// Warnings about failed fetches (one endpoint, whatever the kid).
    fetch_failures: WarningLimit,
}

impl fmt::Debug for AlbKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbKeys")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl AlbKeys {
    pub(crate) fn new(
        base_url: String,
        fetcher: Fetcher,
        clock: Arc<dyn Clock>,
        settings: AlbCacheSettings,
    ) -> Self {
        AlbKeys {
            base_url,
            fetcher,
            clock,
            settings,
            entries: moka::sync::Cache::builder()
                .max_capacity(settings.max_kids)
                .build_with_hasher(foldhash::fast::RandomState::default()),
            slow: Mutex::new(Slow::default()),
            fetch_count: AtomicU64::new(0),
            fetch_failures: WarningLimit::default(),
        }
    }

    /// How many key fetches have started.
    pub(crate) fn fetch_count(&self) -> u64 {
        self.fetch_count.load(Ordering::Relaxed)
    }

    /// The key for `kid`, fetching it (at most once) as the rules allow.
    pub(crate) async fn key(self: &Arc<Self>, kid: &Kid) -> Result<Arc<ParsedPublicKey>, AlbError> {
        let now = self.clock.now();
        if let Some(entry) = self.entries.get(kid) {
            match &*entry {
                Entry::Key {
                    key,
                    fetched_at,
                    retry_not_before,
                    refreshing,
                    ..
                } => {
                    let age = elapsed(*fetched_at, now);
                    if age <= self.settings.max_staleness {
                        let held_back = retry_not_before.is_some_and(|t| now < t);
                        if age >= self.settings.refresh_interval
                            && !held_back
                            && !refreshing.swap(true, Ordering::Relaxed)
                        {
                            self.refresh_in_background(kid);
                        }
                        return Ok(Arc::clone(key));
                    }
                }
                Entry::Unknown { at } if elapsed(*at, now) < self.settings.cooldown => {
                    return Err(AlbError::UnknownKid);
                }
                _ => {}
            }
        }
        let fetch = self.plan_fetch(kid, now)?;
        match fetch.await {
            Fetched::Key(key) => Ok(key),
            Fetched::NoSuchKey => Err(AlbError::UnknownKid),
            Fetched::Failed(reason) => Err(AlbError::KeysUnavailable {
                reason,
                retry_in: None,
            }),
        }
    }

    /// Decides, under the slow-path lock, whether this miss may fetch (or join a fetch).
    fn plan_fetch(self: &Arc<Self>, kid: &Kid, now: SystemTime) -> Result<SharedFetch, AlbError> {
        let mut slow = self.lock();
        if let Some(fetch) = slow.inflight.get(kid) {
            return Ok(fetch.clone());
        }
        // Another request may have finished a fetch since our read.
        let entry = self.entries.get(kid);
        let backing_off = |reason: &AlbKeyError, until: SystemTime| AlbError::KeysUnavailable {
            reason: reason.clone(),
            retry_in: Some(elapsed(now, until)),
        };
        match entry.as_deref() {
            Some(Entry::Key {
                key,
                fetched_at,
                retry_not_before,
                last_error,
                ..
            }) => {
                if elapsed(*fetched_at, now) <= self.settings.max_staleness {
                    return Ok(ready(Fetched::Key(Arc::clone(key))));
                }
                if let (Some(until), Some(error)) = (retry_not_before, last_error)
                    && now < *until
                {
                    return Err(backing_off(error, *until));
                }
                // A held key past its staleness is not a new kid: no global bound.
            }
            Some(Entry::Unknown { at }) if elapsed(*at, now) < self.settings.cooldown => {
                return Err(AlbError::UnknownKid);
            }
            Some(Entry::Failed {
                error,
                retry_not_before,
            }) if now < *retry_not_before => return Err(backing_off(error, *retry_not_before)),
            _ => {
                let cooling = slow
                    .last_new_kid_fetch
                    .is_some_and(|last| elapsed(last, now) < self.settings.cooldown);
                if cooling {
                    return Err(match entry.as_deref() {
                        Some(Entry::Failed { error, .. }) => AlbError::KeysUnavailable {
                            reason: error.clone(),
                            retry_in: slow.last_new_kid_fetch.map(|last| {
                                self.settings.cooldown.saturating_sub(elapsed(last, now))
                            }),
                        },
                        _ => AlbError::UnknownKid,
                    });
                }
                slow.last_new_kid_fetch = Some(now);
            }
        }
        Ok(self.start_fetch(&mut slow, kid))
    }

    fn refresh_in_background(self: &Arc<Self>, kid: &Kid) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let mut slow = self.lock();
        if !slow.inflight.contains_key(kid) {
            tracing::debug!(%kid, "ALB key is due for refresh: refreshing in the background");
            drop(self.start_fetch(&mut slow, kid));
        }
    }

    /// Starts a fetch of `kid`'s key in its own task.
    fn start_fetch(self: &Arc<Self>, slow: &mut Slow, kid: &Kid) -> SharedFetch {
        let this = Arc::clone(self);
        let task_kid = kid.clone();
        let task = async move {
            let timer = observe::FetchTimer::start();
            let fetched = this.fetch(&task_kid).await;
            this.complete(&task_kid, &fetched);
            observe::key_fetch(timer, &fetched.outcome());
            fetched
        };
        let fetch: BoxFuture<'static, Fetched> = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let handle = runtime.spawn(task);
                async move {
                    handle.await.unwrap_or(Fetched::Failed(AlbKeyError::Fetch(
                        KeyFetchError::TaskFailed,
                    )))
                }
                .boxed()
            }
            // Without a runtime the fetch runs inside the waiting futures.
            Err(_) => task.boxed(),
        };
        let fetch = fetch.shared();
        self.fetch_count.fetch_add(1, Ordering::Relaxed);
        slow.inflight.insert(kid.clone(), fetch.clone());
        fetch
    }

    /// One fetch: `BASE/KID`, where the kid is a UUID (hex digits and dashes only).
    async fn fetch(&self, kid: &Kid) -> Fetched {
        let url = format!("{}/{}", self.base_url, kid.as_str());
        match self.fetcher.fetch_bytes(&url).await {
            Ok(body) => match parse_pem_key(&body) {
                Some(key) => Fetched::Key(Arc::new(key)),
                None => Fetched::Failed(AlbKeyError::NotAnEcP256Key),
            },
            Err(KeyFetchError::Status(404 | 403)) => Fetched::NoSuchKey,
            Err(error) => Fetched::Failed(AlbKeyError::Fetch(error)),
        }
    }

    /// Records the outcome of a fetch (called by the fetch task itself).
    fn complete(&self, kid: &Kid, fetched: &Fetched) {
        let now = self.clock.now();
        let mut slow = self.lock();
        slow.inflight.remove(kid);
        let entry = match fetched {
            Fetched::Key(key) => {
                tracing::info!(%kid, "fetched ALB key");
                Entry::Key {
                    key: Arc::clone(key),
                    fetched_at: now,
                    retry_not_before: None,
                    last_error: None,
                    refreshing: AtomicBool::new(false),
                }
            }
            Fetched::NoSuchKey => {
                tracing::debug!(%kid, "the ALB key endpoint has no such key");
                Entry::Unknown { at: now }
            }
            Fetched::Failed(error) => {
                let mut wait = self.settings.cooldown;
                if let AlbKeyError::Fetch(KeyFetchError::RateLimited { retry_after }) = error {
                    wait = wait.max(*retry_after);
                }
                let retry_in_ms = wait.as_millis() as u64;
                match self.fetch_failures.allow(now) {
                    Some(suppressed) => {
                        tracing::warn!(url = self.base_url, %kid, %error, retry_in_ms, suppressed, "ALB key fetch failed")
                    }
                    None => {
                        tracing::debug!(url = self.base_url, %kid, %error, retry_in_ms, "ALB key fetch failed")
                    }
                }
                match self.entries.get(kid).as_deref() {
                    // Stale-if-error: the held key stays.
                    Some(Entry::Key {
                        key, fetched_at, ..
                    }) => Entry::Key {
                        key: Arc::clone(key),
                        fetched_at: *fetched_at,
                        retry_not_before: Some(now + wait),
                        last_error: Some(error.clone()),
                        refreshing: AtomicBool::new(false),
                    },
                    _ => Entry::Failed {
                        error: error.clone(),
                        retry_not_before: now + wait,
                    },
                }
            }
        };
        self.entries.insert(kid.clone(), Arc::new(entry));
    }

    fn lock(&self) -> MutexGuard<'_, Slow> {
        // The state stays consistent even if a holder panicked: every update is a plain store.
        self.slow.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn ready(fetched: Fetched) -> SharedFetch {
    futures_util::future::ready(fetched).boxed().shared()
}

/// The key in a key endpoint's answer: exactly one PEM `PUBLIC KEY` block (RFC 7468) whose DER is
/// an EC P-256 SubjectPublicKeyInfo. aws-lc-rs checks the algorithm and the curve, and that the
/// point is on it; the leading SEQUENCE tag rules out its fallback to a bare SEC1 point.
fn parse_pem_key(body: &[u8]) -> Option<ParsedPublicKey> {
    let (label, der) = pem_rfc7468::decode_vec(body).ok()?;
    if label != "PUBLIC KEY" || der.first() != Some(&0x30) {
        return None;
    }
    ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, der).ok()
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::alb::{AlbTestKey, p384_public_key_pem, rsa_public_key_pem};

    #[test]
    fn only_an_ec_p256_public_key_pem_is_a_key() {
        let key = AlbTestKey::generate();
        let pem = key.public_key_pem();
        assert!(parse_pem_key(pem.as_bytes()).is_some());
        assert!(parse_pem_key(pem.replace('\n', "\r\n").as_bytes()).is_some());
        let der = pem_rfc7468::decode_vec(pem.as_bytes())
            .map(|(_, der)| der)
            .ok();
        // The bare SEC1 point of the same key (the SPKI's last 65 bytes), labelled as a public
        // key: aws-lc-rs would take it, the PEM check does not.
        let point = der
            .as_deref()
            .and_then(|d| d.get(d.len() - 65..))
            .unwrap_or_default();
        let sec1 = pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, point)
            .unwrap_or_default();
        for (bad, why) in [
            (rsa_public_key_pem(), "an RSA key"),
            (p384_public_key_pem(), "a P-384 key"),
            (sec1, "a bare point"),
            (pem.replace("PUBLIC KEY", "EC PUBLIC KEY"), "another label"),
            (format!("{pem}{pem}"), "two keys"),
            (pem.replacen('M', "N", 1), "a changed byte"),
            (pem[..pem.len() / 2].to_owned(), "truncated"),
            (String::new(), "empty"),
            ("{\"keys\":[]}".to_owned(), "JSON"),
        ] {
            assert!(parse_pem_key(bad.as_bytes()).is_none(), "{why}");
        }
    }
}
