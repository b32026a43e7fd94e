//! The Lambda functions `lambda_authorizer` and `lambda_app` under the real Lambda runtime API
//! emulator: `cargo lambda watch` (started here on a free loopback port, with the `COGNITO_*`
//! variables in its environment; it builds and runs the binaries) and `cargo lambda invoke`
//! with real event payloads carrying tokens of the test kit, keys served by a `JwksServer` on
//! loopback.
//!
//! Uses `cargo-lambda` from `PATH`, or installs the pinned version with `.ci/cargo-lambda.sh`
//! (`pip install --no-deps cargo-lambda==1.9.2` into a virtualenv under the target directory):
//! if it can't be had, this test fails; it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{TokenUse, Verifier};
use cognito_verify_examples::axum_app;
use serde_json::{Value, json};

/// How long the emulator may take to listen (it is a prebuilt binary).
const STARTUP_DEADLINE: Duration = Duration::from_secs(60);
/// How long one invoke may take: the first one of each function builds it (`cargo run` in the
/// shared target directory, behind other builds' lock on a loaded 2-core machine).
const INVOKE_DEADLINE: Duration = Duration::from_secs(900);
/// The method ARN of the REST events.
const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/scoped";
/// The scope the authorizer requires (`COGNITO_REQUIRED_SCOPES`), the one `/scoped` requires.
const SCOPE: &str = axum_app::REQUIRED_SCOPE;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// `cargo` with `cargo-lambda` on its `PATH`: the one already there, or else the pinned one that
/// `.ci/cargo-lambda.sh` installs into a virtualenv under the target directory (once per run).
/// A failure to get it fails the test; it never skips.
fn cargo() -> Command {
    static PATH: std::sync::OnceLock<std::ffi::OsString> = std::sync::OnceLock::new();
    let path = PATH.get_or_init(|| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        if std::env::split_paths(&path).any(|dir| dir.join("cargo-lambda").is_file()) {
            return path;
        }
        let output = Command::new("bash")
            .arg(".ci/cargo-lambda.sh")
            .current_dir(workspace_root())
            .stderr(Stdio::inherit())
            .output()
            .expect("run .ci/cargo-lambda.sh");
        assert!(
            output.status.success(),
            "cargo-lambda is not on PATH and .ci/cargo-lambda.sh could not install it: this test \
             runs the Lambda functions under `cargo lambda watch`"
        );
        let dir = String::from_utf8(output.stdout).expect("a UTF-8 directory");
        let dirs = std::iter::once(PathBuf::from(dir.trim())).chain(std::env::split_paths(&path));
        std::env::join_paths(dirs).expect("a PATH")
    });
    let mut command = Command::new("cargo");
    command.env("PATH", path);
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `cargo lambda watch` process group, stopped on drop.
struct Watcher {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Watcher {
    fn start(vars: &[(&str, String)]) -> Watcher {
        let port = free_port();
        let log = scratch(&format!("watch-{port}.log"));
        let mut command = cargo();
        command
            .args(["lambda", "watch", "--package", "cognito-verify-examples"])
            .args(["--invoke-address", "127.0.0.1", "--invoke-port"])
            .arg(port.to_string())
            .arg("--ignore-changes")
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            // Its own process group, so drop stops the functions it spawned too.
            .process_group(0);
        for name in [
            "COGNITO_JWKS_JSON",
            "COGNITO_JWKS_FILE",
            "COGNITO_ISSUER",
            "COGNITO_REQUIRED_SCOPES",
        ] {
            command.env_remove(name);
        }
        command.envs(vars.iter().map(|(k, v)| (k, v)));
        let child = command.spawn().expect("cannot start `cargo lambda watch`");
        let mut watcher = Watcher { child, port, log };
        watcher.wait_listening();
        watcher
    }

