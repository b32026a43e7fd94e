//! The layer and the interceptor on a real tonic server bound on 127.0.0.1, called by a real
//! tonic client over HTTP/2, with tokens signed by the test kit's keys and keys served by its
//! JWKS server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cognito_verify::http_auth::{HttpAuth, Requirements};
use cognito_verify::testing::{Fault, SubjectHook, TestIssuer};
use cognito_verify::{ConfigError, HookRejection, Requirement, TokenUse, Verifier, hook_fn};
use cognito_verify_tonic::{CognitoAuthLayer, CognitoInterceptor, RequestExt as _};
use tokio_stream::StreamExt as _;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::health_server::HealthServer;

const WATCH: &str = "/grpc.health.v1.Health/Watch";
const SERVICE: &str = "grpc.health.v1.Health";

mod common;

use common::{Fixture, Probe, assert_keys_unavailable, entry, serve, start};

/// The probe of these tests: the handler reads the access token's claims and answers with the
/// caller's `sub` in the response metadata.
fn probe() -> Probe {
    Probe::new(|request, metadata| {
        let claims = request.access_claims()?;
        assert_eq!(
            request.verified().map(|v| v.subject()),
            Some(claims.sub.as_str())
        );
        metadata.insert("x-sub", claims.sub.parse().unwrap());
        Ok(())
    })
}

/// Serves the probe behind `layer` for every service (with room for headers larger than the
/// verifier's token limit, so that limit is what refuses an oversized token).
async fn behind_layer(layer: CognitoAuthLayer, probe: &Probe) -> HealthClient<Channel> {
    let service = HealthServer::new(probe.clone());
    start(move |incoming| {
        Server::builder()
            .http2_max_header_list_size(64 * 1024)
            .layer(layer)
            .add_service(service)
            .serve_with_incoming(incoming)
    })
    .await
}

/// These values as `authorization` entries, in order.
fn authorization<'a>(values: &[&'a str]) -> Vec<(&'static str, &'a str)> {
    values
        .iter()
        .map(|value| ("authorization", *value))
        .collect()
}

/// A call with these `authorization` entries, in order.
fn call(values: &[&str]) -> Request<HealthCheckRequest> {
    common::call(&authorization(values))
}

