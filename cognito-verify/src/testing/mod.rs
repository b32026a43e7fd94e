//! Test kit (feature `testing`): real RSA keys, Cognito-shaped tokens and a JWKS server on
//! loopback, so you can test your handlers without AWS.
//!
//! ```
//! use cognito_verify::testing::{JwksServer, TestIssuer};
//! use cognito_verify::{TokenUse, Verifier};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = TestIssuer::new();
//! let server = JwksServer::start(issuer.jwks_json()).await?;
//! let verifier = Verifier::builder()
//!     .pool(issuer.pool().jwks_uri(server.url()))
//!     .token_use(TokenUse::Access)
//!     .build()?;
//!
//! let token = issuer.access_token().groups(["admin"]).sign();
//! let claims = verifier.verify_access(&token).await?;
//! assert_eq!(claims.groups, ["admin"]);
//! assert_eq!(server.fetch_count(), 1);
//!
//! // Or skip the server: preload the keys.
//! let offline = Verifier::builder()
//!     .pool(issuer.pool().static_jwks(issuer.jwks_json()))
//!     .token_use(TokenUse::Id)
//!     .build()?;
//! assert!(offline.verify_id(&issuer.id_token().sign()).await.is_ok());
//! # Ok(()) }
//! ```
//!
//! For many pools (a pool per tenant), [`PoolsJwksServer`] serves each pool's key set at its own
//! path on one loopback server, counting fetches per pool.
//!
//! For tests of what your service does when the keys misbehave:
//! - [`JwksServer::set_fault`] makes the endpoint fail in a chosen way, and a [`Gate`] in front
//!   of it refuses connections or holds requests while a test looks at the state in between;
//! - [`verifier_with_keys_down`] (or a pool at [`refused_jwks_url`]) answers every token with
//!   `keys_unavailable`, for your 503 path;
//! - [`wait_for_key_fetches`] waits for the fetches a verifier started (a background refresh
//!   included) instead of sleeping;
//! - [`SubjectHook`] denies (403) the tokens of one subject and refuses (401) those of another,
//!   for the two answers to a hook's verdicts;
//! - [`LogCapture`] records `tracing` events, e.g. the refusal events of the HTTP adapters or the
//!   key cache's "fetched key set" / "key set fetch failed".
//!
//! Panics: key generation and signing panic on failure. That only happens when the crypto
//! library itself is broken, and a test kit that cannot make keys has nothing better to do.

#![allow(clippy::expect_used)]

pub mod alb;
mod gate;
mod hook;
mod log;
mod pools;
mod server;

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use serde_json::{Map, Value, json};

pub use gate::Gate;
pub use hook::SubjectHook;
pub use log::{CapturedEvent, LogCapture};
pub use pools::PoolsJwksServer;
pub use server::{Fault, JwksServer};

use std::net::SocketAddr;
use std::sync::OnceLock;

use crate::pool::{Pool, region_of};
use crate::{TokenUse, Verifier};

/// The pool id [`TestIssuer::new`] uses.
pub const DEFAULT_TEST_POOL_ID: &str = "us-east-1_TestPool1";
/// The app client id [`TestIssuer::new`] uses.
pub const DEFAULT_TEST_CLIENT_ID: &str = "testclient0123456789abcdef";
/// Token lifetime of minted tokens: Cognito's default of 60 minutes.
pub const DEFAULT_TEST_TOKEN_LIFETIME_SECS: i64 = 3600;

/// Waits until every key fetch `verifier` has started has finished and its outcome is recorded:
/// after a request that started a background refresh, the refreshed keys (or the back-off after
/// a failure) are in place once this returns. A fetch ends at its configured timeout at the
/// latest.
///
/// ```
/// use cognito_verify::testing::{JwksServer, TestIssuer, wait_for_key_fetches};
/// use cognito_verify::{TokenUse, Verifier};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let issuer = TestIssuer::new();
/// let server = JwksServer::start(issuer.jwks_json()).await?;
/// let verifier = Verifier::builder()
///     .pool(issuer.pool().jwks_uri(server.url()))
///     .token_use(TokenUse::Access)
///     .build()?;
/// // A prefetch that nobody awaits, finished all the same.
/// drop(tokio::spawn({
///     let verifier = verifier.clone();
///     async move { verifier.prefetch().await }
/// }));
/// tokio::task::yield_now().await;
/// wait_for_key_fetches(&verifier).await;
/// assert_eq!(server.fetch_count(), verifier.key_fetch_count());
/// # Ok(()) }
/// ```
pub async fn wait_for_key_fetches(verifier: &Verifier) {
    verifier.key_fetches_finished().await;
}

