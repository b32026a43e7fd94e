//! `HttpAuth::start`: what `verify` answers, given at once where `verify` would not wait, and
//! a `Pending` verification that finishes with `verify`'s answer where it would (a key set to
//! fetch, the hook to run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use cognito_verify::http_auth::{HttpAuth, Pending, Refusal, Started};
use cognito_verify::testing::{JwksServer, SubjectHook, TestIssuer};
use cognito_verify::{ErrorKind, TokenUse, Verified, Verifier};
use http::StatusCode;

fn auth(issuer: &TestIssuer, jwks_uri: &str, hook: Option<SubjectHook>) -> HttpAuth {
    let builder = Verifier::builder()
        .pool(issuer.pool().jwks_uri(jwks_uri))
        .token_use(TokenUse::Access)
        // Far longer than the test: a second unknown kid is always within the cooldown.
        .unknown_kid_cooldown(Duration::from_secs(3600));
    let builder = match hook {
        Some(hook) => builder.hook(hook),
        None => builder,
    };
    HttpAuth::from(builder.build().unwrap())
}

/// `Ok` or the refusal's kind and status, to compare two answers.
fn outcome(answer: Result<Verified, Refusal>) -> Result<(), (ErrorKind, StatusCode)> {
    answer.map(drop).map_err(|r| (r.kind(), r.status()))
}

fn answered(started: Started) -> Result<Verified, Refusal> {
    match started {
        Started::Answered(answer) => answer,
        Started::Waiting(pending) => panic!("waits: {pending:?}"),
    }
}

fn waiting(started: Started) -> Pending {
    match started {
        Started::Answered(answer) => panic!("answered: {:?}", outcome(answer)),
        Started::Waiting(pending) => pending,
    }
}

#[tokio::test]
async fn with_the_keys_held_it_answers_at_once_as_verify_does() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let auth = auth(&issuer, &jwks.url(), None);
    auth.verifier().prefetch().await.unwrap();
    let mut forged = issuer.access_token().sign();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let tokens: [Vec<u8>; 7] = [
        issuer.access_token().sign().into_bytes(),
        issuer.access_token().expires_in(-600).sign().into_bytes(),
        issuer
            .access_token()
            .client("someone-else")
            .sign()
            .into_bytes(),
        issuer.id_token().sign().into_bytes(),
        forged.into_bytes(),
        b"a.b.c".to_vec(),
        b"\xff.\xfe.\xfd".to_vec(),
    ];
    for token in &tokens {
        let expected = outcome(auth.verify(token).await);
        // Twice: the second answer may come from the verified-token cache.
        for _ in 0..2 {
            assert_eq!(outcome(answered(auth.start(token))), expected, "{token:?}");
        }
    }
    assert_eq!(
        outcome(answered(auth.start(&tokens[0]))),
        Ok(()),
        "a valid token is accepted at once"
    );
    assert_eq!(jwks.fetch_count(), 1, "nothing fetched beyond the prefetch");
}

#[tokio::test]
async fn a_key_set_not_held_is_fetched_when_the_pending_verification_is_finished() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let auth = auth(&issuer, &jwks.url(), None);
    let token = issuer.access_token().claim("sub", "alice").sign();

    let pending = waiting(auth.start(token.as_bytes()));
    assert_eq!(jwks.fetch_count(), 0, "starting fetches nothing");
    // It owns what it needs: it outlives the token it was started with.
    drop(token);
    let verified = tokio::spawn(pending.finish()).await.unwrap().unwrap();
    assert_eq!(verified.subject(), "alice");
    assert_eq!(jwks.fetch_count(), 1);

    // Now held: the next token is answered at once. An unknown kid waits for the one refetch
    // it is allowed, and again within the cooldown that follows (whether a kid may refetch is
    // decided where fetches are), then is refused without fetching.
    assert!(answered(auth.start(issuer.access_token().sign().as_bytes())).is_ok());
    let unknown = issuer.access_token().kid("not-published").sign();
    for fetches in [2, 2] {
        let refused = waiting(auth.start(unknown.as_bytes())).finish().await;
        assert_eq!(
            outcome(refused),
            Err((ErrorKind::UnknownKid, StatusCode::UNAUTHORIZED))
        );
        assert_eq!(jwks.fetch_count(), fetches);
    }
}

#[tokio::test]
async fn with_a_hook_every_accepted_token_waits_for_it_and_refusals_do_not() {
    let issuer = TestIssuer::new();
    let jwks = JwksServer::start(issuer.jwks_json()).await.unwrap();
    let auth = auth(
        &issuer,
        &jwks.url(),
        Some(SubjectHook::new("mallory", "revoked")),
    );
    auth.verifier().prefetch().await.unwrap();
    let token = |sub: &str| issuer.access_token().claim("sub", sub).sign();
    for (sub, expected) in [
        ("alice", Ok(())),
        (
            "mallory",
            Err((ErrorKind::HookForbidden, StatusCode::FORBIDDEN)),
        ),
        (
            "revoked",
            Err((ErrorKind::HookRejected, StatusCode::UNAUTHORIZED)),
        ),
    ] {
        let token = token(sub);
        // Twice: the hook runs on cache hits too.
        for _ in 0..2 {
            let answer = waiting(auth.start(token.as_bytes())).finish().await;
            assert_eq!(outcome(answer), expected, "{sub}");
        }
    }
    let expired = issuer.access_token().claim("sub", "alice").expires_in(-600);
    assert_eq!(
        outcome(answered(auth.start(expired.sign().as_bytes()))),
        Err((ErrorKind::Expired, StatusCode::UNAUTHORIZED)),
        "a refusal is answered at once: the hook only judges valid tokens"
    );
}

#[test]
fn a_pending_verification_can_be_sent_and_kept() {
    fn sendable<T: Send + 'static>() {}
    sendable::<Pending>();
    sendable::<Started>();
}
