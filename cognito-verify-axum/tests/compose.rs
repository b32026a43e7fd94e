//! The layer among tower-http layers, with an application state reached through `FromRef`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{Method, Request, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use cognito_verify::Requirement;
use cognito_verify_axum::{AccessToken, Authenticated, CognitoAuth};
use common::{App, Fixture, body};
use serde_json::{Value, json};
use tower::{ServiceBuilder, ServiceExt as _};
use tower_http::cors::CorsLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
struct AppState {
    auth: CognitoAuth,
    service_name: &'static str,
}

impl FromRef<AppState> for CognitoAuth {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

async fn me(State(state): State<AppState>, AccessToken(claims): AccessToken) -> Json<Value> {
    Json(json!({ "service": state.service_name, "sub": claims.sub }))
}

async fn admin(Authenticated(token): Authenticated) -> Json<Value> {
    Json(json!({ "admin": token.subject() }))
}

fn app(auth: CognitoAuth) -> Router {
    let admin_routes = Router::new()
        .route("/stats", get(admin))
        .route_layer(auth.require_groups(Requirement::any_of(["admin"])).unwrap());
    Router::new()
        .route("/me", get(me))
        .nest("/admin", admin_routes)
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(10),
                ))
                .layer(CorsLayer::permissive())
                .layer(auth.layer()),
        )
        .with_state(AppState {
            auth,
            service_name: "orders",
        })
}

#[tokio::test]
async fn the_layer_composes_with_tower_http_and_with_state() {
    let fx = Fixture::new().await;
    let app = App::start(app(CognitoAuth::new(fx.verifier()))).await;

    let token = fx.issuer.access_token().claim("sub", "u").sign();
    let reply = app.get_bearer("/me", &token).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "service": "orders", "sub": "u" }))
    );

    let reply = app.get("/me", &[]).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref(), reply.body),
        (401, Some("Bearer"), body("unauthorized", "missing_token"))
    );

    let reply = app.get_bearer("/admin/stats", &token).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.body, body("insufficient_scope", "insufficient_group"));
    let admin = fx
        .issuer
        .access_token()
        .claim("sub", "boss")
        .groups(["admin"])
        .sign();
    let reply = app.get_bearer("/admin/stats", &admin).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({ "admin": "boss" }))
    );

    // The layer verified the token once per request; the route layer and the extractor reused it.
    let before = fx.verification_count();
    assert_eq!(app.oneshot_bearer("/admin/stats", &admin).await.status, 200);
    assert_eq!(fx.verification_count(), before + 1);
}

#[tokio::test]
async fn cors_preflight_is_answered_before_authentication() {
    let fx = Fixture::new().await;
    let router = app(CognitoAuth::new(fx.verifier()));
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/me")
        .header(header::ORIGIN, "https://app.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization")
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(preflight).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );

    // A refusal still carries the CORS headers, so a browser can read it.
    let refused = Request::get("/me")
        .header(header::ORIGIN, "https://app.example")
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(refused).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
}

#[tokio::test]
async fn the_service_accepts_other_request_body_types() {
    let fx = Fixture::new().await;
    let auth = CognitoAuth::new(fx.verifier());
    // RequestBodyLimitLayer turns the request body into `Limited<Body>` before our service.
    let service = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(1024))
        .layer(auth.layer())
        .service(Router::new().route("/me", get(me)).with_state(AppState {
            auth: auth.clone(),
            service_name: "limited",
        }));
    let token = fx.issuer.access_token().claim("sub", "l").sign();
    let request = Request::get("/me")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = service.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(Body::new(response.into_body()), 1024)
        .await
        .unwrap();
    let value: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(value, json!({ "service": "limited", "sub": "l" }));

    let response = service
        .oneshot(Request::get("/me").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
