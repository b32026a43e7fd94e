//! The ALB verifier against a real key endpoint on loopback: every check, accepted and refused,
//! and the key cache's guarantees (one fetch per kid, unknown kids remembered, the bound on
//! fetches for new kids, stale-if-error).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use cognito_verify::ManualClock;
use cognito_verify::alb::defaults::{
    DEFAULT_KEY_COOLDOWN, DEFAULT_KEY_MAX_STALENESS, DEFAULT_KEY_REFRESH_INTERVAL,
};
use cognito_verify::alb::{AlbError, AlbKeyError, AlbVerifier, AlbVerifierBuilder};
use cognito_verify::testing::Fault;
use cognito_verify::testing::alb::{
    AlbKeyServer, AlbTestKey, TestAlb, b64_padded, p384_public_key_pem, rsa_public_key_pem,
};
use cognito_verify::{ConfigErrorKind, ErrorClass, ErrorKind};
use serde_json::json;

/// 2023-11-14T22:13:20Z: the fixed "now" of the tests.
const NOW: u64 = 1_700_000_000;

struct Setup {
    alb: TestAlb,
    server: AlbKeyServer,
    clock: ManualClock,
}

impl Setup {
    async fn new() -> Self {
        let mut alb = TestAlb::new();
        alb.set_now(NOW);
        let server = AlbKeyServer::start().await.unwrap();
        server.add_key(alb.signing_key());
        Setup {
            alb,
            server,
            clock: ManualClock::at_unix(NOW),
        }
    }

    fn builder(&self) -> AlbVerifierBuilder {
        self.alb
            .verifier_builder(&self.server.base_url())
            .clock(self.clock.clone())
            .key_timeout(Duration::from_secs(2))
    }

    fn verifier(&self) -> AlbVerifier {
        self.builder().build().unwrap()
    }
}

async fn kind(verifier: &AlbVerifier, token: &str) -> Result<(), &'static str> {
    verifier
        .verify(token)
        .await
        .map(drop)
        .map_err(|e| e.kind().as_str())
}

