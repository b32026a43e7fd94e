//! What the tonic tests share: a user pool with its JWKS on loopback, a health service that
//! answers only after reading what a handler reads of the call, a real server bound on 127.0.0.1
//! with a connected client, and the calls and checks made with that client.
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{TokenUse, Verifier, VerifierBuilder};
use tokio_stream::Stream;
use tonic::codegen::{Body as HttpBody, Bytes, StdError};
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Code, Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::health_server::Health;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// A user pool stand-in with its JWKS served on loopback.
pub(crate) struct Fixture {
    pub(crate) issuer: TestIssuer,
    pub(crate) jwks: JwksServer,
}

impl Fixture {
    pub(crate) async fn new() -> Self {
        let issuer = TestIssuer::new();
        let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
        Fixture { issuer, jwks }
    }

    /// A verifier of the pool's access tokens, still to be built (for a hook or a back-off).
    pub(crate) fn verifier_builder(&self) -> VerifierBuilder {
        Verifier::builder()
            .pool(self.issuer.pool().jwks_uri(self.jwks.url()))
            .token_use(TokenUse::Access)
    }

    /// A verifier of the pool's access tokens.
    pub(crate) fn verifier(&self) -> Verifier {
        self.verifier_builder().build().unwrap()
    }
}

/// What a handler reads of the call, put into the answer's metadata (or the status it refuses
/// with).
pub(crate) type Read = fn(&Request<HealthCheckRequest>, &mut MetadataMap) -> Result<(), Status>;

/// A health service that answers `check` and `watch` with what its [`Read`] puts in the
/// metadata, and counts the calls that reach it.
#[derive(Clone)]
pub(crate) struct Probe {
    calls: Arc<AtomicUsize>,
    read: Read,
}

impl Probe {
    pub(crate) fn new(read: Read) -> Self {
        Probe {
            calls: Arc::default(),
            read,
        }
    }

    fn answer<T>(
        &self,
        request: &Request<HealthCheckRequest>,
        message: T,
    ) -> Result<Response<T>, Status> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut response = Response::new(message);
        (self.read)(request, response.metadata_mut())?;
        Ok(response)
    }

    /// The calls that reached the service.
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for Probe {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        self.answer(&request, serving())
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<WatchStream>, Status> {
        let stream: WatchStream = Box::pin(tokio_stream::once(Ok(serving())));
        self.answer(&request, stream)
    }
}

/// The probe's answer.
pub(crate) fn serving() -> HealthCheckResponse {
    HealthCheckResponse {
        status: ServingStatus::Serving.into(),
    }
}

/// Binds 127.0.0.1:0 and serves what `serve` builds on it; returns a connected client.
pub(crate) async fn start<F>(serve: impl FnOnce(TcpIncoming) -> F) -> HealthClient<Channel>
where
    F: Future<Output = Result<(), tonic::transport::Error>> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(TcpIncoming::from(listener)));
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    HealthClient::new(channel)
}

/// Serves `service` alone on 127.0.0.1:0; returns a connected client.
pub(crate) async fn serve<S, B>(service: S) -> HealthClient<Channel>
where
    S: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<B>,
            Error = Infallible,
            Future: Send + 'static,
        > + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<StdError>,
{
    start(move |incoming| {
        Server::builder()
            .add_service(service)
            .serve_with_incoming(incoming)
    })
    .await
}

/// A call with these metadata entries, in order.
pub(crate) fn call(metadata: &[(&'static str, &str)]) -> Request<HealthCheckRequest> {
    let mut request = Request::new(HealthCheckRequest {
        service: String::new(),
    });
    for (name, value) in metadata {
        let value = MetadataValue::try_from(*value).unwrap();
        request.metadata_mut().append(*name, value);
    }
    request
}

/// The text of the metadata entry `name`, if there is one.
pub(crate) fn entry<'a>(metadata: &'a MetadataMap, name: &str) -> Option<&'a str> {
    metadata.get(name).map(|v| v.to_str().unwrap())
}

/// `Check` as the client sees it: the caller's `sub` (the probe's `x-sub`), or the status.
pub(crate) async fn check(
    client: &mut HealthClient<Channel>,
    metadata: &[(&'static str, &str)],
) -> Result<String, Status> {
    let response = client.check(call(metadata)).await?;
    assert_eq!(response.get_ref().status, i32::from(ServingStatus::Serving));
    Ok(entry(response.metadata(), "x-sub").unwrap().to_owned())
}

/// The status is `UNAVAILABLE` for want of keys, without a challenge, and advises a retry:
/// `retry-after` of at least a second, and the same time in `grpc-retry-pushback-ms`.
pub(crate) fn assert_keys_unavailable(status: &Status) {
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(status.message(), "keys_unavailable");
    assert!(
        entry(status.metadata(), "www-authenticate").is_none(),
        "the token was not judged"
    );
    let secs: u64 = entry(status.metadata(), "retry-after")
        .unwrap()
        .parse()
        .unwrap();
    assert!(secs >= 1);
    let pushback = entry(status.metadata(), "grpc-retry-pushback-ms").unwrap();
    assert_eq!(pushback, (secs * 1000).to_string());
}
