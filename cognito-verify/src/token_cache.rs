//! The verified-token cache: a token verified once is answered from memory while it is valid.
//!
//! Rules:
//! - Keyed by the exact token text, so no other token can hit an entry.
//! - Owned by one verifier, so entries only ever answer for the configuration that verified them.
//! - Only fully verified tokens (signature and every built-in rule) are inserted.
//! - A hit is re-checked: `exp` against the clock, and the signing key must still be in the
//!   pool's usable key set (a key removed from the JWKS, or keys past their maximum staleness,
//!   drop the entry). The user's hook runs on every hit.
//! - Bounded by an estimated byte budget (moka's TinyLFU eviction) and an idle timeout; split into
//!   [`TOKEN_CACHE_SEGMENTS`] segments so cores hitting different tokens do not contend.

use std::sync::Arc;

use moka::sync::SegmentedCache;

use crate::claims::Verified;
use crate::defaults::{TOKEN_CACHE_IDLE, TOKEN_CACHE_MIN_SEGMENT_BYTES, TOKEN_CACHE_SEGMENTS};

/// Fixed overhead per entry, in bytes: moka's node, the `Arc`s, the map slots (measured order of
/// magnitude; the estimate only has to be proportionate).
const ENTRY_OVERHEAD_BYTES: usize = 256;

/// What a hit needs to re-check and return.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) verified: Verified,
    /// The index of the issuer (and so of the key source) that verified it.
    pub(crate) issuer: usize,
    pub(crate) kid: Box<str>,
    pub(crate) exp: u64,
    /// Estimated size of the claims, computed once at insertion.
    claims_bytes: usize,
}

impl Entry {
    pub(crate) fn new(
        verified: Verified,
        issuer: usize,
        kid: &str,
        exp: u64,
        claims_bytes: usize,
    ) -> Self {
        Entry {
            verified,
            issuer,
            kid: kid.into(),
            exp,
            claims_bytes,
        }
    }
}

/// A bounded map from token text to its verification.
pub(crate) struct TokenCache {
    cache: SegmentedCache<Arc<str>, Arc<Entry>, foldhash::fast::RandomState>,
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
            .weigher(|token: &Arc<str>, entry: &Arc<Entry>| {
                u32::try_from(entry_bytes(token, entry)).unwrap_or(u32::MAX)
            })
            .time_to_idle(TOKEN_CACHE_IDLE)
            .build_with_hasher(foldhash::fast::RandomState::default());
        TokenCache { cache }
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<Entry>> {
        self.cache.get(token)
    }

    pub(crate) fn insert(&self, token: &str, entry: Entry) {
        self.cache.insert(token.into(), Arc::new(entry));
    }

    pub(crate) fn remove(&self, token: &str) {
        self.cache.invalidate(token);
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

/// Estimated bytes an entry holds: the token twice (key and nothing else), the claims, overhead.
fn entry_bytes(token: &str, entry: &Entry) -> usize {
    token.len() + entry.kid.len() + entry.claims_bytes + ENTRY_OVERHEAD_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

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
