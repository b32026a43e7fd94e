//! ALB test kit: EC P-256 keys, ALB-shaped user-claims tokens (`x-amzn-oidc-data`, segments
//! padded with `=` as ALB pads them) and the per-kid PEM key endpoint on loopback.
//!
//! ```
//! use cognito_verify::testing::alb::{AlbKeyServer, TestAlb};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let alb = TestAlb::new();
//! let server = AlbKeyServer::start().await?;
//! server.add_key(alb.signing_key());
//! let verifier = alb.verifier_builder(&server.base_url()).build()?;
//!
//! let token = alb.token().claim("email", "jane@example.com").sign();
//! let claims = verifier.verify(&token).await?;
//! assert_eq!(claims.get("email").and_then(|v| v.as_str()), Some("jane@example.com"));
//! assert_eq!(server.fetch_count(), 1);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
};
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::server::{Loopback, respond};
use super::{DEFAULT_TEST_CLIENT_ID, DEFAULT_TEST_TOKEN_LIFETIME_SECS, Fault, b64, uuid};
use crate::alb::AlbVerifierBuilder;

/// The load balancer ARN [`TestAlb::new`] uses (region `us-east-1`).
pub const DEFAULT_TEST_ALB_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test-alb/50dc6c495c0c9188";
/// The issuer [`TestAlb::new`] uses: a Cognito user pool's.
pub const DEFAULT_TEST_ALB_ISSUER: &str =
    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1";

/// The order of the P-256 group, big-endian (for [`AlbTokenBuilder::high_s`]).
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// An EC P-256 signing key with its kid (a UUID), as ALB's.
pub struct AlbTestKey {
    kid: String,
    pair: EcdsaKeyPair,
    der_pair: EcdsaKeyPair,
}

impl std::fmt::Debug for AlbTestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlbTestKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl AlbTestKey {
    /// A fresh key with a random UUID kid.
    pub fn generate() -> Self {
        Self::generate_with_kid(uuid())
    }

    /// A fresh key with this kid (any text, for hostile-kid tests).
    pub fn generate_with_kid(kid: impl Into<String>) -> Self {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .expect("P-256 key generation failed");
        let pkcs8 = pair.to_pkcs8v1().expect("P-256 key export failed");
        let der_pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
            .expect("P-256 key import failed");
        AlbTestKey {
            kid: kid.into(),
            pair,
            der_pair,
        }
    }

    /// The kid.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as the key endpoint serves it: a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn public_key_pem(&self) -> String {
        pem(&self.public_key_der())
    }

    /// The public key as a DER SubjectPublicKeyInfo (what the PEM holds).
    pub fn public_key_der(&self) -> Vec<u8> {
        self.pair
            .public_key()
            .as_der()
            .expect("P-256 public key export failed")
            .as_ref()
            .to_vec()
    }

    /// The JOSE signature (`r || s`, 64 bytes) of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .expect("ECDSA signing failed")
            .as_ref()
            .to_vec()
    }

    /// The DER (ASN.1) signature of `message`, which JOSE does not use.
    pub fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        self.der_pair
            .sign(&SystemRandom::new(), message)
            .expect("ECDSA signing failed")
            .as_ref()
            .to_vec()
    }
}

/// A PEM `PUBLIC KEY` holding a fresh RSA-2048 key: a key endpoint answer that must be refused.
pub fn rsa_public_key_pem() -> String {
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .expect("RSA key generation failed");
    let der = pair
        .public_key()
        .as_der()
        .expect("RSA public key export failed");
    pem(der.as_ref())
}

/// A PEM `PUBLIC KEY` holding a fresh EC P-384 key: another curve, to be refused.
pub fn p384_public_key_pem() -> String {
    let pair = EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING)
        .expect("P-384 key generation failed");
    let der = pair
        .public_key()
        .as_der()
        .expect("P-384 public key export failed");
    pem(der.as_ref())
}

fn pem(der: &[u8]) -> String {
    pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, der)
        .expect("PEM encoding failed")
}

/// Base64url padded with `=` to a multiple of 4, as ALB encodes each segment.
pub fn b64_padded(bytes: impl AsRef<[u8]>) -> String {
    let mut text = b64(bytes);
    while !text.len().is_multiple_of(4) {
        text.push('=');
    }
    text
}

/// A stand-in for an ALB that authenticates users: its ARN, the IdP issuer and app client it
/// names in tokens, its signing keys, and token minting.
#[derive(Debug)]
pub struct TestAlb {
    arn: String,
    issuer: String,
    client_id: String,
    keys: Vec<AlbTestKey>,
    now: Option<u64>,
}

impl Default for TestAlb {
    fn default() -> Self {
        Self::new()
    }
}

impl TestAlb {
    /// [`DEFAULT_TEST_ALB_ARN`], [`DEFAULT_TEST_ALB_ISSUER`], [`DEFAULT_TEST_CLIENT_ID`] and one
    /// fresh key.
    pub fn new() -> Self {
        TestAlb {
            arn: DEFAULT_TEST_ALB_ARN.to_owned(),
            issuer: DEFAULT_TEST_ALB_ISSUER.to_owned(),
            client_id: DEFAULT_TEST_CLIENT_ID.to_owned(),
            keys: vec![AlbTestKey::generate()],
            now: None,
        }
    }