/// The token and its `sub`.
fn signed(token: cognito_verify::testing::TokenBuilder<'_>) -> (String, String) {
    let sub = token.claims()["sub"].as_str().unwrap().to_owned();
    (token.sign(), sub)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// `Check` with these `authorization` entries: the caller's `sub`, or the status.
async fn check(client: &mut HealthClient<Channel>, values: &[&str]) -> Result<String, Status> {
    common::check(client, &authorization(values)).await
}

/// `Watch`: the caller's `sub` once the first message has arrived, or the status.
async fn watch(
    client: &mut HealthClient<Channel>,
    authorization: &[&str],
) -> Result<String, Status> {
    let response = client.watch(call(authorization)).await?;
    let sub = entry(response.metadata(), "x-sub").unwrap().to_owned();
    let first = response.into_inner().next().await.unwrap()?;
    assert_eq!(first.status, i32::from(ServingStatus::Serving));
    Ok(sub)
}

fn challenge(status: &Status) -> Option<&str> {
    entry(status.metadata(), "www-authenticate")
}

impl Fixture {
    /// Check: any valid access token; Watch: also the scope `api/read`.
    fn layer(&self) -> CognitoAuthLayer {
        let read = Requirements::new().scopes(Requirement::any_of(["api/read"]));
        CognitoAuthLayer::new(HttpAuth::new(self.verifier()).realm("grpc"))
            .require_method(WATCH, read)
            .unwrap()
    }
}

#[tokio::test]
async fn the_layer_answers_each_refusal_with_its_status() {
    let fx = Fixture::new().await;
    let probe = probe();
    let mut client = behind_layer(fx.layer(), &probe).await;
    let issuer = &fx.issuer;
    let (access, sub) = signed(issuer.access_token());
    let (reader, reader_sub) = signed(issuer.access_token().scope("openid api/read"));

    assert_eq!(check(&mut client, &[&bearer(&access)]).await.unwrap(), sub);
    assert_eq!(
        watch(&mut client, &[&bearer(&reader)]).await.unwrap(),
        reader_sub
    );
    assert_eq!(probe.calls(), 2);

    let expired = issuer.access_token().expires_in(-600).sign();
    let id = issuer.id_token().sign();
    let unknown_kid = issuer.access_token().kid("not-a-key").sign();
    let mut forged = access.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let huge = bearer(&"A".repeat(cognito_verify::defaults::MAX_TOKEN_BYTES + 1));
    let cases: Vec<(&str, Vec<String>, Code, Option<&str>)> = vec![
        (
            "missing",
            vec![],
            Code::Unauthenticated,
            Some("Bearer realm=\"grpc\""),
        ),
        (
            "empty bearer",
            vec!["Bearer ".into()],
            Code::Unauthenticated,
            None,
        ),
        (
            "other scheme",
            vec!["Basic dXNlcjpwdw==".into()],
            Code::Unauthenticated,
            None,
        ),
        (
            "garbage",
            vec![bearer("not-a-jwt")],
            Code::Unauthenticated,
            Some("invalid_token"),
        ),
        (
            "three garbage parts",
            vec![bearer("a.b.c")],
            Code::Unauthenticated,
            Some("invalid_token"),
        ),
        (
            "oversized",
            vec![huge],
            Code::Unauthenticated,
            Some("invalid_token"),
        ),
        (
            "forged",
            vec![bearer(&forged)],
            Code::Unauthenticated,
            Some("invalid_token"),
        ),
        (
            "unknown kid",
            vec![bearer(&unknown_kid)],
            Code::Unauthenticated,
            Some("invalid_token"),
        ),
        (
            "expired",
            vec![bearer(&expired)],
            Code::Unauthenticated,
            Some("token has expired"),
        ),
        (
            "id token",
            vec![bearer(&id)],
            Code::Unauthenticated,
            Some("invalid_token"),
        ),
        (
            "two entries",
            vec![bearer(&access), bearer(&access)],
            Code::InvalidArgument,
            Some("Bearer realm=\"grpc\", error=\"invalid_request\""),
        ),
        (
            "valid then garbage",
            vec![bearer(&access), bearer("x")],
            Code::InvalidArgument,
            Some("invalid_request"),
        ),
    ];
    for (name, authorization, code, challenge_part) in cases {
        let authorization: Vec<&str> = authorization.iter().map(String::as_str).collect();
        let status = check(&mut client, &authorization).await.unwrap_err();
        assert_eq!(status.code(), code, "{name}: {status:?}");
        let sent = challenge(&status).unwrap_or_else(|| panic!("{name}: no challenge"));
        assert!(sent.starts_with("Bearer realm=\"grpc\""), "{name}: {sent}");
        if let Some(part) = challenge_part {
            assert!(sent.contains(part), "{name}: {sent}");
        }
        assert!(
            !status.message().contains(&access),
            "{name}: the token in the message"
        );
        assert!(status.metadata().get("retry-after").is_none(), "{name}");
    }

    // Watch needs the scope: a valid token without it is PERMISSION_DENIED, naming the scope.
    let status = watch(&mut client, &[&bearer(&access)]).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), "insufficient_scope");
    let sent = challenge(&status).unwrap();
    assert!(
        sent.contains("error=\"insufficient_scope\"") && sent.contains("scope=\"api/read\""),
        "{sent}"
    );
    let status = watch(&mut client, &[]).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(probe.calls(), 2, "no refused call reached the service");
}

