//! Shared set-up of the fuzz targets: a fixed pool, two fixed RSA-2048 keys (test-only, committed
//! in `keys/` so seeds and crash artifacts stay reproducible across runs), verifiers with those
//! keys preloaded, token minting, and the acceptance oracle.
//!
//! The oracle is the point of the exercise: whenever the library *accepts* a token, it re-checks
//! independently (its own base64, serde_json and aws-lc-rs calls, not the library's) that the
//! token really is RS256-signed by a published key and carries the claims the policy demands.
//! A fuzzer that makes the library accept anything else has found a forgery, and panics.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod alb;

use std::sync::OnceLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{self, KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_verify::{Error, ManualClock, Pool, Requirement, TokenUse, Verified, Verifier};
use futures_util::FutureExt as _;
use serde_json::{Value, json};

/// The verifiers' fixed "now": 2023-11-14T22:13:20Z.
pub const NOW: u64 = 1_700_000_000;
/// Clock-skew leeway the verifiers use (the library default).
pub const LEEWAY: u64 = 30;
/// The pool.
pub const POOL_ID: &str = "us-east-1_Fuzz";
/// The only accepted app client.
pub const CLIENT_ID: &str = "fuzzclient0123456789abcdef";
/// The pool's issuer, as Cognito forms it.
pub const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz";
/// The kid of the signing key (key A).
pub const KID: &str = "fuzz-key-a";
/// The kid of the second published key (key B), as Cognito publishes two.
pub const KID_B: &str = "fuzz-key-b";

static KEY_A: &[u8] = include_bytes!("../keys/fuzz-rsa2048-a.pk8");
static KEY_B: &[u8] = include_bytes!("../keys/fuzz-rsa2048-b.pk8");

/// Base64url without padding.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn pair(which: &'static [u8], cell: &'static OnceLock<KeyPair>) -> &'static KeyPair {
    cell.get_or_init(|| KeyPair::from_pkcs8(which).expect("committed fuzz key parses"))
}

/// Key A (signs tokens) and key B (published, signs only when asked).
pub fn key(kid: &str) -> &'static KeyPair {
    static A: OnceLock<KeyPair> = OnceLock::new();
    static B: OnceLock<KeyPair> = OnceLock::new();
    if kid == KID_B {
        pair(KEY_B, &B)
    } else {
        pair(KEY_A, &A)
    }
}

/// The JWK of a key, shaped like Cognito's.
pub fn jwk(kid: &str) -> Value {
    let public = key(kid).public_key();
    json!({
        "alg": "RS256",
        "e": b64(public.exponent().big_endian_without_leading_zero()),
        "kid": kid,
        "kty": "RSA",
        "n": b64(public.modulus().big_endian_without_leading_zero()),
        "use": "sig",
    })
}

/// The pool's JWKS document (keys A and B).
pub fn jwks_json() -> String {
    json!({ "keys": [jwk(KID), jwk(KID_B)] }).to_string()
}

/// RSA-PKCS1-SHA256 signature of `message` with the key for `kid`.
pub fn sign(kid: &str, message: &[u8]) -> Vec<u8> {
    let pair = key(kid);
    let mut out = vec![0; pair.public_modulus_len()];
    pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut out)
        .expect("RSA signing");
    out
}

/// `b64(header) "." b64(payload) "." b64(sig)`, signed by `kid`'s key.
pub fn mint(kid: &str, header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = sign(kid, input.as_bytes());
    format!("{input}.{}", b64(sig))
}

/// Claims of a valid access token at [`NOW`].
pub fn access_claims() -> Value {
    json!({
        "sub": "6f1c2a4e-0b7d-4e52-9a63-0c1f2e3d4b5a",
        "iss": ISS,
        "client_id": CLIENT_ID,
        "origin_jti": "0d7c1e4f-5a6b-4c8d-9e0f-1a2b3c4d5e6f",
        "event_id": "1e2d3c4b-5a69-4788-96a5-b4c3d2e1f0a9",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin openid email",
        "auth_time": NOW,
        "exp": NOW + 3600,
        "iat": NOW,
        "jti": "2a3b4c5d-6e7f-4809-a1b2-c3d4e5f60718",
        "username": "fuzz-user",
        "version": 2,
    })
}

