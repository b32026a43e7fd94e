//! One loopback key server for many pools: each pool's JWKS at its own path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::server::Loopback;

#[derive(Default)]
struct Served {
    /// Pool id → its JWKS and how many times it was fetched.
    pools: RwLock<HashMap<String, (String, Arc<AtomicU64>)>>,
    fetches: AtomicU64,
}

/// A JWKS server on `127.0.0.1` for many pools at once: `GET /{pool_id}/.well-known/jwks.json`
/// answers that pool's key set ([`url`](Self::url)), and 404 for a pool it does not serve.
/// Fetches are counted per pool. Stops when dropped.
///
/// ```
/// use cognito_verify::testing::{PoolsJwksServer, TestIssuer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = PoolsJwksServer::start().await?;
/// let tenant = TestIssuer::with_pool_id("eu-west-1_Tenant1");
/// server.serve(tenant.pool_id(), tenant.jwks_json());
/// let pool = tenant.pool().jwks_uri(server.url(tenant.pool_id()));
/// # let _ = pool;
/// # Ok(()) }
/// ```
pub struct PoolsJwksServer {
    server: Loopback,
    served: Arc<Served>,
}

impl std::fmt::Debug for PoolsJwksServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.server.debug("PoolsJwksServer", f)
    }
}

impl PoolsJwksServer {
    /// Starts serving (no pool yet) on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let served = Arc::new(Served::default());
        let app = Router::new().fallback(serve).with_state(served.clone());
        let server = Loopback::serve(app, "pools' JWKS").await?;
        Ok(PoolsJwksServer { server, served })
    }

    /// Serves this JWKS for `pool_id` from now on.
    pub fn serve(&self, pool_id: &str, jwks_json: impl Into<String>) {
        let mut pools = self.served.pools.write().unwrap_or_else(|e| e.into_inner());
        let count = pools
            .get(pool_id)
            .map_or_else(Arc::default, |(_, count)| count.clone());
        pools.insert(pool_id.to_owned(), (jwks_json.into(), count));
    }

    /// The JWKS URL of `pool_id`, `http://127.0.0.1:PORT/{pool_id}/.well-known/jwks.json`.
    pub fn url(&self, pool_id: &str) -> String {
        format!(
            "http://{}/{pool_id}/.well-known/jwks.json",
            self.server.addr
        )
    }

    /// How many requests it has received, for every pool (and for none).
    pub fn fetch_count(&self) -> u64 {
        self.served.fetches.load(Ordering::SeqCst)
    }

    /// How many times the JWKS of `pool_id` was fetched.
    pub fn fetches_of(&self, pool_id: &str) -> u64 {
        let pools = self.served.pools.read().unwrap_or_else(|e| e.into_inner());
        pools
            .get(pool_id)
            .map_or(0, |(_, count)| count.load(Ordering::SeqCst))
    }
}

async fn serve(State(served): State<Arc<Served>>, uri: Uri) -> Response {
    served.fetches.fetch_add(1, Ordering::SeqCst);
    let pool_id = uri
        .path()
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix("/.well-known/jwks.json"))
        .unwrap_or_default();
    let pools = served.pools.read().unwrap_or_else(|e| e.into_inner());
    match pools.get(pool_id) {
        Some((jwks, count)) => {
            count.fetch_add(1, Ordering::SeqCst);
            ([(header::CONTENT_TYPE, "application/json")], jwks.clone()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
