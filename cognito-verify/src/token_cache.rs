//! The verified-token cache: a token verified once is answered from memory while it is valid.
//!
//! Rules:
//! - Keyed by the exact token text, so no other token can hit an entry. Looked up by its bytes:
//!   bytes equal to a cached token's are that valid text, so a hit needs no UTF-8 check.
//! - Owned by one verifier, so entries only ever answer for the configuration that verified them.
//! - Only fully verified tokens (signature and every built-in rule) are inserted.
//! - A hit is re-checked: `exp` against the clock, and the key now published under the entry's
//!   `kid` in the pool's usable key set must be the very key that verified the token (its
//!   [`KeyIdentity`]: modulus, exponent and `alg`). A key removed from the JWKS, another key
//!   republished under the same `kid`, a changed `alg`, or keys past their maximum staleness drop
//!   the entry, and the token is verified afresh. The user's hook runs on every hit.
//! - Bounded by an estimated byte budget (moka's TinyLFU eviction) and an idle timeout; split into
//!   [`TOKEN_CACHE_SEGMENTS`] segments so cores hitting different tokens do not contend.
//! - In front of moka, each thread keeps its last few hits ([`TOKEN_CACHE_FRONT_SLOTS`] slots):
//!   a token hit again on the same thread is answered without touching anything another thread
//!   writes. After [`TOKEN_CACHE_FRONT_PRIVATE_AFTER`] hits a slot holds its own copy of the
//!   claims, so even one token hit on every core at once (one service account's M2M token) has no
//!   shared reference count. Front slots are checked exactly as moka hits are, hold entries of at
//!   most that many tokens per thread, and are replaced, never grown.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::SegmentedCache;

use crate::claims::Verified;
use crate::jwks::KeyIdentity;
use crate::verifier::IssuerRuntime;

/// Segments of the verified-token cache: independent moka caches, each with its own share of the
/// byte budget and its own bookkeeping, chosen by the token's hash.
///
/// Every moka hit records the read in its cache's shared log; with one cache, two cores hitting
/// it contend on that log (two threads measured 1.5× one). With 16 segments, threads serving
/// different users' tokens mostly touch different segments. More segments would split the budget
/// (8 MiB / 16 = 512 KiB, ≈ 100 tokens each) finer and make eviction less fair.
const TOKEN_CACHE_SEGMENTS: usize = 16;

/// The smallest share of the byte budget a segment gets: a smaller budget gets fewer segments
/// (one at least), so each can still hold ≈ 50 tokens and no token is too big for its segment.
const TOKEN_CACHE_MIN_SEGMENT_BYTES: u64 = 256 * 1024;

/// Slots in each thread's front of the verified-token cache.
///
/// A front answers a token hit again on the same thread without touching memory other threads
/// write, so cache hits scale with cores. Eight slots cover a thread's hottest tokens (service
/// accounts, a busy user) and cost at most eight entries per thread (≈ 25 KiB), beyond the byte
/// budget, for as long as they are not replaced.
const TOKEN_CACHE_FRONT_SLOTS: usize = 8;

/// Hits on one thread after which its front slot keeps a private copy of the claims.
///
/// Returning shared claims increments one reference count, a cache line every core hitting that
/// token writes; a private copy (≈ 1 µs to make, ≈ 3 KiB) removes it. Sixteen hits amortise the
/// copy and keep tokens seen only a few times per thread from paying it.
const TOKEN_CACHE_FRONT_PRIVATE_AFTER: u32 = 16;

/// A cached token not presented again for this long is dropped.
///
/// Clients re-send the same token for its whole life (60 min by default); ten idle minutes means
/// the client has gone, so its entry is memory better used for others.
const TOKEN_CACHE_IDLE: Duration = Duration::from_secs(10 * 60);

/// Fixed overhead per entry, in bytes: moka's node, the `Arc`s, the map slots (measured order of
/// magnitude; the estimate only has to be proportionate).
const ENTRY_OVERHEAD_BYTES: usize = 256;

/// Permission to make a [`Verified::detached`] copy, which only this module can give: private
/// copies of claims are a tuning of the per-thread front, not something other code should make.
pub(crate) struct DetachPermit(());

/// What a hit needs to re-check and return.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The token's text (the same bytes as the entry's key).
    token: Arc<[u8]>,
    pub(crate) verified: Verified,
    /// The issuer (and so the key source) that verified it; while it is retired (its pool
    /// removed) or its resolved answer expired, the entry answers nothing.
    pub(crate) issuer: Arc<IssuerRuntime>,
    pub(crate) kid: Box<str>,
    /// The key that verified it.
    pub(crate) key: KeyIdentity,
    pub(crate) exp: u64,
}

