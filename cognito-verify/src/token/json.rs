//! Strict JSON for token parts: one object, UTF-8, no duplicate member names, bounded nesting.
//!
//! serde_json alone keeps the last of two duplicate members silently; two parsers that disagree
//! on which one counts is a classic JWT confusion, so duplicates are refused here.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::defaults::MAX_JSON_DEPTH;
use crate::error::{Error, Malformed, TokenPart};

/// How many member names an [`Object`] can give slots to.
pub(crate) const MAX_KNOWN: usize = 24;

/// The member names that get slots in an [`Object`], and the lookup from a name to its slot.
/// Declared with [`member_names!`] so the two always agree.
#[derive(Debug)]
pub(crate) struct Names {
    /// The names, in slot order.
    pub(crate) list: &'static [&'static str],
    /// The slot of a name (compiled comparisons against constants, no loop over strings).
    pub(crate) slot: fn(&str) -> Option<usize>,
}

impl Names {
    /// The slot of `name`, usable at compile time (see `claims.rs`'s `slot!`, which fails the
    /// build for a name without a slot).
    pub(crate) const fn slot_of(&self, name: &str) -> Option<usize> {
        let mut slot = 0;
        while slot < self.list.len() {
            if const_str_eq(self.list[slot], name) {
                return Some(slot);
            }
            slot += 1;
        }
        None
    }
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Declares a [`Names`] constant: `member_names!(pub(crate) NAME = ["a", "b"]);`.
macro_rules! member_names {
    ($(#[$meta:meta])* $vis:vis $name:ident = [$($member:literal),* $(,)?]) => {
        $(#[$meta])*
        $vis const $name: $crate::token::json::Names = $crate::token::json::Names {
            list: &[$($member),*],
            slot: |name| {
                let mut slot = 0;
                $(
                    if name == $member {
                        return Some(slot);
                    }
                    slot += 1;
                )*
                let _ = slot;
                None
            },
        };
        const _: () = assert!($name.list.len() <= $crate::token::json::MAX_KNOWN);
    };
}

pub(crate) use member_names;

/// A JSON value of a token part, strictly parsed; strings borrow from the part's text when they
/// have no escapes, so reading a token allocates nothing per string. Nested objects are checked
/// (strict rules, bounded depth) but not kept: no rule and no typed claim reads one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// An array, with its items.
    Array(Vec<Json<'a>>),
    /// An object (checked, contents not kept).
    Object,
}

impl<'a> Json<'a> {
    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The items, if this is an array of strings only.
    pub(crate) fn as_str_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(items) if items.iter().all(|item| item.as_str().is_some()) => Some(items),
            _ => None,
        }
    }

    /// The number as a `u64`, if this is a non-negative integer that fits.
    pub(crate) fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }
}

/// A strictly parsed JSON object: for each known name (see [`Names`]), its member's value.
/// Members with other names are checked (strict JSON, no duplicates) but not kept. Built by
/// [`parse_object`]; borrows the text it was parsed from.
#[derive(Debug, Clone)]
pub(crate) struct Object<'a> {
    names: &'static Names,
    slots: [Option<Json<'a>>; MAX_KNOWN],
}

impl<'a> Object<'a> {
    /// An object without members.
    pub(crate) fn empty(names: &'static Names) -> Self {
        Object {
            names,
            slots: [const { None }; MAX_KNOWN],
        }
    }

    /// The value of member `name`, which must be one of the object's known names (any other is
    /// never kept, so reads as absent; debug builds assert).
    pub(crate) fn get(&self, name: &str) -> Option<&Json<'a>> {
        let slot = (self.names.slot)(name);
        debug_assert!(slot.is_some(), "{name} has no slot");
        self.slot(slot?)
    }

    /// The value of the member with a known name, by its slot (see [`Names::slot_of`]).
    pub(crate) fn slot(&self, slot: usize) -> Option<&Json<'a>> {
        self.slots.get(slot)?.as_ref()
    }

    /// Takes member `name` (a known name, as for [`get`](Self::get)) out.
    pub(crate) fn take(&mut self, name: &str) -> Option<Json<'a>> {
        let slot = (self.names.slot)(name);
        debug_assert!(slot.is_some(), "{name} has no slot");
        self.slots.get_mut(slot?)?.take()
    }
}

