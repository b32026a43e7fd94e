//! A policy per pool: token use, app clients, scopes, groups and leeway set on a `Pool` judge
//! that pool's tokens only (fresh and from the verified-token cache), the verifier-wide settings
//! are the default of the others, and the hook sees which pool accepted a token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{
    ConfigError, ErrorClass, ErrorKind, HookRejection, ManualClock, Pool, Requirement, TokenUse,
    Verifier, VerifierBuilder, hook_fn,
};
use common::{NOW, kind};

/// One tenant's pool: its issuer (own pool id, own app client) and its JWKS on loopback.
struct Tenant {
    issuer: TestIssuer,
    server: JwksServer,
}

impl Tenant {
    async fn new(pool_id: &str, client_id: &str) -> Self {
        let mut issuer = TestIssuer::with_pool_id(pool_id).client_id(client_id);
        issuer.set_now(NOW);
        let server = JwksServer::start(issuer.jwks_json()).await.unwrap();
        Tenant { issuer, server }
    }

    fn pool(&self) -> Pool {
        self.issuer.pool().jwks_uri(self.server.url())
    }
}

/// Three tenants on one verifier:
/// - verifier-wide: access tokens, group `staff`, leeway 300 s;
/// - `a`: its own scope `orders/read` and leeway 0 (access tokens and `staff` inherited);
/// - `b`: id tokens of `admin`s, leeway 120 s;
/// - `c`: nothing of its own (everything verifier-wide).
struct Tenants {
    a: Tenant,
    b: Tenant,
    c: Tenant,
    clock: ManualClock,
}

impl Tenants {
    async fn new() -> Self {
        Tenants {
            a: Tenant::new("eu-west-1_TenantA", "client-a").await,
            b: Tenant::new("eu-west-1_TenantB", "client-b").await,
            c: Tenant::new("eu-west-1_TenantC", "client-c").await,
            clock: ManualClock::at_unix(NOW),
        }
    }

    fn builder(&self, cache_bytes: u64) -> VerifierBuilder {
        Verifier::builder()
            .token_use(TokenUse::Access)
            .require_groups(Requirement::any_of(["staff"]))
            .leeway(Duration::from_secs(300))
            .pool(
                self.a
                    .pool()
                    .require_scopes(Requirement::any_of(["orders/read"]))
                    .leeway(Duration::ZERO),
            )
            .pool(
                self.b
                    .pool()
                    .token_use(TokenUse::Id)
                    .require_groups(Requirement::any_of(["admin"]).allow_id_tokens())
                    .leeway(Duration::from_secs(120)),
            )
            .pool(self.c.pool())
            .clock(self.clock.clone())
            .token_cache_max_bytes(cache_bytes)
    }
}

#[tokio::test]
async fn each_token_is_judged_by_its_own_pools_policy() {
    let t = Tenants::new().await;
    let v = t.builder(0).build().unwrap();
    let (a, b, c) = (&t.a.issuer, &t.b.issuer, &t.c.issuer);

    // a: access tokens with `orders/read` (its own) of `staff` (verifier-wide).
    let a_ok = a.access_token().scope("orders/read").groups(["staff"]);
    assert_eq!(kind(&v.verify(&a_ok.sign()).await), "ok");
    let cases = [
        (
            a.access_token().groups(["staff"]).sign(),
            ErrorKind::InsufficientScope,
        ),
        (
            a.access_token()
                .scope("orders/read")
                .groups(["admin"])
                .sign(),
            ErrorKind::InsufficientGroup,
        ),
        (
            a.id_token().groups(["staff"]).sign(),
            ErrorKind::InvalidTokenUse,
        ),
        (
            a.access_token()
                .scope("orders/read")
                .groups(["staff"])
                .client("client-b")
                .sign(),
            ErrorKind::InvalidClient,
        ),
        // b: id tokens of `admin`s (its own groups replace `staff`), no scope needed.
        (
            b.access_token().groups(["admin"]).sign(),
            ErrorKind::InvalidTokenUse,
        ),
        (
            b.id_token().groups(["staff"]).sign(),
            ErrorKind::InsufficientGroup,
        ),
        (
            b.id_token().groups(["admin"]).client("client-a").sign(),
            ErrorKind::InvalidClient,
        ),
        // c: the verifier-wide policy: access tokens of `staff`, no scope needed.
        (
            c.id_token().groups(["staff"]).sign(),
            ErrorKind::InvalidTokenUse,
        ),
        (
            c.access_token().groups(["admin"]).sign(),
            ErrorKind::InsufficientGroup,
        ),
    ];
    for (i, (token, expected)) in cases.iter().enumerate() {
        let error = v.verify(token).await.unwrap_err();
        assert_eq!(error.kind(), *expected, "case {i}");
    }
    let b_ok = b.id_token().groups(["admin"]).sign();
    assert_eq!(kind(&v.verify(&b_ok).await), "ok");
    let c_ok = c.access_token().groups(["staff"]).sign();
    assert_eq!(kind(&v.verify(&c_ok).await), "ok");

    // Scopes and groups are 403, the rest 401.
    let scope = v.verify(&cases[0].0).await.unwrap_err();
    assert_eq!(scope.class(), ErrorClass::InsufficientScope);
    let token_use = v.verify(&cases[4].0).await.unwrap_err();
    assert_eq!(token_use.class(), ErrorClass::InvalidToken);
}

