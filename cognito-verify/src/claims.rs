//! Typed Cognito claims, and [`Verified`]: what a successful verification returns.

use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::{ClaimsTarget, Error, TokenPart};
use crate::rules::requirement::Requirement;
use crate::rules::token_use::{ActualUse, TokenUse};
use crate::rules::{groups, scope};
use crate::token::json::parse_split;
use crate::token::{CLAIM_NAMES, Json, Object};
use crate::token_cache::DetachPermit;

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

typed_claims!(AccessClaims, ClaimsTarget::AccessClaims, {
    sub: string("sub"),
    iss: string("iss"),
    client_id: string("client_id"),
    token_use: string("token_use"),
    scope: opt_string("scope"),
    groups: strings("cognito:groups"),
    username: opt_string("username"),
    exp: number("exp"),
    iat: opt_number("iat"),
    auth_time: opt_number("auth_time"),
    jti: opt_string("jti"),
    origin_jti: opt_string("origin_jti"),
    event_id: opt_string("event_id"),
    version: opt_number("version"),
});

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

typed_claims!(IdClaims, ClaimsTarget::IdClaims, {
    sub: string("sub"),
    iss: string("iss"),
    aud: string("aud"),
    token_use: string("token_use"),
    username: opt_string("cognito:username"),
    groups: strings("cognito:groups"),
    email: opt_string("email"),
    email_verified: opt_flag("email_verified"),
    phone_number: opt_string("phone_number"),
    phone_number_verified: opt_flag("phone_number_verified"),
    exp: number("exp"),
    iat: opt_number("iat"),
    auth_time: opt_number("auth_time"),
    jti: opt_string("jti"),
    origin_jti: opt_string("origin_jti"),
    event_id: opt_string("event_id"),
    nonce: opt_string("nonce"),
});

impl IdClaims {
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

/// Declares how a claims struct is read from a parsed payload, from one list of
/// `field: kind("claim name")` (kinds are the functions of [`read`]):
/// - `SHAPE`, what the verifier checks before it accepts a token: each typed claim, by slot, with
///   its kind's check ([`check_shape`]);
/// - `from_object`, which builds the struct (on first use of the claims; see [`Verified`]), every
///   member without a field going to `extra`.
macro_rules! typed_claims {
    ($ty:ident, $target:expr, { $($field:ident: $kind:ident($name:literal)),* $(,)? }) => {
        impl $ty {
            /// What the struct is called in a shape error.
            const TARGET: ClaimsTarget = $target;

            /// Each typed claim, with its check.
            const SHAPE: &'static [TypedClaim] = &[$(TypedClaim {
                slot: slot!($name),
                check: |v| read::$kind(v).is_ok(),
            }),*];

            /// The slots of the typed claims, a bit each.
            const SLOTS: u32 = slot_mask(Self::SHAPE);

            /// Builds the struct from the typed claims of a payload whose shape passed
            /// [`check_shape`] (anything else reads as empty) and the other members.
            fn from_object(object: &Object<'_>, extra: Map<String, Value>) -> Self {
                $ty {
                    $($field: read::$kind(object.slot(slot!($name)))
                        .map(Owned::owned)
                        .unwrap_or_default(),)*
                    extra,
                }
            }
        }
    };
}
use typed_claims;

/// One typed claim of a claims struct.
struct TypedClaim {
    /// Its slot in a parsed payload.
    slot: usize,
    /// Whether a value (or its absence) is of the field's type.
    check: fn(Option<&Json<'_>>) -> bool,
}

/// Checks that every typed claim of `token_use`'s claims struct has its type (strings are strings,
/// numbers non-negative integers, …), so that building the struct later cannot meet a surprise.
/// `null` counts as absent for optional claims, as serde treats it for `Option` fields.
pub(crate) fn check_shape(object: &Object<'_>, token_use: ActualUse) -> Result<(), Error> {
    let (shape, target) = match token_use {
        ActualUse::Access => (AccessClaims::SHAPE, AccessClaims::TARGET),
        ActualUse::Id => (IdClaims::SHAPE, IdClaims::TARGET),
    };
    if shape
        .iter()
        .all(|claim| (claim.check)(object.slot(claim.slot)))
    {
        Ok(())
    } else {
        Err(Error::ClaimsShape { target })
    }
}

/// The slots of `shape`'s claims, a bit each.
const fn slot_mask(shape: &[TypedClaim]) -> u32 {
    let mut mask = 0;
    let mut i = 0;
    while i < shape.len() {
        mask |= 1 << shape[i].slot;
        i += 1;
    }
    mask
}

/// The readers of typed claims, one per kind: each borrows the value from the parsed payload, or
/// says it has the wrong type (`Err`).
mod read {
    use crate::token::Json;