/// Waits (up to 60 s) until `probe` holds, checking every 10 ms: for background work whose end
/// the test cannot be told of otherwise.
async fn eventually(mut probe: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while tokio::time::Instant::now() < deadline {
        if probe().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn accepts_a_token_as_alb_mints_it() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    let token = s.alb.token().claim("email", "jane@example.com").sign();
    // ALB pads every segment; this one does too.
    let parts: Vec<&str> = token.split('.').collect();
    assert!(parts.iter().all(|p| p.len() % 4 == 0), "{token}");
    assert!(
        parts[2].ends_with("=="),
        "a 64-byte signature pads with two `=`"
    );

    let claims = verifier.verify(&token).await.unwrap();
    assert_eq!(claims.signer(), s.alb.signer());
    assert_eq!(claims.client(), s.alb.app_client_id());
    assert_eq!(claims.iss(), s.alb.issuer());
    assert_eq!(claims.kid(), s.alb.signing_key().kid());
    assert_eq!(claims.exp(), NOW + 3600);
    assert_eq!(
        claims.get("email").and_then(|v| v.as_str()),
        Some("jane@example.com")
    );
    assert_eq!(
        claims.get("sub").and_then(|v| v.as_str()),
        Some(claims.sub())
    );
    assert_eq!(s.server.fetch_count(), 1);
    assert_eq!(
        s.server.requested_paths(),
        [format!("/{}", s.alb.signing_key().kid())]
    );

    // The key is cached: more tokens, unpadded and with `n − s`, cost no fetch.
    assert_eq!(kind(&verifier, &s.alb.token().sign()).await, Ok(()));
    assert_eq!(
        kind(&verifier, &s.alb.token().unpadded().sign()).await,
        Ok(())
    );
    assert_eq!(
        kind(&verifier, &s.alb.token().high_s().sign()).await,
        Ok(())
    );
    assert_eq!(
        kind(&verifier, &s.alb.token().high_s().unpadded().sign()).await,
        Ok(())
    );
    assert_eq!(s.server.fetch_count(), 1);
    assert_eq!(verifier.key_fetch_count(), 1);
}

#[tokio::test]
async fn checks_the_identity_header_against_sub() {
    let s = Setup::new().await;
    let token = s.alb.token().claim("sub", "user-1").sign();
    let claims = s.verifier().verify(&token).await.unwrap();
    assert_eq!(claims.check_identity("user-1"), Ok(()));
    let mismatch = claims.check_identity("user-2").unwrap_err();
    assert_eq!(
        (mismatch.kind(), mismatch.class()),
        (ErrorKind::IdentityMismatch, ErrorClass::InvalidToken)
    );
    assert_eq!(
        claims.check_identity("").map_err(|e| e.kind().as_str()),
        Err("identity_mismatch")
    );
}

#[tokio::test]
async fn accepts_only_the_configured_signers() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    // Another load balancer of the same region signs with the same keys: only `signer` tells.
    let neighbour = s.alb.signer().replace("test-alb", "other-alb");
    let forged = s.alb.token().header("signer", neighbour.clone()).sign();
    assert_eq!(kind(&verifier, &forged).await, Err("invalid_signer"));
    for (token, expected) in [
        (
            s.alb.token().without_header("signer").sign(),
            "missing_claim",
        ),
        (s.alb.token().header("signer", 7).sign(), "invalid_claim"),
        (s.alb.token().header("signer", "").sign(), "invalid_signer"),
        (
            s.alb
                .token()
                .header("signer", format!("{} ", s.alb.signer()))
                .sign(),
            "invalid_signer",
        ),
    ] {
        assert_eq!(kind(&verifier, &token).await, Err(expected));
    }
    // Refused before any key is fetched.
    assert_eq!(s.server.fetch_count(), 0);

    // A verifier configured with both accepts both.
    let both = s.builder().alb_arn(neighbour).build().unwrap();
    assert_eq!(kind(&both, &forged).await, Ok(()));
    assert_eq!(kind(&both, &s.alb.token().sign()).await, Ok(()));
}

#[tokio::test]
async fn accepts_only_the_configured_clients() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    let other = s.alb.token().header("client", "another-client").sign();
    assert_eq!(kind(&verifier, &other).await, Err("invalid_client"));
    assert_eq!(
        kind(&verifier, &s.alb.token().without_header("client").sign()).await,
        Err("missing_claim")
    );
    assert_eq!(
        kind(
            &verifier,
            &s.alb.token().header("client", json!(["x"])).sign()
        )
        .await,
        Err("invalid_claim")
    );
    assert_eq!(s.server.fetch_count(), 0);

    let any = AlbVerifier::builder()
        .alb_arn(s.alb.signer())
        .issuer(s.alb.issuer())
        .any_client()
        .key_base_url(s.server.base_url())
        .clock(s.clock.clone())
        .build()
        .unwrap();
    assert_eq!(kind(&any, &other).await, Ok(()));
    let two = s.builder().client_id("another-client").build().unwrap();
    assert_eq!(kind(&two, &other).await, Ok(()));
}

#[tokio::test]
async fn checks_the_issuer_in_header_and_payload() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    let evil = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil";
    for (token, expected) in [
        (
            s.alb.token().header("iss", evil).sign(),
            Err("invalid_issuer"),
        ),
        (
            s.alb.token().claim("iss", evil).sign(),
            Err("invalid_issuer"),
        ),
        (
            s.alb.token().header("iss", evil).claim("iss", evil).sign(),
            Err("invalid_issuer"),
        ),
        (s.alb.token().without("iss").sign(), Err("missing_claim")),
        (s.alb.token().claim("iss", 1).sign(), Err("invalid_claim")),
        (s.alb.token().header("iss", 1).sign(), Err("invalid_claim")),
        // The header's `iss` is optional; the payload's is checked alone then.
        (s.alb.token().without_header("iss").sign(), Ok(())),
    ] {
        assert_eq!(kind(&verifier, &token).await, expected);
    }
}