#[tokio::test]
async fn each_pools_leeway_judges_its_tokens() {
    let t = Tenants::new().await;
    let v = t.builder(0).build().unwrap();
    let a = |secs| {
        let token = t.a.issuer.access_token().scope("orders/read");
        token.groups(["staff"]).expires_in(secs).sign()
    };
    let b = |secs| {
        t.b.issuer
            .id_token()
            .groups(["admin"])
            .expires_in(secs)
            .sign()
    };
    let c = |secs| {
        t.c.issuer
            .access_token()
            .groups(["staff"])
            .expires_in(secs)
            .sign()
    };
    // a: no leeway; b: 120 s; c: the verifier-wide 300 s.
    assert_eq!(kind(&v.verify(&a(1)).await), "ok");
    assert_eq!(kind(&v.verify(&a(0)).await), "expired");
    assert_eq!(kind(&v.verify(&b(-119)).await), "ok");
    assert_eq!(kind(&v.verify(&b(-120)).await), "expired");
    assert_eq!(kind(&v.verify(&c(-299)).await), "ok");
    assert_eq!(kind(&v.verify(&c(-300)).await), "expired");
    // `nbf` and `iat` alike.
    let early = |token: cognito_verify::testing::TokenBuilder<'_>, secs: u64| {
        token.claim("nbf", NOW + secs).sign()
    };
    let a_early = |secs| {
        early(
            t.a.issuer
                .access_token()
                .scope("orders/read")
                .groups(["staff"]),
            secs,
        )
    };
    assert_eq!(kind(&v.verify(&a_early(0)).await), "ok");
    assert_eq!(kind(&v.verify(&a_early(1)).await), "not_yet_valid");
    let b_early = |secs| early(t.b.issuer.id_token().groups(["admin"]), secs);
    assert_eq!(kind(&v.verify(&b_early(120)).await), "ok");
    assert_eq!(kind(&v.verify(&b_early(121)).await), "not_yet_valid");
}

/// A cache hit re-checks expiry with the leeway of the token's own pool: a token of the pool
/// without leeway is refused the moment it expires although the verifier-wide leeway is 300 s,
/// and a token of a pool with more leeway is still answered from the cache.
#[tokio::test]
async fn a_cache_hit_rechecks_expiry_with_its_pools_leeway() {
    let t = Tenants::new().await;
    let v = t.builder(1 << 20).build().unwrap();
    let a =
        t.a.issuer
            .access_token()
            .scope("orders/read")
            .groups(["staff"]);
    let a = a.expires_in(60).sign();
    let b =
        t.b.issuer
            .id_token()
            .groups(["admin"])
            .expires_in(60)
            .sign();
    let c =
        t.c.issuer
            .access_token()
            .groups(["staff"])
            .expires_in(60)
            .sign();
    for token in [&a, &b, &c] {
        assert_eq!(kind(&v.verify(token).await), "ok");
    }
    assert_eq!(v.token_cache_stats().unwrap().entries, 3);
    // Every key set stays held and usable: only expiry can change an answer.
    let fetched = v.key_fetch_count();

    t.clock.set_unix(NOW + 60);
    assert_eq!(kind(&v.verify(&a).await), "expired");
    assert_eq!(kind(&v.verify(&b).await), "ok");
    assert_eq!(kind(&v.verify(&c).await), "ok");
    t.clock.set_unix(NOW + 180);
    assert_eq!(kind(&v.verify(&b).await), "expired");
    assert_eq!(kind(&v.verify(&c).await), "ok");
    t.clock.set_unix(NOW + 360);
    assert_eq!(kind(&v.verify(&c).await), "expired");
    assert_eq!(v.key_fetch_count(), fetched);

    // A hit answers exactly what a fresh verification does, pool by pool.
    let fresh = t.builder(0).build().unwrap();
    for at in [
        NOW + 59,
        NOW + 60,
        NOW + 179,
        NOW + 180,
        NOW + 359,
        NOW + 360,
    ] {
        t.clock.set_unix(at);
        for token in [&a, &b, &c] {
            let (cached, uncached) = (v.verify(token).await, fresh.verify(token).await);
            assert_eq!(kind(&cached), kind(&uncached), "at {at}");
        }
    }
}