    fn wait_listening(&mut self) {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("cargo lambda watch exited ({status}):\n{}", self.log_text());
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch does not listen:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `cargo lambda invoke FUNCTION --data-file EVENT`: the answer, or the error as
    /// `<errorType>: <errorMessage>`.
    fn invoke(&self, function: &str, event: &Value) -> Result<Value, String> {
        let file = scratch(&format!("event-{}.json", next_id()));
        std::fs::write(&file, serde_json::to_vec(event).unwrap()).unwrap();
        let mut child = cargo()
            .args(["lambda", "invoke", function, "--data-file"])
            .arg(&file)
            .args(["--invoke-address", "127.0.0.1", "--invoke-port"])
            .arg(self.port.to_string())
            .args(["--output-format", "json"])
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + INVOKE_DEADLINE;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("invoke of {function} timed out:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let (mut stdout, mut stderr) = (String::new(), String::new());
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let _ = std::fs::remove_file(&file);
        if status.success() {
            Ok(serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("{function} answered {stdout:?}: {e}")))
        } else {
            // cargo lambda prints `Error: <errorType>`, then `× <errorMessage>`.
            let error_type = stderr.lines().find_map(|line| line.strip_prefix("Error: "));
            let message = stderr
                .lines()
                .find_map(|line| line.trim_start().strip_prefix("× "));
            match (error_type, message) {
                (Some(error_type), Some(message)) => {
                    Err(format!("{}: {}", error_type.trim(), message.trim()))
                }
                _ => panic!("{function} failed without an error: {stderr}"),
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lambda-test");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}-{name}", std::process::id()))
}

/// The environment of both functions for this issuer and JWKS URI.
fn vars(issuer: &TestIssuer, jwks_uri: &str) -> Vec<(&'static str, String)> {
    vec![
        ("COGNITO_USER_POOL_ID", issuer.pool_id().to_owned()),
        ("COGNITO_CLIENT_ID", issuer.app_client_id().to_owned()),
        ("COGNITO_JWKS_URI", jwks_uri.to_owned()),
        ("COGNITO_REQUIRED_SCOPES", SCOPE.to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ]
}

// ---- events ----

fn token_event(authorization: Option<&str>) -> Value {
    let mut event = json!({"type": "TOKEN", "methodArn": METHOD_ARN});
    if let Some(value) = authorization {
        event["authorizationToken"] = value.into();
    }
    event
}

/// A REST `REQUEST` authorizer event: each header in `headers` (the last value) and in
/// `multiValueHeaders` (every value), in the client's case.
fn request_event(headers: &[(&str, &str)]) -> Value {
    let mut single = serde_json::Map::new();
    let mut multi = serde_json::Map::<String, Value>::new();
    for (name, value) in headers {
        single.insert((*name).to_owned(), (*value).into());
        let values = multi.entry(*name).or_insert_with(|| json!([]));
        values.as_array_mut().unwrap().push((*value).into());
    }
    single.insert(
        "Host".into(),
        "abcdef1234.execute-api.eu-west-1.amazonaws.com".into(),
    );
    multi.insert(
        "Host".into(),
        json!(["abcdef1234.execute-api.eu-west-1.amazonaws.com"]),
    );
    json!({
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "resource": "/scoped",
        "path": "/scoped",
        "httpMethod": "GET",
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": {},
        "multiValueQueryStringParameters": {},
        "pathParameters": {},
        "stageVariables": {},
        "requestContext": {
            "path": "/prod/scoped", "accountId": "123456789012", "resourceId": "abc123",
            "stage": "prod", "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8"},
            "resourcePath": "/scoped", "httpMethod": "GET", "apiId": "abcdef1234"
        }
    })
}

/// An HTTP API payload 2.0 authorizer event.
fn simple_event(authorization: Option<&str>) -> Value {
    let mut headers = json!({"host": "abcdef1234.execute-api.eu-west-1.amazonaws.com"});
    if let Some(value) = authorization {
        headers["authorization"] = value.into();
    }
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/$default/GET/scoped",
        "identitySource": authorization.into_iter().collect::<Vec<_>>(),
        "routeKey": "GET /scoped",
        "rawPath": "/scoped",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": http_context("/scoped"),
    })
}

fn http_context(path: &str) -> Value {
    json!({
        "accountId": "123456789012", "apiId": "abcdef1234",
        "domainName": "abcdef1234.execute-api.eu-west-1.amazonaws.com", "domainPrefix": "abcdef1234",
        "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8"},
        "requestId": "JKJaXmPLvHcESHA=", "routeKey": "$default", "stage": "$default",
        "time": "01/Dec/2026:10:00:00 +0000", "timeEpoch": 1_795_000_000_000_u64
    })
}