#[tokio::test]
async fn checks_every_exp_present() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    let past = NOW - 31; // the default leeway is 30 s
    let future = NOW + 600;
    for (token, expected) in [
        (s.alb.token().expires_in(-31).sign(), Err("expired")),
        (s.alb.token().expires_in(-29).sign(), Ok(())),
        (s.alb.token().header("exp", past).sign(), Err("expired")),
        (s.alb.token().claim("exp", past).sign(), Err("expired")),
        (
            s.alb.token().without_header("exp").without("exp").sign(),
            Err("missing_claim"),
        ),
        (s.alb.token().without_header("exp").sign(), Ok(())),
        (s.alb.token().without("exp").sign(), Ok(())),
        (
            s.alb.token().without("exp").header("exp", past).sign(),
            Err("expired"),
        ),
        (
            s.alb.token().claim("exp", "soon").sign(),
            Err("invalid_claim"),
        ),
        (s.alb.token().header("exp", -1).sign(), Err("invalid_claim")),
        (
            s.alb.token().header("exp", 1.5).sign(),
            Err("invalid_claim"),
        ),
        (s.alb.token().claim("exp", future).sign(), Ok(())),
    ] {
        assert_eq!(kind(&verifier, &token).await, expected);
    }
    // The earlier of the two is the token's expiry.
    let claims = verifier
        .verify(&s.alb.token().claim("exp", future).sign())
        .await
        .unwrap();
    assert_eq!(claims.exp(), future);
}

#[tokio::test]
async fn requires_sub() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    assert_eq!(
        kind(&verifier, &s.alb.token().without("sub").sign()).await,
        Err("missing_claim")
    );
    assert_eq!(
        kind(&verifier, &s.alb.token().claim("sub", 5).sign()).await,
        Err("invalid_claim")
    );
}

#[tokio::test]
async fn refuses_every_other_algorithm() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    let pem = s.alb.signing_key().public_key_pem();
    // The classic confusion: HMAC keyed with the public key's PEM (and its DER-less variants).
    for secret in [pem.as_bytes(), pem.trim_end().as_bytes()] {
        let hs256 = s.alb.token().sign_hs256(secret);
        assert_eq!(kind(&verifier, &hs256).await, Err("unsupported_algorithm"));
    }
    for alg in [
        json!("RS256"),
        json!("none"),
        json!("es256"),
        json!("ES384"),
        json!("ES256K"),
        json!(""),
        json!(null),
        json!(["ES256"]),
    ] {
        let token = s.alb.token().header("alg", alg.clone()).sign();
        assert_eq!(
            kind(&verifier, &token).await,
            Err("unsupported_algorithm"),
            "{alg}"
        );
    }
    assert_eq!(
        kind(&verifier, &s.alb.token().without_header("alg").sign()).await,
        Err("unsupported_algorithm")
    );
    let crit = s.alb.token().header("crit", json!(["b64"])).sign();
    assert_eq!(kind(&verifier, &crit).await, Err("unsupported_crit"));
    assert_eq!(s.server.fetch_count(), 0);
}

#[tokio::test]
async fn kids_must_be_uuids_before_any_fetch() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    let kid = s.alb.signing_key().kid().to_owned();
    for hostile in [
        "../x".to_owned(),
        "%2e%2e".to_owned(),
        "..%2f..%2fetc%2fpasswd".to_owned(),
        format!("../{kid}"),
        format!("{kid}/../x"),
        format!("{kid}?x=1"),
        format!("{kid}#x"),
        format!(" {kid}"),
        kid.replace('-', ""),
        format!("{{{kid}}}"),
        // The first character percent-encoded: the same path to a lax server, not a UUID.
        format!("%{:02x}{}", kid.as_bytes()[0], &kid[1..]),
        "not-a-uuid".to_owned(),
        String::new(),
        "https://evil.example/key".to_owned(),
    ] {
        let token = s.alb.token().kid(&hostile).sign();
        assert_eq!(
            kind(&verifier, &token).await,
            Err("invalid_kid"),
            "{hostile}"
        );
    }
    for missing in [json!(null), json!(1), json!([kid])] {
        let token = s.alb.token().header("kid", missing).sign();
        assert_eq!(kind(&verifier, &token).await, Err("missing_kid"));
    }
    assert_eq!(
        kind(&verifier, &s.alb.token().without_header("kid").sign()).await,
        Err("missing_kid")
    );
    assert_eq!(
        s.server.fetch_count(),
        0,
        "{:?}",
        s.server.requested_paths()
    );
}

