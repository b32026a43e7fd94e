//! Tokens we did not mint: a real moto server (an independent Cognito implementation) creates
//! pools, app clients, groups and users through the Cognito API, signs users in, and the verifier
//! checks its access and id tokens with only the JWKS URI overridden.
//!
//! These tests are ignored by default so `cargo test` passes offline; `.ci/moto.sh` installs and
//! starts `moto_server`, sets `MOTO_ENDPOINT` and runs them with `--include-ignored`. Run with
//! `--include-ignored` but without `MOTO_ENDPOINT`, they fail rather than skip, so CI can't pass
//! without actually running them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_verify::{Error, Pool, Requirement, TokenUse, Verifier, VerifierBuilder};
use serde_json::{Value, json};

/// The region the pools are created in (moto takes it from the `Authorization` header's credential
/// scope); not moto's default `us-east-1`, so a region mix-up would show.
const REGION: &str = "eu-west-1";
const PASSWORD: &str = "Corr3ct-Horse-Battery!";

/// A Cognito Identity Provider API client for moto: JSON over HTTP POST, no request signing.
struct Cognito {
    http: reqwest::Client,
    endpoint: String,
}

impl Cognito {
    fn new() -> Self {
        let endpoint = std::env::var("MOTO_ENDPOINT").unwrap_or_default();
        assert!(
            !endpoint.is_empty(),
            "MOTO_ENDPOINT is not set: these tests need a running moto_server \
             (run `bash .ci/moto.sh`, which starts one and sets it)"
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Cognito {
            http,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
        }
    }

    /// Calls one action and returns its JSON answer; panics on an error answer.
    async fn call(&self, action: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/", self.endpoint))
            .header(
                "X-Amz-Target",
                format!("AWSCognitoIdentityProviderService.{action}"),
            )
            .header("Content-Type", "application/x-amz-json-1.1")
            // Unsigned, but shaped like SigV4: moto reads the region from the credential scope.
            .header(
                "Authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=test/20250101/{REGION}/cognito-idp/aws4_request, \
                     SignedHeaders=host;x-amz-target, Signature=0"
                ),
            )
            .body(serde_json::to_vec(&body).unwrap())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{action}: moto at {} unreachable: {e}", self.endpoint));
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{action} failed: {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{action}: not JSON ({e}): {text}"))
    }

    async fn create_pool(&self, name: &str) -> String {
        let out = self
            .call("CreateUserPool", json!({ "PoolName": name }))
            .await;
        str_at(&out, "/UserPool/Id")
    }

    /// An app client that may sign users in with AdminInitiateAuth. moto (unlike Cognito) puts
    /// user attributes in id tokens only when the client lists them in `ReadAttributes`.
    async fn create_client(&self, pool_id: &str, name: &str) -> String {
        let out = self
            .call(
                "CreateUserPoolClient",
                json!({
                    "UserPoolId": pool_id,
                    "ClientName": name,
                    "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                    "ReadAttributes": ["email", "email_verified"],
                }),
            )
            .await;
        str_at(&out, "/UserPoolClient/ClientId")
    }

    async fn create_group(&self, pool_id: &str, group: &str) {
        self.call(
            "CreateGroup",
            json!({ "UserPoolId": pool_id, "GroupName": group }),
        )
        .await;
    }

    /// A confirmed user with a verified email and a permanent password, in `groups`.
    async fn create_user(&self, pool_id: &str, username: &str, groups: &[&str]) {
        self.call(
            "AdminCreateUser",
            json!({
                "UserPoolId": pool_id,
                "Username": username,
                "UserAttributes": [
                    { "Name": "email", "Value": format!("{username}@example.com") },
                    { "Name": "email_verified", "Value": "true" },
                ],
                "MessageAction": "SUPPRESS",
            }),
        )
        .await;
        self.call(
            "AdminSetUserPassword",
            json!({
                "UserPoolId": pool_id,
                "Username": username,
                "Password": PASSWORD,
                "Permanent": true,
            }),
        )
        .await;
        for group in groups {
            self.call(
                "AdminAddUserToGroup",
                json!({ "UserPoolId": pool_id, "Username": username, "GroupName": group }),
            )
            .await;
        }
    }

    async fn sign_in(&self, pool_id: &str, client_id: &str, username: &str) -> Tokens {
        let out = self
            .call(
                "AdminInitiateAuth",
                json!({
                    "UserPoolId": pool_id,
                    "ClientId": client_id,
                    "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                    "AuthParameters": { "USERNAME": username, "PASSWORD": PASSWORD },
                }),
            )
            .await;
        Tokens {
            access: str_at(&out, "/AuthenticationResult/AccessToken"),
            id: str_at(&out, "/AuthenticationResult/IdToken"),
        }
    }

    /// The JWKS URI moto serves a pool's keys at (the only override the verifier needs).
    fn jwks_uri(&self, pool_id: &str) -> String {
        format!("{}/{pool_id}/.well-known/jwks.json", self.endpoint)
    }

    /// A verifier for one pool and app client, with only the JWKS URI overridden.
    fn verifier(&self, pool_id: &str, client_id: &str, token_use: TokenUse) -> Verifier {
        self.builder(pool_id, &[client_id], token_use)
            .build()
            .unwrap()
    }

    /// A builder for one pool and these app clients, with only the JWKS URI overridden.
    fn builder(&self, pool_id: &str, client_ids: &[&str], token_use: TokenUse) -> VerifierBuilder {
        Verifier::builder()
            .pool(
                Pool::new(pool_id)
                    .client_ids(client_ids.iter().copied())
                    .jwks_uri(self.jwks_uri(pool_id)),
            )
            .token_use(token_use)
    }
}

struct Tokens {
    access: String,
    id: String,
}

/// A pool with an app client, an `admins` group, a user `alice` in it, signed in.
struct World {
    cognito: Cognito,
    pool_id: String,
    client_id: String,
    alice: Tokens,
}

impl World {
    async fn new() -> Self {
        let cognito = Cognito::new();
        let pool_id = cognito.create_pool("main").await;
        let client_id = cognito.create_client(&pool_id, "web").await;
        cognito.create_group(&pool_id, "admins").await;
        cognito.create_user(&pool_id, "alice", &["admins"]).await;
        let alice = cognito.sign_in(&pool_id, &client_id, "alice").await;
        World {
            cognito,
            pool_id,
            client_id,
            alice,
        }
    }