/// A JWKS URL on `127.0.0.1` where every connection is refused: its port is held, for the life
/// of the process, by a socket that never listens, so no server can take it.
///
/// Panics if no loopback socket can be bound.
pub fn refused_jwks_url() -> String {
    static HELD: OnceLock<(tokio::net::TcpSocket, SocketAddr)> = OnceLock::new();
    let (_, addr) = HELD.get_or_init(|| {
        let socket = tokio::net::TcpSocket::new_v4().expect("a loopback socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("a free loopback port");
        let addr = socket.local_addr().expect("a bound socket has an address");
        (socket, addr)
    });
    format!("http://{addr}/.well-known/jwks.json")
}

/// A verifier of `issuer`'s pool (access and id tokens) whose keys cannot be fetched: its JWKS
/// URL is [`refused_jwks_url`], so every verify answers `keys_unavailable` (HTTP 503).
///
/// Panics if the verifier cannot be built (it always can for a `TestIssuer`'s pool).
pub fn verifier_with_keys_down(issuer: &TestIssuer) -> Verifier {
    Verifier::builder()
        .pool(issuer.pool().jwks_uri(refused_jwks_url()))
        .token_use(TokenUse::Either)
        .build()
        .expect("a verifier for a test issuer's pool")
}

/// Base64url without padding, as JWS uses.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    crate::token::base64url::encode(bytes.as_ref())
}

/// `b64(header) "." b64(payload)`: the signing input of a token with these parts, for hand-made
/// hostile tokens.
pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", b64(header.to_string()), b64(claims.to_string()))
}

/// An RSA-2048 signing key with its `kid`.
pub struct TestKey {
    kid: String,
    pair: KeyPair,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TestKey {
    /// A fresh RSA-2048 key with a random kid.
    pub fn generate() -> Self {
        Self::generate_with_kid(random_id())
    }

    /// A fresh RSA-2048 key with this kid.
    pub fn generate_with_kid(kid: impl Into<String>) -> Self {
        let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation failed");
        TestKey {
            kid: kid.into(),
            pair,
        }
    }

    /// The key's `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK, shaped like Cognito's: `{alg, e, kid, kty, n, use}`.
    pub fn jwk(&self) -> Value {
        let public = self.pair.public_key();
        json!({
            "alg": "RS256",
            "e": b64(public.exponent().big_endian_without_leading_zero()),
            "kid": self.kid,
            "kty": "RSA",
            "n": b64(public.modulus().big_endian_without_leading_zero()),
            "use": "sig",
        })
    }

    /// The RSA-PKCS1-SHA256 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .expect("RSA signing failed");
        signature
    }

    /// The public key in DER (PKCS#1 `RSAPublicKey`) form, e.g. for HMAC-confusion tests.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }
}

/// A stand-in for a Cognito user pool: keys, a pool id, an app client, and token minting.
#[derive(Debug)]
pub struct TestIssuer {
    pool_id: String,
    client_id: String,
    issuer: String,
    keys: Vec<TestKey>,
    now: Option<u64>,
}

impl Default for TestIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl TestIssuer {
    /// An issuer for [`DEFAULT_TEST_POOL_ID`] with one fresh key.
    pub fn new() -> Self {
        Self::with_pool_id(DEFAULT_TEST_POOL_ID)
    }

