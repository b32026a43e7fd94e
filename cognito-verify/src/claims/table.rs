//! The table of Cognito claims: each claim's name and JSON type, and the typed view of each token
//! use (which claims it carries, required or optional). Everything else about claims is derived
//! from it: the payload's member slots ([`CLAIM_NAMES`]), the one type check (each view's
//! `take`), the kept typed values the rules read, and the public typed views ([`AccessClaims`],
//! [`IdClaims`]) with their serialization.
//!
//! A claim a token use does not carry is not typed for it: it lands in the view's `extra`, as
//! any other member does. `null` is not a value of any claim's type.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Number, Value};

use crate::error::{ClaimProblem, Error};
use crate::token::json::member_names;
use crate::token::{Json, Object, Text};

/// 9999-12-31T23:59:59Z: no real token has a later NumericDate, and it keeps date arithmetic far
/// from overflow.
const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

/// A JSON type of the table: how a claim's value is checked and read (once, by the one type
/// check), kept (strings as [`Text`]s of the payload) and made owned for a typed view.
pub(crate) trait Kind {
    /// The value as kept after the type check.
    type Kept: Clone + fmt::Debug + PartialEq + Default;
    /// The value in a typed view, for a required claim.
    type Owned;
    /// The value in a typed view, for an optional claim.
    type OptOwned;
    /// Checks and takes a value.
    fn read(json: Json, text: &str) -> Result<Self::Kept, ClaimProblem>;
    /// The value for a typed view.
    fn owned(kept: &Self::Kept, text: &str) -> Self::Owned;
    /// The value for a typed view, of an optional claim.
    fn opt_owned(kept: Option<&Self::Kept>, text: &str) -> Self::OptOwned;
    /// The value exactly as signed.
    fn to_value(kept: &Self::Kept, text: &str) -> Value;
}

/// A string.
pub(crate) struct Str;

impl Str {
    /// The string of a value not taken out (for the claims read before the signature is checked).
    pub(crate) fn read_ref(json: &Json) -> Result<&Text, ClaimProblem> {
        match json {
            Json::String(s) => Ok(s),
            _ => Err(ClaimProblem::WrongType),
        }
    }
}

impl Kind for Str {
    type Kept = Text;
    type Owned = String;
    type OptOwned = Option<String>;
    fn read(json: Json, _: &str) -> Result<Text, ClaimProblem> {
        match json {
            Json::String(s) => Ok(s),
            _ => Err(ClaimProblem::WrongType),
        }
    }
    fn owned(kept: &Text, text: &str) -> String {
        kept.as_str(text).to_owned()
    }
    fn opt_owned(kept: Option<&Text>, text: &str) -> Option<String> {
        kept.map(|s| Self::owned(s, text))
    }
    fn to_value(kept: &Text, text: &str) -> Value {
        Value::String(Self::owned(kept, text))
    }
}

/// A NumericDate: a non-negative JSON integer no later than [`MAX_NUMERIC_DATE`].
pub(crate) struct Date;

impl Kind for Date {
    type Kept = u64;
    type Owned = u64;
    type OptOwned = Option<u64>;
    fn read(json: Json, text: &str) -> Result<u64, ClaimProblem> {
        match Int::read(json, text)? {
            date if date <= MAX_NUMERIC_DATE => Ok(date),
            _ => Err(ClaimProblem::OutOfRange),
        }
    }
    fn owned(kept: &u64, _: &str) -> u64 {
        *kept
    }
    fn opt_owned(kept: Option<&u64>, _: &str) -> Option<u64> {
        kept.copied()
    }
    fn to_value(kept: &u64, _: &str) -> Value {
        Value::Number(Number::from(*kept))
    }
}

/// A non-negative JSON integer that fits a `u64`.
pub(crate) struct Int;

