//! Pools found at run time by a `PoolResolver`, against real loopback key servers: a thousand
//! tenants with one resolver call and one key fetch each; a flood of made-up issuers bounded by
//! the budget and costing no fetch; one resolver call for concurrent lookups of one issuer;
//! refusals and failures held until their TTL on the verifier's clock; a resolver timeout.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cognito_verify::testing::{
    DEFAULT_TEST_CLIENT_ID, PoolsJwksServer, TestIssuer, b64, signing_input,
};
use cognito_verify::{
    Error, KeyFetchError, ManualClock, Pool, PoolResolver, ResolverError, ResolverSettings,
    TokenUse, UnknownIssuer, Verifier, resolver_fn,
};
use common::{GUARD, MIN, NOW, SEC, kind};
use futures_util::StreamExt as _;
use serde_json::json;
use tokio::sync::Notify;

/// The Cognito issuer of a pool id.
fn cognito_iss(pool_id: &str) -> String {
    let region = pool_id.split('_').next().unwrap();
    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
}

/// A tenant table: the pools the service owns, each with its keys at the test server. It counts
/// the resolver's calls per issuer.
#[derive(Clone, Default)]
struct Tenants {
    owned: Arc<Mutex<HashSet<String>>>,
    calls: Arc<Mutex<HashMap<String, u64>>>,
    jwks: Arc<Mutex<Option<Arc<PoolsJwksServer>>>>,
    failing: Arc<AtomicBool>,
}

impl Tenants {
    fn with_server(server: &Arc<PoolsJwksServer>) -> Self {
        let tenants = Tenants::default();
        *tenants.jwks.lock().unwrap() = Some(server.clone());
        tenants
    }

    fn own(&self, pool_id: &str) {
        self.owned.lock().unwrap().insert(pool_id.to_owned());
    }

    fn leave(&self, pool_id: &str) {
        self.owned.lock().unwrap().remove(pool_id);
    }

    fn calls(&self) -> u64 {
        self.calls.lock().unwrap().values().sum()
    }

    fn calls_for(&self, pool_id: &str) -> u64 {
        self.calls
            .lock()
            .unwrap()
            .get(&cognito_iss(pool_id))
            .copied()
            .unwrap_or(0)
    }

    fn answer(&self, issuer: &UnknownIssuer) -> Result<Option<Pool>, ResolverError> {
        *self
            .calls
            .lock()
            .unwrap()
            .entry(issuer.issuer().to_owned())
            .or_default() += 1;
        if self.failing.load(Ordering::SeqCst) {
            return Err(ResolverError::new("tenant store unreachable"));
        }
        let id = issuer.user_pool_id();
        if !self.owned.lock().unwrap().contains(id) {
            return Ok(None);
        }
        let server = self.jwks.lock().unwrap().clone().unwrap();
        Ok(Some(
            Pool::new(id)
                .client_id(DEFAULT_TEST_CLIENT_ID)
                .jwks_uri(server.url(id)),
        ))
    }

    fn resolver(&self) -> impl PoolResolver {
        let tenants = self.clone();
        resolver_fn(move |issuer| {
            let answer = tenants.answer(&issuer);
            async move { answer }
        })
    }
}

/// `count` pools signing with a few keys (a key per pool would take minutes to generate):
/// pool `i` signs with key `i % keys.len()`, and its JWKS holds that key only.
struct Fleet {
    keys: Vec<TestIssuer>,
    ids: Vec<String>,
}

impl Fleet {
    fn new(count: usize, server: &PoolsJwksServer) -> Self {
        let keys: Vec<TestIssuer> = (0..4)
            .map(|_| {
                let mut issuer = TestIssuer::new();
                issuer.set_now(NOW);
                issuer
            })
            .collect();
        let ids: Vec<String> = (0..count).map(|i| format!("eu-west-1_Tenant{i}")).collect();
        for (i, id) in ids.iter().enumerate() {
            server.serve(id, keys[i % keys.len()].jwks_json());
        }
        Fleet { keys, ids }
    }

    /// A token of pool `i`, for user `user`.
    fn token(&self, i: usize, user: &str) -> String {
        self.keys[i % self.keys.len()]
            .access_token()
            .claim("iss", cognito_iss(&self.ids[i]))
            .claim("sub", user)
            .sign()
    }
}

fn builder(clock: &ManualClock) -> cognito_verify::VerifierBuilder {
    Verifier::builder()
        .token_use(TokenUse::Access)
        .clock(clock.clone())
        .jwks_timeout(Duration::from_secs(30))
}

