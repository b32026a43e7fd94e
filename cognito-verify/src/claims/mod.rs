//! The claims of a verified token: the table of Cognito claims ([`table`]), the one type check
//! and what it keeps ([`Claims`]), and [`Verified`], what a successful verification returns.

mod table;

use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{ClaimsTarget, Error};
use crate::rules::requirement::Requirement;
use crate::rules::token_use::{ActualUse, TokenUse};
use crate::rules::{groups, scope};
use crate::token::json::members_to_map;
use crate::token::{Json, Parsed, Text};
use crate::token_cache::DetachPermit;
pub use table::{AccessClaims, Claim, IdClaims};
use table::{AccessKept, IdKept, Str};
pub(crate) use table::{CLAIM_NAMES, Date, Kind};

impl AccessClaims {
    /// The scopes, split on spaces.
    pub fn scopes(&self) -> impl Iterator<Item = &str> + Clone {
        scope::split(self.scope.as_deref().unwrap_or(""))
    }

    /// Whether this is a machine-to-machine (client_credentials) token: no username.
    pub fn is_machine(&self) -> bool {
        self.username.is_none()
    }
}

impl IdClaims {
    /// A custom attribute by name, without the `custom:` prefix.
    ///
    /// Cognito sends custom attributes as strings, whatever their declared type.
    pub fn custom(&self, name: &str) -> Option<&Value> {
        self.extra.get(&format!("custom:{name}"))
    }
}

/// The claims of a verified token, access or id.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum CognitoClaims {
    /// An access token's claims.
    Access(AccessClaims),
    /// An id token's claims.
    Id(IdClaims),
}

/// A string claim of a payload before its type check (the claims the verifier reads before it
/// knows the token's use: `iss`, to choose the key, and `token_use`), with the same check.
pub(crate) fn peek_str(payload: &Parsed, claim: Claim) -> Result<&str, Error> {
    let json = payload
        .object
        .slot(claim.slot())
        .ok_or(Error::MissingClaim { claim })?;
    let text = Str::read_ref(json).map_err(|problem| Error::InvalidClaim { claim, problem })?;
    Ok(text.as_str(&payload.text))
}

/// The typed values of a token's view.
#[derive(Debug, Clone, PartialEq)]
enum Kept {
    Access(AccessKept),
    Id(IdKept),
}

/// A payload whose claims passed the type check of its token use's view: the text, the typed
/// values, and every other member. All that is ever read of a verified token comes from here, so
/// the payload is parsed once.
#[derive(Debug, Clone)]
pub(crate) struct Claims {
    text: String,
    kept: Kept,
    /// The members outside the view, in order (those of the table first).
    extra: Vec<(Text, Json)>,
}

impl Claims {
    /// The one type check: every claim of `token_use`'s view present if required and of its
    /// type, else [`Error::MissingClaim`] or [`Error::InvalidClaim`].
    /// Takes the claims out of `payload`.
    pub(crate) fn check(payload: &mut Parsed, token_use: ActualUse) -> Result<Self, Error> {
        let Parsed { text, object } = payload;
        let kept = match token_use {
            ActualUse::Access => Kept::Access(AccessKept::take(object, text)?),
            ActualUse::Id => Kept::Id(IdKept::take(object, text)?),
        };
        Ok(Claims {
            text: std::mem::take(text),
            kept,
            extra: object.take_members(),
        })
    }

    /// A verified payload for tests, checked for the use its `token_use` names.
    #[cfg(test)]
    pub(crate) fn for_test(v: &Value) -> Result<Self, Error> {
        let mut payload = crate::token::test_payload(v);
        let token_use = match peek_str(&payload, Claim::TokenUse)? {
            "id" => ActualUse::Id,
            _ => ActualUse::Access,
        };
        Claims::check(&mut payload, token_use)
    }

    pub(crate) fn token_use(&self) -> ActualUse {
        match self.kept {
            Kept::Access(_) => ActualUse::Access,
            Kept::Id(_) => ActualUse::Id,
        }
    }

    /// The app client: `client_id` of an access token, `aud` of an id token.
    pub(crate) fn client(&self) -> &str {
        match &self.kept {
            Kept::Access(c) => c.client_id.as_str(&self.text),
            Kept::Id(c) => c.aud.as_str(&self.text),
        }
    }

    pub(crate) fn exp(&self) -> u64 {
        match &self.kept {
            Kept::Access(c) => c.exp,
            Kept::Id(c) => c.exp,
        }
    }

