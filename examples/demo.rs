//! `cargo run --example demo`: cognito-verify end to end, on this machine, without AWS.
//!
//! Starts a stand-in Cognito user pool (an RSA key and its JWKS served on loopback, from the
//! core's test kit), the example axum app (`examples/src/axum_app.rs`) on 127.0.0.1, then sends
//! real HTTP requests with good and bad tokens and prints one line per request: what was sent
//! and what came back. Exits by itself: 0 when every answer is the expected one, 1 otherwise.

use std::error::Error;
use std::process::ExitCode;

use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{TokenUse, Verifier};
use cognito_verify_examples::axum_app::{self, REQUIRED_GROUP, REQUIRED_SCOPE};
use reqwest::header::WWW_AUTHENTICATE;

/// One request of the tour.
struct Step {
    path: &'static str,
    /// What is sent, in words.
    what: String,
    token: Option<String>,
    expected: u16,
}

fn step(path: &'static str, what: impl Into<String>, token: Option<String>, expected: u16) -> Step {
    Step {
        path,
        what: what.into(),
        token,
        expected,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Warnings only, so the log does not drown the tour.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .init();
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("demo failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<bool, Box<dyn Error>> {
    // A stand-in user pool: one RSA-2048 key, its JWKS on loopback, Cognito-shaped tokens.
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await?;
    let verifier = Verifier::builder()
        .pool(issuer.pool().jwks_uri(jwks.url()))
        .token_use(TokenUse::Either)
        .build()?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum_app::app(verifier)?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the demo server stopped");
        }
    });

    println!("cognito-verify demo");
    println!(
        "  user pool  {} (app client {}), keys served at {}",
        issuer.pool_id(),
        issuer.app_client_id(),
        jwks.url()
    );
    println!("  axum app   http://{addr}  (examples/src/axum_app.rs)");
    println!();

    let user = issuer.access_token().sign();
    let admin = issuer.access_token().groups([REQUIRED_GROUP]).sign();
    // The payload of `admin` under the signature of `user`: a user who edited their token.
    let tampered = {
        let mut parts: Vec<&str> = user.split('.').collect();
        parts[1] = admin.split('.').nth(1).unwrap_or_default();
        parts.join(".")
    };
    let some = |t: String| Some(t);
    let steps = [
        step("/public", "no token", None, 200),
        step("/me", "no token", None, 401),
        step("/me", "valid access token", some(user.clone()), 200),
        step("/id", "valid id token", some(issuer.id_token().sign()), 200),
        step(
            "/me",
            "id token where an access token is needed",
            some(issuer.id_token().sign()),
            401,
        ),
        step(
            "/scoped",
            format!("machine (M2M) token with scope {REQUIRED_SCOPE}"),
            some(issuer.m2m_token([REQUIRED_SCOPE]).sign()),
            200,
        ),
        step(
            "/scoped",
            format!("access token without scope {REQUIRED_SCOPE}"),
            some(user.clone()),
            403,
        ),
        step(
            "/admin",
            format!("access token, user in group {REQUIRED_GROUP}"),
            some(admin),
            200,
        ),
        step(
            "/admin",
            "access token, user in no group",
            some(user.clone()),
            403,
        ),
        step(
            "/me",
            "expired access token",
            some(issuer.access_token().expires_in(-300).sign()),
            401,
        ),
        step(
            "/me",
            "tampered access token (payload edited)",
            some(tampered),
            401,
        ),
        step(
            "/me",
            "access token of another app client",
            some(issuer.access_token().client("another-app-client").sign()),
            401,
        ),
        step("/me", "not a JWT at all", some("hello".to_owned()), 401),
        step("/optional", "no token", None, 200),
        step("/optional", "valid access token", some(user), 200),
        step(
            "/optional",
            "expired access token",
            some(issuer.access_token().expires_in(-300).sign()),
            401,
        ),
    ];

    let client = reqwest::Client::builder().no_proxy().build()?;
    let mut all_as_expected = true;
    for step in steps {
        let mut request = client.get(format!("http://{addr}{}", step.path));
        if let Some(token) = &step.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status();
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(|v| format!("WWW-Authenticate: {v}"));
        let body = response.text().await?;
        let detail = challenge.unwrap_or_else(|| summary(&body));
        let mark = if status.as_u16() == step.expected {
            ""
        } else {
            all_as_expected = false;
            "  <-- unexpected"
        };
        println!(
            "GET {:<10} {:<42} -> {} {:<13} {detail}{mark}",
            step.path,
            step.what,
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
        );
    }

    println!();
    if all_as_expected {
        println!("Every answer was the expected one. The token is never echoed back or logged.");
        println!(
            "Next: point `cargo run --example axum_server` at your own user pool (see README)."
        );
    } else {
        println!("Some answers were not the expected ones (marked above).");
    }
    Ok(all_as_expected)
}

/// A body in a few words: for token claims, the claims that say what kind of token and whose;
/// otherwise the body itself, cut at 70 characters.
fn summary(body: &str) -> String {
    const KEYS: [&str; 4] = ["token_use", "username", "cognito:username", "email"];
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(claims)) if claims.contains_key("token_use") => {
            let shown: serde_json::Map<_, _> = KEYS
                .iter()
                .filter_map(|k| Some((k.to_string(), claims.get(*k)?.clone())))
                .collect();
            let shown = serde_json::Value::Object(shown).to_string();
            format!("{}, …}} (the token's claims)", &shown[..shown.len() - 1])
        }
        _ => shorten(body, 70),
    }
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
