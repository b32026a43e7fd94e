//! Memory report (no timing): bytes per cached token, per parsed key and per pool.
//!
//! Two measurements for each:
//! - **Rust heap**: live bytes requested from the global allocator (`stats_alloc` counts every
//!   allocation and free), exact, plus the allocation count (glibc adds ~16 bytes of chunk
//!   header and rounding per allocation). aws-lc's own C allocations (the RSA key) are not seen
//!   here.
//! - **RSS**: growth of the resident set (`/proc/self/statm`), which sees C allocations too but
//!   only in whole pages, so it is taken over thousands of items.
//!
//! `cargo bench -p cognito-verify-benches --bench memory` (4,000 tokens of each kind, 4,000
//! keys); under `cargo test --benches` it runs on a handful, as a smoke test.

// Bench setup: a fixture that cannot be built is a broken bench, and panicking says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use aws_lc_rs::signature::ParsedPublicKey;
use cognito_verify::defaults::DEFAULT_TOKEN_CACHE_MAX_BYTES;
use cognito_verify::testing::{TestIssuer, b64, signing_input};
use cognito_verify::{Pool, ResolverError, ResolverSettings, TokenUse, Verifier, resolver_fn};
use cognito_verify_benches::{BareRs256, rss_bytes, split_token, verifier_for, verify_now};
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// A point to measure growth from.
struct Mark {
    live: isize,
    allocations: isize,
    rss: i64,
}

/// Growth since a [`Mark`], divided over `per` items.
struct PerItem {
    live: f64,
    allocations: f64,
    rss: f64,
}

impl Mark {
    fn now() -> Self {
        let stats = GLOBAL.stats();
        Mark {
            live: stats.bytes_allocated as isize - stats.bytes_deallocated as isize,
            allocations: stats.allocations as isize - stats.deallocations as isize,
            rss: rss_bytes().unwrap() as i64,
        }
    }

    fn per(&self, items: usize) -> PerItem {
        let now = Mark::now();
        let n = items as f64;
        PerItem {
            live: (now.live - self.live) as f64 / n,
            allocations: (now.allocations - self.allocations) as f64 / n,
            rss: (now.rss - self.rss) as f64 / n,
        }
    }
}

impl PerItem {
    fn minus(&self, other: &PerItem, scale: f64) -> PerItem {
        PerItem {
            live: (self.live - other.live) / scale,
            allocations: (self.allocations - other.allocations) / scale,
            rss: (self.rss - other.rss) / scale,
        }
    }

    fn row(&self, what: &str) {
        self.row_with_rss(what, &format!("{:.0}", self.rss));
    }

    fn row_with_rss(&self, what: &str, rss: &str) {
        println!(
            "| {what} | {:.0} | {:.1} | {:.0} | {rss} |",
            self.live,
            self.allocations,
            self.live + 16.0 * self.allocations,
        );
    }
}

fn table_head(first: &str) {
    println!(
        "| {first} | Rust heap, bytes | allocations | heap + 16 B/allocation | RSS growth, bytes |"
    );
    println!("|---|---:|---:|---:|---:|");
}