    pub(crate) fn nbf(&self) -> Option<u64> {
        match &self.kept {
            Kept::Access(c) => c.nbf,
            Kept::Id(c) => c.nbf,
        }
    }

    pub(crate) fn iat(&self) -> Option<u64> {
        match &self.kept {
            Kept::Access(c) => c.iat,
            Kept::Id(c) => c.iat,
        }
    }

    /// `scope` (access tokens; id tokens have none).
    pub(crate) fn scope(&self) -> Option<&str> {
        match &self.kept {
            Kept::Access(c) => c.scope.as_ref().map(|s| s.as_str(&self.text)),
            Kept::Id(_) => None,
        }
    }

    /// The names in `cognito:groups`.
    pub(crate) fn groups(&self) -> impl Iterator<Item = &str> + Clone {
        let groups = match &self.kept {
            Kept::Access(c) => c.groups.as_deref(),
            Kept::Id(c) => c.groups.as_deref(),
        };
        groups
            .unwrap_or_default()
            .iter()
            .map(|s| s.as_str(&self.text))
    }

    /// The typed view.
    fn view(&self) -> CognitoClaims {
        let extra = members_to_map(&self.extra, &self.text);
        match &self.kept {
            Kept::Access(c) => CognitoClaims::Access(c.owned(&self.text, extra)),
            Kept::Id(c) => CognitoClaims::Id(c.owned(&self.text, extra)),
        }
    }

    /// Every claim, exactly as signed.
    fn raw(&self) -> Map<String, Value> {
        let mut raw = members_to_map(&self.extra, &self.text);
        match &self.kept {
            Kept::Access(c) => c.raw_into(&self.text, &mut raw),
            Kept::Id(c) => c.raw_into(&self.text, &mut raw),
        }
        raw
    }
}

/// A verified token: its typed claims, the raw claims, and where it came from.
///
/// Cheap to clone (one reference count). Every built-in rule has passed when you hold one.
///
/// Verifying parses the payload once and checks every claim's type against the table of Cognito
/// claims, keeping the typed values (strings as places in the payload's text, nothing allocated
/// per claim). The owned structs ([`claims`](Self::claims), [`access`](Self::access),
/// [`subject`](Self::subject), …) and [`raw_claims`](Self::raw_claims) are built from what that
/// parse kept on first use, and then kept: never parsed again. A service that only needs the
/// verdict, or reads its claims once per cached token, does not pay for building them on every
/// request.
#[derive(Debug, Clone)]
pub struct Verified {
    inner: Arc<VerifiedInner>,
}

#[derive(Debug)]
struct VerifiedInner {
    /// The checked claims.
    claims: Claims,
    /// The typed claims, built on first use.
    view: OnceLock<CognitoClaims>,
    /// The raw claims, built on first use.
    raw: OnceLock<Map<String, Value>>,
    pool: usize,
    user_pool_id: Arc<str>,
}

impl Verified {
    /// A verified token: `claims` passed every rule.
    pub(crate) fn new(claims: Claims, pool: usize, user_pool_id: Arc<str>) -> Self {
        Verified {
            inner: Arc::new(VerifiedInner {
                claims,
                view: OnceLock::new(),
                raw: OnceLock::new(),
                pool,
                user_pool_id,
            }),
        }
    }

    /// A copy that shares nothing with `self` (no reference count in common), for a thread
    /// that will clone it often: only the token cache's per-thread front makes one (only it can
    /// give the [`DetachPermit`]).
    pub(crate) fn detached(&self, _: DetachPermit) -> Self {
        let inner = &*self.inner;
        Verified {
            inner: Arc::new(VerifiedInner {
                claims: inner.claims.clone(),
                view: inner.view.clone(),
                raw: inner.raw.clone(),
                pool: inner.pool,
                user_pool_id: Arc::from(&*inner.user_pool_id),
            }),
        }
    }

    /// Whether `self` and `other` are the same allocation (tests of the cache's sharing).
    #[cfg(test)]
    pub(crate) fn shares_with(&self, other: &Verified) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The typed claims (built on first use, then kept).
    pub fn claims(&self) -> &CognitoClaims {
        let inner = &*self.inner;
        inner.view.get_or_init(|| inner.claims.view())
    }

    /// Whether this is an access or an id token.
    pub fn token_use(&self) -> ActualUse {
        self.inner.claims.token_use()
    }

