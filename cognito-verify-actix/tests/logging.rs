//! The `tracing` events of refusals (alone in this binary: the subscriber is global).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::App;
use actix_web::test::{self, TestRequest};
use common::{Credential, Pool};

fn request(path: &str, credential: &Credential) -> TestRequest {
    let mut request = TestRequest::get().uri(path);
    if let Some(h) = credential.header() {
        request = request.insert_header(h);
    }
    request
}

/// A `tracing` writer that keeps everything in memory.
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

#[actix_web::test]
async fn refusals_are_logged_with_their_kind_never_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

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
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("kind=\"expired\"") || logs.contains("kind=expired"),
        "{logs}"
    );
    assert!(logs.contains("missing_token"), "{logs}");
    assert!(logs.contains("insufficient_scope"), "{logs}");
    assert!(
        logs.contains("status=401") && logs.contains("status=403"),
        "{logs}"
    );
    for token in [&expired, &valid] {
        let signature = token.rsplit('.').next().unwrap();
        assert!(!logs.contains(signature), "the token was logged: {logs}");
    }
}
