//! Typed Cognito claims, and [`Verified`]: what a successful verification returns.

use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::rules::requirement::Requirement;
use crate::rules::token_use::ActualUse;
use crate::rules::{groups, scope};
use crate::token::{CLAIM_NAMES, Object};

/// The claims of a Cognito access token.
///
/// Machine-to-machine (client_credentials) tokens have no `username` and no groups; see
/// [`is_machine`](Self::is_machine).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessClaims {
    /// The subject: the user's id, or the client id for machine-to-machine tokens.
    pub sub: String,
    /// The issuer (the user pool URL).
    pub iss: String,
    /// The app client the token was issued to.
    pub client_id: String,
    /// Always `"access"`.
    pub token_use: String,
    /// Space-separated scopes; see [`scopes`](Self::scopes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The user's groups (`cognito:groups`); empty when the user is in none.
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub groups: Vec<String>,
    /// The user's username; absent in machine-to-machine tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// When the user authenticated, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// The token's unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The id of the original authentication (shared by refreshed tokens); a good key for a
    /// deny-list of signed-out sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_jti: Option<String>,
    /// The authentication event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The token format version (2 for current pools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Every other claim (for example ones added by a pre-token-generation trigger).
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

impl AccessClaims {
    /// Builds the typed claims by moving the values out of the parsed payload; every member
    /// without a field goes to `extra`.
    pub(crate) fn from_object(object: Object) -> Result<Self, Error> {
        let mut f = Fields::new(object, "a Cognito access token");
        Ok(AccessClaims {
            sub: f.string(slot!("sub"))?,
            iss: f.string(slot!("iss"))?,
            client_id: f.string(slot!("client_id"))?,
            token_use: f.string(slot!("token_use"))?,
            scope: f.opt_string(slot!("scope"))?,
            groups: f.strings(slot!("cognito:groups"))?,
            username: f.opt_string(slot!("username"))?,
            exp: f.number(slot!("exp"))?,
            iat: f.opt_number(slot!("iat"))?,
            auth_time: f.opt_number(slot!("auth_time"))?,
            jti: f.opt_string(slot!("jti"))?,
            origin_jti: f.opt_string(slot!("origin_jti"))?,
            event_id: f.opt_string(slot!("event_id"))?,
            version: f.opt_number(slot!("version"))?,
            extra: f.rest(),
        })
    }

    /// The scopes, split on spaces.
    pub fn scopes(&self) -> impl Iterator<Item = &str> + Clone {
        scope::split(self.scope.as_deref().unwrap_or(""))
    }

    /// Whether this is a machine-to-machine (client_credentials) token: no username.
    pub fn is_machine(&self) -> bool {
        self.username.is_none()
    }
}

/// The claims of a Cognito id token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdClaims {
    /// The user's id.
    pub sub: String,
    /// The issuer (the user pool URL).
    pub iss: String,
    /// The app client the token was issued to.
    pub aud: String,
    /// Always `"id"`.
    pub token_use: String,
    /// The user's username (`cognito:username`).
    #[serde(
        rename = "cognito:username",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub username: Option<String>,
    /// The user's groups (`cognito:groups`); empty when the user is in none.
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub groups: Vec<String>,
    /// The user's email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the email address is verified (accepts `true` and `"true"`, as emulators send).
    #[serde(
        default,
        deserialize_with = "bool_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// The user's phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the phone number is verified.
    #[serde(
        default,
        deserialize_with = "bool_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number_verified: Option<bool>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issue time, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// When the user authenticated, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// The token's unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The id of the original authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_jti: Option<String>,
    /// The authentication event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The `nonce` sent in the authorization request, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Every other claim: standard attributes (`name`, `given_name`, …) and `custom:*` ones.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}