/// 1,000 tenants, no pool configured: two tokens of each, verified concurrently, are all
/// accepted; the resolver is called once per pool and each pool's keys are fetched once. Then
/// the pools are held: the same tokens again (cache off) call nothing and fetch nothing, and a
/// token signed with another tenant's key is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_resolved_pools_each_cost_one_resolver_call_and_one_fetch() {
    let server = Arc::new(PoolsJwksServer::start().await.unwrap());
    let fleet = Fleet::new(1_000, &server);
    let tenants = Tenants::with_server(&server);
    for id in &fleet.ids {
        tenants.own(id);
    }
    let clock = ManualClock::at_unix(NOW);
    let v = builder(&clock)
        .pool_resolver(tenants.resolver())
        .resolver_settings(ResolverSettings::default().budget(0, 1_000))
        .token_cache_max_bytes(0)
        .build()
        .unwrap();
    let tokens: Vec<(usize, String)> = (0..fleet.ids.len())
        .flat_map(|i| [(i, fleet.token(i, "alice")), (i, fleet.token(i, "bob"))])
        .collect();
    let verify_all = |v: Verifier| {
        let tokens = tokens.clone();
        async move {
            futures_util::stream::iter(tokens)
                .map(|(i, token)| {
                    let v = v.clone();
                    async move { (i, v.verify(&token).await) }
                })
                .buffer_unordered(64)
                .collect::<Vec<_>>()
                .await
        }
    };
    let results = tokio::time::timeout(GUARD, verify_all(v.clone()))
        .await
        .unwrap();
    for (i, result) in &results {
        let verified = result.as_ref().unwrap_or_else(|e| panic!("pool {i}: {e}"));
        assert_eq!(verified.user_pool_id(), fleet.ids[*i]);
    }
    assert_eq!(results.len(), 2_000);
    for id in &fleet.ids {
        assert_eq!(tenants.calls_for(id), 1, "{id}: one resolver call");
        assert_eq!(server.fetches_of(id), 1, "{id}: one key fetch");
    }
    assert_eq!(server.fetch_count(), 1_000);

    let again = tokio::time::timeout(GUARD, verify_all(v.clone()))
        .await
        .unwrap();
    assert!(again.iter().all(|(_, r)| r.is_ok()));
    assert_eq!(tenants.calls(), 1_000, "held pools call nothing");
    assert_eq!(server.fetch_count(), 1_000, "and fetch nothing");

    // Pool 1's issuer, signed with pool 0's key: not in pool 1's key set.
    let crossed = fleet.keys[0]
        .access_token()
        .claim("iss", cognito_iss(&fleet.ids[1]))
        .sign();
    assert_eq!(kind(&v.verify(&crossed).await), "unknown_kid");
}

/// A hand-made token with this issuer and a signature nobody made: a flood needs no key.
fn made_up(iss: &str) -> String {
    let header = json!({"alg": "RS256", "kid": "k1"});
    let claims = json!({"iss": iss, "token_use": "access", "sub": "x", "exp": NOW + 3600});
    format!("{}.{}", signing_input(&header, &claims), b64([7u8; 256]))
}

/// 10,000 tokens, each with its own made-up Cognito-shaped issuer: the resolver is called at most
/// `burst + per_second × seconds` times (here the clock stands still: exactly the burst), the
/// tokens beyond are refused as `keys_unavailable` (`resolver_busy`, retry after ≥ 1 s) without a
/// call, nothing is fetched, and issuers not of a pool's shape never reach the resolver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_made_up_issuers_costs_at_most_the_budget_and_no_fetch() {
    let server = Arc::new(PoolsJwksServer::start().await.unwrap());
    let tenants = Tenants::with_server(&server);
    let clock = ManualClock::at_unix(NOW);
    let (per_second, burst) = (10, 100);
    let v = builder(&clock)
        .pool_resolver(tenants.resolver())
        .resolver_settings(ResolverSettings::default().budget(per_second, burst))
        .build()
        .unwrap();
    let flood: Vec<String> = (0..10_000)
        .map(|i| made_up(&cognito_iss(&format!("us-east-1_Flood{i}"))))
        .collect();
    let results = futures_util::stream::iter(&flood)
        .map(|token| v.verify(token))
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    let refused = results
        .iter()
        .filter(|r| kind(r) == "invalid_issuer")
        .count();
    let busy: Vec<&Error> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .filter(|e| {
            matches!(
                e,
                Error::KeysUnavailable(KeyFetchError::ResolverBusy { .. })
            )
        })
        .collect();
    assert_eq!(tenants.calls(), u64::from(burst), "the burst, nothing more");
    assert_eq!(v.resolver_calls(), u64::from(burst));
    assert_eq!(refused, burst as usize);
    assert_eq!(busy.len(), 10_000 - burst as usize);
    assert!(
        busy.iter()
            .all(|e| e.status_code() == 503 && e.retry_after() >= Some(SEC))
    );
    assert_eq!(server.fetch_count(), 0, "no key fetched");

    // Time refills the budget at its rate.
    clock.advance(SEC);
    let next: Vec<String> = (0..50)
        .map(|i| made_up(&cognito_iss(&format!("us-east-1_Later{i}"))))
        .collect();
    for token in &next {
        drop(v.verify(token).await);
    }
    assert_eq!(tenants.calls(), u64::from(burst + per_second));

    // Issuers refused before are answered from memory, not by the resolver or the budget.
    assert_eq!(kind(&v.verify(&flood[0]).await), "invalid_issuer");
    // Not a pool's shape: refused without asking.
    for iss in [
        "https://evil.example/us-east-1_X",
        "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_X",
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X/",
    ] {
        assert_eq!(
            kind(&v.verify(&made_up(iss)).await),
            "invalid_issuer",
            "{iss}"
        );
    }
    assert_eq!(tenants.calls(), u64::from(burst + per_second));
    assert_eq!(server.fetch_count(), 0);
}

