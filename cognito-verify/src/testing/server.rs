//! A JWKS endpoint on loopback that counts fetches and misbehaves on command.

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// How the server answers, for fault-injection tests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Serve the JWKS normally.
    None,
    /// Answer with this status and an empty body.
    Status(u16),
    /// Answer with this status and `Retry-After: secs`.
    RetryAfter(u16, u64),
    /// Answer 200 with this body instead of the JWKS.
    Body(String),
    /// Answer 200 with a valid JSON body of about this many bytes.
    Oversized(usize),
    /// Send the headers and the start of the body, then nothing, ever.
    Stall,
    /// Send the JWKS one byte at a time with this pause between bytes.
    Trickle(Duration),
    /// Wait this long, then serve the JWKS normally.
    Delay(Duration),
    /// Answer `302 Found` to this location.
    Redirect(String),
    /// Abort the connection without answering (as a crash or a reset before the response
    /// does): the response body fails before its first byte, so the server drops the connection
    /// unanswered and the client sees its request fail ([`KeyFetchError::Request`]). A reset in
    /// the middle of a body is a different failure (`KeyFetchError::Body`); `tests/faults.rs`
    /// makes one with a proxy that cuts the connection.
    ///
    /// [`KeyFetchError::Request`]: crate::KeyFetchError::Request
    Reset,
}

struct Shared {
    jwks: RwLock<String>,
    /// Answers queued by [`JwksServer::queue_jwks`], taken one per JWKS request.
    queued: Mutex<VecDeque<String>>,
    discovery: RwLock<Option<String>>,
    fault: RwLock<Fault>,
    fetches: AtomicU64,
    /// The headers of every request received, in order.
    requests: Mutex<Vec<HeaderMap>>,
}

/// A JWKS server on `127.0.0.1` (any path serves the JWKS). Stops when dropped.
///
/// No two servers of one process listen on the same port, even one after the other: a server's
/// URL names it alone, so the key cache's log events naming it (see
/// [`LogCapture`](super::LogCapture)) are its own.
pub struct JwksServer {
    server: Loopback,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for JwksServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.server.debug("JwksServer", f)
    }
}

impl JwksServer {
    /// Starts serving `jwks_json` on a free loopback port.
    pub async fn start(jwks_json: impl Into<String>) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            jwks: RwLock::new(jwks_json.into()),
            queued: Mutex::new(VecDeque::new()),
            discovery: RwLock::new(None),
            fault: RwLock::new(Fault::None),
            fetches: AtomicU64::new(0),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(serve).with_state(shared.clone());
        let server = Loopback::serve(app, "JWKS").await?;
        Ok(JwksServer { server, shared })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// The JWKS URL, `http://127.0.0.1:PORT/.well-known/jwks.json`.
    pub fn url(&self) -> String {
        format!("http://{}/.well-known/jwks.json", self.server.addr)
    }

    /// Serves this JWKS from now on.
    pub fn set_jwks(&self, jwks_json: impl Into<String>) {
        let mut queued = self.shared.queued.lock().unwrap_or_else(|e| e.into_inner());
        queued.clear();
        *self.shared.jwks.write().unwrap_or_else(|e| e.into_inner()) = jwks_json.into();
    }

    /// Queues JWKS answers: each JWKS request from now on takes the next one, which is then served
    /// from that request on (the last one stays), as an endpoint whose answer changes between two
    /// requests does. `queue_jwks([a, b])` answers `a` to the next request and `b` to every later
    /// one. [`set_jwks`](Self::set_jwks) clears the queue.
    pub fn queue_jwks<I, S>(&self, answers: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.shared
            .queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(answers.into_iter().map(Into::into));
    }

