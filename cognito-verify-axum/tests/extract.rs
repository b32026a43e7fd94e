//! The extractors: on their own (verifier from the state) and behind a layer (no second
//! verification), required and optional.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::routing::get;
use axum::{Json, Router};
use cognito_verify::http_auth::HttpAuth;
use cognito_verify::testing::{TokenBuilder, verifier_with_keys_down};
use cognito_verify_axum::{
    AccessToken, AuthRejection, Authenticated, Claims, CognitoAuth, IdToken,
};
use common::{App, Fixture, body, invalid_token};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
struct Tenant {
    sub: String,
    #[serde(rename = "custom:tenant")]
    tenant: String,
}

async fn access(AccessToken(claims): AccessToken) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "client_id": claims.client_id }))
}

async fn id(IdToken(claims): IdToken) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "email": claims.email }))
}

async fn tenant(Claims(me): Claims<Tenant>) -> Json<Value> {
    Json(json!({ "sub": me.sub, "tenant": me.tenant }))
}

async fn token(Authenticated(token): Authenticated) -> Json<Value> {
    Json(json!({ "sub": token.subject(), "groups": token.groups() }))
}

async fn maybe_access(user: Option<AccessToken>) -> Json<Value> {
    Json(json!({ "sub": user.map(|u| u.0.sub) }))
}

async fn maybe_id(user: Option<IdToken>) -> Json<Value> {
    Json(json!({ "sub": user.map(|u| u.sub.clone()) }))
}

async fn maybe_tenant(user: Option<Claims<Tenant>>) -> Json<Value> {
    Json(json!({ "tenant": user.map(|u| u.0.tenant) }))
}

async fn two(AccessToken(claims): AccessToken, Claims(me): Claims<Tenant>) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "tenant": me.tenant }))
}

async fn handled(result: Result<AccessToken, AuthRejection>) -> Json<Value> {
    Json(match result {
        Ok(AccessToken(claims)) => json!({ "sub": claims.sub }),
        Err(rejection) => json!({
            "status": rejection.status().as_u16(),
            "kind": rejection.kind(),
            "www": rejection.refusal().www_authenticate().map(|v| v.to_str().unwrap()),
            "display": rejection.to_string(),
        }),
    })
}

fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    CognitoAuth: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/access", get(access))
        .route("/id", get(id))
        .route("/tenant", get(tenant))
        .route("/token", get(token))
        .route("/maybe-access", get(maybe_access))
        .route("/maybe-id", get(maybe_id))
        .route("/maybe-tenant", get(maybe_tenant))
        .route("/two", get(two))
        .route("/handled", get(handled))
}

/// The extractors on their own, with the verifier in the state.
fn standalone(auth: CognitoAuth) -> Router {
    routes().with_state(auth)
}

/// A fixture, and the extractors served on their own with its verifier.
async fn standalone_app() -> (Fixture, App) {
    let fx = Fixture::new().await;
    let app = App::start(standalone(CognitoAuth::new(fx.verifier()))).await;
    (fx, app)
}

/// The token signed with this `sub` and the `custom:tenant` claim `acme`.
fn with_tenant(token: TokenBuilder<'_>, sub: &str) -> String {
    token
        .claim("sub", sub)
        .claim("custom:tenant", "acme")
        .sign()
}

#[tokio::test]
async fn access_token_extractor() {
    let (fx, app) = standalone_app().await;

    let token = fx.issuer.access_token().claim("sub", "a").sign();
    let reply = app.get_bearer("/access", &token).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        json!({ "sub": "a", "client_id": fx.issuer.app_client_id() })
    );

    // An id token is valid for the verifier (TokenUse::Either) but not an access token.
    let reply = app.get_bearer("/access", &fx.id()).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.www_authenticate,
        invalid_token("token_use is not the expected 'access'")
    );
    assert_eq!(reply.body, body("invalid_token", "invalid_token_use"));

    let reply = app.get("/access", &[]).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref(), reply.body),
        (401, Some("Bearer"), body("unauthorized", "missing_token"))
    );

    for (token, kind) in [
        ("a.b".to_owned(), "malformed_token"),
        (fx.issuer.access_token().expires_in(-60).sign(), "expired"),
        (
            fx.issuer.access_token().client("other").sign(),
            "invalid_client",
        ),
    ] {
        let reply = app.get_bearer("/access", &token).await;
        assert_eq!(reply.status, 401, "{kind}");
        assert_eq!(reply.body, body("invalid_token", kind));
        assert!(
            reply
                .www_authenticate
                .unwrap()
                .starts_with(r#"Bearer error="invalid_token", error_description=""#)
        );
    }
}

