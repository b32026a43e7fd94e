//! What the tonic tests share: a health service that answers only after reading what a handler
//! reads of the call, and a real server bound on 127.0.0.1 with a connected client.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_stream::Stream;
use tonic::metadata::MetadataMap;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::health_server::Health;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

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