/// 32 verifications of one new tenant's tokens at once, while the resolver is held: one call,
/// then all accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_lookups_of_one_issuer_share_one_resolver_call() {
    let server = Arc::new(PoolsJwksServer::start().await.unwrap());
    let fleet = Fleet::new(1, &server);
    let tenants = Tenants::with_server(&server);
    tenants.own(&fleet.ids[0]);
    let (calls, release) = (Arc::new(AtomicU64::new(0)), Arc::new(Notify::new()));
    let resolver = {
        let (tenants, calls, release) = (tenants.clone(), calls.clone(), release.clone());
        resolver_fn(move |issuer| {
            let (tenants, calls, release) = (tenants.clone(), calls.clone(), release.clone());
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                release.notified().await;
                tenants.answer(&issuer)
            }
        })
    };
    let clock = ManualClock::at_unix(NOW);
    let v = builder(&clock)
        .pool_resolver(resolver)
        .token_cache_max_bytes(0)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|n| {
            let (v, token) = (v.clone(), fleet.token(0, &format!("user{n}")));
            tokio::spawn(async move { v.verify(&token).await.map(drop) })
        })
        .collect();
    let deadline = tokio::time::Instant::now() + GUARD;
    while calls.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the resolver was never called"
        );
        tokio::task::yield_now().await;
    }
    release.notify_one();
    for task in tasks {
        tokio::time::timeout(GUARD, task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(server.fetch_count(), 1);
}

/// A refused issuer stays refused for the unknown TTL (no call), even once the tenant signs up;
/// after it, the resolver is asked again and the pool accepted. A pool is held for the known TTL;
/// after it the resolver is asked again (its cached tokens re-verified), and a tenant that left is
/// refused. A failing resolver is a 503, held for a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_held_until_their_ttl_on_the_verifiers_clock() {
    let server = Arc::new(PoolsJwksServer::start().await.unwrap());
    let fleet = Fleet::new(1, &server);
    let id = fleet.ids[0].clone();
    let tenants = Tenants::with_server(&server);
    let clock = ManualClock::at_unix(NOW);
    let v = builder(&clock)
        .pool_resolver(tenants.resolver())
        .resolver_settings(
            ResolverSettings::default()
                .known_ttl(10 * MIN)
                .unknown_ttl(MIN),
        )
        .build()
        .unwrap();
    let token = fleet.token(0, "alice");

    assert_eq!(kind(&v.verify(&token).await), "invalid_issuer");
    assert_eq!(tenants.calls(), 1);
    tenants.own(&id);
    assert_eq!(kind(&v.verify(&token).await), "invalid_issuer", "held");
    assert_eq!(tenants.calls(), 1, "no call while the refusal is held");
    clock.advance(MIN);
    assert_eq!(kind(&v.verify(&token).await), "ok");
    assert_eq!(tenants.calls(), 2);
    assert_eq!(kind(&v.verify(&token).await), "ok", "from the token cache");
    assert_eq!(tenants.calls(), 2);

    // The pool's answer expires: the cached token is judged afresh, the resolver asked again.
    clock.advance(10 * MIN);
    assert_eq!(kind(&v.verify(&token).await), "ok");
    assert_eq!(tenants.calls(), 3);
    // The tenant leaves; once the answer expires its tokens are refused, cached or not.
    tenants.leave(&id);
    assert_eq!(kind(&v.verify(&token).await), "ok", "still held");
    clock.advance(10 * MIN);
    assert_eq!(kind(&v.verify(&token).await), "invalid_issuer");
    assert_eq!(tenants.calls(), 4);

    // A failing resolver: 503, never an acceptance; the failure is held for a second.
    tenants.own(&id);
    clock.advance(MIN);
    tenants.failing.store(true, Ordering::SeqCst);
    let failed = v.verify(&token).await;
    assert!(matches!(
        failed,
        Err(Error::KeysUnavailable(KeyFetchError::Resolver))
    ));
    assert_eq!(tenants.calls(), 5);
    assert_eq!(kind(&v.verify(&token).await), "keys_unavailable");
    assert_eq!(tenants.calls(), 5, "held");
    tenants.failing.store(false, Ordering::SeqCst);
    clock.advance(SEC);
    assert_eq!(kind(&v.verify(&token).await), "ok");
    assert_eq!(tenants.calls(), 6);
}