#[tokio::test]
async fn id_token_extractor() {
    let (fx, app) = standalone_app().await;

    let token = fx.issuer.id_token().claim("sub", "i").sign();
    let reply = app.get_bearer("/id", &token).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "sub": "i", "email": "test-user@example.com" }))
    );

    let reply = app.get_bearer("/id", &fx.access()).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.www_authenticate,
        invalid_token("token_use is not the expected 'id'")
    );
    assert_eq!(reply.body, body("invalid_token", "invalid_token_use"));

    let wrong_audience = fx.issuer.id_token().client("other").sign();
    let reply = app.get_bearer("/id", &wrong_audience).await;
    assert_eq!(reply.body, body("invalid_token", "invalid_client"));
}

#[tokio::test]
async fn claims_and_authenticated_extractors() {
    let (fx, app) = standalone_app().await;

    let tenant_token = with_tenant(fx.issuer.id_token(), "t");
    let reply = app.get_bearer("/tenant", &tenant_token).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "sub": "t", "tenant": "acme" }))
    );

    let reply = app.get_bearer("/tenant", &fx.access()).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, body("invalid_token", "invalid_claim"));
    // The client is not told the server's Rust type names.
    assert_eq!(
        reply.www_authenticate,
        invalid_token("token claims do not have the shape of the requested claims type")
    );

    let admin = fx
        .issuer
        .access_token()
        .claim("sub", "g")
        .groups(["admin", "ops"])
        .sign();
    let reply = app.get_bearer("/token", &admin).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "sub": "g", "groups": ["admin", "ops"] }))
    );
    assert_eq!(app.get("/token", &[]).await.status, 401);
}

#[tokio::test]
async fn optional_extractors() {
    let (fx, app) = standalone_app().await;

    // No token: None.
    for path in ["/maybe-access", "/maybe-id"] {
        let reply = app.get(path, &[]).await;
        assert_eq!((reply.status, reply.body), (200, json!({ "sub": null })));
    }
    let reply = app.get("/maybe-tenant", &[]).await;
    assert_eq!(reply.body, json!({ "tenant": null }));
    // A non-bearer Authorization header is no token either.
    let reply = app
        .get("/maybe-access", &[("authorization", "Basic dXNlcjpwYXNz")])
        .await;
    assert_eq!((reply.status, reply.body), (200, json!({ "sub": null })));

    // A valid token: Some.
    let access = fx.issuer.access_token().claim("sub", "a").sign();
    let reply = app.get_bearer("/maybe-access", &access).await;
    assert_eq!((reply.status, reply.body), (200, json!({ "sub": "a" })));
    let id = fx.issuer.id_token().claim("sub", "i").sign();
    let reply = app.get_bearer("/maybe-id", &id).await;
    assert_eq!((reply.status, reply.body), (200, json!({ "sub": "i" })));

    // A token that is present but not valid: refused, not None.
    let expired = fx.issuer.access_token().expires_in(-60).sign();
    let reply = app.get_bearer("/maybe-access", &expired).await;
    assert_eq!(
        (reply.status, reply.www_authenticate),
        (401, invalid_token("token has expired"))
    );
    assert_eq!(reply.body, body("invalid_token", "expired"));
    let reply = app.get_bearer("/maybe-access", &id).await;
    assert_eq!(reply.body, body("invalid_token", "invalid_token_use"));
    let reply = app.get_bearer("/maybe-id", &access).await;
    assert_eq!(reply.body, body("invalid_token", "invalid_token_use"));
    let reply = app.get_bearer("/maybe-tenant", &access).await;
    assert_eq!(reply.body, body("invalid_token", "invalid_claim"));
    let reply = app.get_bearer("/maybe-id", "garbage").await;
    assert_eq!(reply.body, body("invalid_token", "malformed_token"));
}

