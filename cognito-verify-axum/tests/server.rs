//! The layer: every outcome over real HTTP on 127.0.0.1:0 and through `oneshot`, its settings
//! (realm, detail, body, token source) and its service semantics. Route requirements are in
//! `requirements.rs`, the extractors in `extract.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cognito_verify::testing::verifier_with_keys_down;
use std::convert::Infallible;
use std::task::Poll;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use axum::routing::get;
use axum::{Extension, Json, Router};
use cognito_verify::http_auth::HttpAuth;
use cognito_verify::testing::{Fault, SubjectHook};
use cognito_verify::{TokenUse, Verified};
use cognito_verify_axum::{Authenticated, CognitoAuth};
use common::{App, Fixture, body, invalid_token, tampered};
use serde_json::{Value, json};
use tower::{Layer as _, Service as _, ServiceExt as _};

async fn whoami(Authenticated(token): Authenticated) -> Json<Value> {
    Json(json!({ "sub": token.subject(), "access": token.access().is_some() }))
}

async fn from_extension(Extension(token): Extension<Verified>) -> String {
    token.subject().to_owned()
}

/// A stateless router entirely behind the layer.
fn protected(auth: &CognitoAuth) -> Router {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/extension", get(from_extension))
        .layer(auth.layer())
}

#[tokio::test]
async fn valid_tokens_pass_with_the_verified_token_in_the_extensions() {
    let fx = Fixture::new().await;
    let app = App::start(protected(&CognitoAuth::new(fx.verifier()))).await;

    let token = fx.issuer.access_token().claim("sub", "user-1").sign();
    let reply = app.get_bearer("/whoami", &token).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.www_authenticate, None);
    assert_eq!(reply.body, json!({ "sub": "user-1", "access": true }));

    let reply = app.get_bearer("/extension", &token).await;
    assert_eq!((reply.status, reply.body), (200, json!("user-1")));

    let id = fx.issuer.id_token().claim("sub", "user-2").sign();
    let reply = app.get_bearer("/whoami", &id).await;
    assert_eq!(reply.body, json!({ "sub": "user-2", "access": false }));

    // The scheme is case-insensitive (RFC 7235 §2.1).
    let reply = app
        .get("/whoami", &[("authorization", &format!("bearer {token}"))])
        .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn a_request_without_a_token_gets_a_challenge_without_error() {
    let fx = Fixture::new().await;
    let app = App::start(protected(&CognitoAuth::new(fx.verifier()))).await;

    for headers in [
        &[][..],
        &[("authorization", "Basic dXNlcjpwYXNz")][..],
        &[("authorization", "Bearer ")][..],
        &[("authorization", "Bearer")][..],
    ] {
        let reply = app.get("/whoami", headers).await;
        assert_eq!(reply.status, 401, "{headers:?}");
        assert_eq!(reply.www_authenticate.as_deref(), Some("Bearer"));
        assert_eq!(reply.retry_after, None);
        assert_eq!(reply.body, body("unauthorized", "missing_token"));
    }
    assert_eq!(fx.jwks.fetch_count(), 0, "no token, no key fetch");
}

#[tokio::test]
async fn invalid_tokens_are_401_invalid_token() {
    let fx = Fixture::new().await;
    let verifier = fx.verifier();
    let app = App::start(protected(&CognitoAuth::new(verifier.clone()))).await;
    let issuer = &fx.issuer;

    let admin = issuer.access_token().groups(["admin"]).sign();
    let cases = [
        ("malformed", "not-a-jwt".to_owned(), "malformed_token"),
        (
            "expired",
            issuer.access_token().expires_in(-600).sign(),
            "expired",
        ),
        (
            "wrong client",
            issuer.access_token().client("someone-else").sign(),
            "invalid_client",
        ),
        (
            "tampered",
            tampered(&fx.access(), &admin),
            "invalid_signature",
        ),
        (
            "unknown kid",
            issuer.access_token().kid("no-such-key").sign(),
            "unknown_kid",
        ),
        (
            "refresh token_use",
            issuer.access_token().claim("token_use", "refresh").sign(),
            "invalid_token_use",
        ),
    ];
    for (what, token, kind) in cases {
        let error = verifier.verify(&token).await.unwrap_err();
        assert_eq!(error.kind().as_str(), kind, "{what}");
        let reply = app.get_bearer("/whoami", &token).await;
        assert_eq!(reply.status, 401, "{what}");
        assert_eq!(
            reply.www_authenticate,
            invalid_token(&error.to_string().replace('"', "'")),
            "{what}"
        );
        assert_eq!(reply.retry_after, None, "{what}");
        assert_eq!(reply.body, body("invalid_token", kind), "{what}");
    }

    // The exact header for the common case.
    let expired = issuer.access_token().expires_in(-60).sign();
    let reply = app.get_bearer("/whoami", &expired).await;
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(r#"Bearer error="invalid_token", error_description="token has expired""#)
    );
}

