//! Every refusal emits one `tracing` event with its kind, status, method and path, never the
//! token. The events are recorded by the test kit's `LogCapture`, installed for the whole
//! process (alone in this binary).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::App;
use actix_web::test;
use cognito_verify::testing::LogCapture;
use common::{Credential, Pool, request};
use tracing::Level;

#[actix_web::test]
async fn refusals_are_logged_with_their_kind_never_the_token() {
    let capture = LogCapture::global();

    let pool = Pool::start().await;
    let expired = pool.issuer.access_token().expires_in(-60).sign();
    let valid = pool.access();
    let app = test::init_service(App::new().app_data(pool.auth()).configure(common::routes)).await;
    for (path, credential) in [
        ("/access", Credential::Bearer(expired.clone())),
        ("/access", Credential::None),
        ("/scoped", Credential::Bearer(valid.clone())),
        ("/access", Credential::Bearer(valid.clone())),
    ] {
        let _ = test::call_service(&app, request(path, &credential).to_request()).await;
    }
    let refusals: Vec<_> = capture
        .events()
        .into_iter()
        .filter(|e| e.target == "cognito_verify::http_auth::refusal")
        .map(|e| {
            let field = |name| e.field(name).unwrap_or_default().to_owned();
            (
                e.level,
                field("kind"),
                field("status"),
                field("method"),
                field("path"),
            )
        })
        .collect();
    let expected = [
        (Level::DEBUG, "expired", "401", "/access"),
        (Level::DEBUG, "missing_token", "401", "/access"),
        (Level::DEBUG, "insufficient_scope", "403", "/scoped"),
    ]
    .map(|(level, kind, status, path)| {
        let owned = |s: &str| s.to_owned();
        (level, owned(kind), owned(status), owned("GET"), owned(path))
    });
    assert_eq!(refusals, expected);
    for event in capture.events() {
        let text = format!("{} {:?}", event.message, event.fields);
        for token in [&expired, &valid] {
            let signature = token.rsplit('.').next().unwrap();
            assert!(!text.contains(signature), "the token was logged: {text}");
        }
    }
}