#[tokio::test]
async fn an_uppercase_uuid_kid_is_fetched_as_written() {
    let s = Setup::new().await;
    let upper = AlbTestKey::generate_with_kid(s.alb.signing_key().kid().to_uppercase());
    s.server.add_key(&upper);
    let verifier = s.verifier();
    let token = s.alb.token().kid(upper.kid()).signed_with(&upper).sign();
    assert_eq!(kind(&verifier, &token).await, Ok(()));
    assert_eq!(s.server.requested_paths(), [format!("/{}", upper.kid())]);
}

#[tokio::test]
async fn refuses_bad_signatures() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    let other = AlbTestKey::generate();
    let good = s.alb.token().sign();
    let (input, signature) = good.rsplit_once('.').unwrap();
    let decoded = base64_decode(signature.trim_end_matches('='));
    let with_signature = |bytes: &[u8]| format!("{input}.{}", b64_padded(bytes));
    let mut flipped = decoded.clone();
    flipped[10] ^= 1;
    let mut zero_r = decoded.clone();
    zero_r[..32].fill(0);
    for (token, expected, why) in [
        (
            s.alb.token().signed_with(&other).sign(),
            "invalid_signature",
            "another key",
        ),
        (
            s.alb.token().der_signature().sign(),
            "invalid_signature",
            "DER",
        ),
        (
            with_signature(&decoded[..63]),
            "invalid_signature",
            "truncated",
        ),
        (
            with_signature(&decoded[..32]),
            "invalid_signature",
            "r only",
        ),
        (
            with_signature(&[decoded.as_slice(), &[0]].concat()),
            "invalid_signature",
            "a byte too long",
        ),
        (
            with_signature(&flipped),
            "invalid_signature",
            "a bit flipped",
        ),
        (with_signature(&zero_r), "invalid_signature", "r = 0"),
        (with_signature(&[0u8; 64]), "invalid_signature", "all zero"),
        (format!("{input}."), "malformed_token", "empty"),
        (
            format!("{input}.{signature}="),
            "malformed_token",
            "padded too much",
        ),
        (
            format!("{input}.{}", &signature[..signature.len() - 1]),
            "malformed_token",
            "padded too little",
        ),
    ] {
        assert_eq!(kind(&verifier, &token).await, Err(expected), "{why}");
    }
    // The payload changed under a valid signature.
    let (header, _) = input.split_once('.').unwrap();
    let payload =
        b64_padded(json!({"sub": "admin", "exp": NOW + 60, "iss": s.alb.issuer()}).to_string());
    assert_eq!(
        kind(&verifier, &format!("{header}.{payload}.{signature}")).await,
        Err("invalid_signature")
    );
    // The signature covers the segments as received: dropping the padding of a padded token
    // changes them.
    let unpadded: Vec<&str> = good.split('.').map(|p| p.trim_end_matches('=')).collect();
    let stripped = unpadded.join(".");
    if stripped != good {
        assert_eq!(kind(&verifier, &stripped).await, Err("invalid_signature"));
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

#[tokio::test]
async fn refuses_malformed_tokens() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    let good = s.alb.token().sign();
    let parts: Vec<&str> = good.split('.').collect();
    for (token, why) in [
        (String::new(), "empty"),
        (parts[..2].join("."), "two parts"),
        (format!("{good}.{}", parts[2]), "four parts"),
        (format!("{}..{}", parts[0], parts[2]), "empty payload"),
        (good.replacen('=', "==", 1), "extra padding"),
        (
            format!("{}={}", parts[0], &good[parts[0].len()..]),
            "an extra `=` on the header",
        ),
        (
            format!(
                "{}.{}={}.{}",
                parts[0],
                &parts[1][..4],
                &parts[1][4..],
                parts[2]
            ),
            "`=` inside",
        ),
        (
            format!("{}.{}.{}", b64_padded("[1]"), parts[1], parts[2]),
            "header not an object",
        ),
        (
            format!(
                "{}.{}.{}",
                b64_padded(r#"{"alg":"ES256","alg":"ES256"}"#),
                parts[1],
                parts[2]
            ),
            "duplicate header member",
        ),
        (
            format!(
                "{}.{}.{}",
                parts[0],
                b64_padded(r#"{"sub":"a","sub":"b"}"#),
                parts[2]
            ),
            "duplicate payload member",
        ),
        (
            format!("{}.{}.+{}", parts[0], parts[1], &parts[2][1..]),
            "standard alphabet",
        ),
    ] {
        assert_eq!(
            kind(&verifier, &token).await,
            Err("malformed_token"),
            "{why}"
        );
    }
    let huge = format!("{}.{}.{}", parts[0], "A".repeat(17 * 1024), parts[2]);
    assert_eq!(kind(&verifier, &huge).await, Err("token_too_large"));
    assert_eq!(s.server.fetch_count(), 0);
}

#[tokio::test]
async fn a_missing_key_is_an_unknown_kid_remembered_for_the_cooldown() {
    for status in [404, 403] {
        let s = Setup::new().await;
        let verifier = s.verifier();
        let stranger = AlbTestKey::generate();
        let token = s
            .alb
            .token()
            .kid(stranger.kid())
            .signed_with(&stranger)
            .sign();
        if status == 403 {
            s.server.set_fault(Fault::Status(403));
        }
        let error = verifier.verify(&token).await.unwrap_err();
        assert_eq!(
            (error.kind(), error.class()),
            (ErrorKind::UnknownKid, ErrorClass::InvalidToken),
            "HTTP {status}"
        );
        assert_eq!(s.server.fetch_count(), 1);
        // Remembered: no fetch within the cooldown, even once the key appears.
        s.server.set_fault(Fault::None);
        s.server.add_key(&stranger);
        assert_eq!(kind(&verifier, &token).await, Err("unknown_kid"));
        assert_eq!(s.server.fetch_count(), 1);
        // After it, the kid is fetched again, and found.
        s.clock.advance(DEFAULT_KEY_COOLDOWN);
        assert_eq!(kind(&verifier, &token).await, Ok(()));
        assert_eq!(s.server.fetch_count(), 2);
    }
}

#[tokio::test]
async fn key_endpoint_failures_are_keys_unavailable() {
    let stalled = Duration::from_millis(500);
    for (fault, what) in [
        (Fault::Status(500), "HTTP 500"),
        (Fault::Status(401), "HTTP 401"),
        (Fault::RetryAfter(503, 30), "HTTP 503 with Retry-After"),
        (Fault::Stall, "stall"),
        (Fault::Body("not a PEM".into()), "garbage"),
        (Fault::Body(String::new()), "empty body"),
        (Fault::Body(rsa_public_key_pem()), "an RSA key"),
        (Fault::Body(p384_public_key_pem()), "a P-384 key"),
        (
            Fault::Body(
                AlbTestKey::generate()
                    .public_key_pem()
                    .replace("PUBLIC KEY", "CERTIFICATE"),
            ),
            "another PEM label",
        ),
        (Fault::Oversized(4096), "an oversized body"),
        (
            Fault::Redirect("http://127.0.0.1:9/elsewhere".into()),
            "a redirect",
        ),
        (Fault::Reset, "a reset"),
    ] {
        let s = Setup::new().await;
        s.server.set_fault(fault);
        let verifier = s.builder().key_timeout(stalled).build().unwrap();
        let started = std::time::Instant::now();
        let error = verifier.verify(&s.alb.token().sign()).await.unwrap_err();
        assert_eq!(
            (error.kind(), error.class()),
            (ErrorKind::KeysUnavailable, ErrorClass::KeysUnavailable),
            "{what}: {error}"
        );
        assert!(error.retry_after().is_some(), "{what}");
        assert!(
            started.elapsed() < stalled + Duration::from_secs(5),
            "{what} took {:?}",
            started.elapsed()
        );
        if what.contains("key") || what.contains("garbage") || what.contains("label") {
            assert!(
                matches!(
                    error,
                    AlbError::KeysUnavailable {
                        reason: AlbKeyError::NotAnEcP256Key,
                        ..
                    }
                ),
                "{what}: {error:?}"
            );
        }
        // No fetch again before the cooldown has passed: the same answer, from memory.
        let again = verifier.verify(&s.alb.token().sign()).await.unwrap_err();
        assert_eq!(again.kind(), ErrorKind::KeysUnavailable, "{what}");
        assert_eq!(verifier.key_fetch_count(), 1, "{what}");
    }
}

#[tokio::test]
async fn a_healed_endpoint_is_fetched_again_after_the_cooldown() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    s.server.set_fault(Fault::Status(500));
    let token = s.alb.token().sign();
    assert_eq!(kind(&verifier, &token).await, Err("keys_unavailable"));
    s.server.set_fault(Fault::None);
    assert_eq!(kind(&verifier, &token).await, Err("keys_unavailable"));
    assert_eq!(s.server.fetch_count(), 1);
    s.clock.advance(DEFAULT_KEY_COOLDOWN);
    assert_eq!(kind(&verifier, &token).await, Ok(()));
    assert_eq!(s.server.fetch_count(), 2);
}

#[tokio::test]
async fn a_flood_of_random_kids_costs_one_fetch_per_cooldown() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    // The real key is held before the flood.
    assert_eq!(kind(&verifier, &s.alb.token().sign()).await, Ok(()));
    assert_eq!(s.server.fetch_count(), 1);
    // That fetch was for a new kid too: the next one may start a cooldown later.
    let second = AlbTestKey::generate();
    s.server.add_key(&second);
    let token = s.alb.token().kid(second.kid()).signed_with(&second).sign();
    assert_eq!(kind(&verifier, &token).await, Err("unknown_kid"));
    assert_eq!(s.server.fetch_count(), 1);
    s.clock.advance(DEFAULT_KEY_COOLDOWN);
    assert_eq!(kind(&verifier, &token).await, Ok(()));
    assert_eq!(s.server.fetch_count(), 2);
    s.clock.advance(DEFAULT_KEY_COOLDOWN);

    let forger = AlbTestKey::generate();
    let flood = |n: usize| {
        (0..n)
            .map(|_| {
                let random = AlbTestKey::generate();
                s.alb.token().kid(random.kid()).signed_with(&forger).sign()
            })
            .collect::<Vec<_>>()
    };
    let tokens = flood(200);
    let results = futures_util::future::join_all(tokens.iter().map(|t| verifier.verify(t))).await;
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().err().map(AlbError::kind) == Some(ErrorKind::UnknownKid)),
        "every forgery is a 401, none a 503"
    );
    assert_eq!(s.server.fetch_count(), 3, "one fetch for 200 new kids");
    // The held keys still verify, without a fetch.
    assert_eq!(kind(&verifier, &s.alb.token().sign()).await, Ok(()));
    assert_eq!(kind(&verifier, &token).await, Ok(()));
    assert_eq!(s.server.fetch_count(), 3);

    // Each cooldown allows one more.
    for round in 1..=3 {
        s.clock.advance(DEFAULT_KEY_COOLDOWN);
        for token in flood(50) {
            assert_eq!(kind(&verifier, &token).await, Err("unknown_kid"));
        }
        assert_eq!(s.server.fetch_count(), 3 + round);
    }
}

