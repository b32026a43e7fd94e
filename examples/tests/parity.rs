//! The axum and actix example apps, each behind a real server on 127.0.0.1:0, get the same table
//! of requests with real tokens and must answer each one identically: status,
//! `WWW-Authenticate`, `Retry-After` and, for the JSON answers, the body. With the token in the
//! `Authorization` header, in a cookie and from a custom function.
//!
//! The gRPC example app (tonic, over HTTP/2) gets the same rows for its two methods —
//! `GET /me` is `Check` (an access token), `GET /scoped` is `Watch` (the scope `api/read`) — with
//! the headers as metadata, and must give the same verdict class (accept, 400, 401, 403, 503 as
//! `OK`, `INVALID_ARGUMENT`, `UNAUTHENTICATED`, `PERMISSION_DENIED`, `UNAVAILABLE`), the same
//! challenge in `www-authenticate` metadata and the same `retry-after`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use actix_web::HttpServer;
use actix_web::dev::ServerHandle;
use cognito_verify::http_auth::HttpAuth;
use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{TokenUse, Verifier};
use cognito_verify_examples::{actix_app, axum_app, grpc_app};
use reqwest::Method;
use reqwest::header::{HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE};
use serde_json::Value;
use tonic::Code;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// The three apps, each with its own verifier for the same pool.
struct Servers {
    axum: String,
    actix: String,
    actix_handle: ServerHandle,
    grpc: HealthClient<Channel>,
}

/// The apps with default settings and verifiers for the pool at `jwks_uri`.
async fn serve_both(issuer: &TestIssuer, jwks_uri: &str) -> Servers {
    serve_both_with(|token_use| HttpAuth::new(verifier(issuer, jwks_uri, token_use))).await
}