    /// An issuer for this pool id with one fresh key; `iss` is the real Cognito form.
    pub fn with_pool_id(pool_id: impl Into<String>) -> Self {
        let pool_id = pool_id.into();
        let region = region_of(&pool_id).unwrap_or("us-east-1");
        TestIssuer {
            issuer: format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}"),
            pool_id,
            client_id: DEFAULT_TEST_CLIENT_ID.to_owned(),
            keys: vec![TestKey::generate()],
            now: None,
        }
    }

    /// Uses this app client id in minted tokens.
    #[must_use]
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Uses this `iss` in minted tokens (e.g. an emulator's form).
    #[must_use]
    pub fn issuer_url(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Mints tokens as if it were this time (Unix seconds), e.g. to match a `ManualClock`.
    pub fn set_now(&mut self, unix_secs: u64) {
        self.now = Some(unix_secs);
    }

    /// The pool id.
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The app client id.
    pub fn app_client_id(&self) -> &str {
        &self.client_id
    }

    /// The `iss` of minted tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// A [`Pool`] for this issuer: its id, its app client, and its issuer if not the derived one.
    /// Add `.jwks_uri(server.url())` or `.static_jwks(issuer.jwks_json())` for the keys.
    pub fn pool(&self) -> Pool {
        let pool = Pool::new(self.pool_id.clone()).client_id(self.client_id.clone());
        match region_of(&self.pool_id) {
            Some(region)
                if self.issuer
                    == format!(
                        "https://cognito-idp.{region}.amazonaws.com/{}",
                        self.pool_id
                    ) =>
            {
                pool
            }
            _ => pool.issuer(self.issuer.clone()),
        }
    }

    /// The key new tokens are signed with (the last one added).
    pub fn signing_key(&self) -> &TestKey {
        self.keys.last().expect("a TestIssuer always has a key")
    }

    /// Adds a fresh key and signs with it from now on; the old keys stay in the JWKS.
    pub fn rotate(&mut self) -> &TestKey {
        self.keys.push(TestKey::generate());
        self.signing_key()
    }

    /// Removes the key with this kid from the JWKS (the last key is never removed).
    pub fn remove_key(&mut self, kid: &str) {
        if self.keys.len() > 1 {
            self.keys.retain(|k| k.kid != kid);
        }
    }

    /// The keys, oldest first.
    pub fn keys(&self) -> &[TestKey] {
        &self.keys
    }

    /// The JWKS document.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(TestKey::jwk).collect::<Vec<_>>() })
    }

    /// The JWKS document as JSON text.
    pub fn jwks_json(&self) -> String {
        self.jwks().to_string()
    }

    fn now(&self) -> u64 {
        self.now.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
    }

    fn base_claims(&self, token_use: &str) -> Map<String, Value> {
        let now = self.now();
        let exp = now.saturating_add_signed(DEFAULT_TEST_TOKEN_LIFETIME_SECS);
        let Value::Object(claims) = json!({
            "sub": uuid(),
            "iss": self.issuer,
            "token_use": token_use,
            "origin_jti": uuid(),
            "event_id": uuid(),
            "auth_time": now,
            "iat": now,
            "exp": exp,
            "jti": uuid(),
        }) else {
            unreachable!("json! of an object literal is an object")
        };
        claims
    }

    /// A user's access token: `username`, `client_id`, the usual sign-in scopes, `version: 2`.
    pub fn access_token(&self) -> TokenBuilder<'_> {
        let mut claims = self.base_claims("access");
        claims.insert("client_id".into(), json!(self.client_id));
        claims.insert(
            "scope".into(),
            json!("aws.cognito.signin.user.admin openid email"),
        );
        claims.insert("username".into(), json!("test-user"));
        claims.insert("version".into(), json!(2));
        TokenBuilder::new(self, claims)
    }

    /// An id token: `aud`, `cognito:username`, `email`, `email_verified`.
    pub fn id_token(&self) -> TokenBuilder<'_> {
        let mut claims = self.base_claims("id");
        claims.insert("aud".into(), json!(self.client_id));
        claims.insert("cognito:username".into(), json!("test-user"));
        claims.insert("email".into(), json!("test-user@example.com"));
        claims.insert("email_verified".into(), json!(true));
        TokenBuilder::new(self, claims)
    }

    /// A machine-to-machine (client_credentials) access token with these scopes: `sub` is the
    /// client id, no `username`, no groups.
    pub fn m2m_token<I, S>(&self, scopes: I) -> TokenBuilder<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let scope: Vec<String> = scopes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        let mut claims = self.base_claims("access");
        claims.insert("sub".into(), json!(self.client_id));
        claims.insert("client_id".into(), json!(self.client_id));
        claims.insert("scope".into(), json!(scope.join(" ")));
        claims.insert("version".into(), json!(2));
        claims.remove("origin_jti");
        claims.remove("event_id");
        TokenBuilder::new(self, claims)
    }
}

/// Builds and signs one token. Start from [`TestIssuer::access_token`], `id_token` or
/// `m2m_token`.
#[derive(Debug)]
#[must_use]
pub struct TokenBuilder<'a> {
    issuer: &'a TestIssuer,
    header: Map<String, Value>,
    claims: Map<String, Value>,
    key: Option<&'a TestKey>,
}

impl<'a> TokenBuilder<'a> {
    fn new(issuer: &'a TestIssuer, claims: Map<String, Value>) -> Self {
        let mut header = Map::new();
        header.insert("kid".into(), json!(issuer.signing_key().kid));
        header.insert("alg".into(), json!("RS256"));
        TokenBuilder {
            issuer,
            header,
            claims,
            key: None,
        }
    }

    /// Sets any claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets `scope` (space-separated).
    pub fn scope(self, scope: &str) -> Self {
        self.claim("scope", scope)
    }

    /// Sets `cognito:groups`.
    pub fn groups<I, S>(self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let groups: Vec<String> = groups.into_iter().map(Into::into).collect();
        self.claim("cognito:groups", groups)
    }

    /// Sets `client_id` (access tokens) and `aud` (id tokens) to this client.
    pub fn client(mut self, client_id: &str) -> Self {
        for claim in ["client_id", "aud"] {
            if self.claims.contains_key(claim) {
                self.claims.insert(claim.into(), json!(client_id));
            }
        }
        self
    }

    /// Sets `exp` to the issuer's now plus `secs` (negative for an expired token).
    pub fn expires_in(self, secs: i64) -> Self {
        let exp = self.issuer.now().saturating_add_signed(secs);
        self.claim("exp", exp)
    }

    /// Sets a header member (e.g. `typ`, or a relabelled `alg`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.header.insert(name.into(), value.into());
        self
    }

    /// Sets the header's `kid`.
    pub fn kid(self, kid: &str) -> Self {
        self.header("kid", kid)
    }

    /// Signs with this key instead of the issuer's current one (the header's `kid` is unchanged).
    pub fn signed_with(mut self, key: &'a TestKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The claims as they stand.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Signs the token with RS256.
    pub fn sign(self) -> String {
        let key = self.key.unwrap_or_else(|| self.issuer.signing_key());
        let input = signing_input(&Value::Object(self.header), &Value::Object(self.claims));
        let signature = key.sign(input.as_bytes());
        format!("{input}.{}", b64(signature))
    }
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("system randomness failed");
    b64(bytes)
}

fn uuid() -> String {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).expect("system randomness failed");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
