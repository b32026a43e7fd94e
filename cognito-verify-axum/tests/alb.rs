//! `AlbIdentity` over a real bound axum server (127.0.0.1:0), with the ALB key endpoint and a
//! JWKS on loopback, requests made with reqwest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use cognito_verify::alb::{ACCESS_TOKEN_HEADER, AlbAuth, DATA_HEADER, IDENTITY_HEADER};
use cognito_verify::http_auth::HttpAuth;
use cognito_verify::testing::alb::{AlbKeyServer, AlbTestKey, TestAlb};
use cognito_verify::testing::{Fault, JwksServer, TestIssuer};
use cognito_verify::{TokenUse, Verifier};
use cognito_verify_axum::{AccessToken, AlbIdentity, CognitoAuth};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

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

/// Serves the app on 127.0.0.1:0 and returns its base URL.
async fn serve(state: AppState) -> String {
    let app = Router::new()
        .route("/me", get(me))
        .route("/both", get(both))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

struct Setup {
    alb: TestAlb,
    keys: AlbKeyServer,
    issuer: TestIssuer,
    _jwks: JwksServer,
    base: String,
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
        let base = serve(state).await;
        Setup {
            alb,
            keys,
            issuer,
            _jwks: jwks,
            base,
        }
    }
}

/// GETs `path` with these headers: the status, the body as JSON (or text), and the headers.
async fn get_with(base: &str, path: &str, headers: &[(&str, &str)]) -> (u16, Value, HeaderMap) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut request = client.get(format!("{base}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body, headers)
}

#[tokio::test(flavor = "multi_thread")]
async fn alb_identity_verifies_the_data_header() {
    let s = Setup::new().await;
    let token = s.alb.token().claim("sub", "user-1").sign();

    // Valid, with and without the identity header.
    let (status, body, _) = get_with(&s.base, "/me", &[(DATA_HEADER, &token)]).await;
    assert_eq!((status, body), (200, json!("user-1")));
    let headers = [(DATA_HEADER, token.as_str()), (IDENTITY_HEADER, "user-1")];
    let (status, body, _) = get_with(&s.base, "/me", &headers).await;
    assert_eq!((status, body), (200, json!("user-1")));
    assert_eq!(s.keys.fetch_count(), 1);

    // Missing: 401 with a challenge without an error.
    let (status, body, response) = get_with(&s.base, "/me", &[]).await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({"error": "unauthorized", "kind": "missing_token"})
        )
    );
    assert_eq!(response["www-authenticate"], "Bearer");

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
        let (status, body, response) = get_with(&s.base, "/me", &headers).await;
        assert_eq!(
            (status, body),
            (401, json!({"error": "invalid_token", "kind": kind})),
            "{kind}"
        );
        let challenge = response["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
    }

    // Two data headers (even the same valid token twice): 400 invalid_request.
    let two = [(DATA_HEADER, token.as_str()), (DATA_HEADER, token.as_str())];
    let (status, body, _) = get_with(&s.base, "/me", &two).await;
    assert_eq!(
        (status, body),
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
    let (status, body, _) = get_with(&s.base, "/both", &headers).await;
    assert_eq!(
        (status, body),
        (200, json!(format!("user-1 {}", s.issuer.app_client_id())))
    );
    let (status, body, _) = get_with(&s.base, "/both", &[(DATA_HEADER, &token)]).await;
    assert_eq!(
        (status, body),
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
    let (status, body, response) = get_with(&s.base, "/me", &[(DATA_HEADER, &token)]).await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({"error": "temporarily_unavailable", "kind": "keys_unavailable"})
        )
    );
    assert!(response.get("www-authenticate").is_none());
    let retry: u64 = response["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(s.keys.fetch_count(), 1);
}
