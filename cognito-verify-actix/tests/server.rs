//! The middleware: every outcome of the shared table behind a real `HttpServer` on 127.0.0.1:0
//! over HTTP with reqwest, and its settings, extensions and single verification in process
//! (`actix_web::test::init_service` / `call_service`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::dev::{ServerHandle, ServiceResponse};
use actix_web::http::header;
use actix_web::test;
use actix_web::{App, HttpResponse, web};
use cognito_verify::testing::{SubjectHook, verifier_with_keys_down};
use cognito_verify::{Requirement, TokenUse, Verified, Verifier};
use cognito_verify_actix::{AccessToken, Authenticate, Authenticated, CognitoAuth, Optional};
use common::{Answer, Case, Credential, Pool, SUB, answer, request};
use serde_json::{Value, json};

/// A running server with the test routes and these settings.
struct Server {
    base: String,
    handle: ServerHandle,
    client: reqwest::Client,
}

impl Server {
    fn start(auth: CognitoAuth) -> Self {
        let (base, handle) =
            common::serve(move || App::new().app_data(auth.clone()).configure(common::routes));
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        Server {
            base,
            handle,
            client,
        }
    }

    async fn send(&self, path: &str, credential: &Credential) -> Answer {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some((name, value)) = credential.header() {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let (status, www_authenticate, retry_after) = (
            response.status().as_u16(),
            header(reqwest::header::WWW_AUTHENTICATE),
            header(reqwest::header::RETRY_AFTER),
        );
        let body = response.bytes().await.unwrap();
        Answer {
            status,
            www_authenticate,
            retry_after,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        }
    }

    async fn run(&self, cases: &[Case]) {
        for case in cases {
            let answer = self.send(case.path, &case.credential).await;
            case.check(&answer);
            common::check_retry_after(case, &answer);
        }
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// The `WWW-Authenticate` of an in-process response.
fn www_authenticate<B>(response: &ServiceResponse<B>) -> &str {
    response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .unwrap()
        .to_str()
        .unwrap()
}

#[actix_web::test]
async fn every_outcome_of_the_table_over_http() {
    let pool = Pool::start().await;
    let server = Server::start(pool.auth());
    server.run(&common::table(&pool)).await;
    server.stop().await;
}

/// A hook that denies `mallory` (403, a tenant rule) and refuses `revoked` (401): answered on
/// every kind of route (extractor, middleware, middleware with a requirement) over HTTP.
#[actix_web::test]
async fn the_hook_can_deny_with_403_or_refuse_with_401_over_http() {
    let pool = Pool::start().await;
    let verifier = Verifier::builder()
        .pool(pool.issuer.pool().jwks_uri(pool.jwks.url()))
        .token_use(TokenUse::Either)
        .hook(SubjectHook::new("mallory", "revoked"))
        .build()
        .unwrap();
    let server = Server::start(CognitoAuth::new(verifier).realm(common::REALM));
    let token = |sub: &str| {
        let token = pool.issuer.access_token().claim("sub", sub);
        Credential::Bearer(token.scope("openid api/read").sign())
    };
    for path in ["/raw", "/access", "/mw/both", "/scoped"] {
        let answer = server.send(path, &token("alice")).await;
        assert_eq!(
            (answer.status, &answer.body["sub"]),
            (200, &json!("alice")),
            "{path}"
        );
        for _ in 0..2 {
            // Fresh, then from the verified-token cache.
            let answer = server.send(path, &token("mallory")).await;
            assert_eq!(answer.status, 403, "{path}: {answer:?}");
            assert_eq!(
                answer.www_authenticate.as_deref(),
                Some(
                    r#"Bearer realm="test", error="insufficient_scope", error_description="access denied by a custom check: tenant suspended""#
                ),
                "{path}"
            );
            assert_eq!(answer.retry_after, None, "{path}");
            assert_eq!(
                answer.body,
                json!({"error": "insufficient_scope", "kind": "hook_forbidden"}),
                "{path}"
            );
        }
        let answer = server.send(path, &token("revoked")).await;
        assert_eq!(answer.status, 401, "{path}: {answer:?}");
        assert_eq!(
            answer.www_authenticate.as_deref(),
            Some(
                r#"Bearer realm="test", error="invalid_token", error_description="token rejected by a custom check: session signed out""#
            ),
            "{path}"
        );
        assert_eq!(
            answer.body,
            json!({"error": "invalid_token", "kind": "hook_rejected"}),
            "{path}"
        );
    }
    server.stop().await;
}

#[actix_web::test]
async fn keys_unavailable_over_http() {
    let pool = Pool::start().await;
    let auth = CognitoAuth::new(verifier_with_keys_down(&pool.issuer)).realm(common::REALM);
    let server = Server::start(auth);
    server.run(&common::keys_unavailable_table(&pool)).await;
    server.stop().await;
}

#[actix_web::test]
async fn token_from_a_cookie_over_http() {
    let pool = Pool::start().await;
    let server = Server::start(pool.auth().token_from_cookie("access_token"));
    server.run(&common::cookie_table(&pool)).await;
    server.stop().await;
}

#[actix_web::test]
async fn one_verification_per_request_over_http() {
    let pool = Pool::start().await;
    let server = Server::start(pool.auth());
    let token = Credential::Bearer(pool.access());
    for (i, path) in ["/two", "/mw/both", "/raw", "/mw/both", "/opt/who"]
        .into_iter()
        .enumerate()
    {
        let answer = server.send(path, &token).await;
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
        assert_eq!(answer.body["sub"], SUB, "{path}");
        assert_eq!(pool.verifications(), i + 1, "{path}: verifications");
    }
    assert_eq!(pool.jwks.fetch_count(), 1);
    server.stop().await;
}

#[actix_web::test]
async fn settings_registered_as_web_data() {
    let pool = Pool::start().await;
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(pool.auth()))
            .configure(common::routes),
    )
    .await;
    let credential = Credential::Bearer(pool.access());
    let response = test::call_service(&app, request("/mw/both", &credential).to_request()).await;
    assert_eq!(answer(response).await.body, json!({ "sub": SUB }));
}

#[actix_web::test]
async fn middleware_and_extractors_verify_each_request_once() {
    let pool = Pool::start().await;
    let nested = web::scope("/nested")
        .wrap(Authenticate::required().require_scopes(Requirement::any_of(["api/read"])))
        .route(
            "/x",
            web::get().to(
                |AccessToken(c): AccessToken, a: Authenticated, o: Optional<AccessToken>| async move {
                    assert_eq!(o.as_ref().map(|o| o.sub.as_str()), Some(a.subject()));
                    HttpResponse::Ok().json(json!({ "sub": c.sub }))
                },
            ),
        );
    let app = test::init_service(
        App::new()
            .app_data(pool.auth())
            .service(nested)
            .configure(common::routes)
            .wrap(Authenticate::optional()),
    )
    .await;
    let read = Credential::Bearer(
        pool.issuer
            .access_token()
            .claim("sub", SUB)
            .scope("api/read")
            .sign(),
    );
    // `/two` first: the keys are not fetched yet, so both extractors wait on the same
    // verification rather than each starting one.
    let paths = [
        ("/two", &read),
        ("/two", &read),
        ("/mw/both", &read),
        ("/scoped", &read),
        ("/group", &Credential::Bearer(pool.access())),
        ("/opt/who", &read),
        ("/nested/x", &read),
        ("/nested/x", &read),
    ];
    for (i, (path, credential)) in paths.iter().enumerate() {
        let response = test::call_service(&app, request(path, credential).to_request()).await;
        let status = response.status().as_u16();
        assert!(status == 200 || status == 403, "{path}: {status}");
        assert_eq!(pool.verifications(), i + 1, "{path}: verifications");
    }
    assert_eq!(pool.jwks.fetch_count(), 1);
    assert_eq!(pool.verifier.key_fetch_count(), 1);
}

#[actix_web::test]
async fn the_verified_token_is_in_the_request_extensions() {
    let pool = Pool::start().await;
    let app = test::init_service(
        App::new()
            .app_data(pool.auth())
            .wrap(Authenticate::required())
            .route(
                "/",
                web::get().to(|v: web::ReqData<Verified>| async move {
                    HttpResponse::Ok().json(json!({ "sub": v.subject() }))
                }),
            ),
    )
    .await;
    let credential = Credential::Bearer(pool.access());
    let response = test::call_service(&app, request("/", &credential).to_request()).await;
    assert_eq!(answer(response).await.body, json!({ "sub": SUB }));
    assert_eq!(pool.verifications(), 1);
}

#[actix_web::test]
async fn without_settings_the_answer_is_500() {
    let pool = Pool::start().await;
    let app = test::init_service(App::new().configure(common::routes)).await;
    let credential = Credential::Bearer(pool.access());
    for path in ["/access", "/optional", "/mw/both", "/scoped"] {
        let response = test::call_service(&app, request(path, &credential).to_request()).await;
        let answer = answer(response).await;
        assert_eq!(answer.status, 500, "{path}");
        assert_eq!(answer.www_authenticate, None, "{path}");
        assert_eq!(
            answer.body,
            json!({ "error": "server_error", "kind": "not_configured" }),
            "{path}"
        );
    }
    assert_eq!(pool.verifications(), 0);
}

#[actix_web::test]
async fn a_middleware_can_bring_its_own_settings() {
    let pool = Pool::start().await;
    let auth = CognitoAuth::new(pool.verifier.clone()).realm("own");
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/own")
                    .wrap(Authenticate::required().with_auth(auth))
                    .configure(common::routes),
            )
            .configure(common::routes),
    )
    .await;
    let credential = Credential::Bearer(pool.access());
    let ok = test::call_service(&app, request("/own/access", &credential).to_request()).await;
    assert_eq!(ok.status(), 200);
    let missing =
        test::call_service(&app, request("/own/access", &Credential::None).to_request()).await;
    assert_eq!(www_authenticate(&missing), "Bearer realm=\"own\"");
    // The extractor behind it answers with the same settings.
    let id = Credential::Bearer(pool.issuer.id_token().sign());
    let refused = test::call_service(&app, request("/own/access", &id).to_request()).await;
    let www = www_authenticate(&refused);
    assert!(
        www.starts_with("Bearer realm=\"own\", error=\"invalid_token\""),
        "{www}"
    );
    // Outside the scope there are no settings.
    let outside = test::call_service(&app, request("/access", &credential).to_request()).await;
    assert_eq!(outside.status(), 500);
}

