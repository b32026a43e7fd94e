//! Claim rules end to end: each rule with a token that passes and tokens that fail it, through a
//! real JWKS server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{
    ActualUse, ErrorKind, HookRejection, Pool, Requirement, TokenUse, Verifier, VerifierBuilder,
    hook_fn,
};
use common::{NOW, Setup, kind};
use http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn access_id_and_m2m_tokens_verify_with_typed_claims() {
    let s = Setup::new().await;
    let v = s.verifier(TokenUse::Either);

    let access = v
        .verify_access(&s.issuer.access_token().groups(["admin", "ops"]).sign())
        .await
        .unwrap();
    assert_eq!(access.username.as_deref(), Some("test-user"));
    assert_eq!(access.groups, ["admin", "ops"]);
    assert_eq!(access.client_id, s.issuer.app_client_id());
    assert_eq!(access.version, Some(2));
    assert!(access.scopes().any(|s| s == "openid"));
    assert!(!access.is_machine());

    let id = v
        .verify_id(&s.issuer.id_token().claim("custom:tenant", "acme").sign())
        .await
        .unwrap();
    assert_eq!(id.aud, s.issuer.app_client_id());
    assert_eq!(id.email.as_deref(), Some("test-user@example.com"));
    assert_eq!(id.email_verified, Some(true));
    assert_eq!(id.custom("tenant"), Some(&json!("acme")));

    let m2m = v
        .verify_access(&s.issuer.m2m_token(["orders/read", "orders/write"]).sign())
        .await
        .unwrap();
    assert!(m2m.is_machine());
    assert_eq!(m2m.sub, s.issuer.app_client_id());
    assert_eq!(
        m2m.scopes().collect::<Vec<_>>(),
        ["orders/read", "orders/write"]
    );
    assert!(m2m.groups.is_empty());
}

#[tokio::test]
async fn user_types_and_raw_claims() {
    #[derive(serde::Deserialize)]
    struct Mine {
        sub: String,
        #[serde(rename = "custom:tenant")]
        tenant: String,
    }
    let s = Setup::new().await;
    let v = s.verifier(TokenUse::Id);
    let token = s.issuer.id_token().claim("custom:tenant", "acme").sign();
    let mine: Mine = v.verify_as(&token).await.unwrap();
    assert_eq!(mine.tenant, "acme");
    let verified = v.verify(&token).await.unwrap();
    assert_eq!(mine.sub, verified.subject());
    assert_eq!(verified.token_use(), ActualUse::Id);
    assert_eq!(verified.raw_claims()["custom:tenant"], "acme");
    assert_eq!(verified.user_pool_id(), s.issuer.pool_id());

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct NeedsNumber {
        tenant_id: u64,
    }
    let r = v.verify_as::<NeedsNumber>(&token).await;
    assert_eq!(kind(&r), "invalid_claim");
}

#[tokio::test]
async fn emulator_shaped_tokens_are_accepted() {
    // moto: typ header, string email_verified, no event_id/version/origin_jti.
    let s = Setup::new().await;
    let v = s.verifier(TokenUse::Either);
    let id = s
        .issuer
        .id_token()
        .header("typ", "JWT")
        .claim("email_verified", "true")
        .without("event_id")
        .without("origin_jti")
        .sign();
    assert_eq!(v.verify_id(&id).await.unwrap().email_verified, Some(true));
    let access = s
        .issuer
        .access_token()
        .header("typ", "JWT")
        .without("version")
        .without("event_id")
        .sign();
    assert_eq!(kind(&v.verify(&access).await), "ok");
    let bad = s.issuer.id_token().claim("email_verified", "yes").sign();
    assert_eq!(kind(&v.verify(&bad).await), "invalid_claim");
}

#[tokio::test]
async fn token_use_must_match() {
    let s = Setup::new().await;
    let access = s.issuer.access_token().sign();
    let id = s.issuer.id_token().sign();
    let a = s.verifier(TokenUse::Access);
    let i = s.verifier(TokenUse::Id);
    let e = s.verifier(TokenUse::Either);
    assert_eq!(kind(&a.verify(&access).await), "ok");
    assert_eq!(kind(&a.verify(&id).await), "invalid_token_use");
    assert_eq!(kind(&i.verify(&id).await), "ok");
    assert_eq!(kind(&i.verify(&access).await), "invalid_token_use");
    assert_eq!(kind(&e.verify(&access).await), "ok");
    assert_eq!(kind(&e.verify(&id).await), "ok");
    assert_eq!(kind(&e.verify_access(&id).await), "invalid_token_use");
    assert_eq!(kind(&e.verify_id(&access).await), "invalid_token_use");
    let refresh = s.issuer.access_token().claim("token_use", "refresh").sign();
    assert_eq!(kind(&e.verify(&refresh).await), "invalid_token_use");
    let none = s.issuer.access_token().without("token_use").sign();
    assert_eq!(kind(&e.verify(&none).await), "missing_claim");
}