impl Kind for Int {
    type Kept = u64;
    type Owned = u64;
    type OptOwned = Option<u64>;
    fn read(json: Json, _: &str) -> Result<u64, ClaimProblem> {
        match json {
            Json::Number(n) => n.as_u64().ok_or(ClaimProblem::OutOfRange),
            _ => Err(ClaimProblem::WrongType),
        }
    }
    fn owned(kept: &u64, _: &str) -> u64 {
        *kept
    }
    fn opt_owned(kept: Option<&u64>, _: &str) -> Option<u64> {
        kept.copied()
    }
    fn to_value(kept: &u64, _: &str) -> Value {
        Value::Number(Number::from(*kept))
    }
}

/// A boolean, or the string `"true"` or `"false"` (as emulators send).
pub(crate) struct Flag;

/// A flag's value, and whether it was written as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FlagValue {
    value: bool,
    as_string: bool,
}

impl Kind for Flag {
    type Kept = FlagValue;
    type Owned = bool;
    type OptOwned = Option<bool>;
    fn read(json: Json, text: &str) -> Result<FlagValue, ClaimProblem> {
        let (value, as_string) = match json {
            Json::Bool(b) => (b, false),
            Json::String(s) => match s.as_str(text) {
                "true" => (true, true),
                "false" => (false, true),
                _ => return Err(ClaimProblem::WrongType),
            },
            _ => return Err(ClaimProblem::WrongType),
        };
        Ok(FlagValue { value, as_string })
    }
    fn owned(kept: &FlagValue, _: &str) -> bool {
        kept.value
    }
    fn opt_owned(kept: Option<&FlagValue>, _: &str) -> Option<bool> {
        kept.map(|f| f.value)
    }
    fn to_value(kept: &FlagValue, _: &str) -> Value {
        match (kept.as_string, kept.value) {
            (false, value) => Value::Bool(value),
            (true, true) => Value::String("true".to_owned()),
            (true, false) => Value::String("false".to_owned()),
        }
    }
}

/// An array of strings; in a typed view, absent reads as empty.
pub(crate) struct Strings;

impl Kind for Strings {
    type Kept = Vec<Text>;
    type Owned = Vec<String>;
    type OptOwned = Vec<String>;
    fn read(json: Json, _: &str) -> Result<Vec<Text>, ClaimProblem> {
        match json {
            Json::Strings(items) => Ok(items),
            _ => Err(ClaimProblem::WrongType),
        }
    }
    fn owned(kept: &Vec<Text>, text: &str) -> Vec<String> {
        kept.iter().map(|s| s.as_str(text).to_owned()).collect()
    }
    fn opt_owned(kept: Option<&Vec<Text>>, text: &str) -> Vec<String> {
        kept.map(|items| Self::owned(items, text))
            .unwrap_or_default()
    }
    fn to_value(kept: &Vec<Text>, text: &str) -> Value {
        Value::Array(
            kept.iter()
                .map(|s| Value::String(s.as_str(text).to_owned()))
                .collect(),
        )
    }
}

/// Whether a claim is required by a typed view or optional in it; [`take`](Self::take) is the one
/// type check of one claim.
pub(crate) trait Presence {
    /// The kept value of a claim of kind `K`.
    type Kept<K: Kind>: Clone + fmt::Debug + PartialEq + Default;
    /// Its value in a typed view.
    type Owned<K: Kind>;
    /// Takes `claim` out of `object` (parsed from `text`) into `kept`, checking its presence and
    /// type. Written into place, not returned: a view's type check is then a short run of calls,
    /// one per claim, with nothing of its own to clean up when one fails (it stays small).
    fn take_into<K: Kind>(
        object: &mut Object,
        text: &str,
        claim: Claim,
        kept: &mut Self::Kept<K>,
    ) -> Result<(), Error>;
    /// The value for a typed view.
    fn owned<K: Kind>(kept: &Self::Kept<K>, text: &str) -> Self::Owned<K>;
    /// The value exactly as signed, if the claim was there.
    fn to_value<K: Kind>(kept: &Self::Kept<K>, text: &str) -> Option<Value>;
}

/// Read with `K`'s check, the problem named after `claim`.
fn read<K: Kind>(json: Json, text: &str, claim: Claim) -> Result<K::Kept, Error> {
    K::read(json, text).map_err(|problem| Error::InvalidClaim { claim, problem })
}

/// A claim the view requires: absent is [`Error::MissingClaim`].
pub(crate) struct Required;