/// Signs `n` tokens with `mint`, on two threads.
fn sign_many(n: usize, mint: &(dyn Fn() -> String + Sync)) -> Vec<String> {
    std::thread::scope(|scope| {
        let halves: Vec<_> = [n / 2, n - n / 2]
            .into_iter()
            .map(|count| scope.spawn(move || (0..count).map(|_| mint()).collect::<Vec<_>>()))
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

/// Everything measured stays alive until the end, so that no later measurement reuses its
/// freed memory (which would hide RSS growth).
type Keep = Vec<Box<dyn std::any::Any>>;

fn keys(issuer: &TestIssuer, count: usize, verifiers: usize, keep: &mut Keep) {
    let jwk = issuer.signing_key().jwk();
    let token = issuer.access_token().sign();
    let (input, signature) = split_token(&token).unwrap();

    println!("## Per key (RSA-2048)\n");
    let probe = BareRs256::from_jwk(&jwk).unwrap();
    let der_len = black_box(&probe).der_len();
    println!(
        "`size_of::<ParsedPublicKey>()` = {} bytes inline; it also owns its DER \
         (SubjectPublicKeyInfo, {der_len} bytes) and aws-lc's EVP_PKEY/RSA/BIGNUMs in C.\n",
        std::mem::size_of::<ParsedPublicKey>()
    );
    table_head("what, per key");

    // Through the verifier: a key set of 32 kids (one key each; same modulus, parsed apart)
    // against a key set of 1, in `verifiers` verifiers each, every key used once.
    let kids: Vec<String> = (0..32).map(|i| format!("bench-kid-{i:02}")).collect();
    let jwks_with = |kids: &[String]| {
        let keys: Vec<_> = kids
            .iter()
            .map(|kid| {
                let mut key = jwk.clone();
                key["kid"] = json!(kid);
                key
            })
            .collect();
        json!({ "keys": keys }).to_string()
    };
    let tokens: Vec<String> = kids
        .iter()
        .map(|kid| issuer.access_token().kid(kid).sign())
        .collect();
    let build = |jwks: &str, kids: usize| -> Vec<Verifier> {
        (0..verifiers)
            .map(|_| {
                let verifier = Verifier::builder()
                    .pool(issuer.pool().static_jwks(jwks))
                    .token_use(TokenUse::Access)
                    .token_cache_max_bytes(0)
                    .build()
                    .unwrap();
                for token in &tokens[..kids] {
                    assert_eq!(verify_now(&verifier, token), Some(true));
                }
                verifier
            })
            .collect()
    };
    let (one, all) = (jwks_with(&kids[..1]), jwks_with(&kids));
    // Warm lazily initialised state (allocator arenas, tracing callsites) before measuring.
    drop(build(&one, 1));
    let mark = Mark::now();
    let small = build(&one, 1);
    let per_small = mark.per(verifiers);
    let mark = Mark::now();
    let large = build(&all, kids.len());
    let per_large = mark.per(verifiers);
    per_large
        .minus(&per_small, (kids.len() - 1) as f64)
        .row("one more key in a verifier's key set (kid, map slot, key)");
    // Its RSS growth is meaningless: it reuses the memory the warm-up freed.
    per_small.row_with_rss(
        "(for scale: a whole verifier with a 1-key set, cache off)",
        "(not measurable)",
    );
    keep.push(Box::new((small, large)));

    // Bare aws-lc-rs keys, each used once (RSA verification caches a Montgomery context).
    let mark = Mark::now();
    let parsed: Vec<BareRs256> = (0..count)
        .map(|_| {
            let key = BareRs256::from_jwk(&jwk).unwrap();
            assert!(key.verify(input.as_bytes(), &signature));
            key
        })
        .collect();
    mark.per(count)
        .row("aws-lc-rs `ParsedPublicKey` alone, parsed and used once");
    keep.push(Box::new(parsed));
    println!();
}

fn tokens(issuer: &TestIssuer, count: usize, keep: &mut Keep) {
    println!("## Per cached token\n");
    println!(
        "Verified-token cache with a budget large enough to keep all {count} tokens; \
         \"estimate\" is `token_cache_stats().estimated_bytes / entries` (what the byte budget \
         is charged).\n"
    );
    table_head("what, per token");
    let mut estimates = Vec::new();
    let access = || issuer.access_token().groups(["admin"]).sign();
    let id = || issuer.id_token().groups(["admin"]).sign();
    let kinds: [(&str, TokenUse, &(dyn Fn() -> String + Sync)); 2] = [
        ("access", TokenUse::Access, &access),
        ("id", TokenUse::Id, &id),
    ];
    for (name, token_use, mint) in kinds {
        let tokens = sign_many(count, mint);
        let verifier = verifier_for(issuer, token_use, 1 << 30).unwrap();
        // The first insertion sets moka's structures up; measure the steady state after it.
        assert_eq!(verify_now(&verifier, &mint()), Some(true));
        let before = verifier.token_cache_stats().unwrap();
        let mark = Mark::now();
        for token in &tokens {
            assert_eq!(verify_now(&verifier, token), Some(true));
        }
        let stats = verifier.token_cache_stats().unwrap();
        let measured = mark.per(count);
        assert_eq!(stats.entries - before.entries, count as u64);
        let estimate = (stats.estimated_bytes - before.estimated_bytes) as f64 / count as f64;
        let length = tokens.iter().map(String::len).sum::<usize>() as f64 / count as f64;
        measured.row(&format!("{name} token ({length:.0} characters), measured"));
        estimates.push((name, length, estimate));
        keep.push(Box::new((verifier, tokens)));
    }
    println!();
    println!(
        "| token | characters | estimate charged to the budget, bytes | tokens the default {} MiB budget holds |",
        DEFAULT_TOKEN_CACHE_MAX_BYTES >> 20
    );
    println!("|---|---:|---:|---:|");
    for (name, length, estimate) in estimates {
        println!(
            "| {name} | {length:.0} | {estimate:.0} | {:.0} |",
            DEFAULT_TOKEN_CACHE_MAX_BYTES as f64 / estimate
        );
    }
    println!();
}

/// Bytes per pool: configured with its key set (two RSA-2048 keys, as Cognito publishes),
/// configured with its keys not yet fetched, and resolved (by a resolver, keys preloaded).
fn pools(count: usize, keep: &mut Keep) {
    println!("## Per pool\n");
    println!(
        "{count} pools in one verifier, each with its own copy of a two-key JWKS (parsed apart), \
         against a verifier with one pool.\n"
    );
    table_head("what, per pool");
    let mut issuer = TestIssuer::with_pool_id("us-east-1_MemPool");
    issuer.rotate();
    let jwks = issuer.jwks_json();
    let ids: Vec<String> = (0..count).map(|i| format!("us-east-1_Pool{i}")).collect();
    let configured = |keys: bool, ids: &[String]| {
        let builder = Verifier::builder()
            .token_use(TokenUse::Access)
            .token_cache_max_bytes(0);
        ids.iter()
            .fold(builder, |b, id| {
                let pool = Pool::new(id.as_str()).any_client();
                b.pool(if keys {
                    pool.static_jwks(jwks.as_str())
                } else {
                    pool
                })
            })
            .build()
            .unwrap()
    };
    for (what, keys) in [
        ("configured pool with its key set (2 RSA-2048 keys)", true),
        ("configured pool, keys not fetched yet", false),
    ] {
        drop(configured(keys, &ids[..1]));
        let mark = Mark::now();
        let verifier = configured(keys, &ids);
        mark.per(count).row(what);
        keep.push(Box::new(verifier));
    }

    // Resolved: the resolver answers each pool with the key set preloaded.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let resolver = {
        let jwks = jwks.clone();
        resolver_fn(move |unknown| {
            let pool = Pool::new(unknown.user_pool_id())
                .any_client()
                .static_jwks(jwks.clone());
            async move { Ok::<_, ResolverError>(Some(pool)) }
        })
    };
    let verifier = Verifier::builder()
        .token_use(TokenUse::Access)
        .token_cache_max_bytes(0)
        .pool_resolver(resolver)
        .resolver_settings(ResolverSettings::default().budget(0, u32::try_from(count + 1).unwrap()))
        .build()
        .unwrap();
    let header = json!({"alg": "RS256", "kid": "k"});
    let token_of = |id: &str| {
        let claims = json!({"iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{id}")});
        format!("{}.{}", signing_input(&header, &claims), b64([1u8; 256]))
    };
    let tokens: Vec<String> = ids.iter().map(|id| token_of(id)).collect();
    runtime.block_on(async {
        drop(verifier.verify(&token_of("us-east-1_Warm")).await);
        let mark = Mark::now();
        for token in &tokens {
            drop(verifier.verify(token).await);
        }
        mark.per(count)
            .row("resolved pool with its key set (2 RSA-2048 keys)");
    });
    assert_eq!(verifier.resolver_calls(), count as u64 + 1);
    keep.push(Box::new(verifier));
    println!();
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: a quick smoke run then.
    let full = std::env::args().any(|a| a == "--bench");
    let (key_count, verifiers, token_count) = if full { (4000, 100, 4000) } else { (8, 2, 8) };
    let issuer = TestIssuer::new();
    println!(
        "# cognito-verify memory report ({})\n",
        if full { "full" } else { "smoke" }
    );
    let mut keep = Keep::new();
    tokens(&issuer, token_count, &mut keep);
    keys(&issuer, key_count, verifiers, &mut keep);
    pools(if full { 4000 } else { 8 }, &mut keep);
    drop(keep);
}
