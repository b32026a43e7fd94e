//! Shared by the test files: a local user pool, a test app, and the table of requests with the
//! answers they must get.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unreachable_pub
)]

use actix_web::body::MessageBody;
use actix_web::dev::{ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::test::{self, TestRequest};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{HookRejection, Requirement, TokenUse, Verifier, hook_fn};
use cognito_verify_actix::{
    AccessToken, AuthError, Authenticate, Authenticated, Claims, CognitoAuth, IdToken, Optional,
};
use serde_json::{Value, json};

/// The `sub` of every token the table signs.
pub const SUB: &str = "user-1";
/// The realm the test settings send.
pub const REALM: &str = "test";

/// A local user pool with its JWKS server, and a verifier that counts its verifications.
pub struct Pool {
    pub issuer: TestIssuer,
    pub jwks: JwksServer,
    pub verifier: Verifier,
    verifications: Arc<AtomicUsize>,
}

impl Pool {
    pub async fn start() -> Self {
        let issuer = TestIssuer::new();
        let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
        let verifications = Arc::new(AtomicUsize::new(0));
        let counter = verifications.clone();
        let verifier = Verifier::builder()
            .pool(issuer.pool().jwks_uri(jwks.url()))
            .token_use(TokenUse::Either)
            .hook(hook_fn(move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
                async { Ok::<(), HookRejection>(()) }
            }))
            .build()
            .unwrap();
        Pool {
            issuer,
            jwks,
            verifier,
            verifications,
        }
    }

    /// How many times the verifier has verified a token (its hook runs once per verification).
    pub fn verifications(&self) -> usize {
        self.verifications.load(Ordering::SeqCst)
    }

    /// The settings the table expects: realm `test`, the `Authorization` header.
    pub fn auth(&self) -> CognitoAuth {
        CognitoAuth::new(self.verifier.clone()).realm(REALM)
    }

    /// A valid access token with `sub` = [`SUB`].
    pub fn access(&self) -> String {
        self.issuer.access_token().claim("sub", SUB).sign()
    }
}

#[derive(serde::Deserialize)]
struct Mine {
    sub: String,
    username: String,
}

/// The test app's routes; the settings come from `app_data`.
///
/// | route | protection |
/// |---|---|
/// | `/access`, `/id`, `/claims`, `/raw` | one extractor each |
/// | `/two` | two extractors, no middleware |
/// | `/optional` | `Optional<AccessToken>` |
/// | `/scoped` | resource middleware: scope `api/read` |
/// | `/group` | route middleware: groups `admin` and `ops` |
/// | `/mw/both` | scope middleware, then three extractors |
/// | `/opt/who` | optional scope middleware, then `Optional<Authenticated>` |
/// | `/handler-scope` | `Authenticated::require_scopes(api/write)` in the handler |
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/access",
        web::get().to(|AccessToken(c): AccessToken| async move {
            HttpResponse::Ok().json(json!({ "sub": c.sub, "username": c.username }))
        }),
    )
    .route(
        "/id",
        web::get().to(|IdToken(c): IdToken| async move {
            HttpResponse::Ok().json(json!({ "sub": c.sub, "email": c.email }))
        }),
    )
    .route(
        "/claims",
        web::get().to(|Claims(c): Claims<Mine>| async move {
            HttpResponse::Ok().json(json!({ "sub": c.sub, "username": c.username }))
        }),
    )
    .route(
        "/raw",
        web::get().to(|a: Authenticated| async move {
            HttpResponse::Ok().json(json!({ "sub": a.subject() }))
        }),
    )
    .route(
        "/two",
        web::get().to(|AccessToken(c): AccessToken, a: Authenticated| async move {
            assert_eq!(c.sub, a.subject());
            HttpResponse::Ok().json(json!({ "sub": c.sub }))
        }),
    )
    .route(
        "/optional",
        web::get().to(|user: Optional<AccessToken>| async move {
            HttpResponse::Ok().json(match user.into_inner() {
                Some(AccessToken(c)) => json!({ "authenticated": true, "sub": c.sub }),
                None => json!({ "authenticated": false }),
            })
        }),
    )
    .service(
        web::resource("/scoped")
            .wrap(Authenticate::required().require_scopes(Requirement::any_of(["api/read"])))
            .route(web::get().to(|AccessToken(c): AccessToken| async move {
                HttpResponse::Ok().json(json!({ "sub": c.sub }))
            })),
    )
    .route(
        "/group",
        web::get()
            .to(|a: Authenticated| async move {
                HttpResponse::Ok().json(json!({ "sub": a.subject() }))
            })
            .wrap(Authenticate::required().require_groups(Requirement::all_of(["admin", "ops"]))),
    )
    .service(
        web::scope("/mw").wrap(Authenticate::required()).route(
            "/both",
            web::get().to(
                |AccessToken(c): AccessToken, a: Authenticated, Claims(raw): Claims<Value>| async move {
                    assert_eq!(c.sub, a.subject());
                    assert_eq!(raw["sub"], c.sub.as_str());
                    HttpResponse::Ok().json(json!({ "sub": c.sub }))
                },
            ),
        ),
    )
    .service(
        web::scope("/opt").wrap(Authenticate::optional()).route(
            "/who",
            web::get().to(|user: Optional<Authenticated>| async move {
                HttpResponse::Ok().json(match user.into_inner() {
                    Some(a) => json!({ "authenticated": true, "sub": a.subject() }),
                    None => json!({ "authenticated": false }),
                })
            }),
        ),
    )
    .route(
        "/handler-scope",
        web::get().to(|a: Authenticated| async move {
            a.require_scopes(&Requirement::any_of(["api/write"]))?;
            Ok::<_, AuthError>(HttpResponse::Ok().json(json!({ "sub": a.subject() })))
        }),
    );
}