/// A verifier whose hook denies `mallory` (403, a tenant rule) and refuses `revoked` (401).
fn hooked_verifier(fx: &Fixture) -> cognito_verify::Verifier {
    cognito_verify::Verifier::builder()
        .pool(fx.pool())
        .token_use(TokenUse::Access)
        .hook(SubjectHook::new("mallory", "revoked"))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_hook_can_deny_with_403_or_refuse_with_401() {
    let fx = Fixture::new().await;
    let app = App::start(protected(&CognitoAuth::new(
        HttpAuth::new(hooked_verifier(&fx)).realm("api"),
    )))
    .await;
    let token = |sub: &str| fx.issuer.access_token().claim("sub", sub).sign();

    let reply = app.get_bearer("/whoami", &token("alice")).await;
    assert_eq!((reply.status, &reply.body["sub"]), (200, &json!("alice")));

    // Denied: 403, an `insufficient_scope` challenge without `scope`, its own kind.
    for _ in 0..2 {
        // Fresh, then from the verified-token cache.
        let reply = app.get_bearer("/whoami", &token("mallory")).await;
        assert_eq!(reply.status, 403);
        assert_eq!(
            reply.www_authenticate.as_deref(),
            Some(
                r#"Bearer realm="api", error="insufficient_scope", error_description="access denied by a custom check: tenant suspended""#
            )
        );
        assert_eq!(reply.retry_after, None);
        assert_eq!(reply.body, body("insufficient_scope", "hook_forbidden"));
    }

    // Refused: 401 `invalid_token`, as before.
    let reply = app.get_bearer("/whoami", &token("revoked")).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(
            r#"Bearer realm="api", error="invalid_token", error_description="token rejected by a custom check: session signed out""#
        )
    );
    assert_eq!(reply.body, body("invalid_token", "hook_rejected"));

    // The extractor without the layer answers alike.
    let auth = CognitoAuth::new(hooked_verifier(&fx));
    let bare = App::start(Router::new().route("/whoami", get(whoami)).with_state(auth)).await;
    let reply = bare.get_bearer("/whoami", &token("mallory")).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.body, body("insufficient_scope", "hook_forbidden"));
}

#[tokio::test]
async fn the_wrong_token_use_is_401() {
    let fx = Fixture::new().await;
    let app = App::start(protected(&CognitoAuth::new(
        fx.verifier_for(TokenUse::Access),
    )))
    .await;
    let reply = app.get_bearer("/whoami", &fx.id()).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(
            r#"Bearer error="invalid_token", error_description="token_use is not the expected 'access'""#
        )
    );
    assert_eq!(reply.body, body("invalid_token", "invalid_token_use"));
}

#[tokio::test]
async fn unreachable_keys_are_503_with_retry_after() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(verifier_with_keys_down(&fx.issuer));
    let app = App::start(protected(&auth)).await;
    let token = fx.access();
    for _ in 0..2 {
        let reply = app.get_bearer("/whoami", &token).await;
        assert_eq!(reply.status, 503);
        assert_eq!(reply.www_authenticate, None, "the token was not judged");
        assert_eq!(reply.retry_after.as_deref(), Some("1"));
        assert_eq!(
            reply.body,
            body("temporarily_unavailable", "keys_unavailable")
        );
    }
    // Without a token the answer is still 401: there is nothing to wait for.
    assert_eq!(app.get("/whoami", &[]).await.status, 401);
}

