//! Real-shaped tokens, mutated, then *signed* with the pool's key: the fuzzer picks the header
//! and the claims (names, JSON types, values around the validity window, raw payload text) and
//! the signature passes, so the claim rules and the claims' typed shapes are what get fuzzed.
//! Every result goes through the acceptance oracle and the plain/strict/cache comparison.
#![no_main]

use std::collections::HashMap;
use std::sync::Mutex;

use arbitrary::Arbitrary;
use cognito_verify_fuzz::{
    CLIENT_ID, ISS, KID, KID_B, NOW, access_claims, b64, id_claims, now, sign, verifiers,
    verify_and_check,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value, json};

#[derive(Arbitrary, Debug)]
enum Base {
    Access,
    Id,
    Empty,
}

#[derive(Arbitrary, Debug)]
enum Alg {
    Rs256,
    None,
    Hs256,
    Rs384,
    Rs512,
    Ps256,
    Es256,
    LowerCase,
    Other(String),
    NotAString(Val),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Kid {
    A,
    B,
    Other(String),
    Empty,
    Long(u16),
    NotAString(Val),
    Missing,
}

/// A JSON value, with `Good` meaning "the right value for this claim" and `Rel` a NumericDate
/// relative to the verifier's now (so exp/nbf/iat land around the validity window).
#[derive(Arbitrary, Debug)]
enum Val {
    Good,
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Rel(i32),
    Str(String),
    Strs(Vec<String>),
    Nested(u8),
    Obj(Vec<(String, String)>),
}

#[derive(Arbitrary, Debug)]
enum Claim {
    Iss,
    Sub,
    TokenUse,
    ClientId,
    Aud,
    Exp,
    Nbf,
    Iat,
    AuthTime,
    Scope,
    Groups,
    Username,
    CognitoUsername,
    Email,
    EmailVerified,
    Version,
    Jti,
    Custom(String),
}

#[derive(Arbitrary, Debug)]
enum Signer {
    A,
    B,
    Empty,
    Bytes(Vec<u8>),
    FlipBit(u16),
    Truncate(u8),
}

#[derive(Arbitrary, Debug)]
enum Mangle {
    None,
    PadPayload,
    TrailingNewline,
    SpaceAt(u16),
    ExtraPart,
    RawHeader(String),
    HeaderDuplicateAlg,
}

#[derive(Arbitrary, Debug)]
struct Input {
    base: Base,
    alg: Alg,
    kid: Kid,
    header_extra: Vec<(String, Val)>,
    edits: Vec<(Claim, Option<Val>)>,
    raw_payload: Option<String>,
    signer: Signer,
    mangle: Mangle,
}

impl Claim {
    fn name(&self) -> &str {
        match self {
            Claim::Iss => "iss",
            Claim::Sub => "sub",
            Claim::TokenUse => "token_use",
            Claim::ClientId => "client_id",
            Claim::Aud => "aud",
            Claim::Exp => "exp",
            Claim::Nbf => "nbf",
            Claim::Iat => "iat",
            Claim::AuthTime => "auth_time",
            Claim::Scope => "scope",
            Claim::Groups => "cognito:groups",
            Claim::Username => "username",
            Claim::CognitoUsername => "cognito:username",
            Claim::Email => "email",
            Claim::EmailVerified => "email_verified",
            Claim::Version => "version",
            Claim::Jti => "jti",
            Claim::Custom(name) => name,
        }
    }