/// Claims of a valid id token at [`NOW`].
pub fn id_claims() -> Value {
    json!({
        "sub": "6f1c2a4e-0b7d-4e52-9a63-0c1f2e3d4b5a",
        "iss": ISS,
        "aud": CLIENT_ID,
        "token_use": "id",
        "auth_time": NOW,
        "exp": NOW + 3600,
        "iat": NOW,
        "cognito:username": "fuzz-user",
        "cognito:groups": ["admin", "readers"],
        "email": "fuzz-user@example.com",
        "email_verified": true,
        "jti": "3b4c5d6e-7f80-4912-b3c4-d5e6f7081920",
    })
}

/// The standard header for `kid`.
pub fn header(kid: &str) -> Value {
    json!({ "kid": kid, "alg": "RS256" })
}

/// Whether the document lists, under `kid`, an RSA JWK whose `n` and `e` are `kid`'s key.
pub fn publishes(document: &str, kid: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(document) else {
        return false;
    };
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        return false;
    };
    let public = key(kid).public_key();
    let strip = |s: &str| -> Option<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        let first = bytes.iter().position(|&b| b != 0)?;
        Some(bytes[first..].to_vec())
    };
    keys.iter().any(|k| {
        k.get("kid").and_then(Value::as_str) == Some(kid)
            && k.get("kty").and_then(Value::as_str) == Some("RSA")
            && k.get("n")
                .and_then(Value::as_str)
                .and_then(strip)
                .as_deref()
                == Some(public.modulus().big_endian_without_leading_zero())
            && k.get("e")
                .and_then(Value::as_str)
                .and_then(strip)
                .as_deref()
                == Some(public.exponent().big_endian_without_leading_zero())
    })
}

/// The two verifiers every token target runs, sharing the pool, keys and clock.
pub struct Verifiers {
    /// Either token use, no scope or group rule, no token cache: the plain path.
    pub plain: Verifier,
    /// Same, plus a scope and a group requirement and the verified-token cache.
    pub strict: Verifier,
}

/// The verifiers, built once per process.
pub fn verifiers() -> &'static Verifiers {
    static V: OnceLock<Verifiers> = OnceLock::new();
    V.get_or_init(|| {
        let pool = || {
            Pool::new(POOL_ID)
                .client_id(CLIENT_ID)
                .static_jwks(jwks_json())
        };
        let plain = Verifier::builder()
            .pool(pool())
            .token_use(TokenUse::Either)
            .clock(ManualClock::at_unix(NOW))
            .token_cache_max_bytes(0)
            .build()
            .expect("plain verifier");
        let strict = Verifier::builder()
            .pool(pool())
            .token_use(TokenUse::Either)
            .clock(ManualClock::at_unix(NOW))
            // Id tokens allowed: the strict verifier only adds the scope and group rules.
            .require_scopes(Requirement::any_of(["openid", "orders/read"]).allow_id_tokens())
            .require_groups(Requirement::any_of(["admin"]).allow_id_tokens())
            .token_cache_max_bytes(256 * 1024)
            .build()
            .expect("strict verifier");
        Verifiers { plain, strict }
    })
}

/// Runs a future that cannot suspend (keys are preloaded; no hook).
pub fn now<T>(f: impl Future<Output = T>) -> T {
    f.now_or_never()
        .expect("a verify with preloaded keys never waits")
}

