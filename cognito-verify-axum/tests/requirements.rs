//! Route requirements (scopes, groups, token use) behind the layer: 403 naming what is required,
//! no second verification, access tokens only unless id tokens are allowed, and an empty
//! requirement refused when the layer is built.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::Router;
use axum::routing::get;
use cognito_verify::http_auth::HttpAuth;
use cognito_verify::{Requirement, TokenUse};
use cognito_verify_axum::CognitoAuth;
use common::{App, Fixture, body, invalid_token};

async fn ok() -> &'static str {
    "ok"
}

fn with_requirements(auth: &CognitoAuth) -> Router {
    Router::new()
        .route(
            "/read",
            get(ok).route_layer(
                auth.require_scopes(Requirement::any_of(["orders/read", "orders/write"]))
                    .unwrap(),
            ),
        )
        .route(
            "/read-write",
            get(ok).route_layer(
                auth.require_scopes(Requirement::all_of(["orders/read", "orders/write"]))
                    .unwrap(),
            ),
        )
        .nest(
            "/admin",
            Router::new()
                .route("/panel", get(ok))
                .route_layer(auth.require_groups(Requirement::any_of(["admin"])).unwrap()),
        )
        .route(
            "/both",
            get(ok).route_layer(
                auth.layer()
                    .require_scopes(Requirement::any_of(["orders/read"]))
                    .unwrap()
                    .require_groups(Requirement::all_of(["ops", "admin"]))
                    .unwrap(),
            ),
        )
}

#[tokio::test]
async fn scope_and_group_requirements_answer_403_naming_what_is_required() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(fx.verifier());
    let app = App::start(with_requirements(&auth)).await;
    let issuer = &fx.issuer;

    let read = issuer.m2m_token(["orders/read"]).sign();
    let write = issuer.m2m_token(["orders/write"]).sign();
    let both = issuer.m2m_token(["orders/write", "orders/read"]).sign();
    let user = fx.access();
    let admin = issuer.access_token().groups(["admin"]).sign();

    assert_eq!(app.get_bearer("/read", &read).await.status, 200);
    assert_eq!(app.get_bearer("/read", &write).await.status, 200);
    assert_eq!(app.get_bearer("/read-write", &both).await.status, 200);
    assert_eq!(app.get_bearer("/admin/panel", &admin).await.status, 200);

    let scope = r#"Bearer error="insufficient_scope", error_description="token lacks a required scope", scope="orders/read orders/write""#;
    for (path, token) in [("/read", &user), ("/read-write", &read)] {
        let reply = app.get_bearer(path, token).await;
        assert_eq!(reply.status, 403, "{path}");
        assert_eq!(reply.www_authenticate.as_deref(), Some(scope), "{path}");
        assert_eq!(
            reply.body,
            body("insufficient_scope", "insufficient_scope"),
            "{path}"
        );
    }

    let reply = app.get_bearer("/admin/panel", &user).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(
            r#"Bearer error="insufficient_scope", error_description="token's user is not in a required group", scope="admin""#
        )
    );
    assert_eq!(reply.body, body("insufficient_scope", "insufficient_group"));

    // Requirements still need a valid token first.
    let reply = app.get("/admin/panel", &[]).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    let expired = issuer
        .access_token()
        .groups(["admin"])
        .expires_in(-60)
        .sign();
    let reply = app.get_bearer("/admin/panel", &expired).await;
    assert_eq!(
        (reply.status, reply.www_authenticate),
        (401, invalid_token("token has expired"))
    );

    // Scopes and groups together: the scope is checked first, then the groups.
    let scoped_admin = issuer
        .access_token()
        .scope("orders/read")
        .groups(["admin"])
        .sign();
    let reply = app.get_bearer("/both", &scoped_admin).await;
    assert_eq!(reply.body["kind"], "insufficient_group");
    assert!(
        reply
            .www_authenticate
            .unwrap()
            .ends_with(r#"scope="ops admin""#)
    );
    let ops_admin = issuer
        .access_token()
        .scope("orders/read")
        .groups(["admin", "ops"])
        .sign();
    assert_eq!(app.get_bearer("/both", &ops_admin).await.status, 200);
}

#[tokio::test]
async fn requirements_behind_the_layer_do_not_verify_again() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(HttpAuth::new(fx.verifier()).realm("api"));
    let app = App::start(with_requirements(&auth).layer(auth.layer())).await;

    let read = fx.issuer.m2m_token(["orders/read"]).sign();
    assert_eq!(app.oneshot_bearer("/read", &read).await.status, 200);
    assert_eq!(fx.verification_count(), 1);

    let reply = app.oneshot_bearer("/admin/panel", &read).await;
    assert_eq!(reply.status, 403);
    assert!(
        reply
            .www_authenticate
            .unwrap()
            .starts_with(r#"Bearer realm="api", error="insufficient_scope""#)
    );
    assert_eq!(fx.verification_count(), 2);
}

/// One rule for an empty requirement, the core's: refused when the layer is built, never
/// answered at request time.
#[tokio::test]
async fn an_empty_requirement_is_refused_when_the_layer_is_built() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(fx.verifier());
    let empty = Requirement::any_of(Vec::<String>::new());
    let blank = Requirement::all_of(["admin", ""]);
    for refused in [
        auth.require_scopes(empty.clone()).map(drop),
        auth.require_groups(blank).map(drop),
        auth.layer().require_groups(empty).map(drop),
    ] {
        assert_eq!(refused.unwrap_err().kind().as_str(), "empty_requirement");
    }
}

/// An id token of a user in the group is the wrong kind of token for a route layer's
/// requirement (401), unless the requirement allows id tokens.
#[tokio::test]
async fn route_requirements_take_access_tokens_unless_id_tokens_are_allowed() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(fx.verifier_for(TokenUse::Either));
    let admins = Requirement::any_of(["admin"]);
    let router = Router::new()
        .route(
            "/api",
            get(ok).route_layer(auth.require_groups(admins.clone()).unwrap()),
        )
        .route(
            "/staff",
            get(ok).route_layer(auth.require_groups(admins.allow_id_tokens()).unwrap()),
        );
    let app = App::start(router).await;
    let id = fx.issuer.id_token().groups(["admin"]).sign();
    let reply = app.get_bearer("/api", &id).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, body("invalid_token", "invalid_token_use"));
    assert_eq!(app.get_bearer("/staff", &id).await.status, 200);
    let access = fx.issuer.access_token().groups(["admin"]).sign();
    assert_eq!(app.get_bearer("/api", &access).await.status, 200);
}