/// A hook's denial (403) is `PERMISSION_DENIED`, its refusal (401) `UNAUTHENTICATED`, each with
/// its kind as the message and the same challenge as over HTTP.
#[tokio::test]
async fn a_hook_denial_is_permission_denied() {
    let fx = Fixture::new().await;
    let verifier = fx
        .verifier_builder()
        .hook(SubjectHook::new("mallory", "revoked"))
        .build()
        .unwrap();
    let probe = probe();
    let layer = CognitoAuthLayer::new(HttpAuth::new(verifier).realm("grpc"));
    let mut client = behind_layer(layer, &probe).await;
    let token = |sub: &str| bearer(&fx.issuer.access_token().claim("sub", sub).sign());

    assert_eq!(
        check(&mut client, &[&token("alice")]).await.unwrap(),
        "alice"
    );
    let denied = check(&mut client, &[&token("mallory")]).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(denied.message(), "hook_forbidden");
    assert_eq!(
        challenge(&denied),
        Some(
            r#"Bearer realm="grpc", error="insufficient_scope", error_description="access denied by a custom check: tenant suspended""#
        )
    );
    let refused = check(&mut client, &[&token("revoked")]).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(refused.message(), "hook_rejected");
    assert_eq!(probe.calls(), 1, "no refused call reached the service");
}

#[tokio::test]
async fn keys_unavailable_is_unavailable_with_retry_after() {
    let fx = Fixture::new().await;
    fx.jwks.set_fault(Fault::Status(500));
    let probe = probe();
    let mut client = behind_layer(fx.layer(), &probe).await;
    let access = fx.issuer.access_token().scope("api/read").sign();
    for _ in 0..2 {
        let status = check(&mut client, &[&bearer(&access)]).await.unwrap_err();
        assert_keys_unavailable(&status);
    }
    let status = watch(&mut client, &[&bearer(&access)]).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    // A token refused before any key is needed is still UNAUTHENTICATED.
    let status = check(&mut client, &[]).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(probe.calls(), 0);
}

#[tokio::test]
async fn per_service_and_per_method_requirements_all_apply() {
    let fx = Fixture::new().await;
    let admins = Requirements::new().groups(Requirement::any_of(["admin"]));
    let layer = fx.layer().require_service(SERVICE, admins).unwrap();
    let probe = probe();
    let mut client = behind_layer(layer, &probe).await;
    let issuer = &fx.issuer;
    let user = issuer.access_token().scope("api/read").sign();
    let admin = issuer.access_token().groups(["admin"]).sign();
    let admin_reader = issuer
        .access_token()
        .scope("api/read")
        .groups(["admin"])
        .sign();

    let status = check(&mut client, &[&bearer(&user)]).await.unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "the service's group rule"
    );
    check(&mut client, &[&bearer(&admin)]).await.unwrap();
    let status = watch(&mut client, &[&bearer(&admin)]).await.unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "the method's scope rule too"
    );
    watch(&mut client, &[&bearer(&admin_reader)]).await.unwrap();
    assert_eq!(probe.calls(), 2);
}

#[test]
fn rules_with_bad_names_or_empty_requirements_are_refused_when_built() {
    let issuer = TestIssuer::new();
    let verifier = Verifier::builder()
        .pool(issuer.pool().jwks_uri("http://127.0.0.1:9/jwks"))
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    let layer = CognitoAuthLayer::new(verifier);
    let any = || Requirements::new().scopes(Requirement::any_of(["x"]));
    for path in [
        "grpc.health.v1.Health/Watch",
        "/grpc.health.v1.Health",
        "/a/b/c",
        "//Watch",
        "/a/ b",
    ] {
        let error = layer.clone().require_method(path, any()).unwrap_err();
        assert!(
            matches!(error, ConfigError::InvalidGrpcName { .. }),
            "{path}"
        );
    }
    for name in ["", "/grpc.health.v1.Health", "a b"] {
        assert!(
            layer.clone().require_service(name, any()).is_err(),
            "{name:?}"
        );
    }
    let empty = Requirements::new().scopes(Requirement::any_of([""]));
    assert_eq!(
        layer.clone().require(empty).unwrap_err(),
        ConfigError::EmptyRequirement
    );
}

