//! Every refusal emits one `tracing` event with its kind, status, method and path, never the
//! token. The events are recorded by the test kit's `LogCapture`, installed for the whole
//! process (alone in this binary).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::Router;
use axum::routing::get;
use cognito_verify::Requirement;
use cognito_verify::testing::LogCapture;
use cognito_verify::testing::verifier_with_keys_down;
use cognito_verify_axum::{Authenticated, CognitoAuth};
use common::{App, Fixture};
use tracing::Level;

async fn ok(Authenticated(_): Authenticated) -> &'static str {
    "ok"
}

fn router(auth: &CognitoAuth) -> Router {
    Router::new()
        .route(
            "/read",
            get(ok).route_layer(
                auth.require_scopes(Requirement::any_of(["orders/read"]))
                    .unwrap(),
            ),
        )
        .route("/whoami", get(ok))
        .with_state(auth.clone())
}

#[tokio::test]
async fn every_refusal_is_traced_with_its_kind_and_never_the_token() {
    let fx = Fixture::new().await;
    let capture = LogCapture::global();

    let auth = CognitoAuth::new(fx.verifier());
    let app = App::start(router(&auth)).await;
    let expired = fx.issuer.access_token().expires_in(-60).sign();
    let user = fx.access();
    assert_eq!(app.get_oneshot("/whoami", &[]).await.status, 401);
    assert_eq!(app.oneshot_bearer("/whoami", &expired).await.status, 401);
    assert_eq!(app.oneshot_bearer("/read", &user).await.status, 403);

    let down = CognitoAuth::new(verifier_with_keys_down(&fx.issuer));
    let reply = App::start(router(&down))
        .await
        .oneshot_bearer("/whoami", &user)
        .await;
    assert_eq!(reply.status, 503);

    let refusals: Vec<_> = capture
        .events()
        .into_iter()
        .filter(|e| e.target == "cognito_verify::http_auth::refusal")
        .map(|e| {
            let field = |name| e.field(name).unwrap_or_default().to_owned();
            let (kind, status, method, path) = (
                field("kind"),
                field("status"),
                field("method"),
                field("path"),
            );
            (e.level, e.message.clone(), kind, status, method, path)
        })
        .collect();
    let expected = [
        (
            Level::DEBUG,
            "request refused: no token",
            "missing_token",
            "401",
            "/whoami",
        ),
        (Level::DEBUG, "request refused", "expired", "401", "/whoami"),
        (
            Level::DEBUG,
            "request refused",
            "insufficient_scope",
            "403",
            "/read",
        ),
        (
            Level::DEBUG,
            "request refused: signing keys unavailable",
            "keys_unavailable",
            "503",
            "/whoami",
        ),
    ]
    .map(|(level, message, kind, status, path)| {
        let owned = |s: &str| s.to_owned();
        (
            level,
            owned(message),
            owned(kind),
            owned(status),
            owned("GET"),
            owned(path),
        )
    });
    assert_eq!(refusals, expected);
    for event in capture.events() {
        let text = format!("{} {:?}", event.message, event.fields);
        for token in [&expired, &user] {
            for part in token.split('.') {
                assert!(
                    !text.contains(part),
                    "an event contains a token part: {text}"
                );
            }
        }
    }
}