#[tokio::test]
async fn concurrent_requests_for_a_new_kid_share_one_fetch() {
    let s = Setup::new().await;
    s.server.set_fault(Fault::Delay(Duration::from_millis(200)));
    let verifier = s.verifier();
    let tokens: Vec<String> = (0..32).map(|_| s.alb.token().sign()).collect();
    let results = futures_util::future::join_all(tokens.iter().map(|t| {
        let verifier = verifier.clone();
        async move {
            verifier
                .verify(t)
                .await
                .map(drop)
                .map_err(|e| e.kind().as_str())
        }
    }))
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(s.server.fetch_count(), 1);
}

#[tokio::test]
async fn a_fetch_outlives_the_request_that_started_it() {
    let s = Setup::new().await;
    s.server.set_fault(Fault::Delay(Duration::from_millis(200)));
    let verifier = s.verifier();
    let token = s.alb.token().sign();
    // The first request gives up; its fetch goes on and stores the key.
    let gave_up = tokio::time::timeout(Duration::from_millis(20), verifier.verify(&token)).await;
    assert!(gave_up.is_err());
    let v = verifier.clone();
    let t = token.clone();
    assert!(
        eventually(async || s.server.fetch_count() == 1
            && v.verify(&t).await.is_ok()
            && v.key_fetch_count() == 1)
        .await
    );
}