impl IdClaims {
    /// Builds the typed claims by moving the values out of the parsed payload; every member
    /// without a field goes to `extra`.
    pub(crate) fn from_object(object: Object) -> Result<Self, Error> {
        let mut f = Fields::new(object, "a Cognito id token");
        Ok(IdClaims {
            sub: f.string(slot!("sub"))?,
            iss: f.string(slot!("iss"))?,
            aud: f.string(slot!("aud"))?,
            token_use: f.string(slot!("token_use"))?,
            username: f.opt_string(slot!("cognito:username"))?,
            groups: f.strings(slot!("cognito:groups"))?,
            email: f.opt_string(slot!("email"))?,
            email_verified: f.opt_flag(slot!("email_verified"))?,
            phone_number: f.opt_string(slot!("phone_number"))?,
            phone_number_verified: f.opt_flag(slot!("phone_number_verified"))?,
            exp: f.number(slot!("exp"))?,
            iat: f.opt_number(slot!("iat"))?,
            auth_time: f.opt_number(slot!("auth_time"))?,
            jti: f.opt_string(slot!("jti"))?,
            origin_jti: f.opt_string(slot!("origin_jti"))?,
            event_id: f.opt_string(slot!("event_id"))?,
            nonce: f.opt_string(slot!("nonce"))?,
            extra: f.rest(),
        })
    }

    /// A custom attribute by name, without the `custom:` prefix.
    ///
    /// Cognito sends custom attributes as strings, whatever their declared type.
    pub fn custom(&self, name: &str) -> Option<&Value> {
        self.extra.get(&format!("custom:{name}"))
    }
}

/// The slot of a claim name in a parsed payload, checked at compile time.
macro_rules! slot {
    ($name:literal) => {{
        const SLOT: Option<usize> = CLAIM_NAMES.slot_of($name);
        const { assert!(SLOT.is_some(), "not a claim name with a slot") };
        match SLOT {
            Some(slot) => slot,
            None => usize::MAX,
        }
    }};
}
use slot;

/// Moves typed values out of a parsed payload; any value of the wrong type is a
/// [`Error::ClaimsShape`] naming `target`. `null` counts as absent for optional claims, as serde
/// treats it for `Option` fields.
struct Fields {
    object: Object,
    target: &'static str,
}

impl Fields {
    fn new(object: Object, target: &'static str) -> Self {
        Fields { object, target }
    }

    fn shape(&self) -> Error {
        Error::ClaimsShape {
            target: self.target,
        }
    }

    fn opt<T>(
        &mut self,
        slot: usize,
        read: impl FnOnce(Value) -> Option<T>,
    ) -> Result<Option<T>, Error> {
        match self.object.take_slot(slot) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => read(value).map(Some).ok_or_else(|| self.shape()),
        }
    }

    fn opt_string(&mut self, slot: usize) -> Result<Option<String>, Error> {
        self.opt(slot, |v| match v {
            Value::String(s) => Some(s),
            _ => None,
        })
    }

    fn string(&mut self, slot: usize) -> Result<String, Error> {
        self.opt_string(slot)?.ok_or_else(|| self.shape())
    }

    fn opt_number(&mut self, slot: usize) -> Result<Option<u64>, Error> {
        self.opt(slot, |v| v.as_u64())
    }

    fn number(&mut self, slot: usize) -> Result<u64, Error> {
        self.opt_number(slot)?.ok_or_else(|| self.shape())
    }

    /// A boolean, or the strings `"true"`/`"false"` (as emulators send).
    fn opt_flag(&mut self, slot: usize) -> Result<Option<bool>, Error> {
        self.opt(slot, |v| match v {
            Value::Bool(b) => Some(b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        })
    }

    /// An array of strings; absent is empty.
    fn strings(&mut self, slot: usize) -> Result<Vec<String>, Error> {
        let Some(value) = self.object.take_slot(slot) else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = value else {
            return Err(self.shape());
        };
        items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                _ => Err(self.shape()),
            })
            .collect()
    }

    /// Every member not taken.
    fn rest(self) -> Map<String, Value> {
        self.object.into_map()
    }
}

fn bool_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum BoolOrString {
        Bool(bool),
        String(String),
    }
    match Option::<BoolOrString>::deserialize(d)? {
        None => Ok(None),
        Some(BoolOrString::Bool(b)) => Ok(Some(b)),
        Some(BoolOrString::String(s)) => match s.as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom("expected a boolean")),
        },
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