    /// Uses this load balancer ARN as `signer`.
    #[must_use]
    pub fn arn(mut self, arn: impl Into<String>) -> Self {
        self.arn = arn.into();
        self
    }

    /// Uses this issuer.
    #[must_use]
    pub fn issuer_url(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Uses this app client id.
    #[must_use]
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Mints tokens as if it were this time (Unix seconds), e.g. to match a `ManualClock`.
    pub fn set_now(&mut self, unix_secs: u64) {
        self.now = Some(unix_secs);
    }

    /// The load balancer ARN (`signer`).
    pub fn signer(&self) -> &str {
        &self.arn
    }

    /// The issuer (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The app client id (`client`).
    pub fn app_client_id(&self) -> &str {
        &self.client_id
    }

    /// The key new tokens are signed with (the last one added).
    pub fn signing_key(&self) -> &AlbTestKey {
        self.keys.last().expect("a TestAlb always has a key")
    }

    /// Adds a fresh key and signs with it from now on.
    pub fn rotate(&mut self) -> &AlbTestKey {
        self.keys.push(AlbTestKey::generate());
        self.signing_key()
    }

    /// The keys, oldest first.
    pub fn keys(&self) -> &[AlbTestKey] {
        &self.keys
    }

    /// A verifier builder for this ALB: its ARN, issuer and client, keys fetched from
    /// `key_base_url` (e.g. [`AlbKeyServer::base_url`]).
    pub fn verifier_builder(&self, key_base_url: &str) -> AlbVerifierBuilder {
        crate::alb::AlbVerifier::builder()
            .alb_arn(self.arn.clone())
            .issuer(self.issuer.clone())
            .client_id(self.client_id.clone())
            .key_base_url(key_base_url)
    }

    fn now(&self) -> u64 {
        self.now.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
    }

    /// A token as ALB mints it: header `{typ, kid, alg, iss, client, signer, exp}`, payload
    /// `{sub, email_verified, email, username, exp, iss}`.
    pub fn token(&self) -> AlbTokenBuilder<'_> {
        let exp = self
            .now()
            .saturating_add_signed(DEFAULT_TEST_TOKEN_LIFETIME_SECS);
        let sub = uuid();
        let header = object(json!({
            "typ": "JWT",
            "kid": self.signing_key().kid,
            "alg": "ES256",
            "iss": self.issuer,
            "client": self.client_id,
            "signer": self.arn,
            "exp": exp,
        }));
        let claims = object(json!({
            "sub": sub,
            "email_verified": "true",
            "email": "test-user@example.com",
            "username": sub,
            "exp": exp,
            "iss": self.issuer,
        }));
        AlbTokenBuilder {
            alb: self,
            header,
            claims,
            key: None,
            padded: true,
            signature: SignatureForm::Jose,
        }
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[derive(Debug, Clone, Copy)]
enum SignatureForm {
    Jose,
    HighS,
    Der,
}

/// Builds and signs one ALB token. Start from [`TestAlb::token`].
#[derive(Debug)]
#[must_use]
pub struct AlbTokenBuilder<'a> {
    alb: &'a TestAlb,
    header: Map<String, Value>,
    claims: Map<String, Value>,
    key: Option<&'a AlbTestKey>,
    padded: bool,
    signature: SignatureForm,
}

impl<'a> AlbTokenBuilder<'a> {
    /// Sets a header member (e.g. `alg`, `signer`, `client`, `kid`, `iss`, `exp`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.header.insert(name.into(), value.into());
        self
    }

    /// Removes a header member.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Sets a payload claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a payload claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets the header's and the payload's `exp` to now plus `secs` (negative: expired).
    pub fn expires_in(self, secs: i64) -> Self {
        let exp = self.alb.now().saturating_add_signed(secs);
        self.header("exp", exp).claim("exp", exp)
    }

    /// Sets the header's `kid`.
    pub fn kid(self, kid: &str) -> Self {
        self.header("kid", kid)
    }