/// The apps with these settings (each its own verifier for the same pool): the HTTP apps take
/// either token use, and each route asks for the one it needs; the gRPC app takes access tokens.
async fn serve_both_with(auth: impl Fn(TokenUse) -> HttpAuth) -> Servers {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let axum_addr = listener.local_addr().unwrap();
    let router = axum_app::app_with(auth(TokenUse::Either).into()).unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let actix_addr: SocketAddr = listener.local_addr().unwrap();
    let actix_auth = auth(TokenUse::Either);
    let server = HttpServer::new(move || actix_app::app_with(actix_auth.clone()))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let actix_handle = server.handle();
    actix_web::rt::spawn(server);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let grpc_addr = listener.local_addr().unwrap();
    let layer = grpc_app::layer(auth(TokenUse::Access)).unwrap();
    let incoming = TcpIncoming::from(listener);
    tokio::spawn(grpc_app::serve(layer, incoming, std::future::pending()));
    let channel = Endpoint::from_shared(format!("http://{grpc_addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();

    Servers {
        axum: format!("http://{axum_addr}"),
        actix: format!("http://{actix_addr}"),
        actix_handle,
        grpc: HealthClient::new(channel),
    }
}

/// One row: a request, and the status both must answer (so they cannot agree on being wrong).
struct Row {
    name: &'static str,
    method: Method,
    path: &'static str,
    /// The request's headers, in order (a name may repeat).
    headers: Vec<(&'static str, String)>,
    status: u16,
}

fn row(name: &'static str, path: &'static str, token: Option<&str>, status: u16) -> Row {
    let bearer = token.map(|t| ("authorization", format!("Bearer {t}")));
    with_headers(name, path, bearer.into_iter().collect(), status)
}

fn with_headers(
    name: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    status: u16,
) -> Row {
    Row {
        name,
        method: Method::GET,
        path,
        headers,
        status,
    }
}

#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    www_authenticate: Option<String>,
    retry_after: Option<String>,
    /// The body when it is JSON, else `Null`.
    json: Value,
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    let mut values = headers.get_all(&name).iter();
    let first = values.next().map(|v| v.to_str().unwrap().to_owned());
    assert!(values.next().is_none(), "two {name} headers");
    first
}

async fn send(client: &reqwest::Client, base: &str, row: &Row) -> Answer {
    let mut request = client.request(row.method.clone(), format!("{base}{}", row.path));
    for (name, value) in &row.headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let www_authenticate = header(response.headers(), WWW_AUTHENTICATE);
    let retry_after = header(response.headers(), RETRY_AFTER);
    let body = response.bytes().await.unwrap();
    Answer {
        status,
        www_authenticate,
        retry_after,
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}

/// The gRPC app's verdict on a row: its class as an HTTP status, `WWW-Authenticate`,
/// `Retry-After`.
#[derive(Debug, PartialEq)]
struct Verdict {
    class: u16,
    www_authenticate: Option<String>,
    retry_after: Option<String>,
}

/// The HTTP status of the class a gRPC code answers (the mapping of `cognito_verify_tonic::code`).
fn class(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        Code::InvalidArgument => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::Unavailable => 503,
        other => panic!("no verdict class for {other:?}"),
    }
}

/// The row as a gRPC call, for the rows that have one: `GET /me` is `Check`, `GET /scoped` is
/// `Watch` (accepted once its first message arrives).
async fn call(client: &HealthClient<Channel>, row: &Row) -> Option<Verdict> {
    let watch = match (row.method.clone(), row.path) {
        (Method::GET, "/me") => false,
        (Method::GET, "/scoped") => true,
        _ => return None,
    };
    let mut request = tonic::Request::new(HealthCheckRequest::default());
    for (name, value) in &row.headers {
        let key = AsciiMetadataKey::from_bytes(name.as_bytes()).unwrap();
        let value = AsciiMetadataValue::try_from(value.as_str()).unwrap();
        request.metadata_mut().append(key, value);
    }
    let mut client = client.clone();
    let answer = match watch {
        false => client.check(request).await.map(drop),
        true => match client.watch(request).await {
            Ok(response) => response
                .into_inner()
                .message()
                .await
                .map(|m| assert!(m.is_some())),
            Err(status) => Err(status),
        },
    };
    let status = answer.err().unwrap_or_else(|| tonic::Status::ok(""));
    let metadata = |name: &str| {
        let value = status.metadata().get(name)?;
        Some(value.to_str().unwrap().to_owned())
    };
    Some(Verdict {
        class: class(status.code()),
        www_authenticate: metadata("www-authenticate"),
        retry_after: metadata("retry-after"),
    })
}

async fn compare(servers: &Servers, rows: &[Row]) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    for row in rows {
        let axum = send(&client, &servers.axum, row).await;
        let actix = send(&client, &servers.actix, row).await;
        let name = row.name;
        if let Some(grpc) = call(&servers.grpc, row).await {
            let expected = Verdict {
                class: row.status,
                www_authenticate: axum.www_authenticate.clone(),
                retry_after: axum.retry_after.clone(),
            };
            assert_eq!(grpc, expected, "{name}: gRPC");
        }
        assert_eq!(axum.status, row.status, "{name}: axum answered {axum:?}");
        assert_eq!(actix.status, row.status, "{name}: actix answered {actix:?}");
        assert_eq!(
            axum.www_authenticate, actix.www_authenticate,
            "{name}: WWW-Authenticate"
        );
        assert_eq!(axum.retry_after, actix.retry_after, "{name}: Retry-After");
        if row.status == 400 {
            let challenge = r#"Bearer error="invalid_request", error_description="the request carries more than one credential""#;
            assert_eq!(axum.www_authenticate.as_deref(), Some(challenge), "{name}");
            assert_eq!(axum.json["kind"], "invalid_request", "{name}");
        }
        if matches!(row.status, 200 | 400 | 401 | 403 | 503) && row.method != Method::HEAD {
            assert_eq!(axum.json, actix.json, "{name}: body");
            assert_ne!(axum.json, Value::Null, "{name}: a JSON body");
        }
    }
}

fn verifier(issuer: &TestIssuer, jwks_uri: &str, token_use: TokenUse) -> Verifier {
    Verifier::builder()
        .pool(issuer.pool().jwks_uri(jwks_uri))
        .token_use(token_use)
        .build()
        .unwrap()
}

#[actix_web::test]
async fn axum_and_actix_answer_every_request_alike() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let servers = serve_both(&issuer, &jwks.url()).await;

    let access = issuer.access_token().sign();
    let id = issuer.id_token().sign();
    let expired = issuer.access_token().expires_in(-600).sign();
    let other_client = issuer.access_token().client("someone-else").sign();
    let other_client_id = issuer.id_token().client("someone-else").sign();
    let read = issuer.access_token().scope("openid api/read").sign();
    let m2m = issuer.m2m_token(["api/read"]).sign();
    let admin = issuer.access_token().groups(["admin", "ops"]).sign();
    let admin_id = issuer.id_token().groups(["admin"]).sign();
    let ops = issuer.access_token().groups(["ops"]).sign();
    let mut forged = access.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let unknown_kid = issuer.access_token().kid("not-a-key").sign();
    let no_token_use = issuer.access_token().without("token_use").sign();

    let mut rows = vec![
        row("public", "/public", None, 200),
        row("public with a bad token", "/public", Some("x"), 200),
        row("valid", "/me", Some(&access), 200),
        row("missing", "/me", None, 401),
        row("malformed", "/me", Some("not-a-jwt"), 401),
        row("malformed, three parts", "/me", Some("a.b.c"), 401),
        row("forged signature", "/me", Some(&forged), 401),
        row("unknown kid", "/me", Some(&unknown_kid), 401),
        row("no token_use", "/me", Some(&no_token_use), 401),
        row("expired", "/me", Some(&expired), 401),
        row("wrong client", "/me", Some(&other_client), 401),
        row("wrong client, id token", "/id", Some(&other_client_id), 401),
        row("id token on /me", "/me", Some(&id), 401),
        row("access token on /id", "/id", Some(&access), 401),
        row("id token on /id", "/id", Some(&id), 200),
        row("scope present", "/scoped", Some(&read), 200),
        row("scope present, m2m", "/scoped", Some(&m2m), 200),
        row("scope missing", "/scoped", Some(&access), 403),
        // API routes take access tokens: an id token is the wrong kind of token (401), not a
        // token short of a scope or group (403), even with the group.
        row("scope, id token", "/scoped", Some(&id), 401),
        row("scope, no token", "/scoped", None, 401),
        row("scope, expired", "/scoped", Some(&expired), 401),
        row("group present", "/admin", Some(&admin), 200),
        row("group present, id token", "/admin", Some(&admin_id), 401),
        row("group missing", "/admin", Some(&ops), 403),
        row("no groups", "/admin", Some(&access), 403),
        row("group, no token", "/admin", None, 401),
        row("group, malformed", "/admin", Some("x.y"), 401),
        row("optional without token", "/optional", None, 200),
        row("optional with token", "/optional", Some(&access), 200),
        row("optional with id token", "/optional", Some(&id), 200),
        row("optional, expired", "/optional", Some(&expired), 401),
        row("optional, malformed", "/optional", Some("not-a-jwt"), 401),
        row("unknown path", "/nope", Some(&access), 404),
    ];
    for (name, value, status) in [
        ("other scheme", "Basic dXNlcjpwdw==", 401),
        ("empty bearer", "Bearer ", 401),
        ("lower-case scheme", "bearer ACCESS", 200),
    ] {
        let value = value.replace("ACCESS", &access);
        rows.push(with_headers(
            name,
            "/me",
            vec![("authorization", value)],
            status,
        ));
    }
    for (name, method, path, token, status) in [
        ("POST /me", Method::POST, "/me", Some(&access), 405),
        ("POST /scoped, no token", Method::POST, "/scoped", None, 405),
        ("HEAD /public", Method::HEAD, "/public", None, 200),
        ("HEAD /me, no token", Method::HEAD, "/me", None, 401),
    ] {
        let mut r = row(name, path, token.map(String::as_str), status);
        r.method = method;
        rows.push(r);
    }
    compare(&servers, &rows).await;
    servers.actix_handle.stop(true).await;
}