    fn good(&self) -> Value {
        match self {
            Claim::Iss => json!(ISS),
            Claim::TokenUse => json!("access"),
            Claim::ClientId | Claim::Aud => json!(CLIENT_ID),
            Claim::Exp => json!(NOW + 3600),
            Claim::Nbf | Claim::Iat | Claim::AuthTime => json!(NOW),
            Claim::Scope => json!("openid orders/read"),
            Claim::Groups => json!(["admin"]),
            Claim::EmailVerified => json!(true),
            Claim::Version => json!(2),
            _ => json!("x"),
        }
    }
}

impl Val {
    fn to_json(&self, good: impl FnOnce() -> Value) -> Value {
        match self {
            Val::Good => good(),
            Val::Null => Value::Null,
            Val::Bool(b) => json!(b),
            Val::Int(i) => json!(i),
            Val::UInt(u) => json!(u),
            Val::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Val::Rel(d) => json!(NOW.saturating_add_signed(i64::from(*d))),
            Val::Str(s) => json!(s),
            Val::Strs(v) => json!(v),
            Val::Nested(depth) => {
                let mut v = json!(1);
                for _ in 0..(*depth % 24) {
                    v = json!([v]);
                }
                v
            }
            Val::Obj(members) => {
                Value::Object(members.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
            }
        }
    }
}

/// RSA signing costs far more than verifying; the fuzzer often re-creates the same token, so
/// signatures are remembered (bounded).
fn signature(kid: &str, input: &str) -> Vec<u8> {
    type Memo = HashMap<(String, String), Vec<u8>>;
    static MEMO: Mutex<Option<Memo>> = Mutex::new(None);
    let mut memo = MEMO.lock().unwrap_or_else(|e| e.into_inner());
    let memo = memo.get_or_insert_with(HashMap::new);
    let key = (kid.to_owned(), input.to_owned());
    if let Some(sig) = memo.get(&key) {
        return sig.clone();
    }
    let sig = sign(kid, input.as_bytes());
    if memo.len() > 50_000 {
        memo.clear();
    }
    memo.insert(key, sig.clone());
    sig
}

fn header(input: &Input) -> Value {
    let mut h = Map::new();
    match &input.kid {
        Kid::A => drop(h.insert("kid".into(), json!(KID))),
        Kid::B => drop(h.insert("kid".into(), json!(KID_B))),
        Kid::Other(s) => drop(h.insert("kid".into(), json!(s))),
        Kid::Empty => drop(h.insert("kid".into(), json!(""))),
        Kid::Long(n) => drop(h.insert("kid".into(), json!("k".repeat(usize::from(*n % 400))))),
        Kid::NotAString(v) => drop(h.insert("kid".into(), v.to_json(|| json!(7)))),
        Kid::Missing => {}
    }
    let alg = match &input.alg {
        Alg::Rs256 => Some(json!("RS256")),
        Alg::None => Some(json!("none")),
        Alg::Hs256 => Some(json!("HS256")),
        Alg::Rs384 => Some(json!("RS384")),
        Alg::Rs512 => Some(json!("RS512")),
        Alg::Ps256 => Some(json!("PS256")),
        Alg::Es256 => Some(json!("ES256")),
        Alg::LowerCase => Some(json!("rs256")),
        Alg::Other(s) => Some(json!(s)),
        Alg::NotAString(v) => Some(v.to_json(|| json!(["RS256"]))),
        Alg::Missing => None,
    };
    if let Some(alg) = alg {
        h.insert("alg".into(), alg);
    }
    for (name, v) in input.header_extra.iter().take(4) {
        h.insert(name.clone(), v.to_json(|| json!("JWT")));
    }
    Value::Object(h)
}

fn payload(input: &Input) -> Vec<u8> {
    if let Some(raw) = &input.raw_payload {
        return raw.as_bytes().to_vec();
    }
    let mut claims = match input.base {
        Base::Access => access_claims(),
        Base::Id => id_claims(),
        Base::Empty => json!({}),
    };
    let map = claims.as_object_mut().expect("object");
    for (claim, val) in input.edits.iter().take(12) {
        match val {
            None => drop(map.remove(claim.name())),
            Some(v) => drop(map.insert(claim.name().to_owned(), v.to_json(|| claim.good()))),
        }
    }
    claims.to_string().into_bytes()
}

fn token(input: &Input) -> String {
    let header_text = match &input.mangle {
        Mangle::RawHeader(raw) => raw.clone(),
        Mangle::HeaderDuplicateAlg => {
            format!("{{\"alg\":\"none\",\"kid\":\"{KID}\",\"alg\":\"RS256\"}}")
        }
        _ => header(input).to_string(),
    };
    let signing_input = format!("{}.{}", b64(&header_text), b64(payload(input)));
    let needs_a_key = matches!(
        input.signer,
        Signer::A | Signer::B | Signer::FlipBit(_) | Signer::Truncate(_)
    );
    if needs_a_key {
        // An RSA signature costs about a millisecond, and most inputs are refused before the
        // signature is looked at. Try an all-zero signature first: unless it is refused for the
        // signature itself, signing would change nothing, and this token is as good an input.
        let dummy = finish(input, &signing_input, vec![0; 256]);
        let refusal = now(verifiers().plain.verify(&dummy))
            .err()
            .map(|e| e.kind().as_str());
        if refusal != Some("invalid_signature") {
            return dummy;
        }
    }
    let sig = match &input.signer {
        Signer::A => signature(KID, &signing_input),
        Signer::B => signature(KID_B, &signing_input),
        Signer::Empty => Vec::new(),
        Signer::Bytes(b) => b.clone(),
        Signer::FlipBit(at) => {
            let mut s = signature(KID, &signing_input);
            let i = usize::from(*at) % (s.len() * 8);
            s[i / 8] ^= 1 << (i % 8);
            s
        }
        Signer::Truncate(n) => {
            let mut s = signature(KID, &signing_input);
            s.truncate(s.len().saturating_sub(usize::from(*n).max(1)));
            s
        }
    };
    finish(input, &signing_input, sig)
}

/// The token with this signature, then mangled as the input says.
fn finish(input: &Input, signing_input: &str, sig: Vec<u8>) -> String {
    let mut token = format!("{signing_input}.{}", b64(sig));
    match &input.mangle {
        Mangle::PadPayload => {
            if let Some(dot) = token.rfind('.') {
                token.insert_str(dot, "==");
            }
        }
        Mangle::TrailingNewline => token.push('\n'),
        Mangle::SpaceAt(at) => {
            let mut i = usize::from(*at) % (token.len() + 1);
            while !token.is_char_boundary(i) {
                i -= 1;
            }
            token.insert(i, ' ');
        }
        Mangle::ExtraPart => token.push_str(".AAAA"),
        _ => {}
    }
    token
}

fuzz_target!(|input: Input| {
    let token = token(&input);
    verify_and_check(token.as_bytes());

    // The converse, on the one shape that must pass: an untouched token signed by key A.
    let pristine = matches!(input.base, Base::Access | Base::Id)
        && matches!(input.alg, Alg::Rs256)
        && matches!(input.kid, Kid::A)
        && input.header_extra.is_empty()
        && input.edits.is_empty()
        && input.raw_payload.is_none()
        && matches!(input.signer, Signer::A)
        && matches!(input.mangle, Mangle::None);
    if pristine {
        let plain = plain_accepts(&token);
        assert!(plain, "a pristine, correctly signed token was refused");
    }
});

fn plain_accepts(token: &str) -> bool {
    now(verifiers().plain.verify(token)).is_ok()
}
