//! Shared test fixture: a test issuer with its JWKS on loopback, a verifier, and an app served
//! both over real HTTP (127.0.0.1:0) and through `tower::ServiceExt::oneshot`.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{HookRejection, Pool, TokenUse, Verifier, hook_fn};
use serde_json::Value;
use tower::ServiceExt as _;

/// A user pool stand-in with its JWKS served on loopback.
pub struct Fixture {
    pub issuer: TestIssuer,
    pub jwks: JwksServer,
    /// How many times the verifier has judged a token (its hook runs on every verification).
    pub verifications: Arc<AtomicUsize>,
}

impl Fixture {
    pub async fn new() -> Self {
        let issuer = TestIssuer::new();
        let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
        Fixture {
            issuer,
            jwks,
            verifications: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The pool with the loopback JWKS.
    pub fn pool(&self) -> Pool {
        self.issuer.pool().jwks_uri(self.jwks.url())
    }

    /// A verifier accepting access and id tokens, counting its verifications.
    pub fn verifier(&self) -> Verifier {
        self.verifier_for(TokenUse::Either)
    }

    pub fn verifier_for(&self, token_use: TokenUse) -> Verifier {
        let count = self.verifications.clone();
        Verifier::builder()
            .pool(self.pool())
            .token_use(token_use)
            .hook(hook_fn(move |_| {
                count.fetch_add(1, Ordering::SeqCst);
                async { Ok::<(), HookRejection>(()) }
            }))
            .build()
            .unwrap()
    }

    pub fn verification_count(&self) -> usize {
        self.verifications.load(Ordering::SeqCst)
    }

    /// A valid user access token.
    pub fn access(&self) -> String {
        self.issuer.access_token().sign()
    }

    /// A valid id token.
    pub fn id(&self) -> String {
        self.issuer.id_token().sign()
    }
}

/// What a response said, as far as these tests care.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub retry_after: Option<String>,
    /// JSON bodies parsed; others as a JSON string.
    pub body: Value,
}

impl Reply {
    fn new(status: u16, headers: &axum::http::HeaderMap, bytes: &[u8]) -> Self {
        let text = |name| {
            headers
                .get(name)
                .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let json = headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let body = if json {
            serde_json::from_slice(bytes).unwrap()
        } else {
            Value::String(String::from_utf8(bytes.to_vec()).unwrap())
        };
        Reply {
            status,
            www_authenticate: text(header::WWW_AUTHENTICATE),
            retry_after: text(header::RETRY_AFTER),
            body,
        }
    }
}

/// A router served on 127.0.0.1:0, also callable in-process.
pub struct App {
    router: Router,
    addr: SocketAddr,
    client: reqwest::Client,
}

impl App {
    pub async fn start(router: Router) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = router.clone();
        tokio::spawn(async move {
            axum::serve(listener, served).await.unwrap();
        });
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        App {
            router,
            addr,
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `GET path` with these headers, sent over HTTP and through `oneshot`; both must answer
    /// the same.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let over_http = self.get_http(path, headers).await;
        let in_process = self.get_oneshot(path, headers).await;
        assert_eq!(over_http, in_process, "HTTP and oneshot disagree on {path}");
        over_http
    }

    /// `GET path` with `Authorization: Bearer <token>`.
    pub async fn get_bearer(&self, path: &str, token: &str) -> Reply {
        self.get(path, &[("authorization", &format!("Bearer {token}"))])
            .await
    }

    /// `GET path` with `Authorization: Bearer <token>`, through `oneshot` only (for counting
    /// verifications).
    pub async fn oneshot_bearer(&self, path: &str, token: &str) -> Reply {
        self.get_oneshot(path, &[("authorization", &format!("Bearer {token}"))])
            .await
    }

    pub async fn get_http(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let response_headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        Reply::new(status, &response_headers, &bytes)
    }

    pub async fn get_oneshot(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let response_headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        Reply::new(status, &response_headers, &bytes)
    }
}

/// `{"error": error, "kind": kind}`, the default body.
pub fn body(error: &str, kind: &str) -> Value {
    serde_json::json!({ "error": error, "kind": kind })
}

/// The `WWW-Authenticate` of an invalid token with this description.
pub fn invalid_token(description: &str) -> Option<String> {
    Some(format!(
        "Bearer error=\"invalid_token\", error_description=\"{description}\""
    ))
}

/// `signed` with its payload replaced by the payload of `other`: a token whose claims were
/// edited after signing (e.g. to add a group).
pub fn tampered(signed: &str, other: &str) -> String {
    let mut parts: Vec<&str> = signed.split('.').collect();
    parts[1] = other.split('.').nth(1).unwrap();
    parts.join(".")
}