/// Up to this many member names in one object, duplicates are found by comparing each new name
/// with the earlier ones; past it, with a hash set, so an object of thousands of tiny members (a
/// 16 KiB token holds ≈ 1,700) costs linear time, not quadratic.
const LINEAR_DUPLICATE_CHECK: usize = 16;

/// Finds duplicates among member names (of one object; at the top level, among those without a
/// slot, since slots find their own).
#[derive(Default)]
struct SeenNames<'a> {
    list: Vec<Cow<'a, str>>,
    set: Option<HashSet<Cow<'a, str>, foldhash::fast::RandomState>>,
}

impl<'a> SeenNames<'a> {
    /// Records `name`; whether it was seen before.
    fn seen_before(&mut self, name: Cow<'a, str>) -> bool {
        if let Some(set) = &mut self.set {
            return !set.insert(name);
        }
        if self.list.contains(&name) {
            return true;
        }
        if self.list.len() < LINEAR_DUPLICATE_CHECK {
            self.list.push(name);
        } else {
            let mut set: HashSet<_, _> = self.list.drain(..).collect();
            set.insert(name);
            self.set = Some(set);
        }
        false
    }
}

/// Parses `bytes` as exactly one JSON object under the strict rules; members named in `names`
/// (at most [`MAX_KNOWN`]) get slots.
pub(crate) fn parse_object<'a>(
    bytes: &'a [u8],
    part: TokenPart,
    names: &'static Names,
) -> Result<Object<'a>, Error> {
    let mut object = Object::empty(names);
    parse_into(bytes, part, &mut object)?;
    Ok(object)
}

/// [`parse_object`] into an empty `object` (its names give the slots), which is filled in
/// place: an object is large enough that moving it through results costs.
///
/// The bytes are checked to be UTF-8 once, up front (JSON text outside strings is ASCII, so this
/// is the same rule as checking each string), and then parsed as text.
pub(crate) fn parse_into<'a>(
    bytes: &'a [u8],
    part: TokenPart,
    object: &mut Object<'a>,
) -> Result<(), Error> {
    parse(bytes, part, object, None)
}

/// [`parse_into`], except that only the members in the slots of `slotted` (a bit per slot) go
/// to `object`; every other member goes to `rest` as an owned value. For a caller that wants some
/// members typed and the others whole (the typed claims and their `extra`), in one pass, of text
/// [`parse_into`] has accepted: the members that go to `rest` are parsed by serde_json alone.
pub(crate) fn parse_split<'a>(
    bytes: &'a [u8],
    part: TokenPart,
    object: &mut Object<'a>,
    slotted: u32,
    rest: &mut Map<String, Value>,
) -> Result<(), Error> {
    parse(bytes, part, object, Some(Rest { slotted, map: rest }))
}

// `parse_split`'s `slotted` has a bit per slot.
const _: () = assert!(MAX_KNOWN <= u32::BITS as usize);

/// Members that go whole to a map rather than to slots (see [`parse_split`]).
struct Rest<'m> {
    slotted: u32,
    map: &'m mut Map<String, Value>,
}

fn parse<'a>(
    bytes: &'a [u8],
    part: TokenPart,
    object: &mut Object<'a>,
    rest: Option<Rest<'_>>,
) -> Result<(), Error> {
    debug_assert!(object.slots.iter().all(Option::is_none), "not empty");
    let text = std::str::from_utf8(bytes).map_err(|_| Error::malformed(part, Malformed::Json))?;
    let problem = Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let strict = Strict {
        depth_left: MAX_JSON_DEPTH,
        problem: &problem,
    };
    let seed = TopLevel {
        object,
        rest,
        strict,
    };
    let is_object = seed
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|_| Error::malformed(part, problem.get().unwrap_or(Malformed::Json)))?;
    if is_object {
        Ok(())
    } else {
        Err(Error::malformed(part, Malformed::NotAnObject))
    }
}