    /// The access-token claims, if this is an access token.
    pub fn access(&self) -> Option<&AccessClaims> {
        match self.claims() {
            CognitoClaims::Access(c) => Some(c),
            CognitoClaims::Id(_) => None,
        }
    }

    /// The id-token claims, if this is an id token.
    pub fn id(&self) -> Option<&IdClaims> {
        match self.claims() {
            CognitoClaims::Id(c) => Some(c),
            CognitoClaims::Access(_) => None,
        }
    }

    /// The access-token claims, or [`Error::InvalidTokenUse`] (401) for an id token: what an
    /// endpoint that needs an access token answers.
    pub fn access_claims(&self) -> Result<&AccessClaims, Error> {
        self.access().ok_or(Error::InvalidTokenUse {
            expected: TokenUse::Access,
        })
    }

    /// The id-token claims, or [`Error::InvalidTokenUse`] (401) for an access token.
    pub fn id_claims(&self) -> Result<&IdClaims, Error> {
        self.id().ok_or(Error::InvalidTokenUse {
            expected: TokenUse::Id,
        })
    }

    /// Every claim, exactly as signed (built on first use from what verifying kept, then kept).
    pub fn raw_claims(&self) -> &Map<String, Value> {
        let inner = &*self.inner;
        inner.raw.get_or_init(|| inner.claims.raw())
    }

    /// The claims deserialized into your own type, by serde_json from the payload's text.
    /// Claims that do not fit `T` are [`Error::ClaimsShape`] (kind `invalid_claim`).
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Mine {
    ///     sub: String,
    ///     #[serde(rename = "custom:tenant")]
    ///     tenant: Option<String>,
    /// }
    /// # fn use_it(v: &cognito_verify::Verified) -> Result<(), cognito_verify::Error> {
    /// let mine: Mine = v.deserialize()?;
    /// # Ok(()) }
    /// ```
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(&self.inner.claims.text).map_err(|_| Error::ClaimsShape {
            target: ClaimsTarget::Requested,
        })
    }

    /// The subject (`sub`).
    pub fn subject(&self) -> &str {
        match self.claims() {
            CognitoClaims::Access(c) => &c.sub,
            CognitoClaims::Id(c) => &c.sub,
        }
    }

    /// The expiry (`exp`), seconds since the Unix epoch.
    pub fn expires_at(&self) -> u64 {
        self.inner.claims.exp()
    }

    /// The scopes (access tokens; id tokens have none).
    pub fn scopes(&self) -> impl Iterator<Item = &str> + Clone {
        scope::split(self.inner.claims.scope().unwrap_or(""))
    }

    /// The user's groups (`cognito:groups`).
    pub fn groups(&self) -> &[String] {
        match self.claims() {
            CognitoClaims::Access(c) => &c.groups,
            CognitoClaims::Id(c) => &c.groups,
        }
    }

    /// The id of the user pool that issued the token.
    pub fn user_pool_id(&self) -> &str {
        &self.inner.user_pool_id
    }

    /// The index of the issuing pool among those configured, in configuration order.
    pub fn pool_index(&self) -> usize {
        self.inner.pool
    }

    /// `Ok` when the token has the required scopes, else [`Error::InsufficientScope`] (403).
    /// An id token is refused with [`Error::InvalidTokenUse`] (401) unless the requirement
    /// [allows id tokens](Requirement::allow_id_tokens).
    pub fn require_scopes(&self, required: &Requirement) -> Result<(), Error> {
        required.check_use(self.token_use())?;
        scope::check_present(self.inner.claims.scope(), required)
    }

