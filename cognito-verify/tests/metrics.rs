//! Feature `metrics`: what the verifier records, read back from a recorder installed for this
//! process (this file is its own test binary): verifications by outcome and kind, the token
//! cache, key fetches, and the age of the pool's keys, which keeps growing without fetches.
#![cfg(feature = "metrics")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_verify::http_auth::{HttpAuth, Started};
use cognito_verify::observe::{
    KEY_FETCHES_TOTAL, KEYS_AGE_REPORT_INTERVAL, KEYS_AGE_SECONDS, TOKEN_CACHE_HITS_TOTAL,
    TOKEN_CACHE_MISSES_TOTAL, VERIFICATIONS_TOTAL,
};
use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{ManualClock, TokenUse, Verifier};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};

/// Counters and gauges by `name{label=value,…}` (histograms are not kept).
#[derive(Default)]
struct Recorded {
    values: Mutex<BTreeMap<String, Arc<AtomicU64>>>,
}

impl Recorded {
    fn install() -> &'static Recorded {
        static RECORDED: OnceLock<&'static Recorded> = OnceLock::new();
        RECORDED.get_or_init(|| {
            let recorded: &'static Recorded = Box::leak(Box::default());
            metrics::set_global_recorder(recorded).unwrap();
            recorded
        })
    }

    fn slot(&self, key: &Key) -> Arc<AtomicU64> {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        Arc::clone(self.values.lock().unwrap().entry(name).or_default())
    }

    fn counter(&self, name: &str) -> u64 {
        self.values.lock().unwrap()[name].load(Ordering::Relaxed)
    }

    fn gauge(&self, name: &str) -> Option<f64> {
        let values = self.values.lock().unwrap();
        values
            .get(name)
            .map(|v| f64::from_bits(v.load(Ordering::Relaxed)))
    }
}

impl Recorder for &'static Recorded {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.slot(key))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.slot(key))
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn verifications_fetches_the_cache_and_the_age_of_the_keys_are_recorded() {
    let recorded = Recorded::install();
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let clock = ManualClock::at_unix(now.as_secs());
    let verifier = Verifier::builder()
        .pool(issuer.pool().jwks_uri(jwks.url()))
        .token_use(TokenUse::Access)
        .clock(clock.clone())
        .build()
        .unwrap();
    verifier.prefetch().await.unwrap();
    let age = format!("{KEYS_AGE_SECONDS}{{pool={}}}", issuer.pool_id());
    assert_eq!(recorded.gauge(&age), Some(0.0));

    let token = issuer.access_token().sign();
    verifier.verify(&token).await.unwrap();
    verifier.verify(&token).await.unwrap();
    verifier.verify("garbage").await.unwrap_err();
    assert!(verifier.try_verify("x.y.z").is_err());
    // Not UTF-8: refused as malformed, and counted like any other refusal.
    verifier.verify_bytes(b"\xff.\xfe.\xfd").await.unwrap_err();
    // Through `HttpAuth::start`, each counted once: a cache hit answered at once, and a cold
    // verifier's first token, which waits for its key set.
    let auth = HttpAuth::from(verifier.clone());
    assert!(matches!(
        auth.start(token.as_bytes()),
        Started::Answered(Ok(_))
    ));
    let cold = HttpAuth::from(
        Verifier::builder()
            .pool(issuer.pool().jwks_uri(jwks.url()))
            .token_use(TokenUse::Access)
            .clock(clock.clone())
            .build()
            .unwrap(),
    );
    let Started::Waiting(pending) = cold.start(token.as_bytes()) else {
        panic!("no keys held: it waits");
    };
    pending.finish().await.unwrap();

    let counter = |name: &str| recorded.counter(name);
    assert_eq!(
        counter(&format!("{VERIFICATIONS_TOTAL}{{outcome=accepted,kind=}}")),
        4
    );
    assert_eq!(
        counter(&format!(
            "{VERIFICATIONS_TOTAL}{{outcome=rejected,kind=malformed_token}}"
        )),
        3
    );
    assert_eq!(
        counter(&format!(
            "{VERIFICATIONS_TOTAL}{{outcome=rejected,kind=expired}}"
        )),
        0
    );
    assert_eq!(counter(&format!("{TOKEN_CACHE_HITS_TOTAL}{{}}")), 2);
    assert_eq!(counter(&format!("{TOKEN_CACHE_MISSES_TOTAL}{{}}")), 5);
    assert_eq!(counter(&format!("{KEY_FETCHES_TOTAL}{{outcome=ok}}")), 2);
    assert_eq!(
        counter(&format!("{KEY_FETCHES_TOTAL}{{outcome=connect}}")),
        0
    );

    // Two hours without a fetch: the reported age follows, one report interval later.
    tokio::time::pause();
    clock.advance(Duration::from_secs(2 * 60 * 60));
    for _ in 0..100 {
        if recorded.gauge(&age) == Some(7200.0) {
            break;
        }
        tokio::time::advance(KEYS_AGE_REPORT_INTERVAL).await;
        tokio::task::yield_now().await;
    }
    assert_eq!(recorded.gauge(&age), Some(7200.0));
}