#[tokio::test]
async fn held_keys_ride_out_an_outage_until_max_staleness() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    let token = s.alb.token().expires_in(24 * 3600).sign();
    assert_eq!(kind(&verifier, &token).await, Ok(()));

    // Due for refresh, the endpoint down: the held key still verifies, and the refresh fails
    // in the background.
    s.server.set_fault(Fault::Status(500));
    s.clock.advance(DEFAULT_KEY_REFRESH_INTERVAL);
    assert_eq!(kind(&verifier, &token).await, Ok(()));
    assert!(eventually(async || s.server.fetch_count() == 2).await);
    assert_eq!(kind(&verifier, &token).await, Ok(()));

    // Past the maximum staleness, the key is no longer trusted.
    s.clock
        .set_unix(NOW + DEFAULT_KEY_MAX_STALENESS.as_secs() + 1);
    let v = verifier.clone();
    let t = token.clone();
    assert!(eventually(async || kind(&v, &t).await == Err("keys_unavailable")).await);

    // Healed, it is fetched again (after the cooldown of the last failure).
    s.server.set_fault(Fault::None);
    s.clock.advance(DEFAULT_KEY_COOLDOWN);
    assert_eq!(kind(&verifier, &token).await, Ok(()));
}

#[tokio::test]
async fn a_withdrawn_key_stops_verifying_after_a_refresh() {
    let s = Setup::new().await;
    let verifier = s.verifier();
    let token = s.alb.token().expires_in(24 * 3600).sign();
    assert_eq!(kind(&verifier, &token).await, Ok(()));
    s.server.remove_key(s.alb.signing_key().kid());
    s.clock.advance(DEFAULT_KEY_REFRESH_INTERVAL);
    // The held key answers while the refresh runs; the refresh's 404 then withdraws it.
    let v = verifier.clone();
    let t = token.clone();
    assert!(eventually(async || kind(&v, &t).await == Err("unknown_kid")).await);
    assert_eq!(s.server.fetch_count(), 2);
}

