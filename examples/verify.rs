//! `verify`: check a Cognito token, or an ALB user-claims token (`x-amzn-oidc-data`), from the
//! command line, the way your service would.
//!
//! ```text
//! cargo run --release --example verify -- --user-pool-id eu-west-1_AbC123 --client-id 1example \
//!     --token-use access "$TOKEN"
//! echo "$TOKEN" | cargo run --release --example verify -- --user-pool-id ... --any-client --token-use any
//! cargo run --release --example verify -- --alb-arn arn:aws:elasticloadbalancing:... \
//!     --issuer https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123 --any-client "$DATA"
//! ```
//!
//! Exit status: 0 verified (the claims as one JSON object on stdout); 1 rejected (stderr's first
//! line is `rejected: <kind>: <message>`); 2 usage or configuration error; 3 keys unavailable;
//! 4 the claims could not be written to stdout (e.g. a closed pipe). With `--batch` (ALB mode),
//! one line `<code> <text>` per token on stdin, and 0 once all are judged.

use std::ffi::OsString;
use std::io::{BufRead, Read as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use cognito_verify::alb::{AlbError, AlbVerifier};
use cognito_verify::defaults::MAX_TOKEN_BYTES;
use cognito_verify::{
    Error, ErrorClass, Malformed, ManualClock, Pool, Requirement, TokenPart, TokenUse, Verifier,
};

const USAGE: &str = "\
usage: verify [OPTIONS] [TOKEN]
       verify --alb-arn ARN [--alb-arn ARN]... --issuer URL (--client-id ID... | --any-client)
              [--jwks-uri BASE_URL] [--leeway SECS] [--now UNIX_SECS] [--batch] [TOKEN|-]

Verifies a Cognito token, or with --alb-arn an ALB user-claims token (x-amzn-oidc-data). TOKEN
omitted or '-' reads it from stdin (trimmed; input longer than the largest accepted token plus
1 KiB of whitespace is rejected as token_too_large, unread); a TOKEN argument is used exactly as
given.

Cognito options:
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

ALB options (--user-pool-id, --token-use, --scope and --group do not apply):
  --alb-arn ARN         an accepted load balancer (the token's signer; repeatable, one region)
  --issuer URL          the IdP's issuer (required)
  --client-id ID        an accepted app client (repeatable)
  --any-client          accept every app client (instead of --client-id)
  --jwks-uri BASE_URL   fetch the key of kid K from BASE_URL/K instead of the region's endpoint
  --leeway SECS         clock-skew leeway for exp
  --now UNIX_SECS       verify as if it were this time
  --batch               read tokens from stdin, one per line (blank lines skipped, each trimmed
                        and bounded like a single token), judged in turn with one key cache;
                        print one line per token: '<code> <text>', code 0 (text: the claims as
                        JSON), 1 (text: 'rejected: <kind>: <message>') or 3 (keys unavailable,
                        text: the same); exit 0 once all are judged

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

/// Input from stdin, through its bound.
enum Input {
    /// The text, trimmed.
    Token(Vec<u8>),
    /// More than [`STDIN_LIMIT`] bytes: refused as the verifiers refuse a token over
    /// [`MAX_TOKEN_BYTES`], without reading (or buffering) the rest.
    TooLarge,
}

/// Reads the token from stdin, at most [`STDIN_LIMIT`] bytes, trimmed.
fn read_stdin_token() -> std::io::Result<Input> {
    let mut input = Vec::new();
    // One byte past the limit tells "exactly the limit" from "longer".
    std::io::stdin()
        .lock()
        .take(STDIN_LIMIT as u64 + 1)
        .read_to_end(&mut input)?;
    if input.len() > STDIN_LIMIT {
        return Ok(Input::TooLarge);
    }
    Ok(Input::Token(input.trim_ascii().to_vec()))
}

/// Reads the next line of `input` (`None` at the end) through the same bound as a single token:
/// a line longer than [`STDIN_LIMIT`] is [`Input::TooLarge`], and the rest of it is skipped,
/// never held in memory.
fn read_line(input: &mut impl BufRead) -> std::io::Result<Option<Input>> {
    let (mut line, mut seen, mut too_large) = (Vec::new(), false, false);
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        seen = true;
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.unwrap_or(buf.len())];
        if !too_large {
            line.extend_from_slice(chunk);
            if line.len() > STDIN_LIMIT {
                (line, too_large) = (Vec::new(), true);
            }
        }
        let used = newline.map_or(buf.len(), |i| i + 1);
        input.consume(used);
        if newline.is_some() {
            break;
        }
    }
    Ok(match (seen, too_large) {
        (false, _) => None,
        (true, true) => Some(Input::TooLarge),
        (true, false) => Some(Input::Token(line.trim_ascii().to_vec())),
    })
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
    ExitCode::from(rejected_code(e.class()))
}

/// The exit code (and batch code) of a refusal of this class.
fn rejected_code(class: ErrorClass) -> u8 {
    if class == ErrorClass::KeysUnavailable {
        EXIT_KEYS_UNAVAILABLE
    } else {
        EXIT_REJECTED
    }
}

/// Where the token comes from.
enum TokenSource {
    Stdin,
    Arg(OsString),
}