/// A resolver that never answers: the token is refused (503) at the resolver timeout.
#[tokio::test]
async fn a_resolver_that_never_answers_is_a_503_at_its_timeout() {
    let resolver = resolver_fn(|_| std::future::pending());
    let v = builder(&ManualClock::at_unix(NOW))
        .pool_resolver(resolver)
        .resolver_settings(ResolverSettings::default().timeout(Duration::from_millis(100)))
        .build()
        .unwrap();
    let token = made_up(&cognito_iss("eu-west-1_Slow"));
    let refused = tokio::time::timeout(GUARD, v.verify(&token)).await.unwrap();
    assert!(matches!(
        refused,
        Err(Error::KeysUnavailable(KeyFetchError::Resolver))
    ));
}

/// Without a pool and without a resolver there is nothing to verify with; with a resolver, no
/// pool is needed. A resolver's issuer prefix must be a URL ending in `/`.
#[test]
fn a_resolver_replaces_the_configured_pools() {
    let build = |b: cognito_verify::VerifierBuilder| {
        b.token_use(TokenUse::Access)
            .build()
            .map(drop)
            .map_err(|e| e.kind().as_str())
    };
    assert_eq!(build(Verifier::builder()), Err("no_pools"));
    let resolver = || resolver_fn(|_| async { Ok(None) });
    assert_eq!(build(Verifier::builder().pool_resolver(resolver())), Ok(()));
    for prefix in ["http://127.0.0.1:9229", "ftp://x/", "not a url/"] {
        let settings = ResolverSettings::default().issuer_prefix(prefix);
        assert_eq!(
            build(
                Verifier::builder()
                    .pool_resolver(resolver())
                    .resolver_settings(settings)
            ),
            Err("invalid_url"),
            "{prefix}"
        );
    }
}

/// `try_verify` (no waiting) with a resolver: a new tenant's token starts the resolution and the
/// key fetch in the background and answers `WouldFetch` until both are done, then verifies; a
/// refused issuer is refused at once, from the answer held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_verify_resolves_in_the_background() {
    let server = Arc::new(PoolsJwksServer::start().await.unwrap());
    let fleet = Fleet::new(1, &server);
    let tenants = Tenants::with_server(&server);
    tenants.own(&fleet.ids[0]);
    let v = builder(&ManualClock::at_unix(NOW))
        .pool_resolver(tenants.resolver())
        .token_cache_max_bytes(0)
        .build()
        .unwrap();
    let token = fleet.token(0, "alice");
    let deadline = tokio::time::Instant::now() + GUARD;
    loop {
        match v.try_verify(&token) {
            Ok(verified) => {
                assert_eq!(verified.user_pool_id(), fleet.ids[0]);
                break;
            }
            Err(cognito_verify::TryVerifyError::WouldFetch) => {}
            Err(other) => panic!("{other}"),
        }
        assert!(tokio::time::Instant::now() < deadline, "never verified");
        tokio::task::yield_now().await;
    }
    assert_eq!(tenants.calls(), 1);
    assert_eq!(server.fetch_count(), 1);

    let stranger = made_up(&cognito_iss("eu-west-1_Stranger"));
    assert!(v.verify(&stranger).await.is_err());
    let refused = v
        .try_verify(&stranger)
        .map(drop)
        .map_err(|e| e.kind().as_str());
    assert_eq!(refused, Err("invalid_issuer"));
    assert_eq!(tenants.calls(), 2);
}