    /// The value had the wrong type (or a required one was absent).
    pub(super) struct Wrong;

    pub(super) fn opt_string<'v>(v: Option<&'v Json<'_>>) -> Result<Option<&'v str>, Wrong> {
        match v {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(_) => Err(Wrong),
        }
    }

    pub(super) fn string<'v>(v: Option<&'v Json<'_>>) -> Result<&'v str, Wrong> {
        opt_string(v)?.ok_or(Wrong)
    }

    pub(super) fn opt_number(v: Option<&Json<'_>>) -> Result<Option<u64>, Wrong> {
        match v {
            None | Some(Json::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or(Wrong),
        }
    }

    pub(super) fn number(v: Option<&Json<'_>>) -> Result<u64, Wrong> {
        opt_number(v)?.ok_or(Wrong)
    }

    /// A boolean, or the strings `"true"`/`"false"` (as emulators send).
    pub(super) fn opt_flag(v: Option<&Json<'_>>) -> Result<Option<bool>, Wrong> {
        match v {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(Json::String(s)) if s == "true" => Ok(Some(true)),
            Some(Json::String(s)) if s == "false" => Ok(Some(false)),
            Some(_) => Err(Wrong),
        }
    }

    /// An array of strings; absent is empty (`null` is not: Cognito omits the claim).
    pub(super) fn strings<'v, 'a>(v: Option<&'v Json<'a>>) -> Result<Strings<'v, 'a>, Wrong> {
        match v {
            None => Ok(Strings(&[])),
            Some(v) => v.as_str_array().map(Strings).ok_or(Wrong),
        }
    }

    /// Array items, all strings.
    pub(super) struct Strings<'v, 'a>(pub(super) &'v [Json<'a>]);
}

/// A claim value read from the payload, made owned for the claims struct.
trait Owned {
    type Owned;
    fn owned(self) -> Self::Owned;
}

impl Owned for &str {
    type Owned = String;
    fn owned(self) -> String {
        self.to_owned()
    }
}

impl Owned for Option<&str> {
    type Owned = Option<String>;
    fn owned(self) -> Option<String> {
        self.map(str::to_owned)
    }
}

impl Owned for read::Strings<'_, '_> {
    type Owned = Vec<String>;
    fn owned(self) -> Vec<String> {
        self.0
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect()
    }
}

impl Owned for u64 {
    type Owned = u64;
    fn owned(self) -> u64 {
        self
    }
}

impl Owned for Option<u64> {
    type Owned = Option<u64>;
    fn owned(self) -> Option<u64> {
        self
    }
}

impl Owned for Option<bool> {
    type Owned = Option<bool>;
    fn owned(self) -> Option<bool> {
        self
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

impl CognitoClaims {
    /// The typed claims of a verified payload (one that passed [`check_shape`] for
    /// `token_use`). The payload is parsed again, by the parser that accepted it, so this reads
    /// exactly what was checked; were it ever refused, every field would read as empty.
    fn build(payload: &[u8], token_use: ActualUse) -> Self {
        let slots = match token_use {
            ActualUse::Access => AccessClaims::SLOTS,
            ActualUse::Id => IdClaims::SLOTS,
        };
        let mut object = Object::empty(&CLAIM_NAMES);
        let mut extra = Map::new();
        if parse_split(payload, TokenPart::Payload, &mut object, slots, &mut extra).is_err() {
            (object, extra) = (Object::empty(&CLAIM_NAMES), Map::new());
        }
        match token_use {
            ActualUse::Access => CognitoClaims::Access(AccessClaims::from_object(&object, extra)),
            ActualUse::Id => CognitoClaims::Id(IdClaims::from_object(&object, extra)),
        }
    }
}

/// A verified token: its typed claims, the raw claims, and where it came from.
///
/// Cheap to clone (one reference count). Every built-in rule has passed when you hold one.
///
/// Verifying checks every claim, the typed claims' types included, on the payload as parsed
/// (strings borrowed from its text, nothing allocated per claim); the typed structs
/// ([`claims`](Self::claims), [`access`](Self::access), [`subject`](Self::subject), …) are built
/// on first use and then kept. A service that only needs the verdict, or reads its claims once
/// per cached token, does not pay for building them on every request.
#[derive(Debug, Clone)]
pub struct Verified {
    inner: Arc<VerifiedInner>,
}

#[derive(Debug)]
struct VerifiedInner {
    /// The claims' JSON text, already checked (strict JSON, every built-in rule, the typed
    /// claims' shape).
    payload: Box<[u8]>,
    token_use: ActualUse,
    exp: u64,
    /// The typed claims, built on first use: verifying checks every claim without building them
    /// (see [`Verified`]).
    claims: OnceLock<CognitoClaims>,
    /// `payload` as a map, made on first use.
    raw: OnceLock<Map<String, Value>>,
    pool: usize,
    user_pool_id: Arc<str>,
}

impl Verified {
    /// A verified token: `payload` is its claims' JSON text, which passed every rule and
    /// [`check_shape`] for `token_use`; `exp` its expiry.
    pub(crate) fn new(
        payload: Vec<u8>,
        token_use: ActualUse,
        exp: u64,
        pool: usize,
        user_pool_id: Arc<str>,
    ) -> Self {
        Verified {
            inner: Arc::new(VerifiedInner {
                payload: payload.into_boxed_slice(),
                token_use,
                exp,
                claims: OnceLock::new(),
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
                payload: inner.payload.clone(),
                token_use: inner.token_use,
                exp: inner.exp,
                claims: inner.claims.clone(),
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
        inner
            .claims
            .get_or_init(|| CognitoClaims::build(&inner.payload, inner.token_use))
    }

    /// Whether this is an access or an id token.
    pub fn token_use(&self) -> ActualUse {
        self.inner.token_use
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
        self.inner.exp
    }

    /// The scopes (access tokens; id tokens have none).
    pub fn scopes(&self) -> impl Iterator<Item = &str> + Clone {
        scope::split(self.access().and_then(|c| c.scope.as_deref()).unwrap_or(""))
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
        scope::check_present(self.access().and_then(|c| c.scope.as_deref()), required)
    }

    /// `Ok` when the token's user is in the required groups, else
    /// [`Error::InsufficientGroup`] (403). An id token is refused with
    /// [`Error::InvalidTokenUse`] (401) unless the requirement
    /// [allows id tokens](Requirement::allow_id_tokens).
    pub fn require_groups(&self, required: &Requirement) -> Result<(), Error> {
        required.check_use(self.token_use())?;
        groups::check_present(self.groups().iter().map(String::as_str), required)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The verifier's last two steps on a payload: the shape check, then (on first use) the
    /// typed claims.
    fn verified(v: &Value, token_use: ActualUse) -> Result<Verified, &'static str> {
        check_shape(&crate::token::test_object(v), token_use).map_err(|e| e.kind().as_str())?;
        let payload = v.to_string().into_bytes();
        Ok(Verified::new(payload, token_use, 1, 0, "p".into()))
    }

    /// Every typed field is read from the payload, and `extra` holds exactly the rest.
    #[test]
    fn typed_fields_leave_nothing_but_extras() {
        let access = json!({
            "sub": "s", "iss": "i", "client_id": "c", "token_use": "access", "scope": "a",
            "cognito:groups": ["g", "h\n"], "username": "u", "exp": 1, "iat": 2,
            "auth_time": 3, "jti": "j", "origin_jti": "o", "event_id": "e", "version": 2,
            "x": 1, "aud": "not a field of access claims"
        });
        let v = verified(&access, ActualUse::Access).unwrap();
        let c = v.access().unwrap();
        assert_eq!(
            (
                c.sub.as_str(),
                c.iss.as_str(),
                c.client_id.as_str(),
                c.token_use.as_str()
            ),
            ("s", "i", "c", "access")
        );
        assert_eq!(c.scope.as_deref(), Some("a"));
        assert_eq!(c.groups, ["g", "h\n"]); // an escaped string decoded
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(
            (c.exp, c.iat, c.auth_time, c.version),
            (1, Some(2), Some(3), Some(2))
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
        // Serialized back, the typed claims are the payload.
        assert_eq!(serde_json::to_value(c).unwrap(), access);

        let id = json!({
            "sub": "s", "iss": "i", "aud": "c", "token_use": "id", "cognito:username": "u",
            "cognito:groups": ["g"], "email": "e", "email_verified": true, "phone_number": "p",
            "phone_number_verified": "false", "exp": 1, "iat": 1, "auth_time": 1, "jti": "j",
            "origin_jti": "o", "event_id": "e", "nonce": "n", "custom:x": "1"
        });
        let v = verified(&id, ActualUse::Id).unwrap();
        let c = v.id().unwrap();
        assert_eq!(c.extra.keys().collect::<Vec<_>>(), ["custom:x"]);
        assert_eq!(c.email_verified, Some(true));
        assert_eq!(c.phone_number_verified, Some(false));
        assert_eq!(
            (c.aud.as_str(), c.username.as_deref(), c.nonce.as_deref()),
            ("c", Some("u"), Some("n"))
        );
        assert_eq!(v.subject(), "s");
        assert_eq!(v.groups(), ["g"]);
    }

    #[test]
    fn wrong_types_are_a_shape_error() {
        let base =
            json!({"sub": "s", "iss": "i", "client_id": "c", "token_use": "access", "exp": 1});
        for (name, value) in [
            ("sub", json!(1)),
            ("sub", json!(null)),
            ("username", json!(["u"])),
            ("version", json!(-2)),
            ("version", json!(1.5)),
            ("cognito:groups", json!([1])),
            ("cognito:groups", json!(null)),
            ("cognito:groups", json!("g")),
            ("exp", json!(null)),
        ] {
            let mut v = base.clone();
            v[name] = value;
            assert_eq!(
                verified(&v, ActualUse::Access).map(drop),
                Err("invalid_claims"),
                "{name}"
            );
        }
        let mut v = base.clone();
        v["username"] = Value::Null;
        let v = verified(&v, ActualUse::Access).unwrap();
        assert_eq!(v.access().map(|c| c.username.clone()), Some(None));

        let id = json!({"sub": "s", "iss": "i", "aud": "c", "token_use": "id", "exp": 1});
        for (name, value) in [
            ("aud", json!(["c"])),
            ("email_verified", json!("yes")),
            ("phone_number_verified", json!(1)),
            ("nonce", json!({})),
        ] {
            let mut v = id.clone();
            v[name] = value;
            assert_eq!(
                verified(&v, ActualUse::Id).map(drop),
                Err("invalid_claims"),
                "{name}"
            );
        }
    }

    #[test]
    fn extra_holds_the_untyped_claims_and_serializes_flat() {
        let raw = json!({
            "sub": "s", "iss": "i", "aud": "c", "token_use": "id", "exp": 1,
            "custom:tenant": "acme", "name": "N"
        });
        let v = verified(&raw, ActualUse::Id).unwrap();
        assert_eq!(v.raw_claims().len(), 7);
        let id = v.id().unwrap();
        assert_eq!(id.custom("tenant"), Some(&json!("acme")));
        assert_eq!(id.extra.len(), 2);
        let out = serde_json::to_value(v.claims()).unwrap();
        assert_eq!(out["custom:tenant"], "acme");
        assert_eq!(out["aud"], "c");
    }

    /// The typed claims are built once, on first use, and shared by clones.
    #[test]
    fn typed_claims_are_built_once_on_first_use() {
        let raw =
            json!({"sub": "s", "iss": "i", "client_id": "c", "token_use": "access", "exp": 1});
        let v = verified(&raw, ActualUse::Access).unwrap();
        assert!(v.inner.claims.get().is_none(), "nothing built by verifying");
        assert_eq!(v.token_use(), ActualUse::Access);
        assert_eq!(v.expires_at(), 1);
        assert!(v.inner.claims.get().is_none());
        let clone = v.clone();
        let first: *const CognitoClaims = clone.claims();
        assert!(std::ptr::eq(first, v.claims()));
    }
}
