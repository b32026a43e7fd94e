//! Hostile tokens, table-driven (one table: algorithms, headers, shapes, claims of wrong types and
//! NumericDates out of range): each case names the error kind it must produce. The JWKS is served
//! by a real loopback server; the "signed" cases carry a real signature by the pool's key, so
//! only the property under test is wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cognito_verify::testing::{TestKey, b64, signing_input};
use cognito_verify::{TokenUse, Verifier};
use common::{NOW, Setup, kind};
use serde_json::{Value, json};

fn valid_claims(s: &Setup) -> Value {
    Value::Object(s.issuer.access_token().claims().clone())
}

fn header(kid: &str, alg: &str) -> Value {
    json!({"kid": kid, "alg": alg})
}

/// A token with these payload bytes under a `{kid, alg: RS256}` header, signed by `key`.
fn signed_rs256(key: &TestKey, payload: &[u8]) -> String {
    signed_raw(key, &header(key.kid(), "RS256"), payload)
}

/// A token with this header and these payload bytes, RS256-signed by `key`.
fn signed_raw(key: &TestKey, header: &Value, payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(payload));
    format!("{input}.{}", b64(key.sign(input.as_bytes())))
}

fn hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let input = signing_input(header, claims);
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

fn pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

#[tokio::test]
async fn hostile_tokens_are_refused_with_their_kind() {
    let s = Setup::new().await;
    let v = s.verifier(TokenUse::Either);
    let key = s.issuer.signing_key();
    let kid = key.kid().to_owned();
    let claims = valid_claims(&s);
    let good = s.issuer.access_token().sign();
    let parts: Vec<&str> = good.split('.').collect();
    let (h, p, sig) = (parts[0], parts[1], parts[2]);
    let other_key = TestKey::generate_with_kid(kid.clone());

    let nested = |depth: usize| format!("{{\"a\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
    // The payload holds `exp` twice: which one would a second parser believe?
    let dup_exp = format!("{{\"exp\":{},{}", NOW + 7200, &claims.to_string()[1..]);
    let dup_iss = format!(
        "{{\"iss\":\"https://evil.example\",{}",
        &claims.to_string()[1..]
    );
    let with = |k: &str, v: Value| {
        let mut c = claims.clone();
        c[k] = v;
        c.to_string()
    };

    let cases: Vec<(&str, String, &str)> = vec![
        // Algorithms.
        (
            "alg none, empty signature",
            format!("{}.", signing_input(&header(&kid, "none"), &claims)),
            "unsupported_algorithm",
        ),
        (
            "alg none, non-empty signature",
            format!("{}.{sig}", signing_input(&header(&kid, "none"), &claims)),
            "unsupported_algorithm",
        ),
        (
            "alg None",
            format!("{}.", signing_input(&header(&kid, "None"), &claims)),
            "unsupported_algorithm",
        ),
        (
            "HS256 keyed with the public key DER",
            hs256(&key.public_key_der(), &header(&kid, "HS256"), &claims),
            "unsupported_algorithm",
        ),
        (
            "HS256 keyed with the public key PEM",
            hs256(
                pem(&key.public_key_der()).as_bytes(),
                &header(&kid, "HS256"),
                &claims,
            ),
            "unsupported_algorithm",
        ),
        (
            "HS256 keyed with the JWK bytes",
            hs256(
                key.jwk().to_string().as_bytes(),
                &header(&kid, "HS256"),
                &claims,
            ),
            "unsupported_algorithm",
        ),
        (
            "alg not a string",
            s.issuer
                .access_token()
                .header("alg", json!(["RS256"]))
                .sign(),
            "unsupported_algorithm",
        ),
        (
            "missing alg",
            signed_raw(key, &json!({"kid": kid}), claims.to_string().as_bytes()),
            "unsupported_algorithm",
        ),
        // Key ids.
        (
            "missing kid",
            signed_raw(key, &json!({"alg": "RS256"}), claims.to_string().as_bytes()),
            "missing_kid",
        ),
        (
            "empty kid",
            s.issuer.access_token().kid("").sign(),
            "missing_kid",
        ),
        (
            "kid not a string",
            s.issuer.access_token().header("kid", 7).sign(),
            "missing_kid",
        ),
        (
            "kid 10 KB long",
            s.issuer.access_token().kid(&"k".repeat(10 * 1024)).sign(),
            "missing_kid",
        ),
        (
            "kid with path characters",
            s.issuer.access_token().kid("../../../etc/passwd").sign(),
            "unknown_kid",
        ),
        (
            "crit header",
            s.issuer
                .access_token()
                .header("crit", json!(["exp"]))
                .sign(),
            "unsupported_crit",
        ),
        // Signatures.
        (
            "tampered header",
            format!(
                "{}.{p}.{sig}",
                b64(json!({"kid": kid, "alg": "RS256", "typ": "JWT"}).to_string())
            ),
            "invalid_signature",
        ),
        (
            "tampered payload",
            format!("{h}.{}.{sig}", b64(with("username", json!("admin")))),
            "invalid_signature",
        ),
        (
            "tampered signature",
            format!(
                "{h}.{p}.{}{}",
                &sig[..10],
                sig[10..].replacen(&sig[10..11], if &sig[10..11] == "A" { "B" } else { "A" }, 1)
            ),
            "invalid_signature",
        ),
        (
            "truncated signature",
            format!("{h}.{p}.{}", &sig[..sig.len() - 2]),
            "invalid_signature",
        ),
        (
            "another key with this kid",
            s.issuer.access_token().signed_with(&other_key).sign(),
            "invalid_signature",
        ),
        (
            "signature of another token",
            format!("{h}.{}.{sig}", b64(with("exp", json!(NOW + 7200)))),
            "invalid_signature",
        ),
        // Size and form.
        (
            "1 MB token",
            format!("{h}.{}.{sig}", "A".repeat(1024 * 1024)),
            "token_too_large",
        ),
        ("empty token", String::new(), "malformed_token"),
        ("two parts", format!("{h}.{p}"), "malformed_token"),
        (
            "four parts",
            format!("{h}.{p}.{sig}.{sig}"),
            "malformed_token",
        ),
        ("empty signature", format!("{h}.{p}."), "malformed_token"),
        ("empty payload", format!("{h}..{sig}"), "malformed_token"),
        ("padding", format!("{h}.{p}==.{sig}"), "malformed_token"),
        (
            "padding on the signature",
            format!("{h}.{p}.{sig}=="),
            "malformed_token",
        ),
        (
            "whitespace inside",
            format!("{h}.{} {}.{sig}", &p[..8], &p[8..]),
            "malformed_token",
        ),
        ("leading whitespace", format!(" {good}"), "malformed_token"),
        ("trailing newline", format!("{good}\n"), "malformed_token"),
        (
            "standard base64 alphabet",
            format!("{h}.{}.{sig}", p.replace('-', "+").replace('_', "/") + "+/"),
            "malformed_token",
        ),
        (
            "header not JSON",
            format!("{}.{p}.{sig}", b64("not json")),
            "malformed_token",
        ),
        (
            "header an array",
            format!("{}.{p}.{sig}", b64("[\"RS256\"]")),
            "malformed_token",
        ),
        (
            "payload an array",
            signed_rs256(key, b"[1,2,3]"),
            "malformed_token",
        ),
        (
            "payload a string",
            signed_rs256(key, b"\"claims\""),
            "malformed_token",
        ),
        (
            "10,000-deep nesting in the payload",
            signed_rs256(key, nested(10_000).as_bytes()),
            "token_too_large",
        ),
        (
            "4,000-deep nesting in the payload",
            signed_rs256(key, nested(4_000).as_bytes()),
            "malformed_token",
        ),
        (
            "17-deep nesting in the payload",
            signed_rs256(key, nested(17).as_bytes()),
            "malformed_token",
        ),
        (
            "4,000-deep nesting in the header",
            format!(
                "{}.{p}.{sig}",
                b64(format!(
                    "{{\"kid\":\"{kid}\",\"alg\":\"RS256\",\"x\":{}{}}}",
                    "[".repeat(4_000),
                    "]".repeat(4_000)
                ))
            ),
            "malformed_token",
        ),
        (
            "duplicate exp",
            signed_rs256(key, dup_exp.as_bytes()),
            "malformed_token",
        ),
        (
            "duplicate iss",
            signed_rs256(key, dup_iss.as_bytes()),
            "malformed_token",
        ),
        (
            "duplicate alg in the header",
            format!(
                "{}.{p}.{sig}",
                b64(format!(
                    "{{\"alg\":\"none\",\"kid\":\"{kid}\",\"alg\":\"RS256\"}}"
                ))
            ),
            "malformed_token",
        ),
        (
            "non-UTF-8 in the payload",
            signed_rs256(key, b"{\"sub\":\"\xff\xfe\"}"),
            "malformed_token",
        ),
        (
            "lone surrogate escape",
            signed_rs256(key, b"{\"sub\":\"\\ud800\"}"),
            "malformed_token",
        ),
        (
            "trailing garbage after the payload",
            signed_rs256(key, format!("{claims} x").as_bytes()),
            "malformed_token",
        ),
        // Claim types and ranges (signed, so only the claim is wrong).
        (
            "exp beyond u64",
            signed_rs256(
                key,
                claims
                    .to_string()
                    .replace(
                        &format!("\"exp\":{}", NOW + 3600),
                        "\"exp\":123456789012345678901234567890",
                    )
                    .as_bytes(),
            ),
            "invalid_claim",
        ),
        (
            "exp 1e400",
            signed_rs256(
                key,
                claims
                    .to_string()
                    .replace(&format!("\"exp\":{}", NOW + 3600), "\"exp\":1e400")
                    .as_bytes(),
            ),
            "malformed_token",
        ),
    ];

    let mut table: Vec<(String, String, &str)> = cases
        .into_iter()
        .map(|(what, token, expected)| (what.to_owned(), token, expected))
        .collect();
    // The header's `alg` relabelled (the signature is still RS256).
    for (what, alg) in [
        ("PS256", "PS256"),
        ("RS256 relabelled ES256", "ES256"),
        ("RS256 relabelled RS384", "RS384"),
        ("RS256 relabelled RS512", "RS512"),
    ] {
        let token = s.issuer.access_token().header("alg", alg).sign();
        table.push((what.to_owned(), token, "unsupported_algorithm"));
    }
    // Claims of the wrong type (signed, so only the claim is wrong).
    for (what, claim, value) in [
        ("exp a string", "exp", json!("9999999999")),
        ("exp a float", "exp", json!(9_999_999_999.5)),
        ("exp negative", "exp", json!(-1)),
        ("exp null", "exp", Value::Null),
        ("nbf an object", "nbf", json!({"t": 1})),
        ("iat a bool", "iat", json!(true)),
        ("iss a number", "iss", json!(1)),
        ("token_use an array", "token_use", json!(["access"])),
        ("scope an array", "scope", json!(["openid"])),
        ("sub a number", "sub", json!(5)),
    ] {
        let token = signed_rs256(key, with(claim, value).as_bytes());
        table.push((what.to_owned(), token, "invalid_claim"));
    }
    table.extend(numeric_date_cases(&s));
    for (what, token, expected) in &table {
        let got = kind(&v.verify(token).await);
        assert_eq!(got, *expected, "{what}");
    }
    // The unchanged token still verifies.
    assert_eq!(kind(&v.verify(&good).await), "ok");
    // Non-UTF-8 bytes are a malformed token, not a panic.
    assert_eq!(
        kind(&v.verify_bytes(b"\xff\xfe.\x00.\x80").await),
        "malformed_token"
    );
    let mut bytes = good.clone().into_bytes();
    bytes[5] = 0xC3;
    assert_eq!(kind(&v.verify_bytes(&bytes).await), "malformed_token");
}

/// 9999-12-31T23:59:59Z, the latest NumericDate accepted.
const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// Rows of the table for `nbf` and `iat` (`exp`'s are above): wrong JSON types and out of range,
/// NumericDates just past the year-9999 bound, and in-range values still held to their bounds.
fn numeric_date_cases(s: &Setup) -> Vec<(String, String, &'static str)> {
    let key = s.issuer.signing_key();
    let claims = valid_claims(s);
    // Claims text with `name` set to the raw JSON `value` (so non-serde numbers can be written).
    let raw = |name: &str, value: &str| {
        let mut c = claims.clone();
        c[name] = json!("__placeholder__");
        c.to_string().replace("\"__placeholder__\"", value)
    };
    let signed = |name: &str, value: &str| signed_rs256(key, raw(name, value).as_bytes());
    let far = (MAX_NUMERIC_DATE + 1).to_string();
    let mut rows = Vec::new();
    for claim in ["nbf", "iat"] {
        for (value, expected) in [
            ("\"1700000000\"", "invalid_claim"),
            ("-1", "invalid_claim"),
            ("1700000000.5", "invalid_claim"),
            ("123456789012345678901234567890", "invalid_claim"),
            ("18446744073709551615", "invalid_claim"),
            (far.as_str(), "invalid_claim"),
            ("1e400", "malformed_token"),
            ("[1700000000]", "invalid_claim"),
            ("{}", "invalid_claim"),
            ("null", "invalid_claim"),
        ] {
            rows.push((format!("{claim} = {value}"), signed(claim, value), expected));
        }
    }
    // `exp` one second past the bound is out of range; exactly at it is a valid (far) expiry.
    rows.push(("exp past 9999".into(), signed("exp", &far), "invalid_claim"));
    let max = MAX_NUMERIC_DATE.to_string();
    rows.push((
        "exp at 9999-12-31T23:59:59Z".into(),
        signed("exp", &max),
        "ok",
    ));
    // The bounds in time still hold for in-range values.
    let later = (NOW + 3600).to_string();
    rows.push((
        "nbf in an hour".into(),
        signed("nbf", &later),
        "not_yet_valid",
    ));
    rows.push((
        "iat in an hour".into(),
        signed("iat", &later),
        "issued_in_future",
    ));
    rows
}

/// Found by fuzzing (`fuzz/`, target `verify_structured`): a
/// correctly signed access token whose claims are mis-shaped (`auth_time` a float, `username` a
/// number) is `invalid_claim` (401) whatever the verifier requires, never `insufficient_group` /
/// `insufficient_scope` (403): claim types are judged before the scope and group rules, and a 403
/// must mean "otherwise valid".
#[tokio::test]
async fn mis_shaped_claims_are_invalid_claim_even_when_scopes_or_groups_are_required() {
    use cognito_verify::Requirement;

    let s = Setup::new().await;
    let with_groups = s
        .builder(TokenUse::Access)
        .require_groups(Requirement::any_of(["admin"]))
        .build()
        .unwrap();
    let with_scopes = s
        .builder(TokenUse::Access)
        .require_scopes(Requirement::any_of(["orders/read"]))
        .build()
        .unwrap();
    let plain = s.verifier(TokenUse::Access);
    for (what, token) in [
        (
            "auth_time 0.0",
            s.issuer.access_token().claim("auth_time", 0.0).sign(),
        ),
        (
            "username a number",
            s.issuer.access_token().claim("username", 5).sign(),
        ),
    ] {
        assert_eq!(kind(&plain.verify(&token).await), "invalid_claim", "{what}");
        assert_eq!(
            kind(&with_groups.verify(&token).await),
            "invalid_claim",
            "{what}, groups required"
        );
        assert_eq!(
            kind(&with_scopes.verify(&token).await),
            "invalid_claim",
            "{what}, scopes required"
        );
    }
}

#[tokio::test]
async fn header_alg_must_agree_with_the_jwk_alg() {
    let s = Setup::new().await;
    let mut jwk = s.issuer.signing_key().jwk();
    jwk["alg"] = json!("RS384");
    s.server.set_jwks(json!({"keys": [jwk]}).to_string());
    let v = s.verifier(TokenUse::Access);
    assert_eq!(
        kind(&v.verify(&s.issuer.access_token().sign()).await),
        "algorithm_mismatch"
    );

    // No `alg` in the JWK: the RSA key type alone decides, and RS256 is accepted.
    let s2 = Setup::new().await;
    let mut jwk2 = s2.issuer.signing_key().jwk();
    jwk2.as_object_mut().unwrap().remove("alg");
    s2.server.set_jwks(json!({"keys": [jwk2]}).to_string());
    let v2 = s2.verifier(TokenUse::Access);
    assert_eq!(
        kind(&v2.verify(&s2.issuer.access_token().sign()).await),
        "ok"
    );
}

#[tokio::test]
async fn unknown_issuer_in_a_forged_token_causes_no_fetch() {
    let s = Setup::new().await;
    let v: Verifier = s.verifier(TokenUse::Access);
    let forged = s
        .issuer
        .access_token()
        .claim("iss", "https://attacker.example/pool")
        .sign();
    assert_eq!(kind(&v.verify(&forged).await), "invalid_issuer");
    assert_eq!(s.server.fetch_count(), 0);
}