impl Presence for Required {
    type Kept<K: Kind> = K::Kept;
    type Owned<K: Kind> = K::Owned;
    #[inline(never)]
    fn take_into<K: Kind>(
        object: &mut Object,
        text: &str,
        claim: Claim,
        kept: &mut K::Kept,
    ) -> Result<(), Error> {
        let json = object
            .take_slot(claim.slot())
            .ok_or(Error::MissingClaim { claim })?;
        *kept = read::<K>(json, text, claim)?;
        Ok(())
    }
    fn owned<K: Kind>(kept: &K::Kept, text: &str) -> K::Owned {
        K::owned(kept, text)
    }
    fn to_value<K: Kind>(kept: &K::Kept, text: &str) -> Option<Value> {
        Some(K::to_value(kept, text))
    }
}

/// A claim the view may carry.
pub(crate) struct Optional;

impl Presence for Optional {
    type Kept<K: Kind> = Option<K::Kept>;
    type Owned<K: Kind> = K::OptOwned;
    #[inline(never)]
    fn take_into<K: Kind>(
        object: &mut Object,
        text: &str,
        claim: Claim,
        kept: &mut Option<K::Kept>,
    ) -> Result<(), Error> {
        if let Some(json) = object.take_slot(claim.slot()) {
            *kept = Some(read::<K>(json, text, claim)?);
        }
        Ok(())
    }
    fn owned<K: Kind>(kept: &Option<K::Kept>, text: &str) -> K::OptOwned {
        K::opt_owned(kept.as_ref(), text)
    }
    fn to_value<K: Kind>(kept: &Option<K::Kept>, text: &str) -> Option<Value> {
        kept.as_ref().map(|kept| K::to_value(kept, text))
    }
}

/// Whether a typed view's field holds nothing (not serialized).
trait ViewField {
    fn is_absent(&self) -> bool;
}

impl ViewField for String {
    fn is_absent(&self) -> bool {
        false
    }
}

impl ViewField for u64 {
    fn is_absent(&self) -> bool {
        false
    }
}