struct Options {
    alb_arns: Vec<String>,
    batch: bool,
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
        alb_arns: Vec::new(),
        batch: false,
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
            "--alb-arn" => o.alb_arns.push(value()?),
            "--batch" => o.batch = true,
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

/// Refuses options of the other mode: the Cognito-only ones with `--alb-arn`, `--batch`
/// without it, and a TOKEN with `--batch`.
fn check_mode(o: &Options) -> Result<(), String> {
    if o.alb_arns.is_empty() {
        return match o.batch {
            true => Err("--batch is an ALB-mode option: it needs --alb-arn".into()),
            false => Ok(()),
        };
    }
    let cognito_only = [
        ("--user-pool-id", o.user_pool_id.is_some()),
        ("--token-use", o.token_use.is_some()),
        ("--scope", !o.scopes.is_empty()),
        ("--group", !o.groups.is_empty()),
    ];
    if let Some((name, _)) = cognito_only.iter().find(|(_, given)| *given) {
        return Err(format!(
            "{name} is a Cognito-mode option; it cannot be used with --alb-arn"
        ));
    }
    if o.batch && matches!(o.token, TokenSource::Arg(_)) {
        return Err("--batch reads the tokens from stdin: give no TOKEN".into());
    }
    Ok(())
}

fn build_alb(o: &Options) -> Result<AlbVerifier, String> {
    let issuer = o.issuer.clone();
    let issuer = issuer.ok_or("--issuer is required with --alb-arn (the IdP's issuer URL)")?;
    let mut builder = AlbVerifier::builder().issuer(issuer);
    for arn in &o.alb_arns {
        builder = builder.alb_arn(arn.clone());
    }
    for client in &o.client_ids {
        builder = builder.client_id(client.clone());
    }
    if o.any_client {
        builder = builder.any_client();
    }
    if let Some(url) = &o.jwks_uri {
        builder = builder.key_base_url(url.clone());
    }
    if let Some(secs) = o.leeway {
        builder = builder.leeway(Duration::from_secs(secs));
    }
    if let Some(now) = o.now {
        builder = builder.clock(ManualClock::at_unix(now));
    }
    builder.build().map_err(|e| e.to_string())
}

/// Verifies one ALB token: the claims as one line of JSON, or the refusal.
async fn judge_alb(verifier: &AlbVerifier, token: Input) -> Result<String, AlbError> {
    let token = match token {
        Input::Token(token) => token,
        Input::TooLarge => {
            return Err(AlbError::TokenTooLarge {
                limit: MAX_TOKEN_BYTES,
            });
        }
    };
    let text = std::str::from_utf8(&token).map_err(|_| AlbError::Malformed {
        part: TokenPart::Header,
        reason: Malformed::NotUtf8,
    })?;
    let claims = verifier.verify(text).await?;
    Ok(serde_json::Value::Object(claims.into_claims()).to_string())
}

/// `rejected: <kind>: <message>`, on one line.
fn alb_rejection(e: &AlbError) -> String {
    format!("rejected: {}: {e}", e.kind()).replace(['\n', '\r'], " ")
}

/// ALB mode: one token (exit status as in Cognito mode), or `--batch`.
async fn run_alb(o: Options) -> ExitCode {
    let verifier = match build_alb(&o) {
        Ok(v) => v,
        Err(message) => return usage_error(&message),
    };
    if o.batch {
        return run_batch(&verifier).await;
    }
    let token = match o.token {
        TokenSource::Arg(arg) => Input::Token(arg.as_encoded_bytes().to_vec()),
        TokenSource::Stdin => match read_stdin_token() {
            Ok(input) => input,
            Err(e) => return usage_error(&format!("could not read the token from stdin: {e}")),
        },
    };
    match judge_alb(&verifier, token).await {
        Ok(json) => match print_line(&json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => output_error(&e),
        },
        Err(e) => {
            eprintln!("{}", alb_rejection(&e));
            ExitCode::from(rejected_code(e.class()))
        }
    }
}

/// `--batch`: judges every token on stdin in turn with one verifier (one key cache, one set of
/// fetch limits), one `<code> <text>` line each.
async fn run_batch(verifier: &AlbVerifier) -> ExitCode {
    let mut input = std::io::stdin().lock();
    loop {
        let token = match read_line(&mut input) {
            Ok(Some(Input::Token(token))) if token.is_empty() => continue,
            Ok(Some(token)) => token,
            Ok(None) => return ExitCode::SUCCESS,
            Err(e) => return usage_error(&format!("could not read the tokens from stdin: {e}")),
        };
        let line = match judge_alb(verifier, token).await {
            Ok(json) => format!("0 {json}"),
            Err(e) => format!("{} {}", rejected_code(e.class()), alb_rejection(&e)),
        };
        if let Err(e) = print_line(&line) {
            return output_error(&e);
        }
    }
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
    if let Err(message) = check_mode(&options) {
        return usage_error(&message);
    }
    if !options.alb_arns.is_empty() {
        return run_alb(*options).await;
    }
    let verifier = match build(&options) {
        Ok(v) => v,
        Err(message) => return usage_error(&message),
    };
    let token: Vec<u8> = match options.token {
        TokenSource::Arg(arg) => arg.as_encoded_bytes().to_vec(),
        TokenSource::Stdin => match read_stdin_token() {
            Ok(Input::Token(token)) => token,
            Ok(Input::TooLarge) => {
                return rejected(&Error::TokenTooLarge {
                    limit: MAX_TOKEN_BYTES,
                });
            }
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