#[tokio::test]
async fn client_is_checked_on_client_id_for_access_and_aud_for_id() {
    let s = Setup::new().await;
    let v = s.verifier(TokenUse::Either);
    assert_eq!(
        kind(
            &v.verify(&s.issuer.access_token().client("other").sign())
                .await
        ),
        "invalid_client"
    );
    assert_eq!(
        kind(&v.verify(&s.issuer.id_token().client("other").sign()).await),
        "invalid_client"
    );
    // An access token with a matching `aud` but a foreign client_id is still refused.
    let sneaky = s
        .issuer
        .access_token()
        .client("other")
        .claim("aud", s.issuer.app_client_id())
        .sign();
    assert_eq!(kind(&v.verify(&sneaky).await), "invalid_client");
    let array_aud = s
        .issuer
        .id_token()
        .claim("aud", json!([s.issuer.app_client_id()]))
        .sign();
    assert_eq!(kind(&v.verify(&array_aud).await), "invalid_claim");
    let no_client = s.issuer.access_token().without("client_id").sign();
    assert_eq!(kind(&v.verify(&no_client).await), "missing_claim");

    // Several clients.
    let several = either_on_the_clock(&s, s.issuer.pool().client_id("other"));
    for (case, token, expected) in [
        (
            "the added client",
            s.issuer.access_token().client("other").sign(),
            "ok",
        ),
        ("the issuer's client", s.issuer.access_token().sign(), "ok"),
        (
            "an unlisted client",
            s.issuer.access_token().client("third").sign(),
            "invalid_client",
        ),
    ] {
        assert_eq!(kind(&several.verify(&token).await), expected, "{case}");
    }

    // The explicit opt-out accepts any client of the pool.
    let any = either_on_the_clock(&s, Pool::new(s.issuer.pool_id()).any_client());
    assert_eq!(
        kind(
            &any.verify(&s.issuer.id_token().client("whatever").sign())
                .await
        ),
        "ok"
    );
}

/// A verifier of either kind of token for `pool` (its keys from the test server), on the test's
/// clock.
fn either_on_the_clock(s: &Setup, pool: Pool) -> Verifier {
    Verifier::builder()
        .pool(pool.jwks_uri(s.server.url()))
        .token_use(TokenUse::Either)
        .clock(s.clock.clone())
        .build()
        .unwrap()
}

#[tokio::test]
async fn forgetting_the_client_or_token_use_is_a_configuration_error() {
    let err = |b: cognito_verify::VerifierBuilder| b.build().map(drop).unwrap_err().kind().as_str();
    assert_eq!(
        err(Verifier::builder()
            .pool(Pool::new("eu-west-1_A"))
            .token_use(TokenUse::Access)),
        "missing_client_policy"
    );
    assert_eq!(
        err(Verifier::builder().pool(Pool::new("eu-west-1_A").client_id("c"))),
        "missing_token_use"
    );
    assert_eq!(
        err(Verifier::builder().token_use(TokenUse::Access)),
        "no_pools"
    );
    assert_eq!(
        err(Verifier::builder()
            .pool(Pool::new("not a pool").client_id("c"))
            .token_use(TokenUse::Id)),
        "invalid_user_pool_id"
    );
    assert_eq!(
        err(Verifier::builder()
            .pool(Pool::new("eu-west-1_A").client_id("c"))
            .pool(Pool::new("eu-west-1_A").client_id("d"))
            .token_use(TokenUse::Id)),
        "duplicate_issuer"
    );
    assert_eq!(
        err(Verifier::builder()
            .pool(Pool::new("eu-west-1_A").client_id("c"))
            .token_use(TokenUse::Id)
            .require_scopes(Requirement::any_of(Vec::<String>::new()))),
        "empty_requirement"
    );
    assert_eq!(
        err(Verifier::builder()
            .pool(Pool::new("eu-west-1_A").client_id("c").static_jwks("[]"))
            .token_use(TokenUse::Id)),
        "invalid_static_jwks"
    );
}