#[actix_web::test]
async fn keys_unavailable_alike() {
    let issuer = TestIssuer::new();
    let dead = cognito_verify::testing::refused_jwks_url();
    let servers = serve_both(&issuer, &dead).await;
    let access = issuer.access_token().sign();
    let rows = [
        row("keys unavailable", "/me", Some(&access), 503),
        row("keys unavailable again", "/me", Some(&access), 503),
        row("keys unavailable, scoped", "/scoped", Some(&access), 503),
        row(
            "keys unavailable, optional",
            "/optional",
            Some(&access),
            503,
        ),
        row("keys unavailable, no token", "/me", None, 401),
        row("keys unavailable, public", "/public", None, 200),
    ];
    compare(&servers, &rows).await;
    servers.actix_handle.stop(true).await;
}

/// More than one credential is refused with 400 `invalid_request` before any verification,
/// whichever credential comes first and whether or not each would verify.
#[actix_web::test]
async fn ambiguous_credentials_are_refused_alike() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let servers = serve_both(&issuer, &jwks.url()).await;
    let access = issuer
        .access_token()
        .scope("api/read")
        .groups(["admin"])
        .sign();
    let bearer = |t: &str| ("authorization", format!("Bearer {t}"));
    let two = |first: &str, second: &str| vec![bearer(first), bearer(second)];
    let rows = [
        with_headers("valid then garbage", "/me", two(&access, "garbage"), 400),
        with_headers("garbage then valid", "/me", two("garbage", &access), 400),
        with_headers("the same token twice", "/me", two(&access, &access), 400),
        with_headers("scoped", "/scoped", two(&access, "garbage"), 400),
        with_headers("admin", "/admin", two(&access, "garbage"), 400),
        with_headers("optional", "/optional", two(&access, "garbage"), 400),
        with_headers(
            "bearer and basic",
            "/me",
            vec![
                bearer(&access),
                ("authorization", "Basic dXNlcjpwdw==".into()),
            ],
            400,
        ),
        with_headers("public", "/public", two(&access, "garbage"), 200),
        // A cookie is not a credential when the token comes from the header.
        with_headers(
            "bearer and a cookie",
            "/me",
            vec![
                bearer(&access),
                ("cookie", format!("access_token={access}")),
            ],
            200,
        ),
    ];
    compare(&servers, &rows).await;
    servers.actix_handle.stop(true).await;
}