#[tokio::test]
async fn the_interceptor_answers_from_held_keys_and_fetches_in_the_background() {
    let fx = Fixture::new().await;
    let verifier = fx.verifier();
    let read = Requirements::new().scopes(Requirement::any_of(["api/read"]));
    let interceptor = CognitoInterceptor::new(verifier.clone())
        .unwrap()
        .require(read)
        .unwrap();
    let probe = probe();
    let mut client = serve(HealthServer::with_interceptor(probe.clone(), interceptor)).await;
    let issuer = &fx.issuer;
    let (reader, sub) = signed(issuer.access_token().scope("api/read"));

    // No keys held yet: UNAVAILABLE, and the fetch has started.
    let status = check(&mut client, &[&bearer(&reader)]).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(status.metadata().get("retry-after").unwrap(), "1");
    assert_eq!(
        verifier.key_fetch_count(),
        1,
        "the interceptor started a fetch"
    );
    verifier.prefetch().await.unwrap(); // the event: that fetch (joined) or a later one has ended

    assert_eq!(check(&mut client, &[&bearer(&reader)]).await.unwrap(), sub);
    assert_eq!(watch(&mut client, &[&bearer(&reader)]).await.unwrap(), sub);
    let plain = issuer.access_token().sign();
    let status = check(&mut client, &[&bearer(&plain)]).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    for (authorization, code) in [
        (vec![], Code::Unauthenticated),
        (vec![bearer("garbage")], Code::Unauthenticated),
        (
            vec![bearer(&issuer.id_token().sign())],
            Code::Unauthenticated,
        ),
        (
            vec![bearer(&issuer.access_token().expires_in(-600).sign())],
            Code::Unauthenticated,
        ),
        (
            vec![bearer(&reader), bearer(&reader)],
            Code::InvalidArgument,
        ),
    ] {
        let authorization: Vec<&str> = authorization.iter().map(String::as_str).collect();
        let status = check(&mut client, &authorization).await.unwrap_err();
        assert_eq!(status.code(), code, "{authorization:?}");
        assert!(challenge(&status).is_some());
    }
    assert_eq!(probe.calls(), 2);
}

#[tokio::test]
async fn the_interceptor_refuses_a_verifier_with_a_hook_and_keys_that_never_come() {
    let fx = Fixture::new().await;
    let hooked = fx
        .verifier_builder()
        .hook(hook_fn(|_| async { Err(HookRejection::new("never")) }))
        .build()
        .unwrap();
    assert_eq!(
        CognitoInterceptor::new(hooked.clone()).unwrap_err(),
        ConfigError::AsyncHook
    );
    // The synchronous verification never skips the hook either.
    hooked.prefetch().await.unwrap();
    let token = fx.issuer.access_token().sign();
    let refusal = HttpAuth::new(hooked)
        .try_verify(token.as_bytes())
        .unwrap_err();
    assert_eq!(refusal.status(), 500);

    fx.jwks.set_fault(Fault::Status(500));
    // A back-off far longer than the test, so "backing off" below never depends on timing.
    let verifier = fx
        .verifier_builder()
        .fetch_backoff(Duration::from_secs(3600), Duration::from_secs(3600))
        .build()
        .unwrap();
    let mut interceptor = CognitoInterceptor::new(verifier.clone()).unwrap();
    let mut client = serve(HealthServer::with_interceptor(probe(), interceptor.clone())).await;
    let status = check(&mut client, &[&bearer(&token)]).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert!(verifier.prefetch().await.is_err(), "the endpoint is down");
    // Backing off after the failure: still UNAVAILABLE, now without starting a fetch.
    let fetches = verifier.key_fetch_count();
    let status =
        tonic::service::Interceptor::call(&mut interceptor, call(&[&bearer(&token)]).map(|_| ()))
            .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(verifier.key_fetch_count(), fetches);
}