#[tokio::test]
async fn expiry_not_before_and_issued_at_with_leeway() {
    let s = Setup::new().await;
    let v = s
        .builder(TokenUse::Access)
        .leeway(Duration::from_secs(10))
        .build()
        .unwrap();
    let token = s.issuer.access_token().sign(); // exp = NOW + 3600
    assert_eq!(kind(&v.verify(&token).await), "ok");
    s.clock.set_unix(NOW + 3600 + 9);
    assert_eq!(kind(&v.verify(&token).await), "ok");
    s.clock.set_unix(NOW + 3600 + 10);
    assert_eq!(kind(&v.verify(&token).await), "expired");
    s.clock.set_unix(NOW);

    let no_exp = s.issuer.access_token().without("exp").sign();
    assert_eq!(kind(&v.verify(&no_exp).await), "missing_claim");
    let string_exp = s
        .issuer
        .access_token()
        .claim("exp", json!((NOW + 60).to_string()))
        .sign();
    assert_eq!(kind(&v.verify(&string_exp).await), "invalid_claim");

    let nbf_ok = s.issuer.access_token().claim("nbf", NOW + 10).sign();
    assert_eq!(kind(&v.verify(&nbf_ok).await), "ok");
    let nbf_future = s.issuer.access_token().claim("nbf", NOW + 11).sign();
    assert_eq!(kind(&v.verify(&nbf_future).await), "not_yet_valid");
    let iat_future = s.issuer.access_token().claim("iat", NOW + 11).sign();
    assert_eq!(kind(&v.verify(&iat_future).await), "issued_in_future");
    let iat_ok = s.issuer.access_token().claim("iat", NOW + 10).sign();
    assert_eq!(kind(&v.verify(&iat_ok).await), "ok");

    // Default leeway is 30 s.
    let default = s.verifier(TokenUse::Access);
    s.clock.set_unix(NOW + 3600 + 29);
    assert_eq!(kind(&default.verify(&token).await), "ok");
    s.clock.set_unix(NOW + 3600 + 30);
    assert_eq!(kind(&default.verify(&token).await), "expired");
}

/// A verifier of either kind of token, its builder given a requirement by `require`.
fn requiring(s: &Setup, require: impl FnOnce(VerifierBuilder) -> VerifierBuilder) -> Verifier {
    require(s.builder(TokenUse::Either)).build().unwrap()
}

#[tokio::test]
async fn scopes_any_and_all() {
    let s = Setup::new().await;
    let any = requiring(&s, |b| {
        b.require_scopes(Requirement::any_of(["orders/read", "orders/write"]))
    });
    let all = requiring(&s, |b| {
        b.require_scopes(Requirement::all_of(["orders/read", "orders/write"]))
    });
    let read = s.issuer.m2m_token(["orders/read"]).sign();
    let both = s.issuer.m2m_token(["orders/write", "orders/read"]).sign();
    let other = s.issuer.m2m_token(["orders/readx"]).sign();
    assert_eq!(kind(&any.verify(&read).await), "ok");
    assert_eq!(kind(&any.verify(&other).await), "insufficient_scope");
    assert_eq!(kind(&all.verify(&read).await), "insufficient_scope");
    assert_eq!(kind(&all.verify(&both).await), "ok");
    // An id token is the wrong kind of token for a requirement.
    assert_eq!(
        kind(&any.verify(&s.issuer.id_token().sign()).await),
        "invalid_token_use"
    );
    let e = any.verify(&other).await.unwrap_err();
    assert_eq!(e.status_code(), 403);
    // A 403 is only answered for an otherwise valid token.
    let expired_and_unscoped = s.issuer.m2m_token(["x"]).expires_in(-3600).sign();
    assert_eq!(kind(&any.verify(&expired_and_unscoped).await), "expired");
}