#[actix_web::test]
async fn tokens_from_a_cookie_alike() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let auth = |token_use| {
        HttpAuth::new(verifier(&issuer, &jwks.url(), token_use)).token_from_cookie("access_token")
    };
    let servers = serve_both_with(auth).await;
    let access = issuer.access_token().sign();
    let expired = issuer.access_token().expires_in(-600).sign();
    let cookie = |value: String| ("cookie", value);
    let rows = [
        with_headers(
            "cookie",
            "/me",
            vec![cookie(format!("a=1; access_token={access}"))],
            200,
        ),
        with_headers(
            "quoted cookie, second Cookie header",
            "/me",
            vec![
                cookie("a=1".into()),
                cookie(format!("access_token=\"{access}\"")),
            ],
            200,
        ),
        with_headers("no cookie", "/me", vec![], 401),
        with_headers(
            "header only",
            "/me",
            vec![("authorization", format!("Bearer {access}"))],
            401,
        ),
        with_headers(
            "expired cookie",
            "/me",
            vec![cookie(format!("access_token={expired}"))],
            401,
        ),
        with_headers(
            "cookie and bearer header",
            "/me",
            vec![
                cookie(format!("access_token={access}")),
                ("authorization", format!("Bearer {access}")),
            ],
            400,
        ),
        with_headers(
            "two cookies of the name",
            "/me",
            vec![cookie(format!(
                "access_token={access}; access_token=garbage"
            ))],
            400,
        ),
        with_headers(
            "two cookies in two headers",
            "/optional",
            vec![
                cookie(format!("access_token={access}")),
                cookie(format!("access_token={access}")),
            ],
            400,
        ),
    ];
    compare(&servers, &rows).await;
    servers.actix_handle.stop(true).await;
}

#[actix_web::test]
async fn tokens_from_a_custom_source_alike() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let auth = |token_use| {
        HttpAuth::new(verifier(&issuer, &jwks.url(), token_use)).token_from(|parts| {
            let value = parts.headers.get("x-access-token")?;
            value.to_str().ok().map(str::to_owned)
        })
    };
    let servers = serve_both_with(auth).await;
    let access = issuer.access_token().sign();
    let header = |t: &str| ("x-access-token", t.to_owned());
    let rows = [
        with_headers("custom header", "/me", vec![header(&access)], 200),
        with_headers("none", "/me", vec![], 401),
        with_headers("empty", "/me", vec![header("")], 401),
        with_headers("garbage", "/me", vec![header("x.y.z")], 401),
        with_headers(
            "custom header and bearer header",
            "/me",
            vec![header(&access), ("authorization", "Bearer garbage".into())],
            400,
        ),
    ];
    compare(&servers, &rows).await;
    servers.actix_handle.stop(true).await;
}
