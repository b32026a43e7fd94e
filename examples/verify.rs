//! `verify`: check a Cognito token from the command line, the way your service would.
//!
//! ```text
//! cargo run --release --example verify -- --user-pool-id eu-west-1_AbC123 --client-id 1example \
//!     --token-use access "$TOKEN"
//! echo "$TOKEN" | cargo run --release --example verify -- --user-pool-id ... --any-client --token-use any
//! ```
//!
//! Exit status: 0 verified (the claims as one JSON object on stdout); 1 rejected (stderr's first
//! line is `rejected: <kind>: <message>`); 2 usage or configuration error; 3 keys unavailable;
//! 4 the claims could not be written to stdout (e.g. a closed pipe).

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use cognito_verify::defaults::MAX_TOKEN_BYTES;
use cognito_verify::{Error, ErrorClass, ManualClock, Pool, Requirement, TokenUse, Verifier};

const USAGE: &str = "\
usage: verify [OPTIONS] [TOKEN]

Verifies a Cognito token. TOKEN omitted or '-' reads it from stdin (trimmed; input longer than
the largest accepted token plus 1 KiB of whitespace is rejected as token_too_large, unread); a
TOKEN argument is used exactly as given.

options:
  --user-pool-id ID     the user pool, e.g. eu-west-1_AbC123 (required)
  --client-id ID        an accepted app client (repeatable)
  --any-client          accept every app client of the pool (instead of --client-id)
  --token-use USE       access | id | any (required)
  --scope S             require this scope (repeatable: any of them)
  --group G             require this group (repeatable: any of them)
  --jwks-uri URL        fetch keys from URL instead of the pool's JWKS
  --issuer URL          expect this iss instead of the pool's issuer
  --leeway SECS         clock-skew leeway for exp/nbf/iat
  --now UNIX_SECS       verify as if it were this time
  -h, --help            show this help

exit status: 0 verified (claims on stdout), 1 rejected, 2 usage/configuration error,
3 keys unavailable, 4 the claims could not be written to stdout (e.g. a closed pipe)";

const EXIT_REJECTED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_KEYS_UNAVAILABLE: u8 = 3;
const EXIT_OUTPUT: u8 = 4;

/// Room for the whitespace around a token on stdin (a trailing newline or CRLF, indentation),
/// which is trimmed before verifying.
const STDIN_WHITESPACE_BYTES: usize = 1024;

/// Most bytes read from stdin: the largest token the core accepts plus its surrounding
/// whitespace. Longer input is refused as too large without reading (or buffering) the rest.
const STDIN_LIMIT: usize = MAX_TOKEN_BYTES + STDIN_WHITESPACE_BYTES;

/// Reads the token from stdin, at most [`STDIN_LIMIT`] bytes, trimmed. Input longer than that
/// is refused as the core refuses a token over [`MAX_TOKEN_BYTES`].
fn read_stdin_token() -> std::io::Result<Result<Vec<u8>, Error>> {
    let mut input = Vec::new();
    // One byte past the limit tells "exactly the limit" from "longer".
    std::io::stdin()
        .lock()
        .take(STDIN_LIMIT as u64 + 1)
        .read_to_end(&mut input)?;
    if input.len() > STDIN_LIMIT {
        return Ok(Err(Error::TokenTooLarge {
            limit: MAX_TOKEN_BYTES,
        }));
    }
    Ok(Ok(input.trim_ascii().to_vec()))
}