/// A verified token: its typed claims, the raw claims, and where it came from.
///
/// Cheap to clone (one reference count). Every built-in rule has passed when you hold one.
#[derive(Debug, Clone)]
pub struct Verified {
    inner: Arc<VerifiedInner>,
}

#[derive(Debug)]
struct VerifiedInner {
    claims: CognitoClaims,
    /// The claims' JSON text, already checked (strict JSON, every built-in rule).
    payload: Box<[u8]>,
    /// `payload` as a map, made on first use.
    raw: OnceLock<Map<String, Value>>,
    pool: usize,
    user_pool_id: Arc<str>,
}

impl Verified {
    /// The typed claims from the parsed payload; `payload` is its JSON text.
    pub(crate) fn new(
        claims: Object,
        payload: Vec<u8>,
        token_use: ActualUse,
        pool: usize,
        user_pool_id: Arc<str>,
    ) -> Result<Self, Error> {
        let claims = match token_use {
            ActualUse::Access => CognitoClaims::Access(AccessClaims::from_object(claims)?),
            ActualUse::Id => CognitoClaims::Id(IdClaims::from_object(claims)?),
        };
        Ok(Verified {
            inner: Arc::new(VerifiedInner {
                claims,
                payload: payload.into_boxed_slice(),
                raw: OnceLock::new(),
                pool,
                user_pool_id,
            }),
        })
    }

