//! The `verify` example, run as a real process against a JWKS server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsString;
use std::process::Stdio;

use cognito_verify::testing::alb::{AlbKeyServer, AlbTestKey, TestAlb};
use cognito_verify::testing::{Fault, JwksServer, TestIssuer};
use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

mod common;

/// `target/<profile>/examples/verify`, built by `cargo test` alongside this test.
fn verify_binary() -> std::path::PathBuf {
    common::binary("verify")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The CLI with these arguments, its stdin, stdout and stderr piped.
fn spawn(args: &[OsString]) -> tokio::process::Child {
    Command::new(verify_binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn run(args: &[OsString], stdin: Option<&str>) -> Run {
    let mut child = spawn(args);
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

struct Fixture {
    issuer: TestIssuer,
    server: JwksServer,
}

impl Fixture {
    async fn new() -> Self {
        let issuer = TestIssuer::new();
        let server = JwksServer::start(issuer.jwks_json()).await.unwrap();
        Fixture { issuer, server }
    }

    fn base(&self, token_use: &str) -> Vec<OsString> {
        cognito_args(&self.issuer, token_use, &self.server.url())
    }

    /// `--user-pool-id`, `--any-client`, `--token-use access` and `--jwks-uri`.
    fn any_client_base(&self) -> Vec<OsString> {
        pool_args(
            &self.issuer,
            &["--any-client"],
            "access",
            &self.server.url(),
        )
    }
}

/// `--user-pool-id`, `--client-id`, `--token-use` and `--jwks-uri` for `issuer`'s pool.
fn cognito_args(issuer: &TestIssuer, token_use: &str, jwks_uri: &str) -> Vec<OsString> {
    let client = ["--client-id", issuer.app_client_id()];
    pool_args(issuer, &client, token_use, jwks_uri)
}

/// `--user-pool-id`, the `client` options, `--token-use` and `--jwks-uri`.
fn pool_args(issuer: &TestIssuer, client: &[&str], token_use: &str, uri: &str) -> Vec<OsString> {
    let pool = args(&["--user-pool-id", issuer.pool_id()]);
    let rest = args(&["--token-use", token_use, "--jwks-uri", uri]);
    [pool, args(client), rest].concat()
}

fn with(mut base: Vec<OsString>, more: &[&str]) -> Vec<OsString> {
    base.extend(more.iter().map(OsString::from));
    base
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Asserts that the run exited with `code` and its first stderr line names the rejection `kind`.
fn assert_rejected(r: &Run, code: i32, kind: &str) {
    assert_eq!(r.code, code, "{kind}: {}", r.stderr);
    assert!(
        first_line(&r.stderr).starts_with(&format!("rejected: {kind}: ")),
        "{kind}: {}",
        r.stderr
    );
}

/// Asserts that each of these argument lists is a usage or configuration error (exit 2).
async fn assert_usage_errors(cases: &[Vec<OsString>]) {
    for a in cases {
        let r = run(a, None).await;
        assert_eq!(r.code, 2, "{a:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    }
}

/// `base` and a token argument that is not UTF-8.
#[cfg(unix)]
fn with_non_utf8_token(mut base: Vec<OsString>) -> Vec<OsString> {
    use std::os::unix::ffi::OsStringExt as _;
    base.push(OsString::from_vec(b"eyJ\xff\xfe.x.y".to_vec()));
    base
}

/// Runs with these arguments and a stdout whose read end is already closed; asserts exit 4 and
/// the message.
async fn assert_closed_stdout_exits_4(a: &[OsString]) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    // `spawn`, not `output`, which would replace stdout with its own pipe.
    let child = Command::new(verify_binary())
        .args(a)
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(4), "{a:?}: {stderr}");
    assert!(
        first_line(&stderr).starts_with("error: could not write to stdout: "),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn verifies_a_minted_token_and_prints_its_claims() {
    let f = Fixture::new().await;
    let token = f.issuer.access_token().groups(["admin"]).sign();
    let r = run(&with(f.base("access"), &[&token]), None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let claims: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(claims["username"], "test-user");
    assert_eq!(claims["cognito:groups"][0], "admin");
    assert_eq!(
        r.stdout.trim().lines().count(),
        1,
        "one JSON object on one line"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rejects_a_tampered_token() {
    let f = Fixture::new().await;
    let token = f.issuer.access_token().sign();
    let (rest, sig) = token.rsplit_once('.').unwrap();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    let tampered = format!("{rest}.{flipped}{}", &sig[1..]);
    let r = run(&with(f.base("access"), &[&tampered]), None).await;
    assert_rejected(&r, 1, "invalid_signature");
    assert_eq!(r.stdout, "");
}

#[tokio::test(flavor = "multi_thread")]
async fn stdin_is_trimmed_but_an_argument_is_used_exactly() {
    let f = Fixture::new().await;
    let token = f.issuer.id_token().sign();
    let r = run(&f.base("id"), Some(&format!("  {token}\n"))).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&with(f.base("id"), &["-"]), Some(&format!("{token}\r\n"))).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&with(f.base("id"), &[&format!("{token}\n")]), None).await;
    assert_rejected(&r, 1, "malformed_token");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_non_utf8_argument_is_a_rejected_token() {
    let f = Fixture::new().await;
    let r = run(&with_non_utf8_token(f.base("access")), None).await;
    assert_eq!(r.code, 1);
    assert_eq!(
        first_line(&r.stderr),
        "rejected: malformed_token: token is not UTF-8 text"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rejections_name_their_kind() {
    let f = Fixture::new().await;
    let expired = f.issuer.access_token().expires_in(-600).sign();
    let other_client = f.issuer.access_token().client("someone-else").sign();
    let id = f.issuer.id_token().sign();
    let cases: Vec<(Vec<OsString>, &str)> = vec![
        (with(f.base("access"), &[&expired]), "expired"),
        (with(f.base("access"), &[&other_client]), "invalid_client"),
        (with(f.base("access"), &[&id]), "invalid_token_use"),
        (
            with(
                f.base("access"),
                &["--scope", "orders/read", &f.issuer.access_token().sign()],
            ),
            "insufficient_scope",
        ),
        (
            with(
                f.base("access"),
                &["--group", "admin", &f.issuer.access_token().sign()],
            ),
            "insufficient_group",
        ),
        (
            with(
                f.base("access"),
                &["--now", "4102444800", &f.issuer.access_token().sign()],
            ),
            "expired",
        ),
        (with(f.base("access"), &["not-a-token"]), "malformed_token"),
    ];
    for (a, kind) in cases {
        assert_rejected(&run(&a, None).await, 1, kind);
    }
    // Options that make it pass.
    let ok = [
        with(f.base("any"), &[&id]),
        with(
            f.base("access"),
            &[
                "--scope",
                "nope",
                "--scope",
                "openid",
                &f.issuer.access_token().sign(),
            ],
        ),
        with(
            f.base("access"),
            &[
                "--group=admin",
                &f.issuer.access_token().groups(["admin"]).sign(),
            ],
        ),
        with(f.base("access"), &["--leeway", "900", &expired]),
    ];
    for a in ok {
        let r = run(&a, None).await;
        assert_eq!(r.code, 0, "{a:?}: {}", r.stderr);
    }
    let any_client = with(f.any_client_base(), &[&other_client]);
    assert_eq!(run(&any_client, None).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_and_configuration_errors_exit_2() {
    let f = Fixture::new().await;
    let token = f.issuer.access_token().sign();
    let pool = f.issuer.pool_id();
    // `--user-pool-id`, `--client-id c` and `--token-use`, then `more`.
    let configured = |pool: &str, token_use: &str, more: &[&str]| {
        let base = args(&[
            "--user-pool-id",
            pool,
            "--client-id",
            "c",
            "--token-use",
            token_use,
        ]);
        with(base, more)
    };
    let cases = [
        args(&["--user-pool-id", pool, "--client-id", "c", &token]),
        args(&["--client-id", "c", "--token-use", "access", &token]),
        args(&["--user-pool-id", pool, "--token-use", "access", &token]),
        args(&[
            "--user-pool-id",
            pool,
            "--client-id",
            "c",
            "--any-client",
            "--token-use",
            "access",
            &token,
        ]),
        configured("not-a-pool", "access", &[&token]),
        configured(pool, "refresh", &[&token]),
        configured(pool, "access", &["--leeway", "soon", &token]),
        configured(pool, "access", &["--bogus", &token]),
        configured(pool, "access", &[&token, &token]),
        configured(pool, "access", &["--jwks-uri", "ftp://x", &token]),
    ];
    assert_usage_errors(&cases).await;
    let help = run(&args(&["--help"]), None).await;
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("--user-pool-id"));
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_unavailable_exits_3() {
    let f = Fixture::new().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    drop(listener);
    let a = with(
        cognito_args(&f.issuer, "access", &dead),
        &[&f.issuer.access_token().sign()],
    );
    assert_rejected(&run(&a, None).await, 3, "keys_unavailable");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_stdin_is_refused_as_too_large_without_reading_it_all() {
    const INPUT_BYTES: usize = 200 * 1024 * 1024;
    let f = Fixture::new().await;
    let mut child = spawn(&f.base("access"));
    let mut input = child.stdin.take().unwrap();
    // A token-looking stream that never ends within any sane bound.
    let writer = async move {
        let chunk = vec![b'A'; 1024 * 1024];
        let mut written = 0;
        while written < INPUT_BYTES {
            if let Err(e) = input.write_all(&chunk).await {
                return (written, Some(e.kind()));
            }
            written += chunk.len();
        }
        (written, None)
    };
    let deadline = std::time::Duration::from_secs(120);
    let ((written, write_error), out) = tokio::time::timeout(deadline, async {
        tokio::join!(writer, child.wait_with_output())
    })
    .await
    .expect("the CLI answers long before the input ends");
    let out = out.unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        first_line(&stderr),
        format!(
            "rejected: token_too_large: token is larger than {} bytes",
            cognito_verify::defaults::MAX_TOKEN_BYTES
        )
    );
    assert!(out.stdout.is_empty());
    // The CLI stopped reading and exited: the rest of the input met a closed pipe.
    assert_eq!(
        write_error,
        Some(std::io::ErrorKind::BrokenPipe),
        "{written} bytes written"
    );
    assert!(written < INPUT_BYTES, "{written} bytes written");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_with_whitespace_around_it_on_stdin_is_within_the_bound() {
    let f = Fixture::new().await;
    let token = f.issuer.access_token().sign();
    let padded = format!("{}{token}{}", " ".repeat(500), "\n".repeat(500));
    let r = run(&f.base("access"), Some(&padded)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// stdout is a pipe whose read end is closed before the CLI writes: the write fails with EPIPE
/// (Rust programs ignore SIGPIPE), which is exit 4 and a message, not a silent usage error.
#[tokio::test(flavor = "multi_thread")]
async fn a_closed_stdout_after_a_verified_token_exits_4_and_says_so() {
    let f = Fixture::new().await;
    let token = f.issuer.access_token().sign();
    for a in [with(f.base("access"), &[&token]), args(&["--help"])] {
        assert_closed_stdout_exits_4(&a).await;
    }
}

/// ALB mode: an ALB stand-in and its per-kid key endpoint on loopback.
struct AlbFixture {
    alb: TestAlb,
    keys: AlbKeyServer,
}

impl AlbFixture {
    async fn new() -> Self {
        let alb = TestAlb::new();
        let keys = AlbKeyServer::start().await.unwrap();
        keys.add_key(alb.signing_key());
        AlbFixture { alb, keys }
    }

    /// `--alb-arn`, `--issuer`, `--client-id` and `--jwks-uri` for this ALB.
    fn base(&self) -> Vec<OsString> {
        self.args_with(&["--client-id", self.alb.app_client_id()])
    }

    /// `--alb-arn`, `--issuer`, `--any-client` and `--jwks-uri` for this ALB.
    fn any_client_base(&self) -> Vec<OsString> {
        self.args_with(&["--any-client"])
    }

    /// `--alb-arn` and `--issuer`, the `client` options, and `--jwks-uri`.
    fn args_with(&self, client: &[&str]) -> Vec<OsString> {
        let alb = args(&[
            "--alb-arn",
            self.alb.signer(),
            "--issuer",
            self.alb.issuer(),
        ]);
        let keys = args(&["--jwks-uri", &self.keys.base_url()]);
        [alb, args(client), keys].concat()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn alb_mode_verifies_a_token_and_prints_its_payload_claims() {
    let f = AlbFixture::new().await;
    let token = f.alb.token().claim("email", "jane@example.com").sign();
    let r = run(&with(f.base(), &[&token]), None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1, "one JSON object on one line");
    let claims: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(claims["email"], "jane@example.com");
    assert_eq!(claims["iss"], f.alb.issuer());
    assert!(
        claims.get("signer").is_none(),
        "the payload, not the header"
    );
    // From stdin (trimmed), with --any-client and a second ARN of the region.
    let other_arn = f.alb.signer().replace("test-alb", "other-alb");
    let a = with(
        [args(&["--alb-arn", &other_arn]), f.any_client_base()].concat(),
        &["-"],
    );
    let r = run(&a, Some(&format!("  {token}\n"))).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn alb_mode_rejections_name_their_kind() {
    let f = AlbFixture::new().await;
    let stranger = AlbTestKey::generate();
    let forged = f.alb.token().signed_with(&stranger).sign();
    let other_arn = f.alb.signer().replace("test-alb", "other-alb");
    let wrong_signer = f.alb.token().header("signer", other_arn).sign();
    let other_client = f.alb.token().header("client", "someone-else").sign();
    let expired = f.alb.token().expires_in(-600).sign();
    let cases: Vec<(Vec<OsString>, &str)> = vec![
        (with(f.base(), &[&forged]), "invalid_signature"),
        (with(f.base(), &[&wrong_signer]), "invalid_signer"),
        (with(f.base(), &[&other_client]), "invalid_client"),
        (with(f.base(), &[&expired]), "expired"),
        (
            with(f.base(), &["--now", "4102444800", &f.alb.token().sign()]),
            "expired",
        ),
        (
            with(f.base(), &[&f.alb.token().kid("../../etc").sign()]),
            "invalid_kid",
        ),
        (with(f.base(), &["not-a-token"]), "malformed_token"),
        (
            with(
                f.base(),
                &[&format!("{token}\n", token = f.alb.token().sign())],
            ),
            "malformed_token",
        ),
    ];
    for (a, kind) in cases {
        let r = run(&a, None).await;
        assert_rejected(&r, 1, kind);
        assert_eq!(r.stdout, "", "{kind}");
    }
    // Options that make them pass.
    assert_eq!(
        run(&with(f.base(), &["--leeway", "900", &expired]), None)
            .await
            .code,
        0
    );
    let any_client = with(f.any_client_base(), &[&other_client]);
    assert_eq!(run(&any_client, None).await.code, 0);
    // A kid the endpoint does not have (404) is a rejection, not "keys unavailable".
    let unknown = AlbTestKey::generate();
    let token = f
        .alb
        .token()
        .kid(unknown.kid())
        .signed_with(&unknown)
        .sign();
    let r = run(&with(f.base(), &[&token]), None).await;
    assert_rejected(&r, 1, "unknown_kid");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn alb_mode_a_non_utf8_argument_is_a_rejected_token() {
    let f = AlbFixture::new().await;
    let r = run(&with_non_utf8_token(f.base()), None).await;
    assert_rejected(&r, 1, "malformed_token");
}

#[tokio::test(flavor = "multi_thread")]
async fn alb_mode_an_unavailable_key_exits_3() {
    let f = AlbFixture::new().await;
    f.keys.set_fault(Fault::Status(500));
    let r = run(&with(f.base(), &[&f.alb.token().sign()]), None).await;
    assert_rejected(&r, 3, "keys_unavailable");
    assert_eq!(f.keys.fetch_count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn alb_mode_usage_errors_and_mixed_options_exit_2() {
    let f = AlbFixture::new().await;
    let token = f.alb.token().sign();
    let arn = f.alb.signer();
    let issuer = f.alb.issuer();
    let cases = [
        // Cognito-mode options with --alb-arn.
        with(f.base(), &["--user-pool-id", "us-east-1_TestPool1", &token]),
        with(f.base(), &["--token-use", "access", &token]),
        with(f.base(), &["--scope", "openid", &token]),
        with(f.base(), &["--group", "admin", &token]),
        // Missing or conflicting settings.
        args(&["--alb-arn", arn, "--client-id", "c", &token]),
        args(&["--alb-arn", arn, "--issuer", issuer, &token]),
        args(&[
            "--alb-arn",
            arn,
            "--issuer",
            issuer,
            "--client-id",
            "c",
            "--any-client",
            &token,
        ]),
        args(&[
            "--alb-arn",
            "arn:aws:s3:::bucket",
            "--issuer",
            issuer,
            "--any-client",
            &token,
        ]),
        args(&[
            "--alb-arn",
            arn,
            "--alb-arn",
            &arn.replace("us-east-1", "eu-west-1"),
            "--issuer",
            issuer,
            "--any-client",
            &token,
        ]),
        args(&[
            "--alb-arn",
            arn,
            "--issuer",
            issuer,
            "--any-client",
            "--jwks-uri",
            "ftp://x",
            &token,
        ]),
        // --batch takes no TOKEN, and is an ALB-mode option.
        with(f.base(), &["--batch", &token]),
        args(&[
            "--user-pool-id",
            "us-east-1_TestPool1",
            "--any-client",
            "--token-use",
            "access",
            "--batch",
        ]),
    ];
    assert_usage_errors(&cases).await;
    assert_eq!(f.keys.fetch_count(), 0);
    let help = run(&args(&["--help"]), None).await;
    assert!(help.stdout.contains("--alb-arn") && help.stdout.contains("--batch"));
}

#[tokio::test(flavor = "multi_thread")]
async fn alb_mode_a_closed_stdout_exits_4() {
    let f = AlbFixture::new().await;
    assert_closed_stdout_exits_4(&with(f.base(), &[&f.alb.token().sign()])).await;
}

/// `<code> <text>` lines of a batch run.
fn batch_lines(stdout: &str) -> Vec<(u8, &str)> {
    stdout
        .lines()
        .map(|line| {
            let (code, text) = line.split_once(' ').unwrap();
            (code.parse().unwrap(), text)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn alb_batch_judges_every_line_with_one_key_cache() {
    let f = AlbFixture::new().await;
    let good: Vec<String> = (0..20)
        .map(|i| f.alb.token().claim("n", i).sign())
        .collect();
    let forged = f.alb.token().signed_with(&AlbTestKey::generate()).sign();
    let too_long = "A".repeat(cognito_verify::defaults::MAX_TOKEN_BYTES + 2048);
    let mut input = String::new();
    for (i, token) in good.iter().enumerate() {
        input.push_str(&format!("  {token}\r\n"));
        if i == 5 {
            input.push_str("\n   \n");
            input.push_str(&format!("{forged}\n"));
            input.push_str("not-a-token\n");
            input.push_str(&format!("{too_long}\n"));
        }
    }
    let r = run(&with(f.base(), &["--batch"]), Some(&input)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = batch_lines(&r.stdout);
    assert_eq!(lines.len(), good.len() + 3, "blank lines are skipped");
    let mut good_seen = 0;
    for (i, (code, text)) in lines.iter().enumerate() {
        match i {
            6 => assert_eq!((*code, &text[..28]), (1, "rejected: invalid_signature:")),
            7 => assert_eq!((*code, &text[..26]), (1, "rejected: malformed_token:")),
            8 => assert_eq!((*code, &text[..26]), (1, "rejected: token_too_large:")),
            _ => {
                assert_eq!(*code, 0, "{text}");
                let claims: serde_json::Value = serde_json::from_str(text).unwrap();
                assert_eq!(claims["n"], good_seen, "in input order");
                good_seen += 1;
            }
        }
    }
    assert_eq!(good_seen, good.len());
    // Twenty tokens of one kid: one fetch, for the whole batch.
    assert_eq!(f.keys.fetch_count(), 1);
}

/// A batch whose key cannot be fetched: every token of that kid is judged (3), the bad ones
/// still 1, and the run still exits 0. (A separate run from the good batch: within one process
/// a second new kid is not fetched within the cooldown, which is the bound doing its job.)
#[tokio::test(flavor = "multi_thread")]
async fn alb_batch_reports_unavailable_keys_per_token_and_exits_0() {
    let f = AlbFixture::new().await;
    f.keys.set_fault(Fault::Status(500));
    let tokens = [
        f.alb.token().sign(),
        "not-a-token".to_owned(),
        f.alb.token().sign(),
        f.alb.token().expires_in(-600).sign(),
    ];
    let input = tokens.join("\n");
    let r = run(&with(f.base(), &["--batch"]), Some(&input)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = batch_lines(&r.stdout);
    let codes: Vec<u8> = lines.iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, [3, 1, 3, 1], "{}", r.stdout);
    assert!(
        lines[0].1.starts_with("rejected: keys_unavailable: "),
        "{}",
        r.stdout
    );
    assert!(
        lines[3].1.starts_with("rejected: expired: "),
        "{}",
        r.stdout
    );
    // The failure is remembered for the cooldown: one fetch for the whole batch.
    assert_eq!(f.keys.fetch_count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn alb_batch_with_empty_input_prints_nothing_and_exits_0() {
    let f = AlbFixture::new().await;
    let r = run(&with(f.base(), &["--batch"]), Some("\n \n")).await;
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    assert_eq!(f.keys.fetch_count(), 0);
}