/// An API Gateway REST (v1) proxy event for `GET /prod{path}` (stage `prod`).
fn rest_proxy_event(path: &str, authorization: Option<&str>) -> Value {
    let mut headers = json!({"Host": "abcdef1234.execute-api.eu-west-1.amazonaws.com"});
    let mut multi = json!({"Host": ["abcdef1234.execute-api.eu-west-1.amazonaws.com"]});
    if let Some(value) = authorization {
        headers["Authorization"] = value.into();
        multi["Authorization"] = json!([value]);
    }
    json!({
        "resource": path, "path": path, "httpMethod": "GET",
        "headers": headers, "multiValueHeaders": multi,
        "queryStringParameters": null, "multiValueQueryStringParameters": null,
        "pathParameters": null, "stageVariables": null, "body": null, "isBase64Encoded": false,
        "requestContext": {
            "accountId": "123456789012", "resourceId": "abc123", "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "path": format!("/prod{path}"),
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8"},
            "resourcePath": path, "httpMethod": "GET", "apiId": "abcdef1234", "protocol": "HTTP/1.1"
        }
    })
}

/// An HTTP API (v2) proxy event, or a function URL event (the same format, its own domain).
fn http_proxy_event(path: &str, authorization: Option<&str>, function_url: bool) -> Value {
    let domain = if function_url {
        "abcdefghijklmnopqrstuvwxyz0123456.lambda-url.eu-west-1.on.aws"
    } else {
        "abcdef1234.execute-api.eu-west-1.amazonaws.com"
    };
    let mut headers = json!({"host": domain});
    if let Some(value) = authorization {
        headers["authorization"] = value.into();
    }
    let mut context = http_context(path);
    context["domainName"] = domain.into();
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers, "requestContext": context, "isBase64Encoded": false
    })
}

/// An ALB target group event.
fn alb_event(path: &str, authorization: Option<&str>) -> Value {
    let mut headers = json!({"host": "lb-123.eu-west-1.elb.amazonaws.com"});
    if let Some(value) = authorization {
        headers["authorization"] = value.into();
    }
    json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/lambda/abc"}},
        "httpMethod": "GET", "path": path, "queryStringParameters": {},
        "headers": headers, "body": "", "isBase64Encoded": false
    })
}

// ---- answers ----

/// The verdict class of an answer, comparable across front ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Allow,
    /// A valid token short of a requirement (HTTP 403, a `Deny` policy).
    Forbidden,
    /// No usable credential (HTTP 400/401, the error `Unauthorized`).
    Unauthenticated,
    /// Keys unavailable (HTTP 503, a failed invocation: API Gateway's 500).
    Unavailable,
}

fn of_status(status: u16) -> Verdict {
    match status {
        200 => Verdict::Allow,
        403 => Verdict::Forbidden,
        400 | 401 => Verdict::Unauthenticated,
        503 => Verdict::Unavailable,
        other => panic!("unexpected status {other}"),
    }
}

/// The error API Gateway answers 401 for (it reads `errorMessage`).
const UNAUTHORIZED: &str = "Unauthorized: Unauthorized";
/// The start of the keys-unavailable error (API Gateway answers 500 for any other error).
const KEYS_UNAVAILABLE: &str = "KeysUnavailable: the signing keys are unavailable";

/// The verdict of a REST authorizer answer, checking the policy's shape.
fn of_policy(answer: &Result<Value, String>) -> Verdict {
    match answer {
        Ok(policy) => {
            let statement = &policy["policyDocument"]["Statement"][0];
            assert_eq!(
                policy["policyDocument"]["Version"], "2012-10-17",
                "{policy}"
            );
            assert_eq!(
                statement["Action"],
                json!(["execute-api:Invoke"]),
                "{policy}"
            );
            assert_eq!(statement["Resource"], json!([METHOD_ARN]), "{policy}");
            assert!(policy["principalId"].is_string(), "{policy}");
            match statement["Effect"].as_str() {
                Some("Allow") => {
                    assert_eq!(policy["context"]["sub"], policy["principalId"], "{policy}");
                    assert_context_values(&policy["context"]);
                    Verdict::Allow
                }
                Some("Deny") => Verdict::Forbidden,
                _ => panic!("no effect: {policy}"),
            }
        }
        Err(error) if error == UNAUTHORIZED => Verdict::Unauthenticated,
        Err(error) if error.starts_with(KEYS_UNAVAILABLE) => Verdict::Unavailable,
        Err(error) => panic!("unexpected error {error:?}"),
    }
}