    fn verifier(&self, token_use: TokenUse) -> Verifier {
        self.cognito
            .verifier(&self.pool_id, &self.client_id, token_use)
    }

    /// A builder for the pool, accepting both kinds of token from the app client and `others`.
    fn builder(&self, others: &[&str]) -> VerifierBuilder {
        let clients = [&[self.client_id.as_str()], others].concat();
        self.cognito
            .builder(&self.pool_id, &clients, TokenUse::Either)
    }

    /// Asserts that the access verifier answers `expected` for `tokens.access`, and the id
    /// verifier for `tokens.id`.
    async fn assert_each_kind(&self, tokens: &Tokens, expected: &str) {
        let access = self.verifier(TokenUse::Access).verify(&tokens.access).await;
        assert_eq!(kind(access), expected, "the access token");
        let id = self.verifier(TokenUse::Id).verify(&tokens.id).await;
        assert_eq!(kind(id), expected, "the id token");
    }
}

/// Asserts that `v` answers `expected` for both of the `tokens`.
async fn assert_both(v: &Verifier, tokens: &Tokens, expected: &str) {
    assert_eq!(
        kind(v.verify(&tokens.access).await),
        expected,
        "the access token"
    );
    assert_eq!(kind(v.verify(&tokens.id).await), expected, "the id token");
}

fn str_at(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
        .to_owned()
}

fn part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn kind<T>(result: Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.kind().as_str(),
    }
}

#[tokio::test]
#[ignore = "needs moto: run .ci/moto.sh"]
async fn moto_access_and_id_tokens_verify_with_only_the_jwks_uri_overridden() {
    let w = World::new().await;
    let expected_iss = format!("https://cognito-idp.{REGION}.amazonaws.com/{}", w.pool_id);

    // What moto's tokens look like: a `typ` header and a fixed key id, the real AWS issuer.
    for token in [&w.alice.access, &w.alice.id] {
        let header = part(token, 0);
        assert_eq!(header["alg"], "RS256", "{header}");
        assert_eq!(header["typ"], "JWT", "{header}");
        assert_eq!(part(token, 1)["iss"], expected_iss.as_str());
    }

    let v = w.verifier(TokenUse::Access);
    assert_eq!(v.issuers(), [expected_iss.as_str()]);
    let access = v.verify_access(&w.alice.access).await.unwrap();
    assert_eq!(access.iss, expected_iss);
    assert_eq!(access.token_use, "access");
    assert_eq!(access.client_id, w.client_id);
    assert_eq!(access.username.as_deref(), Some("alice"));
    assert!(access.groups.iter().any(|g| g == "admins"), "{access:?}");
    assert!(
        access
            .scopes()
            .any(|s| s == "aws.cognito.signin.user.admin"),
        "{access:?}"
    );
    assert!(!access.is_machine());
    assert!(access.exp > access.iat.unwrap());
    assert!(access.origin_jti.is_some());

    let v = w.verifier(TokenUse::Id);
    let id = v.verify_id(&w.alice.id).await.unwrap();
    assert_eq!(id.iss, expected_iss);
    assert_eq!(id.token_use, "id");
    assert_eq!(id.aud, w.client_id);
    assert_eq!(id.sub, access.sub);
    assert_eq!(id.username.as_deref(), Some("alice"));
    assert!(id.groups.iter().any(|g| g == "admins"), "{id:?}");
    assert_eq!(id.email.as_deref(), Some("alice@example.com"));
    // moto sends the string "true"; the typed claim parses it.
    assert_eq!(id.email_verified, Some(true));

    // One verifier for both kinds, requiring the group the user is in; the keys fetched once.
    let v = w
        .builder(&[])
        // Both kinds of token are checked here, so the requirement allows id tokens (a
        // requirement takes access tokens only unless it says so).
        .require_groups(Requirement::any_of(["admins"]).allow_id_tokens())
        .build()
        .unwrap();
    for token in [&w.alice.access, &w.alice.id] {
        let verified = v.verify(token).await.unwrap();
        assert_eq!(verified.user_pool_id(), w.pool_id);
        assert_eq!(verified.subject(), access.sub);
    }
    assert_eq!(v.key_fetch_count(), 1);
}

