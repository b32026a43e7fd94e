//! Every refusal emits a tracing event with its kind, never the token.
//!
//! Alone in its test binary: tracing caches each call site's interest process-wide, and other
//! tests hitting the same call sites on other threads at the same moment could make a scoped
//! subscriber miss an event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use cognito_verify::Requirement;
use cognito_verify_axum::{Authenticated, CognitoAuth};
use common::{App, Fixture, verifier_with_keys_down};

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

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_refusal_is_traced_with_its_kind_and_never_the_token() {
    let fx = Fixture::new().await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let auth = CognitoAuth::new(fx.verifier());
    let app = App::start(router(&auth)).await;
    let expired = fx.issuer.access_token().expires_in(-60).sign();
    let user = fx.access();
    assert_eq!(app.get_oneshot("/whoami", &[]).await.status, 401);
    assert_eq!(app.oneshot_bearer("/whoami", &expired).await.status, 401);
    assert_eq!(app.oneshot_bearer("/read", &user).await.status, 403);

    let down = CognitoAuth::new(verifier_with_keys_down(&fx.issuer).await);
    let reply = App::start(router(&down))
        .await
        .oneshot_bearer("/whoami", &user)
        .await;
    assert_eq!(reply.status, 503);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for line in [
        r#"DEBUG cognito_verify::http_auth::refusal: request refused: no token kind="missing_token" status=401 method="GET" path="/whoami""#,
        r#"INFO cognito_verify::http_auth::refusal: request refused kind="expired" status=401 method="GET" path="/whoami""#,
        r#"INFO cognito_verify::http_auth::refusal: request refused kind="insufficient_scope" status=403 method="GET" path="/read""#,
        r#"WARN cognito_verify::http_auth::refusal: request refused: signing keys unavailable kind="keys_unavailable" status=503 method="GET" path="/whoami""#,
    ] {
        assert!(log.contains(line), "missing {line:?} in:\n{log}");
    }
    for token in [&expired, &user] {
        for part in token.split('.') {
            assert!(!log.contains(part), "the log contains a token part");
        }
    }
}
