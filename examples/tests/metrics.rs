//! `GET /metrics` of the `axum_server` and `actix_server` examples, run as real processes: after
//! a failed key fetch, requests refused while keys are unavailable, a valid token (then again,
//! from the cache), an expired one and one with an unknown kid, every counter has exactly the
//! value those requests make.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cognito_verify::testing::{Fault, JwksServer, TestIssuer};
use cognito_verify::{ErrorKind, KeyFetchErrorKind};

mod common;

/// One sample of the text exposition: its name and labels.
type Series = (String, BTreeMap<String, String>);

/// Parses the Prometheus text format: `name{label="value",…} number` or `name number`.
fn parse(text: &str) -> BTreeMap<Series, f64> {
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let labels = rest.strip_suffix('}').unwrap();
                let labels = labels
                    .split(',')
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        let (k, v) = l.split_once('=').unwrap();
                        (k.to_owned(), v.trim_matches('"').to_owned())
                    })
                    .collect();
                (name, labels)
            }
            None => (series, BTreeMap::new()),
        };
        samples.insert((name.to_owned(), labels), value.parse().unwrap());
    }
    samples
}

/// The samples of metric `name`, by label set.
fn metric(samples: &BTreeMap<Series, f64>, name: &str) -> BTreeMap<Vec<(String, String)>, f64> {
    samples
        .iter()
        .filter(|((n, _), _)| n == name)
        .map(|((_, labels), v)| (labels.clone().into_iter().collect(), *v))
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    map.into_iter().collect()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn get(base: &str, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = client().get(format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn scrape(base: &str) -> BTreeMap<Series, f64> {
    let response = get(base, "/metrics", None).await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    parse(&response.text().await.unwrap())
}

async fn counts_every_outcome(example: &str) {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    // The start-up fetch fails.
    jwks.set_fault(Fault::Status(500));
    let (mut child, base) =
        common::start_http(example, &issuer, &jwks.url(), Duration::from_secs(60)).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    assert_eq!(jwks.fetch_count(), 1);

    // Refused as unavailable until the back-off lets a fetch through, then accepted.
    jwks.set_fault(Fault::None);
    let token = issuer.access_token().sign();
    let mut unavailable = 0;
    loop {
        let response = get(&base, "/me", Some(&token)).await;
        match response.status().as_u16() {
            200 => break,
            503 => unavailable += 1,
            other => panic!("unexpected {other}"),
        }
        assert!(Instant::now() < deadline, "the keys were never fetched");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let expired = issuer.access_token().expires_in(-600).sign();
    assert_eq!(get(&base, "/me", Some(&expired)).await.status(), 401);
    let unknown = issuer.access_token().kid("no-such-kid").sign();
    assert_eq!(get(&base, "/me", Some(&unknown)).await.status(), 401);
    // Again: from the verified-token cache.
    assert_eq!(get(&base, "/me", Some(&token)).await.status(), 200);
    // Start-up (failed), after the back-off, for the unknown kid.
    assert_eq!(jwks.fetch_count(), 3);

    let samples = scrape(&base).await;
    let mut expected = BTreeMap::new();
    expected.insert(labels(&[("outcome", "accepted"), ("kind", "")]), 2.0);
    for kind in ErrorKind::ALL {
        let count = match kind {
            ErrorKind::KeysUnavailable => unavailable as f64,
            ErrorKind::Expired | ErrorKind::UnknownKid => 1.0,
            _ => 0.0,
        };
        expected.insert(
            labels(&[("outcome", "rejected"), ("kind", kind.as_str())]),
            count,
        );
    }
    assert_eq!(
        metric(&samples, "cognito_verify_verifications_total"),
        expected
    );

    let mut expected = BTreeMap::new();
    expected.insert(labels(&[("outcome", "ok")]), 2.0);
    for kind in KeyFetchErrorKind::ALL {
        let count = if *kind == KeyFetchErrorKind::Status {
            1.0
        } else {
            0.0
        };
        expected.insert(labels(&[("outcome", kind.as_str())]), count);
    }
    assert_eq!(
        metric(&samples, "cognito_verify_key_fetches_total"),
        expected
    );
    assert_eq!(
        metric(&samples, "cognito_verify_key_fetch_seconds_count"),
        BTreeMap::from([(vec![], 3.0)])
    );

    let misses = unavailable as f64 + 3.0;
    assert_eq!(
        metric(&samples, "cognito_verify_token_cache_hits_total"),
        BTreeMap::from([(vec![], 1.0)])
    );
    assert_eq!(
        metric(&samples, "cognito_verify_token_cache_misses_total"),
        BTreeMap::from([(vec![], misses)])
    );

    let ages = metric(&samples, "cognito_verify_keys_age_seconds");
    let age = ages[&labels(&[("pool", issuer.pool_id())])];
    assert_eq!(ages.len(), 1, "{ages:?}");
    assert!((0.0..60.0).contains(&age), "{age}");

    child.kill().await.unwrap();
}

#[tokio::test]
async fn axum_server_counts_every_outcome() {
    counts_every_outcome("axum_server").await;
}

#[tokio::test]
async fn actix_server_counts_every_outcome() {
    counts_every_outcome("actix_server").await;
}