/// The cache never lets a token of one pool be judged by another pool's policy: a token its own
/// pool refuses is refused on every call, even after the same claims were accepted from
/// another pool.
#[tokio::test]
async fn cached_answers_keep_each_pools_policy() {
    let t = Tenants::new().await;
    let v = t.builder(1 << 20).build().unwrap();
    let for_a =
        t.a.issuer
            .access_token()
            .scope("orders/read")
            .groups(["staff"])
            .sign();
    let a_without_scope = t.a.issuer.access_token().groups(["staff"]).sign();
    let c_without_scope = t.c.issuer.access_token().groups(["staff"]).sign();
    for _ in 0..3 {
        assert_eq!(kind(&v.verify(&for_a).await), "ok");
        assert_eq!(kind(&v.verify(&c_without_scope).await), "ok");
        assert_eq!(
            kind(&v.verify(&a_without_scope).await),
            "insufficient_scope"
        );
    }
    assert_eq!(v.token_cache_stats().unwrap().entries, 2);
}

/// The hook is told which pool accepted the token, and may deny by pool (a tenant rule).
#[tokio::test]
async fn the_hook_sees_the_pool_that_accepted_the_token() {
    let t = Tenants::new().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let v = t
        .builder(1 << 20)
        .hook(hook_fn(move |token| {
            log.lock()
                .unwrap()
                .push((token.user_pool_id().to_owned(), token.pool_index()));
            async move {
                match (token.user_pool_id(), token.subject()) {
                    ("eu-west-1_TenantB", "mallory") => {
                        Err(HookRejection::forbidden("not a member of this tenant"))
                    }
                    _ => Ok(()),
                }
            }
        }))
        .build()
        .unwrap();
    let a =
        t.a.issuer
            .access_token()
            .scope("orders/read")
            .groups(["staff"]);
    let a = a.claim("sub", "mallory").sign();
    let b =
        t.b.issuer
            .id_token()
            .groups(["admin"])
            .claim("sub", "mallory")
            .sign();
    assert_eq!(kind(&v.verify(&a).await), "ok");
    for _ in 0..2 {
        // Fresh, then from the cache: the hook runs every time.
        let denied = v.verify(&b).await.unwrap_err();
        assert_eq!(
            (denied.kind(), denied.status_code().as_u16()),
            (ErrorKind::HookForbidden, 403)
        );
    }
    let seen = seen.lock().unwrap().clone();
    let b_pool = ("eu-west-1_TenantB".to_owned(), 1);
    assert_eq!(
        seen,
        [("eu-west-1_TenantA".to_owned(), 0), b_pool.clone(), b_pool]
    );
}

#[tokio::test]
async fn the_token_use_may_be_set_on_every_pool_instead() {
    let t = Tenants::new().await;
    let without = |b: Pool| {
        Verifier::builder()
            .pool(t.a.pool().token_use(TokenUse::Access))
            .pool(b)
            .build()
            .map(drop)
    };
    assert_eq!(without(t.b.pool()), Err(ConfigError::MissingTokenUse));
    let v = Verifier::builder()
        .pool(t.a.pool().token_use(TokenUse::Access))
        .pool(t.b.pool().token_use(TokenUse::Id))
        .clock(t.clock.clone())
        .build()
        .unwrap();
    assert_eq!(
        kind(&v.verify(&t.a.issuer.access_token().sign()).await),
        "ok"
    );
    assert_eq!(kind(&v.verify(&t.b.issuer.id_token().sign()).await), "ok");
    assert_eq!(
        kind(&v.verify(&t.b.issuer.access_token().sign()).await),
        "invalid_token_use"
    );
    // An empty requirement is refused on a pool as on the builder.
    let empty = Verifier::builder()
        .token_use(TokenUse::Access)
        .pool(t.a.pool().require_groups(Requirement::any_of([""])))
        .build();
    assert_eq!(empty.map(drop), Err(ConfigError::EmptyRequirement));
}