/// Verifies `data` with both verifiers (the strict one twice: cache miss, then hit) and checks
/// every result against the oracle and against each other.
pub fn verify_and_check(data: &[u8]) {
    let v = verifiers();
    let plain = now(v.plain.verify_bytes(data));
    let strict = now(v.strict.verify_bytes(data));
    let again = now(v.strict.verify_bytes(data));

    for result in [&plain, &strict, &again] {
        match result {
            Ok(verified) => oracle_accepts(data, verified),
            Err(error) => check_error(error),
        }
    }
    // The cache answers exactly as the full path did.
    assert_eq!(kind(&strict), kind(&again), "cache hit changed the answer");
    // The strict verifier only adds the scope and group rules, judged last: it refuses more
    // (with a 403) only tokens plain accepts, and otherwise answers exactly as plain does.
    match (&plain, &strict) {
        (Ok(_), Ok(_)) => {}
        (Ok(_), Err(e)) => assert!(
            matches!(e.kind().as_str(), "insufficient_scope" | "insufficient_group"),
            "strict refused a plain-valid token with {}",
            e.kind()
        ),
        (Err(e), Ok(_)) => panic!("strict accepted a token plain refused ({})", e.kind()),
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind(), "same rules, different answers"),
    }
}

fn kind(r: &Result<Verified, Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.kind().as_str(),
    }
}

/// Every error renders, classifies, and is a token error (static keys are never unavailable).
fn check_error(error: &Error) {
    let _ = error.to_string();
    let _ = format!("{error:?}");
    assert!(
        matches!(error.status_code().as_u16(), 401 | 403),
        "{}: static keys cannot be unavailable",
        error.kind()
    );
    assert_eq!(error.retry_after(), None);
}

/// The independent re-check of an accepted token. Panics on any disagreement.
pub fn oracle_accepts(data: &[u8], verified: &Verified) {
    let token = std::str::from_utf8(data).expect("accepted a non-UTF-8 token");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "accepted a token without three parts");
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).expect("accepted non-base64url");
    let header: Value =
        serde_json::from_slice(&decode(parts[0])).expect("accepted a non-JSON header");
    assert_eq!(
        header["alg"],
        json!("RS256"),
        "accepted alg {}",
        header["alg"]
    );
    assert!(header.get("crit").is_none(), "accepted a crit header");
    let kid = header["kid"]
        .as_str()
        .expect("accepted without a string kid");
    assert!(
        kid == KID || kid == KID_B,
        "accepted an unpublished kid {kid:?}"
    );

    // The signature, checked with aws-lc-rs directly against the published modulus/exponent.
    let public = key(kid).public_key();
    let n = public.modulus().big_endian_without_leading_zero();
    let e = public.exponent().big_endian_without_leading_zero();
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    signature::RsaPublicKeyComponents { n, e }
        .verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            signing_input.as_bytes(),
            &decode(parts[2]),
        )
        .expect("accepted a token whose RS256 signature does not verify");

    let claims: Value =
        serde_json::from_slice(&decode(parts[1])).expect("accepted a non-JSON payload");
    assert_eq!(claims["iss"], json!(ISS), "accepted a foreign iss");
    match claims["token_use"].as_str() {
        Some("access") => assert_eq!(claims["client_id"], json!(CLIENT_ID), "client_id"),
        Some("id") => assert_eq!(claims["aud"], json!(CLIENT_ID), "aud"),
        other => panic!("accepted token_use {other:?}"),
    }
    let date = |name: &str| {
        claims
            .get(name)
            .map(|v| v.as_u64().expect("non-integer date"))
    };
    let exp = date("exp").expect("accepted without exp");
    assert!(NOW < exp + LEEWAY, "accepted an expired token");
    if let Some(nbf) = date("nbf") {
        assert!(nbf <= NOW + LEEWAY, "accepted before nbf");
    }
    if let Some(iat) = date("iat") {
        assert!(iat <= NOW + LEEWAY, "accepted a token issued in the future");
    }
    // What the caller gets back agrees with the token.
    assert_eq!(verified.expires_at(), exp);
    assert_eq!(verified.user_pool_id(), POOL_ID);
    assert_eq!(Some(verified.subject()), claims["sub"].as_str());
    let _ = verified
        .deserialize::<Value>()
        .expect("raw claims deserialize");
}
