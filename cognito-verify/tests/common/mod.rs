//! Shared set-up for the integration tests: a test issuer, its JWKS on a real loopback server,
//! and a verifier on a manual clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{ManualClock, TokenUse, Verifier, VerifierBuilder};

/// 2023-11-14T22:13:20Z: the fixed "now" of the tests.
pub(crate) const NOW: u64 = 1_700_000_000;

pub(crate) struct Setup {
    pub(crate) issuer: TestIssuer,
    pub(crate) server: JwksServer,
    pub(crate) clock: ManualClock,
}

impl Setup {
    pub(crate) async fn new() -> Self {
        let mut issuer = TestIssuer::new();
        issuer.set_now(NOW);
        let server = JwksServer::start(issuer.jwks_json()).await.unwrap();
        Setup {
            issuer,
            server,
            clock: ManualClock::at_unix(NOW),
        }
    }

    /// A builder for this issuer's pool at `server.url()`, on the manual clock, accepting
    /// `token_use`, with the token cache off (so every call exercises the full path).
    pub(crate) fn builder(&self, token_use: TokenUse) -> VerifierBuilder {
        Verifier::builder()
            .pool(self.issuer.pool().jwks_uri(self.server.url()))
            .token_use(token_use)
            .clock(self.clock.clone())
            .token_cache_max_bytes(0)
            .jwks_timeout(Duration::from_secs(2))
    }

    pub(crate) fn verifier(&self, token_use: TokenUse) -> Verifier {
        self.builder(token_use).build().unwrap()
    }

    /// Re-publishes the issuer's current keys.
    pub(crate) fn publish(&self) {
        self.server.set_jwks(self.issuer.jwks_json());
    }

    /// Waits (up to 2 s) until the server has answered `fetches` fetches in all, then a moment
    /// more for a background refresh to store what it fetched.
    pub(crate) async fn settle_after_fetches(&self, fetches: u64) {
        for _ in 0..100 {
            if self.server.fetch_count() >= fetches {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The kind of the error, or "ok".
pub(crate) fn kind<T>(r: &Result<T, cognito_verify::Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.kind().as_str(),
    }
}

/// A loopback URL where nothing listens.
pub(crate) fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/.well-known/jwks.json")
}