/// Writes `text` and a newline to stdout, flushed, so a failure (a closed pipe) is seen here.
fn print_line(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

fn output_error(e: &std::io::Error) -> ExitCode {
    eprintln!("error: could not write to stdout: {e}");
    ExitCode::from(EXIT_OUTPUT)
}

fn rejected(e: &Error) -> ExitCode {
    eprintln!("rejected: {}: {e}", e.kind());
    if e.class() == ErrorClass::KeysUnavailable {
        ExitCode::from(EXIT_KEYS_UNAVAILABLE)
    } else {
        ExitCode::from(EXIT_REJECTED)
    }
}

/// Where the token comes from.
enum TokenSource {
    Stdin,
    Arg(OsString),
}

struct Options {
    user_pool_id: Option<String>,
    client_ids: Vec<String>,
    any_client: bool,
    token_use: Option<TokenUse>,
    scopes: Vec<String>,
    groups: Vec<String>,
    jwks_uri: Option<String>,
    issuer: Option<String>,
    leeway: Option<u64>,
    now: Option<u64>,
    token: TokenSource,
}

enum Parsed {
    Run(Box<Options>),
    Help,
}

fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
    let mut o = Options {
        user_pool_id: None,
        client_ids: Vec::new(),
        any_client: false,
        token_use: None,
        scopes: Vec::new(),
        groups: Vec::new(),
        jwks_uri: None,
        issuer: None,
        leeway: None,
        now: None,
        token: TokenSource::Stdin,
    };
    let mut token: Option<OsString> = None;
    let mut args = args.into_iter();
    let mut only_positional = false;
    while let Some(arg) = args.next() {
        let text = arg.to_str();
        let is_option = !only_positional && text.is_some_and(|t| t.starts_with("--") || t == "-h");
        if !is_option {
            if token.is_some() {
                return Err("more than one TOKEN given".into());
            }
            token = Some(arg);
            continue;
        }
        let text = text.unwrap_or_default();
        if text == "--" {
            only_positional = true;
            continue;
        }
        let (name, inline) = match text.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (text, None),
        };
        let mut value = || -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args
                    .next()
                    .ok_or_else(|| format!("{name} needs a value"))?
                    .into_string()
                    .map_err(|_| format!("the value of {name} is not UTF-8")),
            }
        };
        match name {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--user-pool-id" => o.user_pool_id = Some(value()?),
            "--client-id" => o.client_ids.push(value()?),
            "--any-client" => o.any_client = true,
            "--token-use" => {
                o.token_use = Some(match value()?.as_str() {
                    "access" => TokenUse::Access,
                    "id" => TokenUse::Id,
                    "any" => TokenUse::Either,
                    other => {
                        return Err(format!(
                            "--token-use must be access, id or any, not {other:?}"
                        ));
                    }
                })
            }
            "--scope" => o.scopes.push(value()?),
            "--group" => o.groups.push(value()?),
            "--jwks-uri" => o.jwks_uri = Some(value()?),
            "--issuer" => o.issuer = Some(value()?),
            "--leeway" => o.leeway = Some(number(name, &value()?)?),
            "--now" => o.now = Some(number(name, &value()?)?),
            _ => return Err(format!("unknown option {name}")),
        }
    }
    o.token = match token {
        Some(t) if t != "-" => TokenSource::Arg(t),
        _ => TokenSource::Stdin,
    };
    Ok(Parsed::Run(Box::new(o)))
}

fn number(name: &str, v: &str) -> Result<u64, String> {
    v.parse()
        .map_err(|_| format!("{name} takes a whole number of seconds, not {v:?}"))
}

fn build(o: &Options) -> Result<Verifier, String> {
    let id = o.user_pool_id.clone().ok_or("--user-pool-id is required")?;
    let token_use = o
        .token_use
        .ok_or("--token-use is required (access, id or any)")?;
    let mut pool = Pool::new(id).client_ids(o.client_ids.iter().cloned());
    if o.any_client {
        pool = pool.any_client();
    }
    if let Some(uri) = &o.jwks_uri {
        pool = pool.jwks_uri(uri.clone());
    }
    if let Some(issuer) = &o.issuer {
        pool = pool.issuer(issuer.clone());
    }
    let mut builder = Verifier::builder()
        .pool(pool)
        .token_use(token_use)
        .token_cache_max_bytes(0);
    if !o.scopes.is_empty() {
        builder = builder.require_scopes(Requirement::any_of(o.scopes.iter().cloned()));
    }
    if !o.groups.is_empty() {
        builder = builder.require_groups(Requirement::any_of(o.groups.iter().cloned()));
    }
    if let Some(secs) = o.leeway {
        builder = builder.leeway(Duration::from_secs(secs));
    }
    if let Some(now) = o.now {
        builder = builder.clock(ManualClock::at_unix(now));
    }
    builder.build().map_err(|e| e.to_string())
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{USAGE}");
    ExitCode::from(EXIT_USAGE)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match parse_args(std::env::args_os().skip(1)) {
        Ok(Parsed::Run(o)) => o,
        Ok(Parsed::Help) => {
            return match print_line(USAGE) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => output_error(&e),
            };
        }
        Err(message) => return usage_error(&message),
    };
    let verifier = match build(&options) {
        Ok(v) => v,
        Err(message) => return usage_error(&message),
    };
    let token: Vec<u8> = match options.token {
        TokenSource::Arg(arg) => arg.as_encoded_bytes().to_vec(),
        TokenSource::Stdin => match read_stdin_token() {
            Ok(Ok(token)) => token,
            Ok(Err(too_large)) => return rejected(&too_large),
            Err(e) => return usage_error(&format!("could not read the token from stdin: {e}")),
        },
    };
    match verifier.verify_bytes(&token).await {
        Ok(verified) => {
            let json = serde_json::Value::Object(verified.raw_claims().clone());
            match print_line(&json.to_string()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => output_error(&e),
            }
        }
        Err(e) => rejected(&e),
    }
}
