//! Writes the seed corpora: real-shaped tokens (signed with the committed fuzz keys) for
//! `verify_token`, and real-shaped key sets for `jwks_parse`.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds` (writes `fuzz/seeds/`).
//! RSA PKCS#1 v1.5 signatures are deterministic, so the output is the same on every run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use cognito_verify_fuzz::{
    CLIENT_ID, ISS, KID, KID_B, NOW, access_claims, b64, header, id_claims, jwk, jwks_json, mint,
    sign,
};
use serde_json::{Value, json};

fn with(mut claims: Value, name: &str, v: Value) -> Vec<u8> {
    claims[name] = v;
    claims.to_string().into_bytes()
}

fn without(mut claims: Value, name: &str) -> Vec<u8> {
    claims.as_object_mut().unwrap().remove(name);
    claims.to_string().into_bytes()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let tokens = root.join("verify_token");
    let keysets = root.join("jwks_parse");
    for dir in [&tokens, &keysets] {
        let _ = fs::remove_dir_all(dir);
        fs::create_dir_all(dir).unwrap();
    }

    let h = header(KID).to_string();
    let hb = header(KID_B).to_string();
    let access = access_claims();
    let id = id_claims();
    let a = access.to_string();
    let good = mint(KID, h.as_bytes(), a.as_bytes());
    let t = |name: &str, token: String| write(&tokens, name, token);

    t("access", good.clone());
    t("access-key-b", mint(KID_B, hb.as_bytes(), a.as_bytes()));
    t("id", mint(KID, h.as_bytes(), id.to_string().as_bytes()));
    t(
        "id-with-groups",
        mint(
            KID,
            h.as_bytes(),
            with(id.clone(), "cognito:groups", json!(["admin"])).as_slice(),
        ),
    );
    t(
        "access-scoped",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "scope", json!("orders/read openid")),
        ),
    );
    t(
        "access-groups",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "cognito:groups", json!(["admin", "ops"])),
        ),
    );
    let mut m2m = access.clone();
    m2m["sub"] = json!(CLIENT_ID);
    t("m2m", mint(KID, h.as_bytes(), &without(m2m, "username")));
    t(
        "expired",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "exp", json!(NOW - 60)),
        ),
    );
    t(
        "exp-at-leeway",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "exp", json!(NOW - 30)),
        ),
    );
    t(
        "nbf-future",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "nbf", json!(NOW + 3600)),
        ),
    );
    t(
        "iat-future",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "iat", json!(NOW + 3600)),
        ),
    );
    t(
        "exp-string",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "exp", json!("9999999999")),
        ),
    );
    t(
        "exp-float",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "exp", json!(1.7e9)),
        ),
    );
    t(
        "exp-missing",
        mint(KID, h.as_bytes(), &without(access.clone(), "exp")),
    );
    t(
        "other-iss",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "iss", json!(format!("{ISS}/"))),
        ),
    );
    t(
        "other-client",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "client_id", json!("other")),
        ),
    );
    t(
        "token-use-id-claims-access",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "token_use", json!("id")),
        ),
    );
    t(
        "token-use-refresh",
        mint(
            KID,
            h.as_bytes(),
            &with(access.clone(), "token_use", json!("refresh")),
        ),
    );
    t(
        "dup-exp",
        mint(
            KID,
            h.as_bytes(),
            format!("{{\"exp\":{},{}", NOW + 7200, &a[1..]).as_bytes(),
        ),
    );
    t("kid-b-signed-a", mint(KID, hb.as_bytes(), a.as_bytes()));
    t(
        "unknown-kid",
        mint(
            KID,
            json!({"kid": "nope", "alg": "RS256"})
                .to_string()
                .as_bytes(),
            a.as_bytes(),
        ),
    );
    t(
        "alg-none",
        format!(
            "{}.{}.",
            b64(json!({"kid": KID, "alg": "none"}).to_string()),
            b64(&a)
        ),
    );
    t("alg-hs256", {
        let input = format!(
            "{}.{}",
            b64(json!({"kid": KID, "alg": "HS256"}).to_string()),
            b64(&a)
        );
        let sig = sign(KID, input.as_bytes());
        format!("{input}.{}", b64(sig))
    });
    t(
        "alg-rs384",
        mint(
            KID,
            json!({"kid": KID, "alg": "RS384"}).to_string().as_bytes(),
            a.as_bytes(),
        ),
    );
    t(
        "crit",
        mint(
            KID,
            json!({"kid": KID, "alg": "RS256", "crit": ["exp"]})
                .to_string()
                .as_bytes(),
            a.as_bytes(),
        ),
    );
    t(
        "typ-jwt",
        mint(
            KID,
            json!({"kid": KID, "alg": "RS256", "typ": "JWT"})
                .to_string()
                .as_bytes(),
            a.as_bytes(),
        ),
    );
    t(
        "nested",
        mint(
            KID,
            h.as_bytes(),
            format!("{{\"a\":{}{}}}", "[".repeat(20), "]".repeat(20)).as_bytes(),
        ),
    );
    t("payload-array", mint(KID, h.as_bytes(), b"[1,2,3]"));
    let parts: Vec<&str> = good.split('.').collect();
    t(
        "tampered-payload",
        format!(
            "{}.{}.{}",
            parts[0],
            b64(with(access.clone(), "username", json!("admin"))),
            parts[2]
        ),
    );
    t(
        "padded",
        format!("{}.{}==.{}", parts[0], parts[1], parts[2]),
    );
    t("two-parts", format!("{}.{}", parts[0], parts[1]));
    t("empty", String::new());

    let k = |name: &str, doc: Value| write(&keysets, name, doc.to_string());
    write(&keysets, "cognito", jwks_json());
    k("key-a-only", json!({"keys": [jwk(KID)]}));
    k("empty-keys", json!({"keys": []}));
    let mut no_alg = jwk(KID);
    no_alg.as_object_mut().unwrap().remove("alg");
    k("no-alg", json!({"keys": [no_alg]}));
    let mut rs384 = jwk(KID);
    rs384["alg"] = json!("RS384");
    k("alg-rs384", json!({"keys": [rs384, jwk(KID_B)]}));
    let mut enc = jwk(KID);
    enc["use"] = json!("enc");
    k("use-enc", json!({"keys": [enc]}));
    let mut ops = jwk(KID);
    ops["key_ops"] = json!(["verify"]);
    k("key-ops", json!({"keys": [ops]}));
    let mut swapped = jwk(KID);
    swapped["kid"] = json!(KID_B);
    k("kid-swapped", json!({"keys": [swapped]}));
    k("duplicate-kid", json!({"keys": [jwk(KID), jwk(KID)]}));
    k(
        "mixed",
        json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "ec"},
            {"kty": "RSA", "kid": "no-n", "e": "AQAB"},
            "not an object",
            jwk(KID),
        ]}),
    );
    let mut padded = jwk(KID);
    padded["n"] = json!(format!("{}=", padded["n"].as_str().unwrap()));
    k("padded-n", json!({"keys": [padded]}));
    let mut zero = jwk(KID);
    zero["n"] = json!(format!("AA{}", zero["n"].as_str().unwrap()));
    k("leading-zero-n", json!({"keys": [zero]}));
    k(
        "many",
        json!({"keys": (0..40).map(|i| { let mut j = jwk(KID_B); j["kid"] = json!(format!("k{i}")); j }).chain([jwk(KID)]).collect::<Vec<_>>()}),
    );
    k("keys-object", json!({"keys": {}}));
    k("array", json!([jwk(KID)]));
    write(&keysets, "not-json", "<html>503</html>");

    println!(
        "wrote {} token seeds and {} key-set seeds under {}",
        fs::read_dir(&tokens).unwrap().count(),
        fs::read_dir(&keysets).unwrap().count(),
        root.display()
    );
}
