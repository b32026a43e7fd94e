//! `AlbAuthLayer` on a real tonic server bound on 127.0.0.1, called by a real tonic client over
//! HTTP/2 with the ALB headers as metadata; tokens minted by the test kit's ALB and their keys
//! served by its loopback key server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cognito_verify::alb::{ACCESS_TOKEN_HEADER, AlbAuth, DATA_HEADER, IDENTITY_HEADER};
use cognito_verify::alb::{AlbVerifier, IdentityCheck};
use cognito_verify::http_auth::HttpAuth;
use cognito_verify::testing::Fault;
use cognito_verify::testing::alb::{AlbKeyServer, AlbTestKey, TestAlb};
use cognito_verify_tonic::{AlbAuthLayer, CognitoAuthLayer, RequestExt as _};
use tokio_stream::StreamExt as _;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::health_server::HealthServer;

mod common;

use common::{Fixture, Probe, assert_keys_unavailable, call, check, entry};

/// The probe of these tests: the handler answers with the caller's `sub` and email from the ALB
/// claims (and, when a Cognito layer ran too, the access token's client id) in the response
/// metadata.
fn probe() -> Probe {
    Probe::new(|request, metadata| {
        let claims = request.alb_claims()?;
        metadata.insert("x-sub", claims.sub().parse().unwrap());
        let email = claims.get("email").and_then(|v| v.as_str()).unwrap();
        metadata.insert("x-email", email.parse().unwrap());
        if let Some(verified) = request.verified() {
            let client = &request.access_claims()?.client_id;
            assert_eq!(verified.subject(), request.access_claims()?.sub);
            metadata.insert("x-client", client.parse().unwrap());
        }
        Ok(())
    })
}

/// Serves the probe behind `layer` on 127.0.0.1:0; returns a connected client.
async fn serve<L>(layer: L, probe: &Probe) -> HealthClient<Channel>
where
    L: tower::Layer<HealthServer<Probe>> + Send + 'static,
    L::Service: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + tonic::server::NamedService
        + Clone
        + Send
        + Sync
        + 'static,
{
    common::serve(tower::Layer::layer(
        &layer,
        HealthServer::new(probe.clone()),
    ))
    .await
}

/// The metadata of a call, the status code and the message (the kind) it gets.
type Case<'a> = (Vec<(&'static str, &'a str)>, Code, &'static str);

struct Setup {
    alb: TestAlb,
    keys: AlbKeyServer,
}

impl Setup {
    async fn new() -> Self {
        let alb = TestAlb::new();
        let keys = AlbKeyServer::start().await.unwrap();
        keys.add_key(alb.signing_key());
        Setup { alb, keys }
    }

    fn verifier(&self) -> AlbVerifier {
        self.alb
            .verifier_builder(&self.keys.base_url())
            .build()
            .unwrap()
    }
}

#[tokio::test]
async fn the_alb_layer_answers_each_refusal_with_its_status() {
    let s = Setup::new().await;
    let probe = probe();
    let mut client = serve(AlbAuthLayer::new(s.verifier()), &probe).await;
    let token = s.alb.token().claim("sub", "user-1").sign();

    // Valid, with and without the identity entry: the handler reads the claims.
    let response = client.check(call(&[(DATA_HEADER, &token)])).await.unwrap();
    assert_eq!(entry(response.metadata(), "x-sub"), Some("user-1"));
    let email = s.alb.token().claims()["email"].as_str().unwrap().to_owned();
    assert_eq!(entry(response.metadata(), "x-email"), Some(email.as_str()));
    let with_identity = [(DATA_HEADER, token.as_str()), (IDENTITY_HEADER, "user-1")];
    assert_eq!(check(&mut client, &with_identity).await.unwrap(), "user-1");
    // A streaming call.
    let response = client.watch(call(&[(DATA_HEADER, &token)])).await.unwrap();
    assert_eq!(entry(response.metadata(), "x-sub"), Some("user-1"));
    let first = response.into_inner().next().await.unwrap().unwrap();
    assert_eq!(first.status, i32::from(ServingStatus::Serving));
    assert_eq!(probe.calls(), 3);
    assert_eq!(
        s.keys.fetch_count(),
        1,
        "the key is fetched once, then cached"
    );

    let stranger = AlbTestKey::generate();
    let forged = s.alb.token().signed_with(&stranger).sign();
    let other_alb = s.alb.signer().replace("test-alb", "other-alb");
    let wrong_signer = s.alb.token().header("signer", other_alb).sign();
    let cases: Vec<Case<'_>> = vec![
        (vec![], Code::Unauthenticated, "missing_token"),
        (
            vec![(DATA_HEADER, &forged)],
            Code::Unauthenticated,
            "invalid_signature",
        ),
        (
            vec![(DATA_HEADER, &wrong_signer)],
            Code::Unauthenticated,
            "invalid_signer",
        ),
        (
            vec![(DATA_HEADER, "not.a.token")],
            Code::Unauthenticated,
            "malformed_token",
        ),
        (
            vec![(DATA_HEADER, &token), (IDENTITY_HEADER, "user-2")],
            Code::Unauthenticated,
            "identity_mismatch",
        ),
        (
            vec![(DATA_HEADER, &token), (DATA_HEADER, &token)],
            Code::InvalidArgument,
            "invalid_request",
        ),
        (
            vec![
                (DATA_HEADER, &token),
                (IDENTITY_HEADER, "user-1"),
                (IDENTITY_HEADER, "user-1"),
            ],
            Code::InvalidArgument,
            "invalid_request",
        ),
        // The Cognito layer's credential is not the ALB layer's.
        (
            vec![("authorization", "Bearer x")],
            Code::Unauthenticated,
            "missing_token",
        ),
    ];
    for (metadata, code, kind) in cases {
        let status = check(&mut client, &metadata).await.unwrap_err();
        assert_eq!(
            (status.code(), status.message()),
            (code, kind),
            "{metadata:?}"
        );
        let challenge = entry(status.metadata(), "www-authenticate").unwrap();
        assert!(challenge.starts_with("Bearer"), "{kind}: {challenge}");
        if code == Code::InvalidArgument {
            assert!(
                challenge.contains("error=\"invalid_request\""),
                "{challenge}"
            );
        } else if kind != "missing_token" {
            assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        }
        assert!(!status.message().contains(&token), "{kind}: the token");
        assert!(status.metadata().get("retry-after").is_none(), "{kind}");
    }
    assert_eq!(probe.calls(), 3, "no refused call reached the service");
}

