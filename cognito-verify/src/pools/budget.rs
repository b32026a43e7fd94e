//! The budget of resolver calls for new issuers: a token bucket on the verifier's clock.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// `burst` calls at once, refilled at `per_second`. Taken only on the way to the resolver (never
/// on the read path), so its lock costs nothing to verifications of known pools.
pub(crate) struct Budget {
    per_second: u32,
    burst: u32,
    state: Mutex<Bucket>,
}

struct Bucket {
    /// Calls available, in thousandths.
    milli_calls: u64,
    /// When it was last refilled, Unix milliseconds.
    at_ms: u64,
}

impl Budget {
    pub(crate) fn new(per_second: u32, burst: u32, now_ms: u64) -> Self {
        Budget {
            per_second,
            burst,
            state: Mutex::new(Bucket {
                milli_calls: u64::from(burst) * 1000,
                at_ms: now_ms,
            }),
        }
    }

    /// Takes one call, or says how long until one is available.
    pub(crate) fn take(&self, now_ms: u64) -> Result<(), Duration> {
        let mut bucket = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = now_ms.saturating_sub(bucket.at_ms);
        let refill = elapsed.saturating_mul(u64::from(self.per_second));
        bucket.milli_calls = bucket
            .milli_calls
            .saturating_add(refill)
            .min(u64::from(self.burst) * 1000);
        bucket.at_ms = bucket.at_ms.max(now_ms);
        if bucket.milli_calls >= 1000 {
            bucket.milli_calls -= 1000;
            return Ok(());
        }
        let missing = 1000 - bucket.milli_calls;
        Err(match self.per_second {
            0 => crate::defaults::MAX_RETRY_AFTER,
            rate => Duration::from_millis(missing.div_ceil(u64::from(rate))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let budget = Budget::new(10, 3, 1_000);
        assert_eq!(
            (0..5).filter(|_| budget.take(1_000).is_ok()).count(),
            3,
            "the burst"
        );
        assert_eq!(budget.take(1_000), Err(Duration::from_millis(100)));
        assert_eq!(budget.take(1_050), Err(Duration::from_millis(50)));
        assert_eq!(budget.take(1_100), Ok(()));
        // A long quiet time refills the burst, no more.
        assert_eq!((0..10).filter(|_| budget.take(100_000).is_ok()).count(), 3);
        // A clock going back refills nothing.
        assert!(budget.take(50_000).is_err());
        assert!(Budget::new(0, 0, 0).take(u64::MAX).is_err());
    }
}