    /// Serves this OpenID discovery document at every path ending in
    /// `/.well-known/openid-configuration` (and the JWKS everywhere else).
    pub fn set_discovery(&self, document: impl Into<String>) {
        *self
            .shared
            .discovery
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(document.into());
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// Answers with this fault from now on (`Fault::None` to heal).
    pub fn set_fault(&self, fault: Fault) {
        *self.shared.fault.write().unwrap_or_else(|e| e.into_inner()) = fault;
    }

    /// How many requests it has received (discovery documents included).
    pub fn fetch_count(&self) -> u64 {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// How many of the requests it has received carried the header `name` with the value
    /// `value` (e.g. a marker an injected HTTP client sends with every request).
    pub fn requests_with_header(&self, name: &str, value: &str) -> u64 {
        let requests = self
            .shared
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let marked = requests
            .iter()
            .filter(|headers| headers.get_all(name).iter().any(|v| v == value))
            .count();
        u64::try_from(marked).unwrap_or(u64::MAX)
    }
}

/// A listener on a loopback port no earlier server of this process used. A port the system
/// offers again is kept bound until a new one is found, so it is not offered twice in a row.
async fn bind_unused_port() -> std::io::Result<(TcpListener, SocketAddr)> {
    static USED: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut offered_again = Vec::new();
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        if USED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(addr.port())
        {
            return Ok((listener, addr));
        }
        offered_again.push(listener);
    }
}

/// An app served on a loopback port no earlier server of this process used
/// ([`bind_unused_port`]), until dropped: what the test kit's key servers run on.
pub(super) struct Loopback {
    pub(super) addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Loopback {
    /// Serves `app` in a spawned task; a server error is logged with `what` it served.
    pub(super) async fn serve(app: Router, what: &'static str) -> std::io::Result<Self> {
        let (listener, addr) = bind_unused_port().await?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(error) = server.await {
                tracing::warn!(%error, what, "test key server stopped");
            }
        });
        Ok(Loopback {
            addr,
            shutdown: Some(tx),
        })
    }

    /// `Debug` of the server `name` running on it: its address.
    pub(super) fn debug(&self, name: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(name)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn serve(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(headers);
    shared.fetches.fetch_add(1, Ordering::SeqCst);
    let read = |lock: &RwLock<String>| lock.read().unwrap_or_else(|e| e.into_inner()).clone();
    let fault = shared
        .fault
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let discovery = shared
        .discovery
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let jwks = match discovery {
        Some(document) if uri.path().ends_with("/.well-known/openid-configuration") => document,
        _ => {
            // Under the queue's lock, so concurrent requests take the answers in order.
            let mut queued = shared.queued.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(next) = queued.pop_front() {
                *shared.jwks.write().unwrap_or_else(|e| e.into_inner()) = next;
            }
            read(&shared.jwks)
        }
    };
    respond(fault, jwks, "application/json").await
}

/// Answers with `body` (of this content type) as `fault` says: the fault machinery of every test
/// key server.
pub(crate) async fn respond(fault: Fault, body: String, content_type: &'static str) -> Response {
    let jwks = body;
    let json = |body: Body| {
        let mut response = Response::new(body);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    };
    match fault {
        Fault::None => json(Body::from(jwks)),
        Fault::Status(code) => status(code).into_response(),
        Fault::RetryAfter(code, secs) => {
            (status(code), [(header::RETRY_AFTER, secs.to_string())]).into_response()
        }
        Fault::Body(body) => json(Body::from(body)),
        Fault::Oversized(bytes) => {
            let filler = "x".repeat(bytes);
            json(Body::from(format!(
                "{{\"keys\":[],\"filler\":\"{filler}\"}}"
            )))
        }
        Fault::Stall => {
            let start =
                futures_util::stream::once(async { Ok::<_, std::io::Error>("{\"keys\":[") });
            json(Body::from_stream(
                start.chain(futures_util::stream::pending()),
            ))
        }
        Fault::Trickle(pause) => {
            let bytes = jwks.into_bytes();
            let stream = futures_util::stream::iter(bytes).then(move |b| async move {
                tokio::time::sleep(pause).await;
                Ok::<_, std::io::Error>(vec![b])
            });
            json(Body::from_stream(stream))
        }
        Fault::Delay(delay) => {
            tokio::time::sleep(delay).await;
            json(Body::from(jwks))
        }
        Fault::Reset => {
            let broken = futures_util::stream::once(async {
                Err::<&'static str, _>(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
            });
            json(Body::from_stream(broken))
        }
        Fault::Redirect(location) => {
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