#[tokio::test]
async fn groups_any_and_all() {
    let s = Setup::new().await;
    let any = requiring(&s, |b| {
        b.require_groups(Requirement::any_of(["admin", "ops"]))
    });
    let all = requiring(&s, |b| {
        b.require_groups(Requirement::all_of(["admin", "ops"]).allow_id_tokens())
    });
    let admin = s.issuer.access_token().groups(["admin"]).sign();
    let both = s.issuer.id_token().groups(["ops", "admin"]).sign();
    let none = s.issuer.access_token().sign();
    assert_eq!(kind(&any.verify(&admin).await), "ok");
    assert_eq!(kind(&any.verify(&none).await), "insufficient_group");
    assert_eq!(kind(&all.verify(&admin).await), "insufficient_group");
    assert_eq!(kind(&all.verify(&both).await), "ok");
    // Without `allow_id_tokens`, an id token never meets a requirement, whatever its groups.
    assert_eq!(kind(&any.verify(&both).await), "invalid_token_use");
    let bad_type = s
        .issuer
        .access_token()
        .claim("cognito:groups", "admin")
        .sign();
    assert_eq!(kind(&any.verify(&bad_type).await), "invalid_claim");

    // The same rules are available per request on a verified token.
    let v = s.verifier(TokenUse::Either).verify(&admin).await.unwrap();
    assert!(v.require_groups(&Requirement::any_of(["admin"])).is_ok());
    assert_eq!(
        v.require_groups(&Requirement::all_of(["admin", "ops"]))
            .unwrap_err()
            .kind(),
        ErrorKind::InsufficientGroup
    );
    assert_eq!(v.require_scopes(&Requirement::any_of(["openid"])), Ok(()));
    assert_eq!(
        v.require_scopes(&Requirement::any_of(["orders/read"]))
            .unwrap_err()
            .kind(),
        ErrorKind::InsufficientScope
    );
}

#[tokio::test]
async fn issuer_is_exact_and_chooses_the_pool() {
    let a = TestIssuer::with_pool_id("eu-west-1_TenantA1");
    let b = TestIssuer::with_pool_id("us-east-2_TenantB2").client_id("client-b");
    let server_a = JwksServer::start(a.jwks_json()).await.unwrap();
    let server_b = JwksServer::start(b.jwks_json()).await.unwrap();
    let v = Verifier::builder()
        .pool(a.pool().jwks_uri(server_a.url()))
        .pool(b.pool().jwks_uri(server_b.url()))
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    let ta = v.verify(&a.access_token().sign()).await.unwrap();
    let tb = v.verify(&b.access_token().sign()).await.unwrap();
    assert_eq!((ta.pool_index(), tb.pool_index()), (0, 1));
    assert_eq!(tb.user_pool_id(), "us-east-2_TenantB2");
    assert_eq!(
        b.issuer(),
        "https://cognito-idp.us-east-2.amazonaws.com/us-east-2_TenantB2"
    );

    // Pool A's client id is not valid for pool B.
    assert_eq!(
        kind(
            &v.verify(&b.access_token().client(a.app_client_id()).sign())
                .await
        ),
        "invalid_client"
    );
    // A token claiming pool B's issuer but signed by pool A's key: pool B's keys don't have that kid.
    let forged = a
        .access_token()
        .claim("iss", b.issuer())
        .client("client-b")
        .sign();
    assert_eq!(kind(&v.verify(&forged).await), "unknown_kid");

    // An unknown issuer is a token error and causes no fetch.
    let before = server_a.fetch_count() + server_b.fetch_count();
    let c = TestIssuer::with_pool_id("eu-west-1_Other");
    assert_eq!(
        kind(&v.verify(&c.access_token().sign()).await),
        "invalid_issuer"
    );
    for iss in [
        format!("{}/", a.issuer()),
        a.issuer().to_uppercase(),
        a.issuer().replace("https", "http"),
    ] {
        assert_eq!(
            kind(&v.verify(&a.access_token().claim("iss", iss).sign()).await),
            "invalid_issuer"
        );
    }
    assert_eq!(
        kind(&v.verify(&a.access_token().without("iss").sign()).await),
        "missing_claim"
    );
    assert_eq!(server_a.fetch_count() + server_b.fetch_count(), before);
}

#[tokio::test]
async fn issuer_override_replaces_the_derived_issuer() {
    let issuer = TestIssuer::with_pool_id("local_AbCd1234")
        .issuer_url("http://127.0.0.1:9229/local_AbCd1234");
    let server = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let v = Verifier::builder()
        .pool(issuer.pool().jwks_uri(server.url()))
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    assert_eq!(v.issuers(), ["http://127.0.0.1:9229/local_AbCd1234"]);
    assert_eq!(kind(&v.verify(&issuer.access_token().sign()).await), "ok");
    let derived = "https://cognito-idp.local.amazonaws.com/local_AbCd1234";
    assert_eq!(
        kind(
            &v.verify(&issuer.access_token().claim("iss", derived).sign())
                .await
        ),
        "invalid_issuer"
    );
}