#[tokio::test]
async fn a_failing_key_endpoint_is_503() {
    let fx = Fixture::new().await;
    fx.jwks.set_fault(Fault::Status(500));
    let app = App::start(protected(&CognitoAuth::new(fx.verifier()))).await;
    let reply = app.get_bearer("/whoami", &fx.access()).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.retry_after.as_deref(), Some("1"));
    assert_eq!(reply.body["kind"], "keys_unavailable");
    assert!(fx.jwks.fetch_count() >= 1);
}

#[tokio::test]
async fn realm_and_detail_are_opt_in() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(
        HttpAuth::new(fx.verifier())
            .realm("orders")
            .expose_detail(true),
    );
    let app = App::start(protected(&auth)).await;

    let reply = app.get("/whoami", &[]).await;
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(r#"Bearer realm="orders""#)
    );
    assert_eq!(
        reply.body,
        json!({ "error": "unauthorized", "kind": "missing_token", "message": "no bearer token in the request" })
    );

    let expired = fx.issuer.access_token().expires_in(-60).sign();
    let reply = app.get_bearer("/whoami", &expired).await;
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(
            r#"Bearer realm="orders", error="invalid_token", error_description="token has expired""#
        )
    );
    assert_eq!(
        reply.body,
        json!({ "error": "invalid_token", "kind": "expired", "message": "token has expired" })
    );
    assert!(!reply.body.to_string().contains(&expired));
}

#[tokio::test]
async fn the_body_hook_renders_the_body_and_the_adapter_keeps_status_and_headers() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(HttpAuth::new(fx.verifier()).render_with(|refusal| {
        // The hook's status is overridden; its body and extra headers are kept.
        http::Response::builder()
            .status(StatusCode::IM_A_TEAPOT)
            .header("x-refusal", refusal.kind().as_str())
            .body(format!("refused: {}", refusal.kind()).into_bytes())
            .unwrap()
    }));
    let app = App::start(protected(&auth)).await;

    let expired = fx.issuer.access_token().expires_in(-60).sign();
    let reply = app.get_bearer("/whoami", &expired).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate, invalid_token("token has expired"));
    assert_eq!(reply.body, json!("refused: expired"));

    let reply = app.get("/whoami", &[]).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref(), reply.body),
        (401, Some("Bearer"), json!("refused: missing_token"))
    );

    let response = protected(&auth)
        .oneshot(Request::get("/whoami").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.headers()["x-refusal"], "missing_token");
}

#[tokio::test]
async fn the_token_can_come_from_a_cookie() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(HttpAuth::new(fx.verifier()).token_from_cookie("access_token"));
    let app = App::start(protected(&auth)).await;
    let token = fx.issuer.access_token().claim("sub", "cookie-user").sign();

    let cookie = format!("theme=dark; access_token={token}; lang=en");
    let reply = app.get("/whoami", &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["sub"], "cookie-user");

    // Only the cookie is read.
    let reply = app.get_bearer("/whoami", &token).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    let reply = app.get("/whoami", &[("cookie", "theme=dark")]).await;
    assert_eq!(reply.body, body("unauthorized", "missing_token"));

    let expired = fx.issuer.access_token().expires_in(-60).sign();
    let cookie = format!("access_token={expired}");
    let reply = app.get("/whoami", &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, body("invalid_token", "expired"));
}

#[tokio::test]
async fn the_token_can_come_from_a_custom_extractor() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(HttpAuth::new(fx.verifier()).token_from(|parts| {
        let value = parts.headers.get("x-amzn-oidc-accesstoken")?;
        value.to_str().ok().map(str::to_owned)
    }));
    let app = App::start(protected(&auth)).await;

    let token = fx.issuer.access_token().claim("sub", "alb-user").sign();
    let reply = app
        .get("/whoami", &[("x-amzn-oidc-accesstoken", &token)])
        .await;
    assert_eq!(
        (reply.status, &reply.body["sub"]),
        (200, &json!("alb-user"))
    );

    let reply = app.get_bearer("/whoami", &token).await;
    assert_eq!(reply.body, body("unauthorized", "missing_token"));
    let reply = app.get("/whoami", &[("x-amzn-oidc-accesstoken", "")]).await;
    assert_eq!(reply.body, body("unauthorized", "missing_token"));
    let reply = app
        .get("/whoami", &[("x-amzn-oidc-accesstoken", "x.y.z")])
        .await;
    assert_eq!(reply.body, body("invalid_token", "malformed_token"));
}

