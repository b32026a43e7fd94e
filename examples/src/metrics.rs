//! Prometheus metrics for the example servers: the recorder of the core's `metrics` feature,
//! installed once at start-up, and `GET /metrics` in the Prometheus text format.
//!
//! The names are documented in [`cognito_verify::observe`].

use std::sync::OnceLock;

use cognito_verify::observe::KEY_FETCH_SECONDS;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The content type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Buckets of the key-fetch duration histogram, in seconds: a Cognito JWKS answers in tens of
/// milliseconds, and a fetch is cut off at the 5 s deadline.
pub const KEY_FETCH_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder as the process's global recorder (the first call does; it
/// must come before the verifier's first fetch or verification). `false` when another recorder
/// was installed first (then `/metrics` is empty).
pub fn install() -> bool {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(KEY_FETCH_SECONDS.to_owned()),
                    KEY_FETCH_BUCKETS,
                )
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(error) => {
                    tracing::warn!(%error, "no Prometheus recorder: /metrics stays empty");
                    None
                }
            }
        })
        .is_some()
}

/// The metrics in the Prometheus text format (empty before [`install`]).
pub fn render() -> String {
    HANDLE
        .get()
        .and_then(Option::as_ref)
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// `GET /metrics` for axum.
pub async fn axum_handler() -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)], render())
}

/// `GET /metrics` for actix-web.
pub async fn actix_handler() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(render())
}
