//! `Verifier::try_verify`: the answers of `verify` from the keys held, "would fetch" (with the
//! fetch started in the background) where `verify` would wait, and never a hook skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use cognito_verify::testing::{JwksServer, TestIssuer};
use cognito_verify::{
    Error, ErrorKind, HookRejection, TokenUse, TryVerifyError, Verifier, hook_fn,
};

fn verifier(issuer: &TestIssuer, jwks_uri: &str) -> Verifier {
    Verifier::builder()
        .pool(issuer.pool().jwks_uri(jwks_uri))
        .token_use(TokenUse::Access)
        // Far longer than the test: a second unknown kid is always within the cooldown.
        .unknown_kid_cooldown(Duration::from_secs(3600))
        .build()
        .unwrap()
}

/// `Ok` or the kind, to compare two answers.
fn outcome<E>(
    answer: Result<cognito_verify::Verified, E>,
    kind: impl Fn(&E) -> ErrorKind,
) -> Result<(), ErrorKind> {
    answer.map(drop).map_err(|e| kind(&e))
}

#[tokio::test]
async fn from_held_keys_it_answers_as_verify_does() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let v = verifier(&issuer, &jwks.url());
    v.prefetch().await.unwrap();
    let mut forged = issuer.access_token().sign();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let tokens = [
        issuer.access_token().sign(),
        issuer.access_token().expires_in(-600).sign(),
        issuer.access_token().client("someone-else").sign(),
        issuer.id_token().sign(),
        forged,
        "a.b.c".to_owned(),
        String::new(),
    ];
    for token in &tokens {
        let expected = outcome(v.verify(token).await, Error::kind);
        // Twice: the second answer may come from the verified-token cache.
        for _ in 0..2 {
            assert_eq!(
                outcome(v.try_verify(token), TryVerifyError::kind),
                expected,
                "{token}"
            );
        }
    }
    assert_eq!(
        outcome(v.try_verify_bytes(b"\xff.\xfe.\xfd"), TryVerifyError::kind),
        Err(ErrorKind::MalformedToken)
    );
    assert_eq!(
        v.key_fetch_count(),
        1,
        "nothing fetched beyond the prefetch"
    );
}

#[tokio::test]
async fn a_rotated_key_is_fetched_in_the_background_and_an_unknown_kid_is_refused_in_the_cooldown()
{
    let mut issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let v = verifier(&issuer, &jwks.url());

    let token = issuer.access_token().sign();
    assert!(
        matches!(v.try_verify(&token), Err(TryVerifyError::WouldFetch)),
        "no keys yet"
    );
    assert_eq!(v.key_fetch_count(), 1, "the fetch has started");
    v.prefetch().await.unwrap(); // joins it (or fetches again): the keys are held after
    v.try_verify(&token).unwrap();

    issuer.rotate();
    jwks.set_jwks(issuer.jwks_json());
    let rotated = issuer.access_token().sign();
    let fetches = v.key_fetch_count();
    assert!(matches!(
        v.try_verify(&rotated),
        Err(TryVerifyError::WouldFetch)
    ));
    assert_eq!(
        v.key_fetch_count(),
        fetches + 1,
        "the refetch for the new kid has started"
    );
    v.prefetch().await.unwrap();
    v.try_verify(&rotated).unwrap();

    // Another unknown kid within the cooldown: refused at once, as verify would, no fetch.
    let fetches = v.key_fetch_count();
    let unknown = issuer.access_token().kid("not-a-key").sign();
    assert_eq!(
        v.try_verify(&unknown).unwrap_err(),
        TryVerifyError::Refused(Error::UnknownKid)
    );
    assert_eq!(v.verify(&unknown).await.unwrap_err(), Error::UnknownKid);
    assert_eq!(v.key_fetch_count(), fetches);
}

#[test]
fn without_a_runtime_nothing_is_fetched_and_a_preloaded_set_is_final() {
    let issuer = TestIssuer::new();
    let remote = verifier(&issuer, "http://127.0.0.1:9/jwks");
    let token = issuer.access_token().sign();
    assert_eq!(
        remote.try_verify(&token).unwrap_err(),
        TryVerifyError::WouldFetch
    );
    assert_eq!(
        remote.try_verify(&token).unwrap_err().kind(),
        ErrorKind::KeysUnavailable
    );
    assert_eq!(remote.key_fetch_count(), 0);

    let preloaded = Verifier::builder()
        .pool(issuer.pool().static_jwks(issuer.jwks_json()))
        .token_use(TokenUse::Access)
        .build()
        .unwrap();
    preloaded.try_verify(&token).unwrap();
    let unknown = issuer.access_token().kid("not-a-key").sign();
    assert_eq!(
        preloaded.try_verify(&unknown).unwrap_err(),
        TryVerifyError::Refused(Error::UnknownKid)
    );
}

#[tokio::test]
async fn a_hook_is_never_skipped() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let v = Verifier::builder()
        .pool(issuer.pool().jwks_uri(jwks.url()))
        .token_use(TokenUse::Access)
        .hook(hook_fn(|_| async { Err(HookRejection::new("signed out")) }))
        .build()
        .unwrap();
    assert!(v.has_hook());
    v.prefetch().await.unwrap();
    let token = issuer.access_token().sign();
    assert_eq!(
        v.verify(&token).await.unwrap_err().kind(),
        ErrorKind::HookRejected
    );
    let refused = v.try_verify(&token).unwrap_err();
    assert_eq!(refused, TryVerifyError::AsyncHook);
    assert_eq!(refused.kind(), ErrorKind::NotConfigured);
}
