//! Writes the seed corpus of `alb_token` (`fuzz/seeds/alb_token/`): ALB-shaped tokens signed
//! with the committed fuzz key, as text (first byte 0) and as header/payload pairs to be signed
//! by the target (first byte 1: padded, 3: unpadded).
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example gen_alb_seeds`. ECDSA signatures are
//! randomised, so the text seeds differ from run to run (they verify all the same).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use cognito_verify_fuzz::NOW;
use cognito_verify_fuzz::alb::{ALB_KID, alb_header, alb_payload, mint_alb};
use serde_json::{Value, json};

fn with(mut v: Value, name: &str, x: Value) -> Value {
    v[name] = x;
    v
}

fn without(mut v: Value, name: &str) -> Value {
    v.as_object_mut().unwrap().remove(name);
    v
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/alb_token");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let (h, p) = (alb_header(), alb_payload());
    let pairs = [
        ("pristine", h.clone(), p.clone()),
        ("header-iss-absent", without(h.clone(), "iss"), p.clone()),
        ("header-exp-only", h.clone(), without(p.clone(), "exp")),
        ("payload-exp-only", without(h.clone(), "exp"), p.clone()),
        (
            "expired",
            with(h.clone(), "exp", json!(NOW - 60)),
            p.clone(),
        ),
        (
            "no-exp",
            without(h.clone(), "exp"),
            without(p.clone(), "exp"),
        ),
        (
            "other-signer",
            with(
                h.clone(),
                "signer",
                json!(
                    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/1"
                ),
            ),
            p.clone(),
        ),
        (
            "other-client",
            with(h.clone(), "client", json!("x")),
            p.clone(),
        ),
        (
            "other-iss",
            h.clone(),
            with(p.clone(), "iss", json!("https://evil.example")),
        ),
        (
            "alg-hs256",
            with(h.clone(), "alg", json!("HS256")),
            p.clone(),
        ),
        ("crit", with(h.clone(), "crit", json!(["exp"])), p.clone()),
        ("kid-path", with(h.clone(), "kid", json!("../x")), p.clone()),
        (
            "kid-upper",
            with(h.clone(), "kid", json!(ALB_KID.to_uppercase())),
            p.clone(),
        ),
        ("no-sub", h.clone(), without(p.clone(), "sub")),
        (
            "groups",
            h.clone(),
            with(p.clone(), "cognito:groups", json!(["a", "b"])),
        ),
    ];
    for (name, header, payload) in &pairs {
        let (header, payload) = (header.to_string(), payload.to_string());
        for (mode, form) in [(1u8, "padded"), (3u8, "unpadded")] {
            let mut bytes = vec![mode];
            bytes.extend_from_slice(header.as_bytes());
            bytes.push(0xff);
            bytes.extend_from_slice(payload.as_bytes());
            fs::write(dir.join(format!("pair-{name}-{form}")), bytes).unwrap();
        }
        for (padded, form) in [(true, "padded"), (false, "unpadded")] {
            let token = mint_alb(header.as_bytes(), payload.as_bytes(), padded);
            let mut bytes = vec![0u8];
            bytes.extend_from_slice(token.as_bytes());
            fs::write(dir.join(format!("token-{name}-{form}")), bytes).unwrap();
        }
    }
}
