//! One JWKS fetch over HTTP: bounded in time and size, no redirects, with the library's own
//! HTTP client or one the user injected.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, RETRY_AFTER};

use serde_json::Value;

use super::keyset::KeySet;
use crate::defaults::MAX_RETRY_AFTER;
use crate::error::{ConfigError, KeyFetchError};
use crate::pool::KeyLocation;

/// Limits of a JWKS fetch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FetchSettings {
    pub(crate) connect_timeout: Duration,
    pub(crate) total_timeout: Duration,
    pub(crate) max_body_bytes: usize,
}

/// Fetches JWKS documents. One HTTP client (connection pool) serves every pool of a verifier.
///
/// Every request is bounded here, whichever client sends it: the total deadline (per request
/// and around the whole fetch), the size cap while the body is read, and no redirect used (a
/// `3xx` answer, or an answer from another URL than the one requested, is
/// [`KeyFetchError::Redirect`]). Only the library's own client also has the connect timeout,
/// the no-redirect policy (so a redirect is never even requested) and the user agent.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    settings: FetchSettings,
}

impl Fetcher {
    /// With the library's own client, built from `settings`.
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

    /// With the user's client (proxies, root certificates, a shared connection pool); the
    /// per-request limits of `settings` still apply.
    pub(crate) fn with_client(client: reqwest::Client, settings: FetchSettings) -> Self {
        Fetcher { client, settings }
    }

    /// Fetches and parses the key set at `location`; `now` stamps it.
    pub(crate) async fn fetch(
        &self,
        location: &KeyLocation,
        now: SystemTime,
    ) -> Result<KeySet, KeyFetchError> {
        let jwks_uri = match location {
            KeyLocation::Jwks(uri) => uri.clone(),
            KeyLocation::Discovery { config_url, issuer } => {
                self.deadline(self.discover(config_url, issuer)).await?
            }
        };
        KeySet::parse(&self.deadline(self.fetch_body(&jwks_uri)).await?, now)
    }

    /// Fetches the body at `uri` under the same limits (deadline, size cap, no redirects), for
    /// callers that parse it themselves (the ALB key cache: one PEM per key).
    pub(crate) async fn fetch_bytes(&self, uri: &str) -> Result<Vec<u8>, KeyFetchError> {
        self.deadline(self.fetch_body(uri)).await
    }

    /// Runs `fetch` under the total deadline. reqwest's timeout already covers the body; this
    /// outer one makes the bound independent of how reqwest accounts for a trickling body.
    async fn deadline<T>(
        &self,
        fetch: impl Future<Output = Result<T, KeyFetchError>>,
    ) -> Result<T, KeyFetchError> {
        tokio::time::timeout(self.settings.total_timeout, fetch)
            .await
            .unwrap_or(Err(KeyFetchError::Timeout))
    }

    /// Fetches an OpenID discovery document and returns the JWKS URI it names.
    async fn discover(&self, config_url: &str, issuer: &str) -> Result<String, KeyFetchError> {
        let body = self.fetch_body(config_url).await?;
        jwks_uri_from_discovery(&body, config_url, issuer)
    }

    async fn fetch_body(&self, uri: &str) -> Result<Vec<u8>, KeyFetchError> {
        let request = self
            .client
            .get(uri)
            .header(ACCEPT, "application/json")
            // Overrides an injected client's own timeout, if it has one.
            .timeout(self.settings.total_timeout)
            .build()
            .map_err(classify)?;
        let requested = request.url().clone();
        let mut response = self.client.execute(request).await.map_err(classify)?;
        let status = response.status();
        // A client that follows redirects (an injected one may) hands over the last answer:
        // its URL tells.
        if status.is_redirection() || response.url() != &requested {
            return Err(KeyFetchError::Redirect);
        }
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

/// Reads a discovery document: its `issuer` must be `issuer`, and its `jwks_uri` an absolute
/// URL that does not downgrade an `https` document to an `http` JWKS.
fn jwks_uri_from_discovery(
    body: &[u8],
    config_url: &str,
    issuer: &str,
) -> Result<String, KeyFetchError> {
    let document: Value = serde_json::from_slice(body).map_err(|_| KeyFetchError::Discovery)?;
    if document.get("issuer").and_then(Value::as_str) != Some(issuer) {
        return Err(KeyFetchError::Discovery);
    }
    let jwks_uri = document
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or(KeyFetchError::Discovery)?;
    let url = reqwest::Url::parse(jwks_uri).map_err(|_| KeyFetchError::Discovery)?;
    let allowed = match url.scheme() {
        "https" => true,
        "http" => config_url.starts_with("http://"),
        _ => false,
    };
    if !allowed || url.host_str().is_none() {
        return Err(KeyFetchError::Discovery);
    }
    Ok(jwks_uri.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_documents_are_checked() {
        let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A";
        let config = format!("{iss}/.well-known/openid-configuration");
        let doc =
            |issuer: &str, jwks: &str| format!(r#"{{"issuer":"{issuer}","jwks_uri":"{jwks}"}}"#);
        let ok = format!("{iss}/.well-known/jwks.json");
        assert_eq!(
            jwks_uri_from_discovery(doc(iss, &ok).as_bytes(), &config, iss),
            Ok(ok.clone())
        );
        for (body, why) in [
            (doc("https://evil.example/p", &ok), "another issuer"),
            (
                doc(
                    iss,
                    "http://cognito-idp.eu-west-1.amazonaws.com/x/jwks.json",
                ),
                "https downgraded to http",
            ),
            (doc(iss, "file:///etc/passwd"), "not http(s)"),
            (doc(iss, "/relative/jwks.json"), "not absolute"),
            (format!(r#"{{"issuer":"{iss}"}}"#), "no jwks_uri"),
            ("[]".to_owned(), "not an object"),
        ] {
            assert_eq!(
                jwks_uri_from_discovery(body.as_bytes(), &config, iss),
                Err(KeyFetchError::Discovery),
                "{why}"
            );
        }
        // An http document (emulators) may name an http JWKS.
        let local = "http://127.0.0.1:9229/local_A";
        let jwks = format!("{local}/jwks.json");
        assert_eq!(
            jwks_uri_from_discovery(
                doc(local, &jwks).as_bytes(),
                &format!("{local}/.well-known/openid-configuration"),
                local
            ),
            Ok(jwks)
        );
    }
}