impl Entry {
    pub(crate) fn new(
        token: &str,
        verified: Verified,
        issuer: Arc<IssuerRuntime>,
        kid: &str,
        key: KeyIdentity,
        exp: u64,
    ) -> Self {
        Entry {
            token: Arc::from(token.as_bytes()),
            verified,
            issuer,
            kid: kid.into(),
            key,
            exp,
        }
    }
}

/// A bounded map from token text to its verification.
pub(crate) struct TokenCache {
    cache: SegmentedCache<Arc<[u8]>, Arc<Entry>, foldhash::fast::RandomState>,
    /// Tells this cache's slots in the per-thread fronts from other caches'.
    id: u64,
}

/// Ids of token caches; never reused, so a front slot can only match the cache that filled it.
static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

/// One slot of a thread's front.
struct Slot {
    cache: u64,
    entry: Arc<Entry>,
    hits: u32,
    /// This thread's own copy of the claims, made after enough hits.
    private: Option<Verified>,
}

thread_local! {
    /// This thread's front: direct-mapped slots (a token has exactly one place).
    static FRONT: RefCell<[Option<Slot>; TOKEN_CACHE_FRONT_SLOTS]> =
        const { RefCell::new([const { None }; TOKEN_CACHE_FRONT_SLOTS]) };
}

/// The front slot of `token`, from its last bytes (signature characters, which are what tells
/// real tokens apart). A token made to share a slot can only evict an entry from a front.
fn front_slot(token: &[u8]) -> usize {
    let tail = &token[token.len().saturating_sub(8)..];
    let word = tail.iter().fold(0u64, |word, &b| word << 8 | u64::from(b));
    let spread = word.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    usize::try_from(spread).unwrap_or(0) % TOKEN_CACHE_FRONT_SLOTS
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.cache.entry_count())
            .field("weighted_bytes", &self.cache.weighted_size())
            .finish()
    }
}

