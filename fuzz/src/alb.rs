//! Set-up of the `alb_token` target: a fixed P-256 key (test-only, committed in `keys/`), its
//! PEM served by the test kit's key server on loopback, one ALB verifier whose key cache holds
//! it, and the acceptance oracle.
//!
//! The oracle re-checks every accepted token independently (the `base64` crate, serde_json and
//! aws-lc-rs's `UnparsedPublicKey`, not the library's code): ES256 by the fixed key over the
//! segments as received, each segment unpadded or padded exactly to a multiple of 4, header
//! `alg` ES256 without `crit`, the fixed kid, signer and client, `iss` (payload; header when
//! present), `sub` a string, an `exp`, and every `exp` not past.

use std::sync::OnceLock;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
    UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_verify::alb::AlbVerifier;
use cognito_verify::testing::alb::AlbKeyServer;
use cognito_verify::{ErrorClass, ErrorKind, ManualClock};
use serde_json::{Map, Value, json};

use crate::{LEEWAY, NOW};

/// The load balancer.
pub const ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/fuzz-alb/50dc6c495c0c9188";
/// The IdP issuer.
pub const ALB_ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz";
/// The app client.
pub const ALB_CLIENT: &str = "fuzzclient0123456789abcdef";
/// The kid of the fixed key.
pub const ALB_KID: &str = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";

static ALB_KEY: &[u8] = include_bytes!("../keys/fuzz-p256-alb.pk8");

/// The fixed P-256 key.
pub fn alb_key() -> &'static EcdsaKeyPair {
    static KEY: OnceLock<EcdsaKeyPair> = OnceLock::new();
    KEY.get_or_init(|| {
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, ALB_KEY)
            .expect("committed fuzz key parses")
    })
}

/// Base64url with ALB's padding (`padded`) or none.
pub fn b64_alb(bytes: impl AsRef<[u8]>, padded: bool) -> String {
    let mut text = URL_SAFE_NO_PAD.encode(bytes);
    while padded && !text.len().is_multiple_of(4) {
        text.push('=');
    }
    text
}

/// A token of these header and payload bytes, signed with the fixed key.
pub fn mint_alb(header: &[u8], payload: &[u8], padded: bool) -> String {
    let input = format!("{}.{}", b64_alb(header, padded), b64_alb(payload, padded));
    let signature = alb_key()
        .sign(&SystemRandom::new(), input.as_bytes())
        .expect("ECDSA signing works");
    format!("{input}.{}", b64_alb(signature, padded))
}

/// A header as ALB writes it.
pub fn alb_header() -> Value {
    json!({
        "typ": "JWT",
        "kid": ALB_KID,
        "alg": "ES256",
        "iss": ALB_ISS,
        "client": ALB_CLIENT,
        "signer": ARN,
        "exp": NOW + 120,
    })
}

/// A payload as ALB writes it.
pub fn alb_payload() -> Value {
    json!({
        "sub": "0b5c7f2e-1111-4222-8333-944455556666",
        "email_verified": "true",
        "email": "fuzz@example.com",
        "username": "fuzz-user",
        "exp": NOW + 120,
        "iss": ALB_ISS,
    })
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    verifier: AlbVerifier,
    _server: AlbKeyServer,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let (server, verifier) = runtime.block_on(async {
            let server = AlbKeyServer::start().await.expect("a loopback server");
            let der = alb_key().public_key().as_der().expect("public key DER");
            let pem =
                pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, der.as_ref())
                    .expect("PEM");
            server.set_pem(ALB_KID, pem);
            let verifier = AlbVerifier::builder()
                .alb_arn(ARN)
                .issuer(ALB_ISS)
                .client_id(ALB_CLIENT)
                .key_base_url(server.base_url())
                .clock(ManualClock::at_unix(NOW))
                .build()
                .expect("the verifier builds");
            // The key is fetched once, here; the clock never moves, so it stays fresh, and at
            // most one more fetch (for a new kid) can ever start.
            let token = mint_alb(
                alb_header().to_string().as_bytes(),
                alb_payload().to_string().as_bytes(),
                true,
            );
            verifier
                .verify(&token)
                .await
                .expect("a pristine token verifies");
            (server, verifier)
        });
        Fixture {
            runtime,
            verifier,
            _server: server,
        }
    })
}

/// Verifies `token`; panics if it is accepted and the oracle disagrees, or if a refusal has
/// an inconsistent class.
pub fn verify_alb_and_check(token: &str) -> bool {
    let f = fixture();
    match f.runtime.block_on(f.verifier.verify(token)) {
        Ok(claims) => {
            if let Err(why) = oracle(token) {
                panic!("accepted a token the oracle refuses ({why}): {token:?}");
            }
            assert_eq!(claims.signer(), ARN);
            assert_eq!(claims.client(), ALB_CLIENT);
            assert_eq!(claims.kid(), ALB_KID);
            assert_eq!(
                claims.claims().get("sub").and_then(Value::as_str),
                Some(claims.sub())
            );
            true
        }
        Err(error) => {
            let expected = if error.kind() == ErrorKind::KeysUnavailable {
                ErrorClass::KeysUnavailable
            } else {
                ErrorClass::InvalidToken
            };
            assert_eq!(error.class(), expected, "{error}");
            false
        }
    }
}

fn decode(part: &str) -> Result<Vec<u8>, &'static str> {
    let unpadded = part.trim_end_matches('=');
    let padding = part.len() - unpadded.len();
    if padding > 0 && part.len() % 4 != 0 {
        return Err("padding not to a multiple of 4");
    }
    if padding > 2 {
        return Err("too much padding");
    }
    URL_SAFE_NO_PAD
        .decode(unpadded)
        .map_err(|_| "not base64url")
}

fn object(bytes: &[u8]) -> Result<Map<String, Value>, &'static str> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err("not a JSON object"),
    }
}

fn oracle(token: &str) -> Result<(), &'static str> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err("not three parts");
    };
    let signing_input = &token[..header.len() + 1 + payload.len()];
    let public = alb_key().public_key().as_ref().to_vec();
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public)
        .verify(signing_input.as_bytes(), &decode(signature)?)
        .map_err(|_| "signature")?;
    let header = object(&decode(header)?)?;
    let payload = object(&decode(payload)?)?;
    let str_of = |map: &Map<String, Value>, name: &str| {
        map.get(name).and_then(Value::as_str).map(str::to_owned)
    };
    if str_of(&header, "alg").as_deref() != Some("ES256") || header.contains_key("crit") {
        return Err("alg");
    }
    if str_of(&header, "kid").as_deref() != Some(ALB_KID) {
        return Err("kid");
    }
    if str_of(&header, "signer").as_deref() != Some(ARN) {
        return Err("signer");
    }
    if str_of(&header, "client").as_deref() != Some(ALB_CLIENT) {
        return Err("client");
    }
    if str_of(&payload, "iss").as_deref() != Some(ALB_ISS) {
        return Err("payload iss");
    }
    if header
        .get("iss")
        .is_some_and(|iss| iss.as_str() != Some(ALB_ISS))
    {
        return Err("header iss");
    }
    if str_of(&payload, "sub").is_none() {
        return Err("sub");
    }
    let exps: Vec<&Value> = [header.get("exp"), payload.get("exp")]
        .into_iter()
        .flatten()
        .collect();
    if exps.is_empty() {
        return Err("no exp");
    }
    for exp in exps {
        match exp.as_u64() {
            Some(exp) if NOW < exp.saturating_add(LEEWAY) => {}
            _ => return Err("exp"),
        }
    }
    Ok(())
}