#[tokio::test]
async fn hook_runs_last_and_its_refusal_has_its_own_kind() {
    let s = Setup::new().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let v = s
        .builder(TokenUse::Access)
        .token_cache_max_bytes(1024 * 1024)
        .hook(hook_fn(move |token| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                match token.access().and_then(|c| c.origin_jti.as_deref()) {
                    Some("signed-out") => Err(HookRejection::new("session signed out")),
                    _ => Ok(()),
                }
            }
        }))
        .build()
        .unwrap();
    let ok = s.issuer.access_token().sign();
    let out = s
        .issuer
        .access_token()
        .claim("origin_jti", "signed-out")
        .sign();
    assert_eq!(kind(&v.verify(&ok).await), "ok");
    let e = v.verify(&out).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status_code()),
        (ErrorKind::HookRejected, StatusCode::UNAUTHORIZED)
    );
    assert!(e.to_string().contains("session signed out"));
    // Runs on cache hits too, and not for tokens a built-in rule refused.
    assert_eq!(kind(&v.verify(&out).await), "hook_rejected");
    assert_eq!(
        kind(
            &v.verify(&s.issuer.access_token().expires_in(-999).sign())
                .await
        ),
        "expired"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn preloaded_keys_need_no_server() {
    let issuer = TestIssuer::new();
    let v = Verifier::builder()
        .pool(issuer.pool().static_jwks(issuer.jwks_json()))
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    assert_eq!(kind(&v.verify(&issuer.access_token().sign()).await), "ok");
    let other = TestIssuer::new();
    assert_eq!(
        kind(&v.verify(&other.access_token().sign()).await),
        "unknown_kid"
    );
    assert_eq!(v.key_fetch_count(), 0);
    assert!(v.prefetch().await.is_ok());
}

#[tokio::test]
async fn error_messages_never_echo_the_token() {
    let s = Setup::new().await;
    let v = s.verifier(TokenUse::Access);
    let marker = "SECRET-MARKER-123";
    let cases = [
        s.issuer.access_token().client(marker).sign(),
        s.issuer.access_token().claim("iss", marker).sign(),
        s.issuer.access_token().claim("token_use", marker).sign(),
        s.issuer.access_token().kid(marker).sign(),
        format!("{marker}.{marker}.{marker}"),
    ];
    for token in cases {
        let e = v.verify(&token).await.unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(marker), "{shown}");
        assert!(!shown.contains(&token), "{shown}");
    }
}

/// Requirements are for APIs: an id token is refused as the wrong kind of token (401
/// `invalid_token_use`), never 403, unless the requirement allows id tokens.
#[tokio::test]
async fn requirements_take_access_tokens_unless_id_tokens_are_allowed() {
    let s = Setup::new().await;
    let verifier = s.verifier(TokenUse::Either);
    let id = s.issuer.id_token().groups(["admin"]).sign();
    let v = verifier.verify(&id).await.unwrap();
    let admin = Requirement::any_of(["admin"]);
    let scope = Requirement::any_of(["api/read"]);
    for e in [
        v.require_groups(&admin).unwrap_err(),
        v.require_scopes(&scope).unwrap_err(),
    ] {
        assert_eq!(
            (e.kind(), e.status_code()),
            (ErrorKind::InvalidTokenUse, StatusCode::UNAUTHORIZED)
        );
        assert_eq!(e.to_string(), "token_use is not the expected \"access\"");
    }
    assert_eq!(v.require_groups(&admin.clone().allow_id_tokens()), Ok(()));
    assert_eq!(
        v.require_scopes(&scope.clone().allow_id_tokens())
            .unwrap_err()
            .kind(),
        ErrorKind::InsufficientScope
    );

    let built = |r: Requirement| {
        s.builder(TokenUse::Either)
            .require_groups(r)
            .build()
            .unwrap()
    };
    assert_eq!(
        kind(&built(admin.clone()).verify(&id).await),
        "invalid_token_use"
    );
    assert_eq!(
        kind(&built(admin.allow_id_tokens()).verify(&id).await),
        "ok"
    );
}
