//! `AlbIdentity` behind a real `HttpServer` on 127.0.0.1:0, with the ALB key endpoint on
//! loopback, requests made with reqwest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, web};
use cognito_verify::alb::{AlbAuth, DATA_HEADER, IDENTITY_HEADER};
use cognito_verify::testing::Fault;
use cognito_verify::testing::alb::{AlbKeyServer, AlbTestKey, TestAlb};
use cognito_verify_actix::AlbIdentity;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

async fn me(user: AlbIdentity) -> HttpResponse {
    HttpResponse::Ok().json(user.sub())
}

struct Setup {
    alb: TestAlb,
    keys: AlbKeyServer,
    base: String,
    handle: ServerHandle,
}

impl Setup {
    /// The app on 127.0.0.1:0, with the `AlbAuth` in `app_data` (`web::Data` when `wrapped`),
    /// or without one.
    async fn new(auth: Option<bool>) -> Self {
        let alb = TestAlb::new();
        let keys = AlbKeyServer::start().await.unwrap();
        keys.add_key(alb.signing_key());
        let verifier = alb.verifier_builder(&keys.base_url()).build().unwrap();
        let alb_auth = AlbAuth::new(verifier);
        let (base, handle) = common::serve(move || {
            let app = App::new().route("/me", web::get().to(me));
            match auth {
                Some(true) => app.app_data(web::Data::new(alb_auth.clone())),
                Some(false) => app.app_data(alb_auth.clone()),
                None => app,
            }
        });
        Setup {
            alb,
            keys,
            base,
            handle,
        }
    }

    /// GETs `/me` with these headers: the status, the body as JSON, and the headers.
    async fn get(&self, headers: &[(&str, &str)]) -> (u16, Value, HeaderMap) {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut request = client.get(format!("{}/me", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        (status, body, headers)
    }
}

#[actix_web::test]
async fn alb_identity_verifies_the_data_header() {
    for wrapped in [false, true] {
        let s = Setup::new(Some(wrapped)).await;
        let token = s.alb.token().claim("sub", "user-1").sign();

        // Valid, with and without the identity header.
        let (status, body, _) = s.get(&[(DATA_HEADER, &token)]).await;
        assert_eq!((status, body), (200, json!("user-1")));
        let (status, body, _) = s
            .get(&[(DATA_HEADER, &token), (IDENTITY_HEADER, "user-1")])
            .await;
        assert_eq!((status, body), (200, json!("user-1")));
        assert_eq!(s.keys.fetch_count(), 1);

        // Missing: 401 with a challenge without an error.
        let (status, body, headers) = s.get(&[]).await;
        assert_eq!(
            (status, body),
            (
                401,
                json!({"error": "unauthorized", "kind": "missing_token"})
            )
        );
        assert_eq!(headers["www-authenticate"], "Bearer");

        // Forged, another load balancer of the same region, an identity header that is not the
        // token's `sub`: 401 invalid_token.
        let stranger = AlbTestKey::generate();
        let forged = s.alb.token().signed_with(&stranger).sign();
        let other_alb = s.alb.signer().replace("test-alb", "other-alb");
        let wrong_signer = s.alb.token().header("signer", other_alb).sign();
        for (headers, kind) in [
            (vec![(DATA_HEADER, forged.as_str())], "invalid_signature"),
            (vec![(DATA_HEADER, wrong_signer.as_str())], "invalid_signer"),
            (
                vec![(DATA_HEADER, token.as_str()), (IDENTITY_HEADER, "user-2")],
                "identity_mismatch",
            ),
        ] {
            let (status, body, headers) = s.get(&headers).await;
            assert_eq!(
                (status, body),
                (401, json!({"error": "invalid_token", "kind": kind})),
                "{kind}"
            );
            let challenge = headers["www-authenticate"].to_str().unwrap();
            assert!(
                challenge.starts_with("Bearer error=\"invalid_token\""),
                "{challenge}"
            );
        }

        // Two data headers: 400 invalid_request.
        let (status, body, _) = s.get(&[(DATA_HEADER, &token), (DATA_HEADER, &token)]).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "invalid_request", "kind": "invalid_request"})
            )
        );

        s.handle.stop(true).await;
    }
}

#[actix_web::test]
async fn an_unavailable_key_is_503_with_retry_after() {
    let s = Setup::new(Some(false)).await;
    s.keys.set_fault(Fault::Status(500));
    let token = s.alb.token().sign();
    let (status, body, headers) = s.get(&[(DATA_HEADER, &token)]).await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({"error": "temporarily_unavailable", "kind": "keys_unavailable"})
        )
    );
    assert!(headers.get("www-authenticate").is_none());
    assert!(headers.get("retry-after").is_some());
    s.handle.stop(true).await;
}

#[actix_web::test]
async fn without_an_alb_auth_in_app_data_it_is_500_not_configured() {
    let s = Setup::new(None).await;
    let token = s.alb.token().sign();
    let (status, body, _) = s.get(&[(DATA_HEADER, &token)]).await;
    assert_eq!(
        (status, body),
        (
            500,
            json!({"error": "server_error", "kind": "not_configured"})
        )
    );
    assert_eq!(s.keys.fetch_count(), 0);
    s.handle.stop(true).await;
}