    /// `Ok` when the token's user is in the required groups, else
    /// [`Error::InsufficientGroup`] (403). An id token is refused with
    /// [`Error::InvalidTokenUse`] (401) unless the requirement
    /// [allows id tokens](Requirement::allow_id_tokens).
    pub fn require_groups(&self, required: &Requirement) -> Result<(), Error> {
        required.check_use(self.token_use())?;
        groups::check_present(self.inner.claims.groups(), required)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The verifier's steps on a payload: the type check of `token_use`'s view, then (on first
    /// use) the typed claims.
    fn verified(v: &Value) -> Result<Verified, &'static str> {
        let claims = Claims::for_test(v).map_err(|e| e.kind().as_str())?;
        Ok(Verified::new(claims, 0, "p".into()))
    }

    fn access_payload() -> Value {
        json!({
            "sub": "s", "iss": "i", "client_id": "c", "token_use": "access", "scope": "a",
            "cognito:groups": ["g", "h\n"], "username": "u", "exp": 1, "nbf": 4, "iat": 2,
            "auth_time": 3, "jti": "j", "origin_jti": "o", "event_id": "e", "version": 2,
            "x": {"nested": [1, "two", null]}, "aud": "not a field of access claims"
        })
    }

    fn id_payload() -> Value {
        json!({
            "sub": "s", "iss": "i", "aud": "c", "token_use": "id", "cognito:username": "u",
            "cognito:groups": ["g"], "email": "e", "email_verified": true, "phone_number": "p",
            "phone_number_verified": "false", "exp": 1, "nbf": 1, "iat": 1, "auth_time": 1,
            "jti": "j", "origin_jti": "o", "event_id": "e", "nonce": "n", "custom:x": "1",
            "scope": ["not a field of id claims"]
        })
    }

    /// Every claim of the table is read back typed by a view, and `extra` holds exactly the
    /// rest; serialized, the view is the payload; the raw claims are the payload.
    #[test]
    fn every_claim_of_the_table_reads_back_typed() {
        let (access, id) = (access_payload(), id_payload());
        for claim in Claim::ALL {
            assert!(
                access.get(claim.name()).is_some() || id.get(claim.name()).is_some(),
                "{claim} is in neither test payload"
            );
        }

        let v = verified(&access).unwrap();
        let c = v.access().unwrap();
        assert_eq!(
            (&*c.sub, &*c.iss, &*c.client_id, &*c.token_use),
            ("s", "i", "c", "access")
        );
        assert_eq!(c.scope.as_deref(), Some("a"));
        assert_eq!(c.groups, ["g", "h\n"]); // an escaped string decoded
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(
            (c.exp, c.nbf, c.iat, c.auth_time, c.version),
            (1, Some(4), Some(2), Some(3), Some(2))
        );
        assert_eq!(
            (
                c.jti.as_deref(),
                c.origin_jti.as_deref(),
                c.event_id.as_deref()
            ),
            (Some("j"), Some("o"), Some("e"))
        );
        assert_eq!(c.extra.keys().collect::<Vec<_>>(), ["aud", "x"]);
        assert_eq!(serde_json::to_value(c).unwrap(), access);
        assert_eq!(Value::Object(v.raw_claims().clone()), access);
        assert_eq!(v.scopes().collect::<Vec<_>>(), ["a"]);
        assert_eq!((v.expires_at(), v.token_use()), (1, ActualUse::Access));

        let v = verified(&id).unwrap();
        let c = v.id().unwrap();
        assert_eq!(c.extra.keys().collect::<Vec<_>>(), ["custom:x", "scope"]);
        assert_eq!(c.email_verified, Some(true));
        assert_eq!(c.phone_number_verified, Some(false));
        assert_eq!(
            (
                &*c.aud,
                c.username.as_deref(),
                c.email.as_deref(),
                c.phone_number.as_deref(),
                c.nonce.as_deref()
            ),
            ("c", Some("u"), Some("e"), Some("p"), Some("n"))
        );
        assert_eq!(
            (c.exp, c.nbf, c.iat, c.auth_time),
            (1, Some(1), Some(1), Some(1))
        );
        assert_eq!(v.subject(), "s");
        assert_eq!(v.groups(), ["g"]);
        assert_eq!(v.scopes().count(), 0, "an id token has no scopes");
        // Exactly as signed: the flag sent as a string stays one in the raw claims.
        assert_eq!(Value::Object(v.raw_claims().clone()), id);
        let mut serialized = id.clone();
        serialized["phone_number_verified"] = json!(false);
        assert_eq!(serde_json::to_value(c).unwrap(), serialized);
    }

    /// A wrongly typed claim of the token's view is `invalid_claim`, whatever its kind; a
    /// required one absent is `missing_claim`.
    #[test]
    fn a_wrongly_typed_claim_is_invalid_claim() {
        let access =
            json!({"sub": "s", "iss": "i", "client_id": "c", "token_use": "access", "exp": 1});
        for (name, value) in [
            ("sub", json!(1)),
            ("sub", json!(null)),
            ("scope", json!(["a"])),
            ("username", json!(["u"])),
            ("username", json!(null)),
            ("version", json!(-2)),
            ("version", json!(1.5)),
            ("auth_time", json!(253_402_300_800u64)),
            ("cognito:groups", json!([1])),
            ("cognito:groups", json!(["a", null])),
            ("cognito:groups", json!(null)),
            ("cognito:groups", json!("g")),
            ("exp", json!(null)),
            ("nbf", json!("1")),
        ] {
            let mut v = access.clone();
            v[name] = value;
            let error = Claims::for_test(&v).map(drop);
            assert_eq!(
                error.as_ref().map_err(|e| e.kind().as_str()),
                Err("invalid_claim"),
                "{name}"
            );
            assert!(
                matches!(error, Err(Error::InvalidClaim { claim, .. }) if claim.name() == name),
                "{name}"
            );
        }
        let id = json!({"sub": "s", "iss": "i", "aud": "c", "token_use": "id", "exp": 1});
        for (name, value) in [
            ("aud", json!(["c"])),
            ("email_verified", json!("yes")),
            ("phone_number_verified", json!(1)),
            ("nonce", json!({})),
        ] {
            let mut v = id.clone();
            v[name] = value;
            assert_eq!(verified(&v).map(drop), Err("invalid_claim"), "{name}");
        }
        // Claims a token use does not carry are not typed for it.
        let mut v = id.clone();
        v["username"] = json!(1);
        assert_eq!(verified(&v).map(drop), Ok(()));
        let mut v = access.clone();
        v.as_object_mut().map(|o| o.remove("sub"));
        assert_eq!(
            Claims::for_test(&v).map(drop),
            Err(Error::MissingClaim { claim: Claim::Sub })
        );
    }

    #[test]
    fn extra_holds_the_untyped_claims_and_serializes_flat() {
        let raw = json!({
            "sub": "s", "iss": "i", "aud": "c", "token_use": "id", "exp": 1,
            "custom:tenant": "acme", "name": "N"
        });
        let v = verified(&raw).unwrap();
        assert_eq!(v.raw_claims().len(), 7);
        let id = v.id().unwrap();
        assert_eq!(id.custom("tenant"), Some(&json!("acme")));
        assert_eq!(id.extra.len(), 2);
        let out = serde_json::to_value(v.claims()).unwrap();
        assert_eq!(out, raw);
    }

    /// The typed claims are built once, on first use, and shared by clones.
    #[test]
    fn typed_claims_are_built_once_on_first_use() {
        let raw =
            json!({"sub": "s", "iss": "i", "client_id": "c", "token_use": "access", "exp": 1});
        let v = verified(&raw).unwrap();
        assert!(v.inner.view.get().is_none(), "nothing built by verifying");
        assert_eq!(v.token_use(), ActualUse::Access);
        assert_eq!(v.expires_at(), 1);
        assert!(v.inner.view.get().is_none());
        let clone = v.clone();
        let first: *const CognitoClaims = clone.claims();
        assert!(std::ptr::eq(first, v.claims()));
    }

    /// A cache hit answers with the claims a fresh verification reads: typed and raw alike.
    #[cfg(feature = "testing")]
    #[test]
    fn claims_after_a_cache_hit_equal_a_fresh_verification() {
        use crate::testing::TestIssuer;
        use crate::{TokenUse, Verifier};
        use futures_util::FutureExt as _;

        let issuer = TestIssuer::new();
        let verifier = |cache_bytes| {
            Verifier::builder()
                .pool(issuer.pool().static_jwks(issuer.jwks_json()))
                .token_use(TokenUse::Either)
                .token_cache_max_bytes(cache_bytes)
                .build()
                .unwrap()
        };
        let (cached, fresh) = (verifier(1 << 20), verifier(0));
        let tokens = [
            issuer
                .access_token()
                .groups(["a", "b\"c"])
                .claim("custom", json!({"k": [1, "2"]}))
                .sign(),
            issuer
                .id_token()
                .claim("email_verified", "true")
                .claim("custom:tenant", "acme")
                .sign(),
        ];
        for token in &tokens {
            let verify = |v: &Verifier| v.verify(token).now_or_never().unwrap().unwrap();
            let first = verify(&cached);
            assert!(verify(&cached).shares_with(&first), "a cache hit");
            // From moka, then from the per-thread front (shared, then its own copy).
            for _ in 0..40 {
                let hit = verify(&cached);
                let again = verify(&fresh);
                assert_eq!(hit.claims(), again.claims());
                assert_eq!(hit.raw_claims(), again.raw_claims());
                assert_eq!(hit.claims(), first.claims());
            }
        }
    }
}