    /// Signs with this key (the header's `kid` is unchanged).
    pub fn signed_with(mut self, key: &'a AlbTestKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Encodes the segments without padding.
    pub fn unpadded(mut self) -> Self {
        self.padded = false;
        self
    }

    /// Replaces the signature's `s` by `n − s` (the other valid signature; ALB does not
    /// normalise).
    pub fn high_s(mut self) -> Self {
        self.signature = SignatureForm::HighS;
        self
    }

    /// Uses a DER (ASN.1) signature instead of JOSE's `r || s`.
    pub fn der_signature(mut self) -> Self {
        self.signature = SignatureForm::Der;
        self
    }

    /// The header as it stands.
    pub fn header_members(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The payload claims as they stand.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// `header "." payload`, encoded as [`sign`](Self::sign) encodes them.
    pub fn signing_input(&self) -> String {
        let encode = |value: &Map<String, Value>| {
            let text = Value::Object(value.clone()).to_string();
            if self.padded {
                b64_padded(text)
            } else {
                b64(text)
            }
        };
        format!("{}.{}", encode(&self.header), encode(&self.claims))
    }

    /// Signs with ES256.
    pub fn sign(self) -> String {
        let key = self.key.unwrap_or_else(|| self.alb.signing_key());
        let input = self.signing_input();
        let signature = match self.signature {
            SignatureForm::Jose => key.sign(input.as_bytes()),
            SignatureForm::HighS => negate_s(key.sign(input.as_bytes())),
            SignatureForm::Der => key.sign_der(input.as_bytes()),
        };
        self.finish(input, &signature)
    }

    /// Labels the token `HS256` and signs it with HMAC-SHA256 keyed with `secret` (e.g. the
    /// public key's PEM, for the classic algorithm-confusion forgery).
    pub fn sign_hs256(self, secret: &[u8]) -> String {
        let this = self.header("alg", "HS256");
        let input = this.signing_input();
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
        let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
        this.finish(input, tag.as_ref())
    }

    fn finish(&self, input: String, signature: &[u8]) -> String {
        let signature = if self.padded {
            b64_padded(signature)
        } else {
            b64(signature)
        };
        format!("{input}.{signature}")
    }
}

/// `r || (n − s)`.
fn negate_s(mut signature: Vec<u8>) -> Vec<u8> {
    if let Some(s) = signature.get_mut(32..64) {
        let mut borrow = 0i16;
        for (byte, n) in s.iter_mut().zip(P256_ORDER).rev() {
            let diff = i16::from(n) - i16::from(*byte) - borrow;
            borrow = i16::from(diff < 0);
            *byte = (diff + (borrow << 8)) as u8;
        }
    }
    signature
}

struct KeyServerState {
    pems: RwLock<HashMap<String, String>>,
    fault: RwLock<Fault>,
    fetches: AtomicU64,
    paths: Mutex<Vec<String>>,
}

/// ALB's key endpoint on `127.0.0.1`: `GET /{kid}` answers the kid's PEM, or 404 for a kid it
/// does not have. Counts requests, records their paths, and misbehaves on command (the same
/// [`Fault`]s as the JWKS server). Stops when dropped.
pub struct AlbKeyServer {
    server: Loopback,
    state: Arc<KeyServerState>,
}

impl std::fmt::Debug for AlbKeyServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.server.debug("AlbKeyServer", f)
    }
}

impl AlbKeyServer {
    /// Starts an empty key server on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let state = Arc::new(KeyServerState {
            pems: RwLock::new(HashMap::new()),
            fault: RwLock::new(Fault::None),
            fetches: AtomicU64::new(0),
            paths: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(serve).with_state(state.clone());
        let server = Loopback::serve(app, "ALB keys").await?;
        Ok(AlbKeyServer { server, state })
    }

    /// The base URL, `http://127.0.0.1:PORT` (the key of kid `K` is at `BASE/K`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// Serves `key`'s PEM at `/{kid}`.
    pub fn add_key(&self, key: &AlbTestKey) {
        self.set_pem(key.kid(), key.public_key_pem());
    }

    /// Serves `body` at `/{kid}` (any text: another key type, garbage).
    pub fn set_pem(&self, kid: &str, body: impl Into<String>) {
        self.state
            .pems
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(kid.to_owned(), body.into());
    }

    /// Stops serving `/{kid}` (it answers 404 from now on).
    pub fn remove_key(&self, kid: &str) {
        self.state
            .pems
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(kid);
    }

    /// Answers every request with this fault from now on (`Fault::None` to heal).
    pub fn set_fault(&self, fault: Fault) {
        *self.state.fault.write().unwrap_or_else(|e| e.into_inner()) = fault;
    }

    /// How many requests it has received.
    pub fn fetch_count(&self) -> u64 {
        self.state.fetches.load(Ordering::SeqCst)
    }

    /// The paths of the requests it has received, in order.
    pub fn requested_paths(&self) -> Vec<String> {
        self.state
            .paths
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

async fn serve(State(state): State<Arc<KeyServerState>>, uri: axum::http::Uri) -> Response {
    let path = uri.path().to_owned();
    state
        .paths
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(path.clone());
    // Counted after the path is recorded, so a test that saw the count sees the path.
    state.fetches.fetch_add(1, Ordering::SeqCst);
    let fault = state
        .fault
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let pem = path.strip_prefix('/').and_then(|kid| {
        state
            .pems
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(kid)
            .cloned()
    });
    match (fault, pem) {
        (Fault::None, None) => respond(Fault::Status(404), String::new(), PEM_TYPE).await,
        (fault, pem) => respond(fault, pem.unwrap_or_default(), PEM_TYPE).await,
    }
}

const PEM_TYPE: &str = "application/x-pem-file";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_s_is_n_minus_s() {
        // n − 1 is s = 1 negated, and negating twice is the identity.
        let mut sig = vec![0u8; 64];
        sig[63] = 1;
        let negated = negate_s(sig.clone());
        let mut n_minus_1 = P256_ORDER;
        n_minus_1[31] -= 1;
        assert_eq!(negated[32..], n_minus_1);
        assert_eq!(negate_s(negated), sig);
    }
}