/// The top level: an object whose members are sorted into `object`'s slots; `false` for any
/// other value.
struct TopLevel<'o, 'a, 'p> {
    object: &'o mut Object<'a>,
    rest: Option<Rest<'o>>,
    strict: Strict<'p>,
}

impl<'a> DeserializeSeed<'a> for TopLevel<'_, 'a, '_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'a> Visitor<'a> for TopLevel<'_, 'a, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut access: A) -> Result<bool, A::Error> {
        let inner = self.strict.nested()?;
        let names = self.object.names;
        let mut others = SeenNames::default();
        let mut rest = self.rest;
        while let Some(Key(name)) = access.next_key::<Key<'a>>()? {
            let slot = (names.slot)(&name);
            if let Some(rest) = &mut rest
                && slot.is_none_or(|slot| rest.slotted & (1 << slot) == 0)
            {
                // serde_json's own `Value`, without the strict rules (nesting bounded only by
                // serde_json's recursion limit, a duplicate name in a nested object keeping the
                // last value): `parse_split` is for text that `parse_into` accepted.
                let value: Value = access.next_value()?;
                if rest.map.insert(name.into_owned(), value).is_some() {
                    return Err(self.strict.fail(Malformed::DuplicateMember));
                }
                continue;
            }
            let value = access.next_value_seed(inner)?;
            let duplicate = match slot {
                Some(slot) => match self.object.slots.get_mut(slot) {
                    Some(kept) => kept.replace(value).is_some(),
                    None => false,
                },
                None => others.seen_before(name),
            };
            if duplicate {
                return Err(self.strict.fail(Malformed::DuplicateMember));
            }
        }
        Ok(true)
    }

    // Any other top-level value is well-formed JSON but not an object: validate it, then say so.
    fn visit_seq<A: SeqAccess<'a>>(self, seq: A) -> Result<bool, A::Error> {
        self.strict.visit_seq(seq).map(|_| false)
    }

    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// A member name, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor).map(Key)
    }
}

/// A string, borrowed from the input when it has no escapes.
struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Deserializes one JSON value, recording the first strictness violation in `problem`.
#[derive(Clone, Copy)]
struct Strict<'p> {
    depth_left: usize,
    problem: &'p Cell<Option<Malformed>>,
}

