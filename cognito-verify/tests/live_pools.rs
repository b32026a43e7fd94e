//! Pools added and removed on a live verifier, against a real loopback key server: under
//! concurrent verification no token of a pool never removed is refused, no token of a removed pool
//! is accepted once `remove_pool` has returned (cached or not), and the removed pool's cached
//! tokens leave the cache.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cognito_verify::testing::{PoolsJwksServer, TestIssuer};
use cognito_verify::{ManualClock, Pool, TokenUse, Verifier};
use common::{GUARD, NOW, kind};

/// A tenant: its own key and pool id, its JWKS at the shared server.
fn tenant(server: &PoolsJwksServer, id: &str) -> (TestIssuer, Pool) {
    let mut issuer = TestIssuer::with_pool_id(id);
    issuer.set_now(NOW);
    server.serve(id, issuer.jwks_json());
    let pool = issuer.pool().jwks_uri(server.url(id));
    (issuer, pool)
}

fn verifier(pools: Vec<Pool>) -> Verifier {
    pools
        .into_iter()
        .fold(Verifier::builder(), |b, pool| b.pool(pool))
        .token_use(TokenUse::Access)
        .clock(ManualClock::at_unix(NOW))
        .jwks_timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Two kept tenants are verified without pause (cached and fresh tokens) while tenants are added,
/// verified and removed one after the other, and while a configured tenant is removed: every
/// kept token is accepted; every token of a removed tenant verified after its removal returned
/// is refused, its cached ones included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_and_removing_pools_under_concurrent_verification() {
    let server = PoolsJwksServer::start().await.unwrap();
    let (keep_a, pool_a) = tenant(&server, "eu-west-1_KeepA");
    let (keep_b, pool_b) = tenant(&server, "eu-west-1_KeepB");
    let (gone, pool_gone) = tenant(&server, "eu-west-1_Gone");
    let (temp, _) = tenant(&server, "eu-west-1_Temp");
    let v = verifier(vec![pool_a, pool_b, pool_gone]);
    let gone_cached = gone.access_token().sign();
    assert_eq!(kind(&v.verify(&gone_cached).await), "ok");

    let stop = Arc::new(AtomicBool::new(false));
    let removed = Arc::new(AtomicBool::new(false));
    let keepers: Vec<_> = [keep_a, keep_b]
        .into_iter()
        .map(|issuer| {
            let (v, stop) = (v.clone(), stop.clone());
            tokio::spawn(async move {
                let cached = issuer.access_token().sign();
                let mut verified = 0u64;
                let mut n = 0u64;
                while !stop.load(Ordering::SeqCst) || verified < 20 {
                    n += 1;
                    let fresh = issuer.access_token().claim("jti", format!("j{n}")).sign();
                    for token in [&cached, &fresh] {
                        let result = v.verify(token).await;
                        assert_eq!(kind(&result), "ok", "a kept tenant's token was refused");
                    }
                    verified += 2;
                    // A verification answered from held keys never suspends: let the fetches
                    // and the server run.
                    tokio::task::yield_now().await;
                }
                verified
            })
        })
        .collect();
    // Verifies the removed tenant's tokens throughout; a verification begun after the removal
    // returned must be refused.
    let watcher = {
        let (v, removed, stop) = (v.clone(), removed.clone(), stop.clone());
        let cached = gone_cached.clone();
        tokio::spawn(async move {
            let mut after = 0u64;
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) || after < 20 {
                n += 1;
                let fresh = gone.access_token().claim("jti", format!("g{n}")).sign();
                for token in [&cached, &fresh] {
                    let was_removed = removed.load(Ordering::SeqCst);
                    let result = v.verify(token).await;
                    if was_removed {
                        assert_eq!(kind(&result), "invalid_issuer", "a removed pool answered");
                        after += 1;
                    }
                }
                tokio::task::yield_now().await;
            }
            after
        })
    };

    // Tenants come and go.
    for round in 0..20 {
        let token = temp.access_token().claim("jti", format!("t{round}")).sign();
        assert_eq!(kind(&v.verify(&token).await), "invalid_issuer");
        v.add_pool(temp.pool().jwks_uri(server.url(temp.pool_id())))
            .unwrap();
        assert_eq!(kind(&v.verify(&token).await), "ok");
        assert!(v.remove_pool(temp.pool_id()));
        assert_eq!(kind(&v.verify(&token).await), "invalid_issuer");
        if round == 10 {
            assert!(v.remove_pool("eu-west-1_Gone"));
            removed.store(true, Ordering::SeqCst);
            assert_eq!(kind(&v.verify(&gone_cached).await), "invalid_issuer");
        }
    }
    stop.store(true, Ordering::SeqCst);
    for keeper in keepers {
        let verified = tokio::time::timeout(GUARD, keeper).await.unwrap().unwrap();
        assert!(verified >= 20);
    }
    let after = tokio::time::timeout(GUARD, watcher).await.unwrap().unwrap();
    assert!(after >= 20, "the removed pool was tried after its removal");
    assert_eq!(
        v.issuers(),
        [
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_KeepA",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_KeepB",
        ]
    );
}

/// Removing a pool drops its cached tokens from memory, and only its own.
#[tokio::test]
async fn a_removed_pools_cached_tokens_leave_the_cache() {
    let server = PoolsJwksServer::start().await.unwrap();
    let (keep, pool_keep) = tenant(&server, "eu-west-1_Keep");
    let (gone, pool_gone) = tenant(&server, "eu-west-1_Gone");
    let v = verifier(vec![pool_keep, pool_gone]);
    for n in 0..10 {
        for issuer in [&keep, &gone] {
            let token = issuer.access_token().claim("jti", format!("{n}")).sign();
            assert_eq!(kind(&v.verify(&token).await), "ok");
        }
    }
    let entries = || v.token_cache_stats().unwrap().entries;
    assert_eq!(entries(), 20);
    assert!(v.remove_pool("eu-west-1_Gone"));
    let deadline = tokio::time::Instant::now() + GUARD;
    while entries() != 10 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} entries",
            entries()
        );
        tokio::task::yield_now().await;
    }
    assert_eq!(
        server.fetches_of("eu-west-1_Keep"),
        1,
        "the kept pool's keys were kept"
    );
    let again = keep.access_token().claim("jti", "0").sign();
    assert_eq!(kind(&v.verify(&again).await), "ok");
    assert_eq!(server.fetch_count(), 2);
}

/// An added pool is checked as at build time; removing an unknown pool changes nothing; a
/// verifier may lose its last pool (then it refuses every token).
#[tokio::test]
async fn adding_and_removing_follow_the_build_rules() {
    let server = PoolsJwksServer::start().await.unwrap();
    let (one, pool_one) = tenant(&server, "eu-west-1_One");
    let v = verifier(vec![pool_one.clone()]);
    let kind_of = |r: Result<(), cognito_verify::ConfigError>| r.map_err(|e| e.kind().as_str());
    assert_eq!(kind_of(v.add_pool(pool_one)), Err("duplicate_issuer"));
    assert_eq!(
        kind_of(v.add_pool(Pool::new("not-a-pool").any_client())),
        Err("invalid_user_pool_id")
    );
    assert_eq!(
        kind_of(v.add_pool(Pool::new("eu-west-1_Two"))),
        Err("missing_client_policy")
    );
    assert!(!v.remove_pool("eu-west-1_Unknown"));
    assert_eq!(v.issuers().len(), 1);
    assert!(v.remove_pool("eu-west-1_One"));
    assert!(v.issuers().is_empty());
    assert_eq!(
        kind(&v.verify(&one.access_token().sign()).await),
        "invalid_issuer"
    );
}