/// A tower layer that counts the calls passing through it.
fn counting(
    count: Arc<AtomicUsize>,
) -> tower::util::MapRequestLayer<
    impl Fn(http::Request<tonic::body::Body>) -> http::Request<tonic::body::Body> + Clone,
> {
    tower::util::MapRequestLayer::new(move |request| {
        count.fetch_add(1, Ordering::SeqCst);
        request
    })
}

#[tokio::test]
async fn the_layer_composes_with_tonic_and_tower_layers() {
    let fx = Fixture::new().await;
    let probe = probe();
    let outer = Arc::new(AtomicUsize::new(0));
    let admins = Requirements::new().groups(Requirement::any_of(["admin"]));
    // An inner layer on one service: behind the global one it checks its requirements only.
    let per_service = CognitoAuthLayer::new(fx.verifier())
        .require(admins)
        .unwrap();
    let service = tower::Layer::layer(&per_service, HealthServer::new(probe.clone()));
    let (layer, counted) = (fx.layer(), counting(outer.clone()));
    let mut client = start(move |incoming| {
        Server::builder()
            .timeout(Duration::from_secs(60))
            .layer(tower::timeout::TimeoutLayer::new(Duration::from_secs(60)))
            .layer(counted)
            .layer(layer)
            .add_service(service)
            .serve_with_incoming(incoming)
    })
    .await;
    let issuer = &fx.issuer;
    let admin = issuer
        .access_token()
        .scope("api/read")
        .groups(["admin"])
        .sign();
    let user = issuer.access_token().scope("api/read").sign();
    check(&mut client, &[&bearer(&admin)]).await.unwrap();
    watch(&mut client, &[&bearer(&admin)]).await.unwrap();
    let status = check(&mut client, &[&bearer(&user)]).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = check(&mut client, &[]).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(
        outer.load(Ordering::SeqCst),
        4,
        "every call passed the outer layer"
    );
    assert_eq!(probe.calls(), 2);
}

#[tokio::test]
async fn hostile_metadata_is_refused() {
    let fx = Fixture::new().await;
    let probe = probe();
    let client = behind_layer(fx.layer(), &probe).await;
    let access = fx.issuer.access_token().sign();
    let ascii = |bytes: &[u8]| tonic::metadata::AsciiMetadataValue::try_from(bytes).unwrap();

    let send = |metadata: Vec<(&'static str, tonic::metadata::AsciiMetadataValue)>| {
        let mut client = client.clone();
        async move {
            let mut request = call(&[]);
            for (name, value) in metadata {
                request.metadata_mut().append(name, value);
            }
            client.check(request).await
        }
    };
    // Bytes that are not UTF-8 (obs-text, which HTTP/2 carries) where the token should be.
    let status = send(vec![("authorization", ascii(b"Bearer \xff\xfe.\xfd.\xfc"))])
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert!(challenge(&status).unwrap().contains("invalid_token"));
    // Trailing garbage after the token.
    let value = ascii(format!("Bearer {access} extra").as_bytes());
    let status = send(vec![("authorization", value)]).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    // Binary metadata is not the authorization entry: no token at all.
    let mut request = call(&[]);
    let binary = tonic::metadata::BinaryMetadataValue::from_bytes(bearer(&access).as_bytes());
    request
        .metadata_mut()
        .append_bin("authorization-bin", binary);
    let status = client.clone().check(request).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(challenge(&status), Some("Bearer realm=\"grpc\""));
    assert_eq!(status.message(), "missing_token");
    // A cookie is not a credential when the token comes from `authorization`.
    let cookie = ascii(format!("access_token={access}").as_bytes());
    let auth = ascii(bearer(&access).as_bytes());
    send(vec![("authorization", auth), ("cookie", cookie)])
        .await
        .unwrap();
    assert_eq!(probe.calls(), 1);
}
