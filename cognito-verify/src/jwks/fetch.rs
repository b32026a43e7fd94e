//! One JWKS fetch over HTTP: bounded in time and size, no redirects.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, RETRY_AFTER};

use super::keyset::KeySet;
use crate::defaults::MAX_RETRY_AFTER;
use crate::error::{ConfigError, KeyFetchError};

/// Limits of a JWKS fetch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FetchSettings {
    pub(crate) connect_timeout: Duration,
    pub(crate) total_timeout: Duration,
    pub(crate) max_body_bytes: usize,
}

/// Fetches JWKS documents. One HTTP client (connection pool) serves every pool of a verifier.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    settings: FetchSettings,
}

impl Fetcher {
    pub(crate) fn new(settings: FetchSettings) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.total_timeout)
            // A redirect could take the fetch anywhere; a JWKS endpoint has no reason to send one.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cognito-verify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| ConfigError::HttpClient)?;
        Ok(Fetcher { client, settings })
    }

    /// Fetches and parses the key set at `uri`; `now` stamps it.
    pub(crate) async fn fetch(&self, uri: &str, now: SystemTime) -> Result<KeySet, KeyFetchError> {
        // reqwest's timeout already covers the body; this outer deadline also bounds the parse
        // and makes the bound independent of how reqwest accounts for a trickling body.
        match tokio::time::timeout(self.settings.total_timeout, self.fetch_body(uri)).await {
            Ok(body) => KeySet::parse(&body?, now),
            Err(_) => Err(KeyFetchError::Timeout),
        }
    }

    async fn fetch_body(&self, uri: &str) -> Result<Vec<u8>, KeyFetchError> {
        let mut response = self
            .client
            .get(uri)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(classify)?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
            return Err(match (status, retry_after) {
                (
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE,
                    Some(retry_after),
                ) => KeyFetchError::RateLimited { retry_after },
                _ => KeyFetchError::Status(status.as_u16()),
            });
        }
        let limit = self.settings.max_body_bytes;
        let too_large = KeyFetchError::BodyTooLarge { limit };
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn classify(e: reqwest::Error) -> KeyFetchError {
    if e.is_timeout() {
        KeyFetchError::Timeout
    } else if e.is_connect() {
        KeyFetchError::Connect
    } else if e.is_body() || e.is_decode() {
        KeyFetchError::Body
    } else {
        KeyFetchError::Request
    }
}