#[tokio::test]
async fn the_identity_entry_is_required_when_the_settings_say_so() {
    let s = Setup::new().await;
    let probe = probe();
    let auth = AlbAuth::new(s.verifier())
        .identity_check(IdentityCheck::Required)
        .realm("grpc");
    let layer = AlbAuthLayer::new(auth);
    let mut client = serve(layer, &probe).await;
    let token = s.alb.token().claim("sub", "user-1").sign();

    let status = check(&mut client, &[(DATA_HEADER, &token)])
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "identity_mismatch");
    let challenge = entry(status.metadata(), "www-authenticate").unwrap();
    assert!(
        challenge.starts_with("Bearer realm=\"grpc\""),
        "{challenge}"
    );
    let both = [(DATA_HEADER, token.as_str()), (IDENTITY_HEADER, "user-1")];
    assert_eq!(check(&mut client, &both).await.unwrap(), "user-1");
    assert_eq!(probe.calls(), 1);
}

#[tokio::test]
async fn the_status_message_has_the_description_only_when_the_settings_expose_it() {
    let s = Setup::new().await;
    let probe = probe();
    let token = s.alb.token().claim("sub", "user-1").sign();
    let mismatch = [(DATA_HEADER, token.as_str()), (IDENTITY_HEADER, "user-2")];
    for detail in [false, true] {
        let auth = AlbAuth::new(s.verifier()).expose_detail(detail);
        assert_eq!(auth.includes_detail(), detail);
        let mut client = serve(AlbAuthLayer::new(auth), &probe).await;
        let status = check(&mut client, &mismatch).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        let message = status.message();
        match message.split_once(": ") {
            Some((kind, description)) => {
                assert!(detail, "a description without expose_detail: {message}");
                assert_eq!(kind, "identity_mismatch");
                assert!(!description.is_empty());
            }
            None => {
                assert!(!detail, "no description with expose_detail: {message}");
                assert_eq!(message, "identity_mismatch");
            }
        }
        assert!(!message.contains(&token), "the token in the message");
    }
    assert_eq!(probe.calls(), 0);
}

#[tokio::test]
async fn an_unavailable_key_is_unavailable_with_retry_after() {
    let s = Setup::new().await;
    s.keys.set_fault(Fault::Status(500));
    let probe = probe();
    let mut client = serve(AlbAuthLayer::new(s.verifier()), &probe).await;
    let token = s.alb.token().sign();

    let status = check(&mut client, &[(DATA_HEADER, &token)])
        .await
        .unwrap_err();
    assert_keys_unavailable(&status);
    assert_eq!(s.keys.fetch_count(), 1);
    // A call refused before any key is needed is still UNAUTHENTICATED.
    let status = check(&mut client, &[]).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(probe.calls(), 0);
}

#[tokio::test]
async fn the_alb_and_cognito_layers_stack_for_the_idp_access_token() {
    let s = Setup::new().await;
    let fx = Fixture::new().await;
    // The access token from ALB's header: exactly one, or none.
    let cognito = HttpAuth::new(fx.verifier()).token_from(|parts| {
        let mut values = parts.headers.get_all(ACCESS_TOKEN_HEADER).iter();
        match (values.next(), values.next()) {
            (Some(one), None) => one.to_str().ok().map(str::to_owned),
            _ => None,
        }
    });
    let layers = tower::ServiceBuilder::new()
        .layer(AlbAuthLayer::new(s.verifier()))
        .layer(CognitoAuthLayer::new(cognito));
    let probe = probe();
    let mut client = serve(layers, &probe).await;
    let token = s.alb.token().claim("sub", "user-1").sign();
    let access = fx.issuer.access_token().sign();

    let both = [
        (DATA_HEADER, token.as_str()),
        (ACCESS_TOKEN_HEADER, &access),
    ];
    let response = client.check(call(&both)).await.unwrap();
    assert_eq!(entry(response.metadata(), "x-sub"), Some("user-1"));
    let client_id = fx.issuer.app_client_id();
    assert_eq!(entry(response.metadata(), "x-client"), Some(client_id));

    // Each layer refuses what it checks; the outer (ALB) one first.
    let status = check(&mut client, &[(DATA_HEADER, &token)])
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "missing_token");
    let status = check(&mut client, &[(ACCESS_TOKEN_HEADER, &access)])
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "missing_token");
    assert_eq!(s.keys.fetch_count(), 1);
    assert_eq!(fx.jwks.fetch_count(), 1);
    assert_eq!(probe.calls(), 1);
}