fn of_simple(answer: &Result<Value, String>) -> Verdict {
    match answer {
        Ok(answer) if answer["isAuthorized"] == true => {
            assert_context_values(&answer["context"]);
            Verdict::Allow
        }
        // The simple format cannot tell 401 from 403: both are `false` (API Gateway: 403).
        Ok(answer) if answer["isAuthorized"] == false => Verdict::Forbidden,
        Err(error) if error.starts_with(KEYS_UNAVAILABLE) => Verdict::Unavailable,
        other => panic!("unexpected answer {other:?}"),
    }
}

/// API Gateway takes only strings, numbers and booleans in an authorizer's context.
fn assert_context_values(context: &Value) {
    let context = context.as_object().unwrap();
    assert!(context.contains_key("sub"), "{context:?}");
    for (name, value) in context {
        assert!(
            value.is_string() || value.is_number() || value.is_boolean(),
            "context {name} = {value}"
        );
    }
}

/// The status of a proxy answer of `lambda_app`, and its JSON body.
fn proxy_answer(answer: Result<Value, String>) -> (u16, Value) {
    let answer = answer.unwrap_or_else(|e| panic!("lambda_app failed: {e}"));
    let status = u16::try_from(answer["statusCode"].as_u64().unwrap()).unwrap();
    let body = answer["body"].as_str().unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// The axum app in-process on loopback, for the verdicts to compare with.
async fn axum_status(base: &str, path: &str, headers: &[(&str, &str)]) -> u16 {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut request = client.get(format!("{base}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn serve_axum(issuer: &TestIssuer, jwks_uri: &str) -> String {
    let verifier = Verifier::builder()
        .pool(issuer.pool().jwks_uri(jwks_uri))
        .token_use(TokenUse::Either)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum_app::app(verifier).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_functions_under_the_runtime_emulator() {
    let mut issuer = TestIssuer::new();
    // The functions start with the keys preloaded (COGNITO_JWKS_JSON) and fetch from `jwks`
    // only for a kid they lack; the in-process axum app has its own JWKS server.
    let preloaded = issuer.jwks_json();
    let jwks = JwksServer::start(preloaded.clone()).await.unwrap();
    let axum_jwks = JwksServer::start(preloaded.clone()).await.unwrap();
    let axum = serve_axum(&issuer, &axum_jwks.url()).await;
    let mut env = vars(&issuer, &jwks.url());
    env.push(("COGNITO_JWKS_JSON", preloaded));
    let watcher = Watcher::start(&env);
    let watcher = &watcher;
    let invoke = |function: &'static str, event: Value| {
        tokio::task::block_in_place(|| watcher.invoke(function, &event))
    };

    let read = issuer
        .access_token()
        .scope(&format!("openid {SCOPE}"))
        .sign();
    let access = issuer.access_token().sign();
    let id = issuer.id_token().sign();
    let m2m = issuer.m2m_token([SCOPE]).sign();
    let expired = issuer.access_token().scope(SCOPE).expires_in(-600).sign();
    let other_client = issuer
        .access_token()
        .scope(SCOPE)
        .client("someone-else")
        .sign();
    let unknown_kid = issuer.access_token().scope(SCOPE).kid("not-a-key").sign();
    let mut forged = read.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let bearer = |t: &str| format!("Bearer {t}");

    // Preloaded keys: the first token verifies without a fetch; a token of a key added since
    // (a rotation) is fetched for once.
    let answer = invoke("lambda_authorizer", token_event(Some(&bearer(&read))));
    assert_eq!(of_policy(&answer), Verdict::Allow, "{answer:?}");
    assert_eq!(jwks.fetch_count(), 0, "preloaded keys fetched");
    issuer.rotate();
    jwks.set_jwks(issuer.jwks_json());
    let rotated = issuer.access_token().scope(SCOPE).sign();
    let answer = invoke("lambda_authorizer", token_event(Some(&bearer(&rotated))));
    assert_eq!(of_policy(&answer), Verdict::Allow, "{answer:?}");
    assert_eq!(jwks.fetch_count(), 1, "one fetch for the rotated key");

    // The token table: the authorizer (TOKEN, REQUEST, HTTP API simple) and the axum app's
    // `/scoped` (same requirement) agree on every verdict class.
    let table: Vec<(&str, Option<String>, Verdict)> = vec![
        ("valid, scope present", Some(bearer(&read)), Verdict::Allow),
        (
            "valid m2m, scope present",
            Some(bearer(&m2m)),
            Verdict::Allow,
        ),
        (
            "lower-case scheme",
            Some(format!("bearer {read}")),
            Verdict::Allow,
        ),
        (
            "valid, scope missing",
            Some(bearer(&access)),
            Verdict::Forbidden,
        ),
        ("id token", Some(bearer(&id)), Verdict::Unauthenticated),
        ("missing", None, Verdict::Unauthenticated),
        (
            "garbage",
            Some("garbage".to_owned()),
            Verdict::Unauthenticated,
        ),
        (
            "empty bearer",
            Some("Bearer ".to_owned()),
            Verdict::Unauthenticated,
        ),
        (
            "other scheme",
            Some("Basic dXNlcjpwdw==".to_owned()),
            Verdict::Unauthenticated,
        ),
        (
            "not a jwt",
            Some(bearer("not-a-jwt")),
            Verdict::Unauthenticated,
        ),
        (
            "three parts",
            Some(bearer("a.b.c")),
            Verdict::Unauthenticated,
        ),
        (
            "forged signature",
            Some(bearer(&forged)),
            Verdict::Unauthenticated,
        ),
        ("expired", Some(bearer(&expired)), Verdict::Unauthenticated),
        (
            "wrong client",
            Some(bearer(&other_client)),
            Verdict::Unauthenticated,
        ),
        (
            "unknown kid",
            Some(bearer(&unknown_kid)),
            Verdict::Unauthenticated,
        ),
    ];
    for (name, authorization, expected) in &table {
        let headers: Vec<(&str, &str)> = authorization
            .as_deref()
            .map(|v| ("Authorization", v))
            .into_iter()
            .collect();
        let axum = of_status(axum_status(&axum, "/scoped", &headers).await);
        assert_eq!(axum, *expected, "{name}: axum");
        let token = of_policy(&invoke(
            "lambda_authorizer",
            token_event(authorization.as_deref()),
        ));
        assert_eq!(token, axum, "{name}: TOKEN authorizer");
        let request = of_policy(&invoke("lambda_authorizer", request_event(&headers)));
        assert_eq!(request, axum, "{name}: REQUEST authorizer");
        let simple = of_simple(&invoke(
            "lambda_authorizer",
            simple_event(authorization.as_deref()),
        ));
        let expected_simple = match axum {
            Verdict::Unauthenticated => Verdict::Forbidden,
            other => other,
        };
        assert_eq!(
            simple, expected_simple,
            "{name}: HTTP API simple authorizer"
        );
    }

    // The claims in an Allow's context: strings, numbers, booleans; groups as JSON text.
    let admin = issuer
        .access_token()
        .scope(SCOPE)
        .groups(["admin", "ops"])
        .sign();
    let allowed = invoke("lambda_authorizer", token_event(Some(&bearer(&admin)))).unwrap();
    assert_eq!(allowed["context"]["cognito:groups"], r#"["admin","ops"]"#);
    assert_eq!(allowed["context"]["token_use"], "access");
    assert!(allowed["context"]["exp"].is_u64(), "{allowed}");

    // One header in both `headers` and `multiValueHeaders` (any case) is one credential; two
    // Authorization values are refused before verification, as the axum app refuses them (400).
    let read_header = bearer(&read);
    let two = [
        ("Authorization", read_header.as_str()),
        ("authorization", read_header.as_str()),
    ];
    let mut event = request_event(&[("Authorization", &read_header)]);
    event["multiValueHeaders"] = json!({"authorization": [read_header]});
    assert_eq!(
        of_policy(&invoke("lambda_authorizer", event)),
        Verdict::Allow
    );
    assert_eq!(axum_status(&axum, "/scoped", &two).await, 400);
    let answer = invoke("lambda_authorizer", request_event(&two));
    assert_eq!(
        answer,
        Err(UNAUTHORIZED.to_owned()),
        "two Authorization headers"
    );
    // Two cookies (the REST REQUEST event keeps both): not a token source here, still allowed.
    let with_cookie = request_event(&[("Authorization", &read_header), ("Cookie", "a=1; b=2")]);
    assert_eq!(
        of_policy(&invoke("lambda_authorizer", with_cookie)),
        Verdict::Allow
    );

    // Not an authorizer event: an error (API Gateway: 500), never a policy.
    let answer = invoke("lambda_authorizer", json!({"type": "SOMETHING"}));
    assert!(
        answer
            .unwrap_err()
            .starts_with("InvalidEvent: not an API Gateway authorizer event")
    );

    // lambda_app: the axum app on every event format; the REST stage is not in the path.
    for (format, event) in [
        ("REST v1", rest_proxy_event("/me", Some(&bearer(&access)))),
        (
            "HTTP API v2",
            http_proxy_event("/me", Some(&bearer(&access)), false),
        ),
        (
            "function URL",
            http_proxy_event("/me", Some(&bearer(&access)), true),
        ),
        ("ALB", alb_event("/me", Some(&bearer(&access)))),
    ] {
        let (status, body) = proxy_answer(invoke("lambda_app", event));
        assert_eq!(status, 200, "{format}: {body}");
        assert!(body["sub"].is_string(), "{format}: {body}");
    }
    for (format, path, authorization, status) in [
        ("REST v1", "/public", None, 200),
        ("REST v1", "/me", None, 401),
        ("REST v1", "/me", Some("garbage".to_owned()), 401),
        ("REST v1", "/scoped", Some(bearer(&access)), 403),
        ("REST v1", "/scoped", Some(bearer(&read)), 200),
        ("REST v1", "/id", Some(bearer(&id)), 200),
        ("REST v1", "/me", Some(bearer(&expired)), 401),
    ] {
        let event = rest_proxy_event(path, authorization.as_deref());
        let (answered, body) = proxy_answer(invoke("lambda_app", event));
        assert_eq!(answered, status, "{format} {path}: {body}");
        let headers: Vec<(&str, &str)> = authorization
            .as_deref()
            .map(|v| ("Authorization", v))
            .into_iter()
            .collect();
        assert_eq!(
            axum_status(&axum, path, &headers).await,
            status,
            "axum {path}"
        );
    }
    let (status, _) = proxy_answer(invoke(
        "lambda_app",
        alb_event("/admin", Some(&bearer(&access))),
    ));
    assert_eq!(status, 403, "ALB /admin without the group");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_unavailable_under_the_runtime_emulator() {
    let issuer = TestIssuer::new();
    // Nothing listens there (the port is held, so no other server takes it): every fetch fails.
    let dead = cognito_verify::testing::refused_jwks_url();
    let watcher = Watcher::start(&vars(&issuer, &dead));
    let watcher = &watcher;
    let invoke = |function: &'static str, event: Value| {
        tokio::task::block_in_place(|| watcher.invoke(function, &event))
    };
    let token = format!("Bearer {}", issuer.access_token().scope(SCOPE).sign());

    // The authorizer fails closed with an error (API Gateway: 500), never a policy or
    // `Unauthorized`; the app answers 503 with Retry-After.
    for _ in 0..2 {
        let answer = invoke("lambda_authorizer", token_event(Some(&token)));
        assert_eq!(of_policy(&answer), Verdict::Unavailable, "{answer:?}");
        let answer = invoke(
            "lambda_authorizer",
            request_event(&[("Authorization", &token)]),
        );
        assert_eq!(of_policy(&answer), Verdict::Unavailable, "{answer:?}");
        let answer = invoke("lambda_authorizer", simple_event(Some(&token)));
        assert_eq!(of_simple(&answer), Verdict::Unavailable, "{answer:?}");
    }
    // Without a token there is nothing to verify: still Unauthorized.
    let answer = invoke("lambda_authorizer", token_event(None));
    assert_eq!(of_policy(&answer), Verdict::Unauthenticated);

    let answer = invoke("lambda_app", rest_proxy_event("/me", Some(&token)));
    let retry_after = answer
        .as_ref()
        .ok()
        .map(|a| a["multiValueHeaders"]["retry-after"][0].clone());
    let (status, body) = proxy_answer(answer);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["kind"], "keys_unavailable");
    assert!(
        retry_after.as_ref().is_some_and(Value::is_string),
        "Retry-After: {retry_after:?}"
    );
}
