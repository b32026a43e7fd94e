//! The adapter behind a real `HttpServer` on 127.0.0.1:0, over HTTP with reqwest.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer};
use cognito_verify::testing::verifier_with_keys_down;
use cognito_verify_actix::CognitoAuth;
use common::{Answer, Case, Credential, Pool, SUB};
use serde_json::Value;

/// A running server with the test routes and these settings.
struct Server {
    base: String,
    handle: ServerHandle,
    client: reqwest::Client,
}

impl Server {
    fn start(auth: CognitoAuth) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server =
            HttpServer::new(move || App::new().app_data(auth.clone()).configure(common::routes))
                .workers(1)
                .disable_signals()
                .listen(listener)
                .unwrap()
                .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
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

#[actix_web::test]
async fn every_outcome_of_the_table_over_http() {
    let pool = Pool::start().await;
    let server = Server::start(pool.auth());
    server.run(&common::table(&pool)).await;
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

/// A middleware's requirements take access tokens (an id token is 401 `invalid_token_use`, even
/// with the group) unless the requirement allows id tokens; two `Authorization` headers are 400
/// `invalid_request` before anything is verified.
#[actix_web::test]
async fn access_only_requirements_and_one_credential_over_http() {
    use actix_web::{HttpResponse, web};
    use cognito_verify::Requirement;
    use cognito_verify_actix::Authenticate;

    let pool = Pool::start().await;
    let auth = pool.auth();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let admins = Requirement::any_of(["admin"]);
        let ok = || web::get().to(|| async { HttpResponse::Ok().finish() });
        let api = Authenticate::required().require_groups(admins.clone());
        let staff = Authenticate::required().require_groups(admins.allow_id_tokens());
        App::new()
            .app_data(auth.clone())
            .service(web::resource("/api").wrap(api).route(ok()))
            .service(web::resource("/staff").wrap(staff).route(ok()))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |path: &str, tokens: &[&str]| {
        let mut request = client.get(format!("{base}{path}"));
        for token in tokens {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.send()
    };

    let id = pool.issuer.id_token().groups(["admin"]).sign();
    let access = pool.issuer.access_token().groups(["admin"]).sign();
    let refused = get("/api", &[&id]).await.unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = serde_json::from_slice(&refused.bytes().await.unwrap()).unwrap();
    assert_eq!(body["kind"], "invalid_token_use");
    assert_eq!(get("/staff", &[&id]).await.unwrap().status(), 200);
    assert_eq!(get("/api", &[&access]).await.unwrap().status(), 200);

    let verified = pool.verifications();
    let twice = get("/api", &[&access, "garbage"]).await.unwrap();
    assert_eq!(twice.status(), 400);
    let www = twice.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        www.starts_with(r#"Bearer realm="test", error="invalid_request""#),
        "{www}"
    );
    assert_eq!(pool.verifications(), verified, "nothing was verified");
    handle.stop(true).await;
}
