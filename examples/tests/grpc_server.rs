//! The `grpc_server` example, run as a real process and called by a real tonic client over
//! HTTP/2: the health service's `Check` needs a valid access token, `Watch` also the scope
//! `api/read`; it starts with the key endpoint down (answering `UNAVAILABLE` until the keys can
//! be fetched), and refuses a bad configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use cognito_verify::testing::{JwksServer, TestIssuer};
use tokio::process::Child;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

mod common;

use common::free_port;

const EXAMPLE: &str = "grpc_server";

/// Starts the server and waits until it answers a call (refusing it: no token).
async fn start(issuer: &TestIssuer, jwks_uri: &str) -> (Child, HealthClient<Channel>) {
    let bind = format!("127.0.0.1:{}", free_port());
    let child = common::command(EXAMPLE, issuer, jwks_uri, &bind)
        .spawn()
        .unwrap();
    let endpoint = Endpoint::from_shared(format!("http://{bind}")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(channel) = endpoint.connect().await {
            let mut client = HealthClient::new(channel);
            let status = check(&mut client, &[]).await.unwrap_err();
            assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
            return (child, client);
        }
        assert!(Instant::now() < deadline, "grpc_server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn call(tokens: &[&str]) -> Request<HealthCheckRequest> {
    let mut request = Request::new(HealthCheckRequest::default());
    for token in tokens {
        let value = MetadataValue::try_from(format!("Bearer {token}")).unwrap();
        request.metadata_mut().append("authorization", value);
    }
    request
}

async fn check(client: &mut HealthClient<Channel>, tokens: &[&str]) -> Result<i32, Status> {
    Ok(client.check(call(tokens)).await?.into_inner().status)
}

/// `Watch`'s first message.
async fn watch(client: &mut HealthClient<Channel>, tokens: &[&str]) -> Result<i32, Status> {
    let mut stream = client.watch(call(tokens)).await?.into_inner();
    Ok(stream.message().await?.unwrap().status)
}

#[tokio::test]
async fn starts_with_the_key_endpoint_down_and_answers_unavailable() {
    let issuer = TestIssuer::new();
    let dead = cognito_verify::testing::refused_jwks_url();
    let (mut child, mut client) = start(&issuer, &dead).await;
    let token = issuer.access_token().sign();
    let status = check(&mut client, &[&token]).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let retry_after = status.metadata().get("retry-after").unwrap();
    assert!(retry_after.to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert!(status.metadata().get("www-authenticate").is_none());
    child.kill().await.unwrap();
}

#[tokio::test]
async fn serves_the_health_service_to_valid_tokens() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let (mut child, mut client) = start(&issuer, &jwks.url()).await;
    let serving = i32::from(ServingStatus::Serving);
    let access = issuer.access_token().sign();
    let reader = issuer.access_token().scope("openid api/read").sign();
    let id = issuer.id_token().scope("api/read").sign();

    assert_eq!(check(&mut client, &[&access]).await.unwrap(), serving);
    assert_eq!(watch(&mut client, &[&reader]).await.unwrap(), serving);
    let refused = [
        (check(&mut client, &[&id]).await, Code::Unauthenticated),
        (
            check(&mut client, &["garbage"]).await,
            Code::Unauthenticated,
        ),
        (watch(&mut client, &[&access]).await, Code::PermissionDenied),
        (watch(&mut client, &[&id]).await, Code::Unauthenticated),
        (watch(&mut client, &[]).await, Code::Unauthenticated),
        (
            check(&mut client, &[&access, &access]).await,
            Code::InvalidArgument,
        ),
    ];
    for (i, (answer, code)) in refused.into_iter().enumerate() {
        let status = answer.unwrap_err();
        assert_eq!(status.code(), code, "case {i}: {status:?}");
        let challenge = status.metadata().get("www-authenticate").unwrap();
        assert!(
            challenge.to_str().unwrap().starts_with("Bearer"),
            "case {i}"
        );
    }
    // Fetched once at start-up (warm-up), not again per call.
    assert_eq!(jwks.fetch_count(), 1);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn refuses_to_start_without_a_user_pool() {
    common::assert_refuses_to_start_without_a_user_pool(EXAMPLE).await;
}