impl TokenCache {
    /// A cache holding about `max_bytes` of tokens and claims.
    pub(crate) fn new(max_bytes: u64) -> Self {
        let cache = SegmentedCache::builder(segments(max_bytes))
            .max_capacity(max_bytes)
            .weigher(|_: &Arc<[u8]>, entry: &Arc<Entry>| {
                u32::try_from(entry_bytes(entry)).unwrap_or(u32::MAX)
            })
            .time_to_idle(TOKEN_CACHE_IDLE)
            .support_invalidation_closures()
            .build_with_hasher(foldhash::fast::RandomState::default());
        TokenCache {
            cache,
            id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The cached verification of exactly `token`, if `holds` says it still holds (expiry, key);
    /// one that no longer holds is dropped.
    pub(crate) fn get(&self, token: &[u8], holds: impl Fn(&Entry) -> bool) -> Option<Verified> {
        let at = front_slot(token);
        // From this thread's front, touching nothing shared.
        let front = FRONT.try_with(|front| {
            let mut front = front.try_borrow_mut().ok()?;
            let slot = front[at].as_mut()?;
            if slot.cache != self.id || *slot.entry.token != *token {
                return None;
            }
            if !holds(&slot.entry) {
                front[at] = None;
                return Some(None);
            }
            slot.hits = slot.hits.saturating_add(1);
            if slot.private.is_none() && slot.hits >= TOKEN_CACHE_FRONT_PRIVATE_AFTER {
                slot.private = Some(slot.entry.verified.detached(DetachPermit(())));
            }
            Some(Some(
                slot.private
                    .as_ref()
                    .unwrap_or(&slot.entry.verified)
                    .clone(),
            ))
        });
        match front {
            Ok(Some(Some(verified))) => return Some(verified),
            Ok(Some(None)) => {
                self.cache.invalidate(token);
                return None;
            }
            _ => {}
        }
        // From moka; a hit takes the front slot.
        let entry = self.cache.get(token)?;
        if !holds(&entry) {
            self.cache.invalidate(token);
            return None;
        }
        let verified = entry.verified.clone();
        let _ = FRONT.try_with(|front| {
            if let Ok(mut front) = front.try_borrow_mut() {
                front[at] = Some(Slot {
                    cache: self.id,
                    entry,
                    hits: 0,
                    private: None,
                });
            }
        });
        Some(verified)
    }

    /// Caches `entry` under its token.
    pub(crate) fn insert(&self, entry: Entry) {
        self.cache.insert(entry.token.clone(), Arc::new(entry));
    }

    /// Drops the entries of retired issuers (their pools removed) from memory. They already
    /// answer nothing (every hit checks its issuer); this frees them now rather than when they
    /// would have gone idle.
    pub(crate) fn forget_retired(&self) {
        let registered = self
            .cache
            .invalidate_entries_if(|_, entry| !entry.issuer.is_live());
        if registered.is_err() {
            // Only possible without `support_invalidation_closures`, which `new` sets.
            self.cache.invalidate_all();
        }
    }

    /// Entries and their estimated bytes (after pending maintenance).
    pub(crate) fn usage(&self) -> (u64, u64) {
        self.cache.run_pending_tasks();
        (self.cache.entry_count(), self.cache.weighted_size())
    }
}

/// How many segments a budget of `max_bytes` is split into.
fn segments(max_bytes: u64) -> usize {
    let fit = usize::try_from(max_bytes / TOKEN_CACHE_MIN_SEGMENT_BYTES).unwrap_or(usize::MAX);
    fit.clamp(1, TOKEN_CACHE_SEGMENTS)
}

/// Estimated bytes an entry holds: the token text (shared by key and entry), the typed claims and
/// the payload text (each about the size of the token), the kid, overhead.
fn entry_bytes(entry: &Entry) -> usize {
    3 * entry.token.len() + entry.kid.len() + ENTRY_OVERHEAD_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> Arc<IssuerRuntime> {
        IssuerRuntime::for_test()
    }

    fn key() -> KeyIdentity {
        KeyIdentity::of(&[1], &[3], None)
    }

    fn verified(sub: &str) -> Verified {
        let claims = serde_json::json!({
            "sub": sub, "iss": "https://issuer", "client_id": "c", "token_use": "access",
            "exp": 2_000_000_000u64, "scope": "openid", "cognito:groups": ["g"],
        });
        let claims = crate::claims::Claims::for_test(&claims).unwrap();
        Verified::new(claims, 0, Arc::from("pool"))
    }

    #[test]
    fn the_front_answers_rechecks_and_goes_private_after_enough_hits() {
        let cache = TokenCache::new(1 << 20);
        let original = verified("u1");
        cache.insert(Entry::new(
            "h.p.sig1",
            original.clone(),
            issuer(),
            "k",
            key(),
            1,
        ));
        // First hit: from moka, the shared claims; it takes the front slot.
        let first = cache.get(b"h.p.sig1", |_| true).unwrap();
        assert!(first.shares_with(&original));
        for _ in 1..TOKEN_CACHE_FRONT_PRIVATE_AFTER {
            assert!(
                cache
                    .get(b"h.p.sig1", |_| true)
                    .unwrap()
                    .shares_with(&original)
            );
        }
        // Enough hits on this thread: its own copy, equal and unshared.
        let private = cache.get(b"h.p.sig1", |_| true).unwrap();
        assert!(!private.shares_with(&original));
        assert_eq!(private.claims(), original.claims());
        assert_eq!(private.raw_claims(), original.raw_claims());
        // Exactly the token: another text in the same slot or not is a miss.
        assert!(cache.get(b"h.p.sig2", |_| true).is_none());
        assert!(cache.get(b"h.p.sig", |_| true).is_none());
        // A failed re-check drops the token from the front and from moka alike.
        assert!(cache.get(b"h.p.sig1", |_| false).is_none());
        assert!(cache.get(b"h.p.sig1", |_| true).is_none());
    }

    #[test]
    fn front_slots_belong_to_one_cache() {
        let (a, b) = (TokenCache::new(1 << 20), TokenCache::new(1 << 20));
        a.insert(Entry::new("h.p.s", verified("a"), issuer(), "k", key(), 1));
        for _ in 0..2 * TOKEN_CACHE_FRONT_PRIVATE_AFTER {
            assert!(a.get(b"h.p.s", |_| true).is_some());
        }
        assert!(b.get(b"h.p.s", |_| true).is_none(), "b never cached it");
        b.insert(Entry::new("h.p.s", verified("b"), issuer(), "k", key(), 1));
        let from_b = b.get(b"h.p.s", |_| true).unwrap();
        assert_eq!(from_b.subject(), "b");
        assert_eq!(a.get(b"h.p.s", |_| true).unwrap().subject(), "a");
    }

    #[test]
    fn small_budgets_get_fewer_segments() {
        assert_eq!(segments(0), 1);
        assert_eq!(segments(10_000), 1);
        assert_eq!(segments(TOKEN_CACHE_MIN_SEGMENT_BYTES * 3), 3);
        assert_eq!(
            segments(crate::defaults::DEFAULT_TOKEN_CACHE_MAX_BYTES),
            TOKEN_CACHE_SEGMENTS
        );
        assert_eq!(segments(u64::MAX), TOKEN_CACHE_SEGMENTS);
    }
}
