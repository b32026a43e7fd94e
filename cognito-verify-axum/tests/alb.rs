//! `AlbIdentity` over a real bound axum server (127.0.0.1:0), with the ALB key endpoint and a
//! JWKS on loopback, requests made with reqwest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use cognito_verify::alb::{ACCESS_TOKEN_HEADER, AlbAuth, DATA_HEADER, IDENTITY_HEADER};
use cognito_verify::http_auth::HttpAuth;
use cognito_verify::testing::alb::{AlbKeyServer, AlbTestKey, TestAlb};
use cognito_verify::testing::{Fault, JwksServer, TestIssuer};
use cognito_verify::{TokenUse, Verifier};
use cognito_verify_axum::{AccessToken, AlbIdentity, CognitoAuth};
use common::App;
use serde_json::json;

/// Both verifiers: the ALB's for `x-amzn-oidc-data`, Cognito's for `x-amzn-oidc-accesstoken`.
#[derive(Clone)]
struct AppState {
    alb: AlbAuth,
    cognito: CognitoAuth,
}

impl FromRef<AppState> for AlbAuth {
    fn from_ref(state: &AppState) -> Self {
        state.alb.clone()
    }
}

impl FromRef<AppState> for CognitoAuth {
    fn from_ref(state: &AppState) -> Self {
        state.cognito.clone()
    }
}

async fn me(AlbIdentity(claims): AlbIdentity) -> String {
    claims.sub().to_owned()
}

async fn both(AlbIdentity(user): AlbIdentity, AccessToken(access): AccessToken) -> String {
    format!("{} {}", user.sub(), access.client_id)
}

struct Setup {
    alb: TestAlb,
    keys: AlbKeyServer,
    issuer: TestIssuer,
    _jwks: JwksServer,
    /// The app on 127.0.0.1:0, called over HTTP.
    app: App,
}

impl Setup {
    async fn new() -> Self {
        let alb = TestAlb::new();
        let keys = AlbKeyServer::start().await.unwrap();
        keys.add_key(alb.signing_key());
        let issuer = TestIssuer::new();
        let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
        let verifier = alb.verifier_builder(&keys.base_url()).build().unwrap();
        let cognito = Verifier::builder()
            .pool(issuer.pool().jwks_uri(jwks.url()))
            .token_use(TokenUse::Access)
            .build()
            .unwrap();
        // The documented way to read the IdP's access token from ALB's header.
        let cognito = HttpAuth::new(cognito).token_from(|parts| {
            let mut values = parts.headers.get_all(ACCESS_TOKEN_HEADER).iter();
            match (values.next(), values.next()) {
                (Some(one), None) => one.to_str().ok().map(str::to_owned),
                _ => None,
            }
        });
        let state = AppState {
            alb: AlbAuth::new(verifier),
            cognito: CognitoAuth::new(cognito),
        };
        let router = Router::new()
            .route("/me", get(me))
            .route("/both", get(both))
            .with_state(state);
        Setup {
            alb,
            keys,
            issuer,
            _jwks: jwks,
            app: App::start(router).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn alb_identity_verifies_the_data_header() {
    let s = Setup::new().await;
    let token = s.alb.token().claim("sub", "user-1").sign();

    // Valid, with and without the identity header.
    let reply = s.app.get_http("/me", &[(DATA_HEADER, &token)]).await;
    assert_eq!((reply.status, reply.body), (200, json!("user-1")));
    let headers = [(DATA_HEADER, token.as_str()), (IDENTITY_HEADER, "user-1")];
    let reply = s.app.get_http("/me", &headers).await;
    assert_eq!((reply.status, reply.body), (200, json!("user-1")));
    assert_eq!(s.keys.fetch_count(), 1);

    // Missing: 401 with a challenge without an error.
    let reply = s.app.get_http("/me", &[]).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            401,
            json!({"error": "unauthorized", "kind": "missing_token"})
        )
    );
    assert_eq!(reply.www_authenticate.as_deref(), Some("Bearer"));

    // Forged (the signature of another key), another load balancer of the same region, an
    // identity header that is not the token's `sub`: 401 invalid_token.
    let stranger = AlbTestKey::generate();
    let forged = s.alb.token().signed_with(&stranger).sign();
    let other_alb = s.alb.signer().replace("test-alb", "other-alb");
    let wrong_signer = s.alb.token().header("signer", other_alb).sign();
    let mismatch = [(DATA_HEADER, token.as_str()), (IDENTITY_HEADER, "user-2")];
    for (headers, kind) in [
        (vec![(DATA_HEADER, forged.as_str())], "invalid_signature"),
        (vec![(DATA_HEADER, wrong_signer.as_str())], "invalid_signer"),
        (mismatch.to_vec(), "identity_mismatch"),
        (vec![(DATA_HEADER, "not.a.token")], "malformed_token"),
    ] {
        let reply = s.app.get_http("/me", &headers).await;
        assert_eq!(
            (reply.status, reply.body),
            (401, json!({"error": "invalid_token", "kind": kind})),
            "{kind}"
        );
        let challenge = reply.www_authenticate.unwrap();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
    }

    // Two data headers (even the same valid token twice): 400 invalid_request.
    let two = [(DATA_HEADER, token.as_str()), (DATA_HEADER, token.as_str())];
    let reply = s.app.get_http("/me", &two).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            400,
            json!({"error": "invalid_request", "kind": "invalid_request"})
        )
    );

    // The IdP's access token alongside, verified by the Cognito verifier.
    let access = s.issuer.access_token().sign();
    let headers = [
        (DATA_HEADER, token.as_str()),
        (ACCESS_TOKEN_HEADER, &access),
    ];
    let reply = s.app.get_http("/both", &headers).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!(format!("user-1 {}", s.issuer.app_client_id())))
    );
    let reply = s.app.get_http("/both", &[(DATA_HEADER, &token)]).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            401,
            json!({"error": "unauthorized", "kind": "missing_token"})
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unavailable_key_is_503_with_retry_after() {
    let s = Setup::new().await;
    s.keys.set_fault(Fault::Status(500));
    let token = s.alb.token().sign();
    let reply = s.app.get_http("/me", &[(DATA_HEADER, &token)]).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            503,
            json!({"error": "temporarily_unavailable", "kind": "keys_unavailable"})
        )
    );
    assert!(reply.www_authenticate.is_none());
    let retry: u64 = reply.retry_after.unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(s.keys.fetch_count(), 1);
}