async fn maybe(user: Option<Authenticated>) -> Json<Value> {
    Json(match user {
        Some(Authenticated(token)) => json!({ "authenticated": true, "sub": token.subject() }),
        None => json!({ "authenticated": false }),
    })
}

#[tokio::test]
async fn the_optional_layer_lets_anonymous_requests_through_and_refuses_bad_tokens() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(fx.verifier());
    let router = Router::new()
        .route("/maybe", get(maybe))
        .layer(auth.optional_layer());
    let app = App::start(router).await;

    let reply = app.get("/maybe", &[]).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "authenticated": false }))
    );

    let token = fx.issuer.access_token().claim("sub", "u").sign();
    let reply = app.get_bearer("/maybe", &token).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "authenticated": true, "sub": "u" }))
    );

    let reply = app.get_bearer("/maybe", "not-a-jwt").await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, body("invalid_token", "malformed_token"));
    let expired = fx.issuer.access_token().expires_in(-60).sign();
    let reply = app.get_bearer("/maybe", &expired).await;
    assert_eq!(
        (reply.status, reply.www_authenticate),
        (401, invalid_token("token has expired"))
    );
}

#[tokio::test]
async fn the_service_keeps_poll_ready_semantics() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(fx.verifier());
    // ConcurrencyLimit panics when called without a permit from poll_ready: the service that
    // was polled ready must be the one that is called, even after the token is verified.
    let inner = tower::limit::ConcurrencyLimit::new(
        tower::service_fn(|request: Request<Body>| async move {
            let sub = request
                .extensions()
                .get::<Verified>()
                .map(|v| v.subject().to_owned())
                .unwrap_or_default();
            Ok::<_, Infallible>(Response::new(Body::from(sub)))
        }),
        1,
    );
    let mut service = auth.layer().layer(inner);
    let token = fx.issuer.access_token().claim("sub", "s").sign();
    let request = || {
        Request::get("/")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };

    let first = service.ready().await.unwrap().call(request());
    // The permit went with the first request: the service is not ready until it finishes.
    let ready = std::future::poll_fn(|cx| Poll::Ready(service.poll_ready(cx).is_ready())).await;
    assert!(!ready);
    let response = first.await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"s");

    let response = service
        .ready()
        .await
        .unwrap()
        .call(request())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Clones are independent services sharing the settings.
    let mut clone = service.clone();
    let response = clone.ready().await.unwrap().call(request()).await.unwrap();
    assert_eq!(response.status(), 200);
}

#[test]
fn the_layer_and_service_are_clone_send_sync() {
    fn check<T: Clone + Send + Sync + 'static>() {}
    check::<cognito_verify_axum::CognitoAuthLayer>();
    check::<cognito_verify_axum::CognitoAuthService<axum::routing::Route>>();
    check::<CognitoAuth>();
}

/// Two `Authorization` headers are two credentials: 400 `invalid_request`, before the layer
/// verifies either.
#[tokio::test]
async fn two_authorization_headers_are_refused_by_the_layer() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(fx.verifier());
    let app = App::start(protected(&auth)).await;
    let bearer = format!("Bearer {}", fx.access());
    let reply = app
        .get(
            "/whoami",
            &[("authorization", &bearer), ("authorization", "Bearer x")],
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(
            r#"Bearer error="invalid_request", error_description="the request carries more than one credential""#
        )
    );
    assert_eq!(reply.body, body("invalid_request", "invalid_request"));
    assert_eq!(fx.verification_count(), 0, "nothing was verified");
}