#[tokio::test]
#[ignore = "needs moto: run .ci/moto.sh"]
async fn a_second_pools_tokens_are_invalid_issuer() {
    let w = World::new().await;
    let other_pool = w.cognito.create_pool("other").await;
    let other_client = w.cognito.create_client(&other_pool, "web").await;
    w.cognito.create_group(&other_pool, "admins").await;
    w.cognito
        .create_user(&other_pool, "alice", &["admins"])
        .await;
    let other = w.cognito.sign_in(&other_pool, &other_client, "alice").await;

    // moto signs every pool's tokens with the same key, so the signature verifies and only the
    // issuer tells the pools apart.
    w.assert_each_kind(&other, "invalid_issuer").await;
    // Even when the other pool's app client id is also accepted.
    let v = w.builder(&[&other_client]).build().unwrap();
    assert_both(&v, &other, "invalid_issuer").await;
    // And the other pool's own verifier accepts them.
    let v = w
        .cognito
        .verifier(&other_pool, &other_client, TokenUse::Either);
    assert_both(&v, &other, "ok").await;
}

#[tokio::test]
#[ignore = "needs moto: run .ci/moto.sh"]
async fn another_app_clients_tokens_are_invalid_client() {
    let w = World::new().await;
    let mobile = w.cognito.create_client(&w.pool_id, "mobile").await;
    let tokens = w.cognito.sign_in(&w.pool_id, &mobile, "alice").await;

    w.assert_each_kind(&tokens, "invalid_client").await;
    // Accepted once that client is configured too.
    let v = w.builder(&[&mobile]).build().unwrap();
    assert_both(&v, &tokens, "ok").await;
}

#[tokio::test]
#[ignore = "needs moto: run .ci/moto.sh"]
async fn access_and_id_tokens_swapped_are_invalid_token_use() {
    let w = World::new().await;
    assert_eq!(
        kind(w.verifier(TokenUse::Access).verify(&w.alice.id).await),
        "invalid_token_use"
    );
    assert_eq!(
        kind(w.verifier(TokenUse::Id).verify(&w.alice.access).await),
        "invalid_token_use"
    );
    assert_eq!(
        kind(
            w.verifier(TokenUse::Access)
                .verify_access(&w.alice.id)
                .await
        ),
        "invalid_token_use"
    );
    assert_eq!(
        kind(w.verifier(TokenUse::Id).verify_id(&w.alice.access).await),
        "invalid_token_use"
    );
}

#[tokio::test]
#[ignore = "needs moto: run .ci/moto.sh"]
async fn a_required_group_the_user_lacks_is_insufficient_group() {
    let w = World::new().await;
    w.cognito.create_group(&w.pool_id, "readers").await;
    // bob is in another group; carol in none (moto then omits `cognito:groups`, like Cognito).
    w.cognito.create_user(&w.pool_id, "bob", &["readers"]).await;
    w.cognito.create_user(&w.pool_id, "carol", &[]).await;
    let bob = w.cognito.sign_in(&w.pool_id, &w.client_id, "bob").await;
    let carol = w.cognito.sign_in(&w.pool_id, &w.client_id, "carol").await;
    assert!(part(&carol.access, 1).get("cognito:groups").is_none());

    let v = w
        .builder(&[])
        .require_groups(Requirement::any_of(["admins"]).allow_id_tokens())
        .build()
        .unwrap();
    for token in [&bob.access, &bob.id, &carol.access, &carol.id] {
        assert_eq!(kind(v.verify(token).await), "insufficient_group");
    }
    for token in [&w.alice.access, &w.alice.id] {
        assert_eq!(kind(v.verify(token).await), "ok");
    }
    // A requirement that does not allow id tokens: moto's id token of a user in the group is the
    // wrong kind of token (401), never a pass.
    let access_only = w
        .builder(&[])
        .require_groups(Requirement::any_of(["admins"]))
        .build()
        .unwrap();
    assert_eq!(kind(access_only.verify(&w.alice.access).await), "ok");
    assert_eq!(
        kind(access_only.verify(&w.alice.id).await),
        "invalid_token_use"
    );
    // Without the requirement, bob's and carol's tokens are fine.
    let v = w.verifier(TokenUse::Either);
    for token in [&bob.access, &bob.id, &carol.access, &carol.id] {
        assert_eq!(kind(v.verify(token).await), "ok");
    }
}