    /// A copy that shares nothing with `self` (no reference count in common), for a thread
    /// that will clone it often (the token cache's per-thread front).
    pub(crate) fn detached(&self) -> Self {
        let inner = &*self.inner;
        Verified {
            inner: Arc::new(VerifiedInner {
                claims: inner.claims.clone(),
                payload: inner.payload.clone(),
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

    /// The typed claims.
    pub fn claims(&self) -> &CognitoClaims {
        &self.inner.claims
    }

    /// Whether this is an access or an id token.
    pub fn token_use(&self) -> ActualUse {
        match self.inner.claims {
            CognitoClaims::Access(_) => ActualUse::Access,
            CognitoClaims::Id(_) => ActualUse::Id,
        }
    }

    /// The access-token claims, if this is an access token.
    pub fn access(&self) -> Option<&AccessClaims> {
        match &self.inner.claims {
            CognitoClaims::Access(c) => Some(c),
            CognitoClaims::Id(_) => None,
        }
    }

    /// The id-token claims, if this is an id token.
    pub fn id(&self) -> Option<&IdClaims> {
        match &self.inner.claims {
            CognitoClaims::Id(c) => Some(c),
            CognitoClaims::Access(_) => None,
        }
    }

    /// The access-token claims, or [`Error::InvalidTokenUse`] (401) for an id token: what an
    /// endpoint that needs an access token answers.
    pub fn access_claims(&self) -> Result<&AccessClaims, Error> {
        self.access().ok_or(Error::InvalidTokenUse {
            expected: "\"access\"",
        })
    }

    /// The id-token claims, or [`Error::InvalidTokenUse`] (401) for an access token.
    pub fn id_claims(&self) -> Result<&IdClaims, Error> {
        self.id()
            .ok_or(Error::InvalidTokenUse { expected: "\"id\"" })
    }

    /// Every claim, exactly as signed (parsed on first use).
    pub fn raw_claims(&self) -> &Map<String, Value> {
        self.inner
            .raw
            .get_or_init(|| serde_json::from_slice(&self.inner.payload).unwrap_or_default())
    }

    /// The claims deserialized into your own type.
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
        serde_json::from_slice(&self.inner.payload).map_err(|_| Error::ClaimsShape {
            target: "the requested claims type",
        })
    }

    /// The subject (`sub`).
    pub fn subject(&self) -> &str {
        match &self.inner.claims {
            CognitoClaims::Access(c) => &c.sub,
            CognitoClaims::Id(c) => &c.sub,
        }
    }

    /// The expiry (`exp`), seconds since the Unix epoch.
    pub fn expires_at(&self) -> u64 {
        match &self.inner.claims {
            CognitoClaims::Access(c) => c.exp,
            CognitoClaims::Id(c) => c.exp,
        }
    }

    /// The scopes (access tokens; id tokens have none).
    pub fn scopes(&self) -> impl Iterator<Item = &str> + Clone {
        scope::split(self.access().and_then(|c| c.scope.as_deref()).unwrap_or(""))
    }

    /// The user's groups (`cognito:groups`).
    pub fn groups(&self) -> &[String] {
        match &self.inner.claims {
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
    pub fn require_scopes(&self, required: &Requirement) -> Result<(), Error> {
        scope::check_present(self.access().and_then(|c| c.scope.as_deref()), required)
    }

    /// `Ok` when the token's user is in the required groups, else
    /// [`Error::InsufficientGroup`] (403).
    pub fn require_groups(&self, required: &Requirement) -> Result<(), Error> {
        groups::check_present(self.groups().iter().map(String::as_str), required)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Object {
        crate::token::test_object(&v)
    }

    /// Every typed field is taken from the payload, so `extra` holds exactly the rest.
    #[test]
    fn typed_fields_leave_nothing_but_extras() {
        let access = AccessClaims::from_object(object(json!({
            "sub": "s", "iss": "i", "client_id": "c", "token_use": "access", "scope": "a",
            "cognito:groups": ["g"], "username": "u", "exp": 1, "iat": 1, "auth_time": 1,
            "jti": "j", "origin_jti": "o", "event_id": "e", "version": 2, "x": 1
        })))
        .unwrap();
        assert_eq!(access.extra.keys().collect::<Vec<_>>(), ["x"]);
        let id = IdClaims::from_object(object(json!({
            "sub": "s", "iss": "i", "aud": "c", "token_use": "id", "cognito:username": "u",
            "cognito:groups": ["g"], "email": "e", "email_verified": true, "phone_number": "p",
            "phone_number_verified": "false", "exp": 1, "iat": 1, "auth_time": 1, "jti": "j",
            "origin_jti": "o", "event_id": "e", "nonce": "n", "custom:x": "1"
        })))
        .unwrap();
        assert_eq!(id.extra.keys().collect::<Vec<_>>(), ["custom:x"]);
        assert_eq!(id.phone_number_verified, Some(false));
    }

    #[test]
    fn wrong_types_are_a_shape_error() {
        let base =
            json!({"sub": "s", "iss": "i", "client_id": "c", "token_use": "access", "exp": 1});
        for (name, value) in [
            ("sub", json!(1)),
            ("username", json!(["u"])),
            ("version", json!(-2)),
            ("cognito:groups", json!([1])),
            ("cognito:groups", json!(null)),
            ("exp", json!(null)),
        ] {
            let mut v = base.clone();
            v[name] = value;
            assert_eq!(
                AccessClaims::from_object(object(v))
                    .map(drop)
                    .map_err(|e| e.kind()),
                Err("invalid_claims"),
                "{name}"
            );
        }
        let mut v = base.clone();
        v["username"] = Value::Null;
        assert_eq!(
            AccessClaims::from_object(object(v)).map(|c| c.username),
            Ok(None)
        );
    }

    #[test]
    fn extra_holds_the_untyped_claims_and_serializes_flat() {
        let raw = json!({
            "sub": "s", "iss": "i", "aud": "c", "token_use": "id", "exp": 1,
            "custom:tenant": "acme", "name": "N"
        });
        let payload = raw.to_string().into_bytes();
        let v = Verified::new(object(raw), payload, ActualUse::Id, 0, "p".into()).unwrap();
        assert_eq!(v.raw_claims().len(), 7);
        let id = v.id().unwrap();
        assert_eq!(id.custom("tenant"), Some(&json!("acme")));
        assert_eq!(id.extra.len(), 2);
        let out = serde_json::to_value(v.claims()).unwrap();
        assert_eq!(out["custom:tenant"], "acme");
        assert_eq!(out["aud"], "c");
    }
}