#[actix_web::test]
async fn detail_and_a_custom_body() {
    let pool = Pool::start().await;
    let expired = Credential::Bearer(pool.issuer.access_token().expires_in(-60).sign());

    let app = test::init_service(
        App::new()
            .app_data(pool.auth().expose_detail(true))
            .configure(common::routes),
    )
    .await;
    let response = test::call_service(&app, request("/access", &expired).to_request()).await;
    let body = answer(response).await.body;
    assert_eq!(body["kind"], "expired");
    assert_eq!(body["message"], "token has expired");

    let auth = pool.auth().render_with(|refusal| {
        let body = format!("nope: {}", refusal.kind()).into_bytes();
        let mut response = http::Response::new(body);
        let text = http::HeaderValue::from_static("text/plain");
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, text);
        response
    });
    let app = test::init_service(App::new().app_data(auth).configure(common::routes)).await;
    let response = test::call_service(&app, request("/access", &expired).to_request()).await;
    assert_eq!(response.status(), 401);
    let www = www_authenticate(&response);
    assert!(
        www.starts_with("Bearer realm=\"test\", error=\"invalid_token\""),
        "{www}"
    );
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/plain"
    );
    assert_eq!(test::read_body(response).await, "nope: expired");
    let response = test::call_service(
        &app,
        request("/scoped", &Credential::Bearer(pool.access())).to_request(),
    )
    .await;
    assert_eq!(response.status(), 403);
    assert_eq!(test::read_body(response).await, "nope: insufficient_scope");
}