impl Strict<'_> {
    fn fail<E: de::Error>(self, why: Malformed) -> E {
        self.problem.set(Some(why));
        E::custom(why)
    }

    fn nested<E: de::Error>(self) -> Result<Self, E> {
        match self.depth_left.checked_sub(1) {
            Some(depth_left) => Ok(Strict { depth_left, ..self }),
            None => Err(self.fail(Malformed::TooDeep)),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Json<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json<'de>, E> {
        // serde_json yields only finite floats; anything else is refused as malformed.
        Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| self.fail(Malformed::Json))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let inner = self.nested()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Json<'de>, A::Error> {
        let inner = self.nested()?;
        let mut names = SeenNames::default();
        while let Some(Key(name)) = access.next_key::<Key<'de>>()? {
            access.next_value_seed(inner)?;
            if names.seen_before(name) {
                return Err(self.fail(Malformed::DuplicateMember));
            }
        }
        Ok(Json::Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    member_names!(NAMES = ["exp", "a", "ab"]);

    fn reason(json: &str) -> Option<Malformed> {
        match parse_object(json.as_bytes(), TokenPart::Payload, &NAMES) {
            Ok(_) => None,
            Err(Error::Malformed { reason, .. }) => Some(reason),
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn accepts_an_object() {
        assert_eq!(reason(r#"{"a":1,"b":[true,null,"x",{"c":1.5}]}"#), None);
    }

    #[test]
    fn sorts_members_into_slots() {
        let text = br#"{"a":"x","zz":{"n":[1]},"exp":2,"\u0061b":["y\n",null]}"#;
        let o = parse_object(text, TokenPart::Payload, &NAMES).map_err(|e| e.kind().as_str());
        let o = o.as_ref();
        assert_eq!(o.map(|o| o.get("exp").and_then(Json::as_u64)), Ok(Some(2)));
        // An unescaped string borrows the text; an escaped one is decoded into its own.
        assert!(matches!(
            o.map(|o| o.get("a")),
            Ok(Some(Json::String(Cow::Borrowed("x"))))
        ));
        assert_eq!(
            o.map(|o| o.get("ab").cloned()),
            Ok(Some(Json::Array(vec![
                Json::String(Cow::Owned("y\n".into())),
                Json::Null
            ])))
        );
    }

    #[test]
    fn splits_members_between_slots_and_a_map() {
        let text = br#"{"a":"x","zz":{"n":[1]},"exp":2,"ab":null}"#;
        let mut object = Object::empty(&NAMES);
        let mut rest = Map::new();
        let exp_only = 1 << NAMES.slot_of("exp").unwrap_or(0);
        parse_split(text, TokenPart::Payload, &mut object, exp_only, &mut rest).unwrap();
        assert_eq!(object.get("exp").and_then(Json::as_u64), Some(2));
        assert_eq!((object.get("a"), object.get("ab")), (None, None));
        assert_eq!(
            Value::Object(rest),
            serde_json::json!({"a": "x", "zz": {"n": [1]}, "ab": null})
        );
    }

    #[test]
    fn refuses_duplicates_even_when_escaped() {
        for json in [
            r#"{"zz":1,"zz":2}"#,
            r#"{"zz":1,"\u007az":2}"#,
            r#"{"exp":1,"exp":2}"#,
            r#"{"exp":1,"\u0065xp":2}"#,
            r#"{"a":{"b":1,"b":1}}"#,
        ] {
            assert_eq!(reason(json), Some(Malformed::DuplicateMember), "{json}");
        }
    }

    #[test]
    fn finds_duplicates_among_many_members() {
        let members: Vec<String> = (0..2_000).map(|i| format!("\"m{i}\":{i}")).collect();
        let many = format!("{{{}}}", members.join(","));
        assert_eq!(reason(&many), None);
        assert_eq!(reason(&format!("{{\"a\":{many}}}")), None);
        for (first, second) in [(3, 10), (3, 1_500), (1_200, 1_999)] {
            let duplicated = many.replacen(&format!("\"m{second}\""), &format!("\"m{first}\""), 1);
            assert_eq!(
                reason(&duplicated),
                Some(Malformed::DuplicateMember),
                "m{first} twice"
            );
            // The same in a nested object.
            assert_eq!(
                reason(&format!("{{\"a\":{duplicated}}}")),
                Some(Malformed::DuplicateMember),
                "m{first} twice, nested"
            );
        }
    }

    #[test]
    fn refuses_non_objects_and_trailing_data() {
        assert_eq!(reason("[1]"), Some(Malformed::NotAnObject));
        assert_eq!(reason("\"x\""), Some(Malformed::NotAnObject));
        assert_eq!(reason("{} {}"), Some(Malformed::Json));
        assert_eq!(reason("{"), Some(Malformed::Json));
    }

    #[test]
    fn bounds_nesting() {
        let ok = format!(
            "{}{}",
            "[".repeat(MAX_JSON_DEPTH - 1),
            "]".repeat(MAX_JSON_DEPTH - 1)
        );
        assert_eq!(reason(&format!("{{\"a\":{ok}}}")), None);
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(
            reason(&format!("{{\"a\":{deep}}}")),
            Some(Malformed::TooDeep)
        );
    }

    #[test]
    fn refuses_invalid_utf8_and_lone_surrogates() {
        assert_eq!(
            parse_object(b"{\"a\":\"\xff\"}", TokenPart::Header, &NAMES).map(|_| ()),
            Err(Error::malformed(TokenPart::Header, Malformed::Json))
        );
        assert_eq!(reason(r#"{"a":"\ud800"}"#), Some(Malformed::Json));
    }
}