#[tokio::test]
async fn builds_refuse_arns_of_two_regions() {
    let s = Setup::new().await;
    let error = s
        .builder()
        .alb_arn(s.alb.signer().replace("us-east-1", "eu-west-1"))
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ConfigErrorKind::MixedRegions);
    assert_eq!(error.kind().as_str(), "mixed_regions");
}

/// `AlbAuth` over `http::request::Parts`: the headers' rules and the refusals' answers.
#[tokio::test]
async fn alb_auth_reads_the_headers_and_answers_refusals() {
    use cognito_verify::alb::{AlbAuth, DATA_HEADER, IDENTITY_HEADER, IdentityCheck};
    let s = Setup::new().await;
    let auth = AlbAuth::new(s.verifier()).realm("app");
    let token = s.alb.token().claim("sub", "user-1").sign();
    let parts = |headers: &[(&str, &str)]| {
        let mut request = http::Request::get("/");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    };
    let verdict = |auth: AlbAuth, headers: Vec<(&'static str, String)>| async move {
        let list: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        auth.authenticate(&parts(&list)).await
    };

    let claims = verdict(auth.clone(), vec![(DATA_HEADER, token.clone())])
        .await
        .unwrap();
    assert_eq!(claims.sub(), "user-1");
    let with_identity = |id: &str| {
        vec![
            (DATA_HEADER, token.clone()),
            (IDENTITY_HEADER, id.to_owned()),
        ]
    };
    assert!(verdict(auth.clone(), with_identity("user-1")).await.is_ok());

    let refused = |r: Result<_, cognito_verify::http_auth::Refusal>| {
        let r = r.unwrap_err();
        (r.status().as_u16(), r.kind())
    };
    assert_eq!(
        refused(verdict(auth.clone(), with_identity("user-2")).await),
        (401, ErrorKind::IdentityMismatch)
    );
    assert_eq!(
        refused(verdict(auth.clone(), vec![]).await),
        (401, ErrorKind::MissingToken)
    );
    let two = vec![(DATA_HEADER, token.clone()), (DATA_HEADER, token.clone())];
    assert_eq!(
        refused(verdict(auth.clone(), two).await),
        (400, ErrorKind::InvalidRequest)
    );
    let mut two_ids = with_identity("user-1");
    two_ids.push((IDENTITY_HEADER, "user-1".to_owned()));
    assert_eq!(
        refused(verdict(auth.clone(), two_ids).await),
        (400, ErrorKind::InvalidRequest)
    );
    let forged = format!("{}AAAA", &token[..token.len() - 4]);
    let refusal = verdict(auth.clone(), vec![(DATA_HEADER, forged)])
        .await
        .unwrap_err();
    assert_eq!(
        (refusal.status().as_u16(), refusal.kind()),
        (401, ErrorKind::InvalidSignature)
    );
    assert_eq!(
        refusal.alb_error().map(AlbError::kind),
        Some(ErrorKind::InvalidSignature)
    );
    let response = auth.response(&refusal);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"app\", error=\"invalid_token\", error_description=\"token signature is invalid\""
    );
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(
        body,
        json!({"error": "invalid_token", "kind": "invalid_signature"})
    );

    // Required: the identity header must be there; Ignore: it is not looked at.
    let required = auth.clone().identity_check(IdentityCheck::Required);
    assert_eq!(
        refused(verdict(required.clone(), vec![(DATA_HEADER, token.clone())]).await),
        (401, ErrorKind::IdentityMismatch)
    );
    assert!(verdict(required, with_identity("user-1")).await.is_ok());
    let ignore = auth.clone().identity_check(IdentityCheck::Ignore);
    assert!(verdict(ignore, with_identity("user-2")).await.is_ok());

    // A key that cannot be fetched: 503 with Retry-After and no challenge.
    let down = Setup::new().await;
    down.server.set_fault(Fault::Status(500));
    let auth = AlbAuth::new(down.verifier());
    let refusal = verdict(auth.clone(), vec![(DATA_HEADER, down.alb.token().sign())])
        .await
        .unwrap_err();
    assert_eq!(
        (refusal.status().as_u16(), refusal.kind()),
        (503, ErrorKind::KeysUnavailable)
    );
    let response = auth.response(&refusal);
    assert!(response.headers().get("www-authenticate").is_none());
    assert!(response.headers().get("retry-after").is_some());
}
