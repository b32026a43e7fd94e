//! Running an example as a real process, shared by the tests of `actix_server`, `grpc_server`,
//! the metrics of both HTTP servers and the `verify` CLI; and the verifier the in-process app
//! tests serve.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{TokenUse, Verifier};
use tokio::process::{Child, Command};

/// `target/<profile>/examples/<name>`, built by `cargo test` alongside the tests.
pub(crate) fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} not built", bin.display());
    bin
}

/// A loopback port nothing listens on (at the time of asking).
pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The example `name` configured for `issuer`'s pool, keys from `jwks_uri`, listening on `bind`;
/// killed when dropped.
pub(crate) fn command(name: &str, issuer: &TestIssuer, jwks_uri: &str, bind: &str) -> Command {
    let mut command = Command::new(binary(name));
    command
        .env_clear()
        .env("COGNITO_USER_POOL_ID", issuer.pool_id())
        .env("COGNITO_CLIENT_ID", issuer.app_client_id())
        .env("COGNITO_JWKS_URI", jwks_uri)
        .env("BIND", bind)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Starts the HTTP example `name` (see [`command`]) on a free port and waits, up to `patience`,
/// until it answers `GET /public` with 200; its process and base URL.
pub(crate) async fn start_http(
    name: &str,
    issuer: &TestIssuer,
    jwks_uri: &str,
    patience: Duration,
) -> (Child, String) {
    let bind = format!("127.0.0.1:{}", free_port());
    let child = command(name, issuer, jwks_uri, &bind).spawn().unwrap();
    let base = format!("http://{bind}");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let deadline = Instant::now() + patience;
    loop {
        if let Ok(response) = client.get(format!("{base}/public")).send().await {
            assert_eq!(response.status(), 200);
            return (child, base);
        }
        assert!(Instant::now() < deadline, "{name} did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asserts that the server example `name` exits 2, naming the missing variable, when started
/// without `COGNITO_USER_POOL_ID`.
pub(crate) async fn assert_refuses_to_start_without_a_user_pool(name: &str) {
    let output = Command::new(binary(name))
        .env_clear()
        .env("COGNITO_CLIENT_ID", "abc")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("COGNITO_USER_POOL_ID"), "{stderr}");
}

/// A test issuer, its keys on a loopback server, and a verifier of either kind of its tokens.
pub(crate) async fn issuer_and_verifier() -> (TestIssuer, JwksServer, Verifier) {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let pool = issuer.pool().jwks_uri(jwks.url());
    let builder = Verifier::builder().pool(pool).token_use(TokenUse::Either);
    (issuer, jwks, builder.build().unwrap())
}
