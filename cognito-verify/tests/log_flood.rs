//! Garbage tokens cannot flood the logs: 100,000 of them (not a JWT, bad base64, a foreign
//! issuer, an unknown kid while the key endpoint is down, so that fetches fail), through
//! `Verifier::verify` and through `HttpAuth` with the front ends' refusal logging, write at most a
//! handful of lines at the usual `info` level.
//!
//! The lines are counted by a `fmt` subscriber installed for the whole process (this file is its
//! own test binary), so events of the fetch tasks count too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cognito_verify::http_auth::HttpAuth;
use cognito_verify::testing::{TestIssuer, verifier_with_keys_down};
use tracing::Level;

/// Garbage tokens sent.
const TOKENS: usize = 100_000;

/// Most lines they may write (the first failed key fetch is one).
const MAX_LINES: usize = 5;

/// Every line written, shared by the writers the subscriber makes.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn garbage_tokens_write_at_most_a_handful_of_lines_at_info() {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let issuer = TestIssuer::new();
    let foreign = TestIssuer::new();
    let verifier = verifier_with_keys_down(&issuer);
    let auth = HttpAuth::new(verifier.clone());
    let garbage = [
        "not-a-jwt".to_owned(),
        "eyJhbGciOiJSUzI1NiJ9.e!!!.c2ln".to_owned(),
        foreign.access_token().sign(),
        issuer.access_token().kid("no-such-kid").sign(),
        issuer.access_token().sign(),
    ];

    let started = Instant::now();
    for i in 0..TOKENS {
        let token = &garbage[i % garbage.len()];
        if i % 2 == 0 {
            assert!(verifier.verify(token).await.is_err());
        } else {
            let (parts, ()) = http::Request::get("/orders")
                .header("authorization", format!("Bearer {token}"))
                .body(())
                .unwrap()
                .into_parts();
            let refusal = auth.authenticate(&parts).await.unwrap_err();
            refusal.log(Some(parts.method.as_str()), Some(parts.uri.path()));
        }
    }
    let elapsed = started.elapsed();

    let text = lines.text();
    let written = text.lines().count();
    eprintln!(
        "{TOKENS} garbage tokens in {elapsed:?}, {} key fetches, {written} lines:\n{text}",
        verifier.key_fetch_count()
    );
    assert!(verifier.key_fetch_count() >= 1);
    assert!(
        text.contains("key set fetch failed"),
        "the first failed fetch is a warning"
    );
    assert!(written <= MAX_LINES, "{written} lines:\n{text}");
}