/// How a request carries (or does not carry) a token.
#[derive(Debug, Clone)]
pub enum Credential {
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: <value>` as given.
    Authorization(&'static str),
    /// `Cookie: <name>=<value>`.
    Cookie(&'static str, String),
}

impl Credential {
    /// The header to send, if any.
    pub fn header(&self) -> Option<(&'static str, String)> {
        match self {
            Credential::None => None,
            Credential::Bearer(t) => Some(("authorization", format!("Bearer {t}"))),
            Credential::Authorization(v) => Some(("authorization", (*v).to_owned())),
            Credential::Cookie(name, value) => Some(("cookie", format!("{name}={value}"))),
        }
    }
}

/// The `WWW-Authenticate` header a response must carry.
#[derive(Debug, Clone, Copy)]
pub enum Www {
    /// None at all.
    Absent,
    /// `Bearer realm="test"`: no `error` attribute (RFC 6750 §3.1).
    Missing,
    /// `Bearer realm="test", error="invalid_token", error_description="…"`.
    InvalidToken,
    /// `Bearer realm="test", error="insufficient_scope", error_description="…", scope="<this>"`.
    InsufficientScope(&'static str),
}

impl Www {
    pub fn check(self, name: &str, got: Option<&str>) {
        match self {
            Www::Absent => assert_eq!(got, None, "{name}: WWW-Authenticate"),
            Www::Missing => assert_eq!(got, Some("Bearer realm=\"test\""), "{name}"),
            Www::InvalidToken => {
                let got = got.unwrap_or_else(|| panic!("{name}: no WWW-Authenticate"));
                assert!(
                    got.starts_with(
                        "Bearer realm=\"test\", error=\"invalid_token\", error_description=\""
                    ),
                    "{name}: {got}"
                );
                assert!(!got.contains("scope="), "{name}: {got}");
            }
            Www::InsufficientScope(scope) => {
                let got = got.unwrap_or_else(|| panic!("{name}: no WWW-Authenticate"));
                assert!(
                    got.starts_with(
                        "Bearer realm=\"test\", error=\"insufficient_scope\", error_description=\""
                    ),
                    "{name}: {got}"
                );
                assert!(
                    got.ends_with(&format!(", scope=\"{scope}\"")),
                    "{name}: {got}"
                );
            }
        }
    }
}

/// One request of the table and the answer it must get.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: &'static str,
    pub path: &'static str,
    pub credential: Credential,
    pub status: u16,
    pub www: Www,
    /// The exact JSON body.
    pub body: Value,
}

/// What came back, however it was sent.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub retry_after: Option<String>,
    pub body: Value,
}

impl Case {
    pub fn check(&self, answer: &Answer) {
        let name = self.name;
        assert_eq!(answer.status, self.status, "{name}: status; {answer:?}");
        self.www.check(name, answer.www_authenticate.as_deref());
        assert_eq!(answer.body, self.body, "{name}: body");
        if self.status != 503 {
            assert_eq!(answer.retry_after, None, "{name}: Retry-After");
        }
    }
}

fn refused(error: &str, kind: &str) -> Value {
    json!({ "error": error, "kind": kind })
}

fn case(
    name: &'static str,
    path: &'static str,
    credential: Credential,
    status: u16,
    www: Www,
    body: Value,
) -> Case {
    Case {
        name,
        path,
        credential,
        status,
        www,
        body,
    }
}

/// The table: every outcome the adapter can give, on the routes of [`routes`].
#[rustfmt::skip]
pub fn table(pool: &Pool) -> Vec<Case> {
    use Credential::{Authorization, Bearer};
    let issuer = &pool.issuer;
    let access = pool.access();
    let id = issuer.id_token().claim("sub", SUB).sign();
    let expired = issuer
        .access_token()
        .claim("sub", SUB)
        .expires_in(-3600)
        .sign();
    let other_client = issuer
        .access_token()
        .claim("sub", SUB)
        .client("someone-else")
        .sign();
    let read = issuer
        .access_token()
        .claim("sub", SUB)
        .scope("openid api/read")
        .sign();
    let admin_ops = issuer
        .access_token()
        .claim("sub", SUB)
        .groups(["ops", "admin"])
        .sign();
    let admin_only = issuer
        .access_token()
        .claim("sub", SUB)
        .groups(["admin"])
        .sign();
    let mut forged = pool.access();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let ok = || json!({ "sub": SUB });
    let invalid = |kind| refused("invalid_token", kind);
    let missing = refused("unauthorized", "missing_token");
    vec![
        case("valid access", "/access", Bearer(access.clone()), 200, Www::Absent,
            json!({ "sub": SUB, "username": "test-user" })),
        case("valid id", "/id", Bearer(id.clone()), 200, Www::Absent,
            json!({ "sub": SUB, "email": "test-user@example.com" })),
        case("own claims type", "/claims", Bearer(access.clone()), 200, Www::Absent,
            json!({ "sub": SUB, "username": "test-user" })),
        case("raw verified, id token", "/raw", Bearer(id.clone()), 200, Www::Absent, ok()),
        case("two extractors", "/two", Bearer(access.clone()), 200, Www::Absent, ok()),
        case("missing", "/access", Credential::None, 401, Www::Missing, missing.clone()),
        case("other scheme is no token", "/access", Authorization("Basic dXNlcjpwdw=="), 401,
            Www::Missing, missing.clone()),
        case("empty bearer is no token", "/access", Authorization("Bearer "), 401, Www::Missing,
            missing.clone()),
        case("malformed", "/access", Bearer("not-a-jwt".into()), 401, Www::InvalidToken,
            invalid("malformed_token")),
        case("malformed, three parts", "/access", Bearer("a.b.c".into()), 401, Www::InvalidToken,
            invalid("malformed_token")),
        case("forged signature", "/access", Bearer(forged), 401, Www::InvalidToken,
            invalid("invalid_signature")),
        case("expired", "/access", Bearer(expired.clone()), 401, Www::InvalidToken,
            invalid("expired")),
        case("wrong client", "/access", Bearer(other_client), 401, Www::InvalidToken,
            invalid("invalid_client")),
        case("id token where access is required", "/access", Bearer(id.clone()), 401,
            Www::InvalidToken, invalid("invalid_token_use")),
        case("access token where id is required", "/id", Bearer(access.clone()), 401,
            Www::InvalidToken, invalid("invalid_token_use")),
        case("claims that do not fit the type", "/claims", Bearer(id.clone()), 401,
            Www::InvalidToken, invalid("invalid_claim")),
        case("scope present", "/scoped", Bearer(read.clone()), 200, Www::Absent, ok()),
        case("scope missing", "/scoped", Bearer(access.clone()), 403,
            Www::InsufficientScope("api/read"), refused("insufficient_scope", "insufficient_scope")),
        case("scope route, no token", "/scoped", Credential::None, 401, Www::Missing,
            missing.clone()),
        case("scope route, expired", "/scoped", Bearer(expired.clone()), 401, Www::InvalidToken,
            invalid("expired")),
        case("groups present", "/group", Bearer(admin_ops), 200, Www::Absent, ok()),
        case("group missing (all of)", "/group", Bearer(admin_only), 403,
            Www::InsufficientScope("admin ops"),
            refused("insufficient_scope", "insufficient_group")),
        case("group missing (none)", "/group", Bearer(access.clone()), 403,
            Www::InsufficientScope("admin ops"),
            refused("insufficient_scope", "insufficient_group")),
        case("scope checked in the handler", "/handler-scope", Bearer(read.clone()), 403,
            Www::InsufficientScope("api/write"),
            refused("insufficient_scope", "insufficient_scope")),
        case("optional without token", "/optional", Credential::None, 200, Www::Absent,
            json!({ "authenticated": false })),
        case("optional with token", "/optional", Bearer(access.clone()), 200, Www::Absent,
            json!({ "authenticated": true, "sub": SUB })),
        case("optional with an invalid token", "/optional", Bearer(expired.clone()), 401,
            Www::InvalidToken, invalid("expired")),
        case("optional with a malformed token", "/optional", Bearer("x".into()), 401,
            Www::InvalidToken, invalid("malformed_token")),
        case("middleware then extractors", "/mw/both", Bearer(access.clone()), 200, Www::Absent,
            ok()),
        case("middleware, no token", "/mw/both", Credential::None, 401, Www::Missing,
            missing.clone()),
        case("middleware, id token, access extractor", "/mw/both", Bearer(id.clone()), 401,
            Www::InvalidToken, invalid("invalid_token_use")),
        case("optional middleware, no token", "/opt/who", Credential::None, 200, Www::Absent,
            json!({ "authenticated": false })),
        case("optional middleware, token", "/opt/who", Bearer(id), 200, Www::Absent,
            json!({ "authenticated": true, "sub": SUB })),
        case("optional middleware, expired", "/opt/who", Bearer(expired), 401, Www::InvalidToken,
            invalid("expired")),
    ]
}

/// Requests to an app whose keys cannot be fetched: 503, `Retry-After`, no challenge.
#[rustfmt::skip]
pub fn keys_unavailable_table(pool: &Pool) -> Vec<Case> {
    let unavailable = refused("temporarily_unavailable", "keys_unavailable");
    vec![
        case("keys unavailable", "/access", Credential::Bearer(pool.access()), 503, Www::Absent,
            unavailable.clone()),
        case("keys unavailable, middleware", "/mw/both", Credential::Bearer(pool.access()), 503,
            Www::Absent, unavailable.clone()),
        case("keys unavailable, optional", "/optional", Credential::Bearer(pool.access()), 503,
            Www::Absent, unavailable),
        // No token: nothing to verify, so the outage does not matter.
        case("keys unavailable, no token", "/access", Credential::None, 401, Www::Missing,
            refused("unauthorized", "missing_token")),
    ]
}

/// Requests to an app that reads the token from the cookie `access_token`.
#[rustfmt::skip]
pub fn cookie_table(pool: &Pool) -> Vec<Case> {
    use Credential::{Bearer, Cookie};
    vec![
        case("cookie", "/access", Cookie("access_token", pool.access()), 200, Www::Absent,
            json!({ "sub": SUB, "username": "test-user" })),
        case("cookie, middleware", "/mw/both", Cookie("access_token", pool.access()), 200,
            Www::Absent, json!({ "sub": SUB })),
        case("other cookie is no token", "/access", Cookie("session", pool.access()), 401,
            Www::Missing, refused("unauthorized", "missing_token")),
        case("header ignored when the source is a cookie", "/access", Bearer(pool.access()), 401,
            Www::Missing, refused("unauthorized", "missing_token")),
        case("cookie, expired", "/access",
            Cookie("access_token", pool.issuer.access_token().expires_in(-60).sign()), 401,
            Www::InvalidToken, refused("invalid_token", "expired")),
        case("cookie, optional, none", "/optional", Credential::None, 200, Www::Absent,
            json!({ "authenticated": false })),
    ]
}

/// The 503 answer must say when to retry.
pub fn check_retry_after(case: &Case, answer: &Answer) {
    if case.status == 503 {
        let secs: u64 = answer
            .retry_after
            .as_deref()
            .unwrap_or_else(|| panic!("{}: no Retry-After", case.name))
            .parse()
            .unwrap();
        assert!(secs >= 1, "{}: Retry-After {secs}", case.name);
    }
}

/// An in-process GET of `path` carrying `credential`.
pub fn request(path: &str, credential: &Credential) -> TestRequest {
    let mut request = TestRequest::get().uri(path);
    if let Some(h) = credential.header() {
        request = request.insert_header(h);
    }
    request
}

/// What an in-process response said.
pub async fn answer<B: MessageBody>(response: ServiceResponse<B>) -> Answer {
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &actix_web::http::header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (status, www_authenticate, retry_after) = (
        response.status().as_u16(),
        header(actix_web::http::header::WWW_AUTHENTICATE),
        header(actix_web::http::header::RETRY_AFTER),
    );
    let body = test::read_body(response).await;
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Answer {
        status,
        www_authenticate,
        retry_after,
        body,
    }
}

/// Serves the app `app` builds with a real `HttpServer` on 127.0.0.1:0 (one worker, no signal
/// handling), spawned on the current runtime: its base URL and its handle.
pub fn serve<F, T, B>(app: F) -> (String, ServerHandle)
where
    F: Fn() -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let server = HttpServer::new(app)
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (base, handle)
}