impl<T> ViewField for Option<T> {
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl ViewField for Vec<String> {
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

/// Declares the table: the claims (`Variant = "name": Kind`), then each token use's typed view
/// (`field: Type = Required | Optional Variant`, and the doc of its `extra`).
macro_rules! cognito_claims {
    (
        claims {
            $($(#[$claim_doc:meta])* $claim:ident = $name:literal: $kind:ident,)*
        }
        $(
            $(#[$view_doc:meta])*
            view $view:ident, kept as $kept:ident {
                $($(#[$field_doc:meta])* $field:ident: $field_ty:ty = $presence:ident $field_claim:ident,)*
            }
            extra { $(#[$extra_doc:meta])* }
        )*
    ) => {
        /// A claim of the Cognito claims table, by name: a misspelt one does not compile.
        ///
        /// ```compile_fail
        /// let claim = cognito_verify::Claim::Scoep;
        /// ```
        ///
        /// ```
        /// use cognito_verify::Claim;
        /// assert_eq!(Claim::Groups.name(), "cognito:groups");
        /// assert!(Claim::ALL.contains(&Claim::Scope));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Claim {
            $($(#[$claim_doc])* $claim,)*
        }

        impl Claim {
            /// Every claim of the table.
            pub const ALL: &'static [Claim] = &[$(Claim::$claim,)*];

            /// The claim's name in the payload.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Claim::$claim => $name,)*
                }
            }

            /// Its slot in a parsed payload (see [`CLAIM_NAMES`]).
            pub(crate) const fn slot(self) -> usize {
                self as usize
            }
        }

        member_names!(
            /// The payload members given slots: the claims of the table, in its order.
            pub(crate) CLAIM_NAMES = [$($name,)*]
        );

        // A claim's slot is its place in the table.
        const _: () = {
            let mut i = 0;
            while i < Claim::ALL.len() {
                assert!(matches!(CLAIM_NAMES.slot_of(Claim::ALL[i].name()), Some(s) if s == i));
                i += 1;
            }
        };

        /// Each claim's kind, by the claim's name.
        mod kind_of {
            $(pub(crate) type $claim = super::$kind;)*
        }

        $(
            $(#[$view_doc])*
            #[derive(Debug, Clone, PartialEq)]
            #[non_exhaustive]
            pub struct $view {
                $($(#[$field_doc])* pub $field: $field_ty,)*
                $(#[$extra_doc])*
                pub extra: Map<String, Value>,
            }

            /// The typed values of a view's claims, as the type check kept them.
            #[derive(Debug, Clone, PartialEq, Default)]
            pub(crate) struct $kept {
                $(pub(crate) $field: <$presence as Presence>::Kept<kind_of::$field_claim>,)*
            }

            impl $kept {
                /// The type check of this view: each of its claims, taken out of `object`
                /// (parsed from `text`), checked and kept.
                pub(crate) fn take(object: &mut Object, text: &str) -> Result<Self, Error> {
                    // Every field is written below, or an error returns and `kept` is dropped:
                    // the defaults are never read.
                    let mut kept = Self::default();
                    $(<$presence as Presence>::take_into::<kind_of::$field_claim>(
                        object, text, Claim::$field_claim, &mut kept.$field,
                    )?;)*
                    Ok(kept)
                }

                /// The typed view, with `extra`.
                pub(crate) fn owned(&self, text: &str, extra: Map<String, Value>) -> $view {
                    $view {
                        $($field: <$presence as Presence>::owned::<kind_of::$field_claim>(
                            &self.$field, text,
                        ),)*
                        extra,
                    }
                }

                /// Adds each claim present, exactly as signed, to `map`.
                pub(crate) fn raw_into(&self, text: &str, map: &mut Map<String, Value>) {
                    $(if let Some(value) = <$presence as Presence>::to_value::<kind_of::$field_claim>(
                        &self.$field, text,
                    ) {
                        map.insert(Claim::$field_claim.name().to_owned(), value);
                    })*
                }
            }

            impl Serialize for $view {
                /// Each claim present under its name, then `extra`'s members: the claims as
                /// signed (a flag sent as a string comes out a boolean).
                fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    let mut map = serializer.serialize_map(None)?;
                    $(if !ViewField::is_absent(&self.$field) {
                        map.serialize_entry(Claim::$field_claim.name(), &self.$field)?;
                    })*
                    for (name, value) in &self.extra {
                        map.serialize_entry(name, value)?;
                    }
                    map.end()
                }
            }
        )*
    };
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

cognito_claims! {
    claims {
        /// `iss`, a string: the issuer (the user pool URL).
        Iss = "iss": Str,
        /// `sub`, a string: the subject.
        Sub = "sub": Str,
        /// `token_use`, a string: `"access"` or `"id"`.
        TokenUse = "token_use": Str,
        /// `client_id`, a string: the app client of an access token.
        ClientId = "client_id": Str,
        /// `aud`, a string: the app client of an id token.
        Aud = "aud": Str,
        /// `scope`, a string of space-separated scopes.
        Scope = "scope": Str,
        /// `cognito:groups`, an array of strings.
        Groups = "cognito:groups": Strings,
        /// `username`, a string (access tokens).
        Username = "username": Str,
        /// `cognito:username`, a string (id tokens).
        CognitoUsername = "cognito:username": Str,
        /// `exp`, a NumericDate.
        Exp = "exp": Date,
        /// `nbf`, a NumericDate (Cognito sends none; honoured when present).
        Nbf = "nbf": Date,
        /// `iat`, a NumericDate.
        Iat = "iat": Date,
        /// `auth_time`, a NumericDate.
        AuthTime = "auth_time": Date,
        /// `jti`, a string.
        Jti = "jti": Str,
        /// `origin_jti`, a string.
        OriginJti = "origin_jti": Str,
        /// `event_id`, a string.
        EventId = "event_id": Str,
        /// `version`, a non-negative integer.
        Version = "version": Int,
        /// `email`, a string.
        Email = "email": Str,
        /// `email_verified`, a boolean (or `"true"`/`"false"`).
        EmailVerified = "email_verified": Flag,
        /// `phone_number`, a string.
        PhoneNumber = "phone_number": Str,
        /// `phone_number_verified`, a boolean (or `"true"`/`"false"`).
        PhoneNumberVerified = "phone_number_verified": Flag,
        /// `nonce`, a string.
        Nonce = "nonce": Str,
    }

    /// The claims of a Cognito access token.
    ///
    /// Machine-to-machine (client_credentials) tokens have no `username` and no groups; see
    /// [`is_machine`](Self::is_machine). Serialized, it is the claims as signed.
    view AccessClaims, kept as AccessKept {
        /// The subject: the user's id, or the client id for machine-to-machine tokens.
        sub: String = Required Sub,
        /// The issuer (the user pool URL).
        iss: String = Required Iss,
        /// The app client the token was issued to.
        client_id: String = Required ClientId,
        /// Always `"access"`.
        token_use: String = Required TokenUse,
        /// Space-separated scopes; see [`scopes`](Self::scopes).
        scope: Option<String> = Optional Scope,
        /// The user's groups (`cognito:groups`); empty when the user is in none.
        groups: Vec<String> = Optional Groups,
        /// The user's username; absent in machine-to-machine tokens.
        username: Option<String> = Optional Username,
        /// Expiry, seconds since the Unix epoch.
        exp: u64 = Required Exp,
        /// Not before, seconds since the Unix epoch (Cognito sends none).
        nbf: Option<u64> = Optional Nbf,
        /// Issue time, seconds since the Unix epoch.
        iat: Option<u64> = Optional Iat,
        /// When the user authenticated, seconds since the Unix epoch.
        auth_time: Option<u64> = Optional AuthTime,
        /// The token's unique id.
        jti: Option<String> = Optional Jti,
        /// The id of the original authentication (shared by refreshed tokens); a good key for a
        /// deny-list of signed-out sessions.
        origin_jti: Option<String> = Optional OriginJti,
        /// The authentication event id.
        event_id: Option<String> = Optional EventId,
        /// The token format version (2 for current pools).
        version: Option<u64> = Optional Version,
    }
    extra {
        /// Every other claim (for example ones added by a pre-token-generation trigger).
    }

    /// The claims of a Cognito id token. Serialized, it is the claims as signed.
    view IdClaims, kept as IdKept {
        /// The user's id.
        sub: String = Required Sub,
        /// The issuer (the user pool URL).
        iss: String = Required Iss,
        /// The app client the token was issued to.
        aud: String = Required Aud,
        /// Always `"id"`.
        token_use: String = Required TokenUse,
        /// The user's username (`cognito:username`).
        username: Option<String> = Optional CognitoUsername,
        /// The user's groups (`cognito:groups`); empty when the user is in none.
        groups: Vec<String> = Optional Groups,
        /// The user's email address.
        email: Option<String> = Optional Email,
        /// Whether the email address is verified (accepts `true` and `"true"`, as emulators send).
        email_verified: Option<bool> = Optional EmailVerified,
        /// The user's phone number.
        phone_number: Option<String> = Optional PhoneNumber,
        /// Whether the phone number is verified.
        phone_number_verified: Option<bool> = Optional PhoneNumberVerified,
        /// Expiry, seconds since the Unix epoch.
        exp: u64 = Required Exp,
        /// Not before, seconds since the Unix epoch (Cognito sends none).
        nbf: Option<u64> = Optional Nbf,
        /// Issue time, seconds since the Unix epoch.
        iat: Option<u64> = Optional Iat,
        /// When the user authenticated, seconds since the Unix epoch.
        auth_time: Option<u64> = Optional AuthTime,
        /// The token's unique id.
        jti: Option<String> = Optional Jti,
        /// The id of the original authentication.
        origin_jti: Option<String> = Optional OriginJti,
        /// The authentication event id.
        event_id: Option<String> = Optional EventId,
        /// The `nonce` sent in the authorization request, if any.
        nonce: Option<String> = Optional Nonce,
    }
    extra {
        /// Every other claim: standard attributes (`name`, `given_name`, …) and `custom:*` ones.
    }
}