#[tokio::test]
async fn extractors_answer_503_when_keys_are_unavailable() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(verifier_with_keys_down(&fx.issuer));
    let app = App::start(standalone(auth)).await;
    for path in ["/access", "/maybe-access"] {
        let reply = app.get_bearer(path, &fx.access()).await;
        assert_eq!(reply.status, 503, "{path}");
        assert_eq!(reply.retry_after.as_deref(), Some("1"));
        assert_eq!(reply.www_authenticate, None);
        assert_eq!(
            reply.body,
            body("temporarily_unavailable", "keys_unavailable")
        );
    }
}

#[tokio::test]
async fn several_extractors_in_one_handler_verify_once() {
    let (fx, app) = standalone_app().await;
    let token = with_tenant(fx.issuer.access_token(), "x");
    let reply = app.oneshot_bearer("/two", &token).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "sub": "x", "tenant": "acme" }))
    );
    assert_eq!(fx.verification_count(), 1);
}

#[tokio::test]
async fn behind_the_layer_extractors_read_the_verified_token() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(HttpAuth::new(fx.verifier()).realm("api"));
    // With the state too: the layer's token is used, not verified again.
    let app = App::start(
        routes()
            .layer(auth.layer())
            .with_state(CognitoAuth::new(fx.verifier())),
    )
    .await;
    let token = with_tenant(fx.issuer.access_token(), "x");
    assert_eq!(app.oneshot_bearer("/two", &token).await.status, 200);
    assert_eq!(fx.verification_count(), 1);

    // A refusal by the extractor is rendered with the layer's settings (its realm).
    let reply = app.oneshot_bearer("/id", &token).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(
            r#"Bearer realm="api", error="invalid_token", error_description="token_use is not the expected 'id'""#
        )
    );
    assert_eq!(fx.verification_count(), 2);
}

/// A router without state: the extractors rely on the layer.
fn stateless() -> Router {
    Router::new()
        .route("/access", get(access))
        .route("/maybe-access", get(maybe_access))
        .route("/tenant", get(tenant))
}

#[tokio::test]
async fn a_router_without_state_works_behind_a_layer() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(fx.verifier());
    let app = App::start(stateless().layer(auth.layer())).await;
    let token = fx.issuer.access_token().claim("sub", "s").sign();
    let reply = app.get_bearer("/access", &token).await;
    assert_eq!((reply.status, &reply.body["sub"]), (200, &json!("s")));
    let reply = app.get_bearer("/tenant", &token).await;
    assert_eq!(reply.body, body("invalid_token", "invalid_claim"));

    // Behind an optional layer, a request without a token is anonymous.
    let app = App::start(stateless().layer(auth.optional_layer())).await;
    let reply = app.get("/maybe-access", &[]).await;
    assert_eq!((reply.status, reply.body), (200, json!({ "sub": null })));
    let reply = app.get("/access", &[]).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    let reply = app.get_bearer("/maybe-access", &token).await;
    assert_eq!(reply.body, json!({ "sub": "s" }));
}

#[tokio::test]
async fn without_a_layer_or_state_the_extractors_answer_500() {
    let app = App::start(stateless()).await;
    let reply = app.get("/access", &[]).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.www_authenticate, None);
    assert_eq!(
        reply.body,
        json!({ "error": "server_error", "kind": "not_configured" })
    );
    assert_eq!(app.get("/maybe-access", &[]).await.status, 500);
}

#[tokio::test]
async fn the_rejection_can_be_handled_by_the_handler() {
    let (fx, app) = standalone_app().await;
    let expired = fx.issuer.access_token().expires_in(-60).sign();
    let reply = app.get_bearer("/handled", &expired).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        json!({
            "status": 401,
            "kind": "expired",
            "www": r#"Bearer error="invalid_token", error_description="token has expired""#,
            "display": "request refused (expired): token has expired",
        })
    );
    let reply = app.get("/handled", &[]).await;
    assert_eq!(reply.body["kind"], "missing_token");
}

#[tokio::test]
async fn standalone_extractors_use_the_configured_token_source() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(HttpAuth::new(fx.verifier()).token_from_cookie("session"));
    let app = App::start(standalone(auth)).await;
    let token = fx.issuer.access_token().claim("sub", "c").sign();
    let cookie = format!("session={token}");
    let reply = app.get("/access", &[("cookie", &cookie)]).await;
    assert_eq!((reply.status, &reply.body["sub"]), (200, &json!("c")));
    let reply = app.get_bearer("/maybe-access", &token).await;
    assert_eq!(reply.body, json!({ "sub": null }));
}
