//! Hostile tokens the main table (`hostile.rs`) covers for `exp` only: `nbf` and `iat` of wrong
//! JSON types and out of range, and NumericDates just past the year-9999 bound. Each is signed by
//! the pool's key, so only the claim under test is wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use cognito_verify::TokenUse;
use cognito_verify::testing::b64;
use common::{NOW, Setup, kind};
use serde_json::{Value, json};

/// 9999-12-31T23:59:59Z, the latest NumericDate accepted.
const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

#[tokio::test]
async fn nbf_and_iat_of_wrong_types_or_out_of_range_are_refused() {
    let s = Setup::new().await;
    let v = s.verifier(TokenUse::Access);
    let key = s.issuer.signing_key();
    let header = b64(json!({"kid": key.kid(), "alg": "RS256"}).to_string());
    let claims = Value::Object(s.issuer.access_token().claims().clone());
    // Claims text with `name` set to the raw JSON `value` (so non-serde numbers can be written).
    let raw = |name: &str, value: &str| {
        let mut c = claims.clone();
        c[name] = json!("__placeholder__");
        c.to_string().replace("\"__placeholder__\"", value)
    };
    let sign = |payload: String| {
        let input = format!("{header}.{}", b64(payload));
        format!("{input}.{}", b64(key.sign(input.as_bytes())))
    };

    let far = (MAX_NUMERIC_DATE + 1).to_string();
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
            let token = sign(raw(claim, value));
            assert_eq!(kind(&v.verify(&token).await), expected, "{claim} = {value}");
        }
    }

    // `exp` one second past the bound is out of range; exactly at it is a valid (far) expiry.
    assert_eq!(
        kind(&v.verify(&sign(raw("exp", &far))).await),
        "invalid_claim"
    );
    assert_eq!(
        kind(
            &v.verify(&sign(raw("exp", &MAX_NUMERIC_DATE.to_string())))
                .await
        ),
        "ok"
    );
    // The bounds in time still hold for in-range values.
    assert_eq!(
        kind(&v.verify(&sign(raw("nbf", &(NOW + 3600).to_string()))).await),
        "not_yet_valid"
    );
    assert_eq!(
        kind(&v.verify(&sign(raw("iat", &(NOW + 3600).to_string()))).await),
        "issued_in_future"
    );
}

/// Found by fuzzing (`fuzz/`, target `verify_structured`), fixed in the core (49cc7b2): a
/// correctly signed access token whose claims are mis-shaped (`auth_time` a float, `username` a
/// number) is `invalid_claim` (401) whatever the verifier requires. It used to get
/// `insufficient_group` / `insufficient_scope` (403) from a verifier with requirements, because the
/// shape was judged after the scope and group rules, and a 403 must mean "otherwise valid".
#[tokio::test]
async fn mis_shaped_claims_are_invalid_claims_even_when_scopes_or_groups_are_required() {
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
