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

/// A strictly parsed JSON object, small enough to move cheaply: the members in arrival order,
/// and for each known name (see [`Names`]) where its member is. Built by [`parse_object`].
#[derive(Debug, Clone)]
pub(crate) struct Object {
    names: &'static Names,
    /// For each known name, 1 + the position of its member in `members`; 0 when absent.
    slots: [u32; MAX_KNOWN],
    /// Every member, in arrival order; a value is `None` once taken.
    members: Vec<(MemberName, Option<Value>)>,
}

/// A member's name: a known one by slot (nothing allocated), any other spelled out.
#[derive(Debug, Clone)]
enum MemberName {
    Known(usize),
    Other(String),
}

impl Object {
    fn new(names: &'static Names) -> Self {
        Object {
            names,
            slots: [0; MAX_KNOWN],
            members: Vec::with_capacity(names.list.len().min(MEMBERS_CAPACITY - 1) + 1),
        }
    }

    /// Where member `name` is in `members`.
    fn position(&self, name: &str) -> Option<usize> {
        match (self.names.slot)(name) {
            Some(slot) => (self.slots[slot] as usize).checked_sub(1),
            None => self
                .members
                .iter()
                .position(|(n, _)| matches!(n, MemberName::Other(n) if n == name)),
        }
    }

    /// The value of member `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.members.get(self.position(name)?)?.1.as_ref()
    }

    /// Takes member `name` out.
    pub(crate) fn take(&mut self, name: &str) -> Option<Value> {
        let at = self.position(name)?;
        self.members.get_mut(at)?.1.take()
    }

    /// Takes out the member with a known name, by its slot (see [`Names::slot_of`]).
    pub(crate) fn take_slot(&mut self, slot: usize) -> Option<Value> {
        let at = (*self.slots.get(slot)? as usize).checked_sub(1)?;
        self.members.get_mut(at)?.1.take()
    }

    /// Every member left, as a map.
    pub(crate) fn into_map(self) -> Map<String, Value> {
        if self.members.iter().all(|(_, value)| value.is_none()) {
            return Map::new();
        }
        let names = self.names.list;
        let mut map = Map::new();
        for (name, value) in self.members {
            let Some(value) = value else { continue };
            let name = match name {
                MemberName::Known(slot) => names.get(slot).copied().unwrap_or_default().to_owned(),
                MemberName::Other(name) => name,
            };
            map.insert(name, value);
        }
        map
    }
}

/// The most members room is made for up front (one per known name and one more, up to this): a
/// Cognito header has 2 or 3, a payload 10 to 20.
const MEMBERS_CAPACITY: usize = 16;

/// Up to this many members with other names, duplicates among them are found by comparing each
/// new name with the earlier ones; past it, with a hash set, so a payload of thousands of tiny
/// members (a 16 KiB token holds ≈ 1,700) costs linear time, not quadratic.
const LINEAR_DUPLICATE_CHECK: usize = 16;

/// Finds duplicates among the member names without a slot.
#[derive(Default)]
struct OtherNames {
    count: usize,
    set: Option<HashSet<String, foldhash::fast::RandomState>>,
}

impl OtherNames {
    /// Records `name`; whether it was seen before. `earlier` are the members so far.
    fn seen_before(&mut self, name: &str, earlier: &[(MemberName, Option<Value>)]) -> bool {
        self.count += 1;
        if self.count <= LINEAR_DUPLICATE_CHECK {
            return earlier
                .iter()
                .any(|(n, _)| matches!(n, MemberName::Other(n) if n == name));
        }
        let set = self.set.get_or_insert_with(|| {
            earlier
                .iter()
                .filter_map(|(n, _)| match n {
                    MemberName::Other(n) => Some(n.clone()),
                    MemberName::Known(_) => None,
                })
                .collect()
        });
        !set.insert(name.to_owned())
    }
}

/// Parses `bytes` as exactly one JSON object under the strict rules; members named in `names`
/// (at most [`MAX_KNOWN`]) get slots.
///
/// The bytes are checked to be UTF-8 once, up front (JSON text outside strings is ASCII, so this
/// is the same rule as checking each string), and then parsed as text.
pub(crate) fn parse_object(
    bytes: &[u8],
    part: TokenPart,
    names: &'static Names,
) -> Result<Object, Error> {
    debug_assert!(names.list.len() <= MAX_KNOWN);
    let text = std::str::from_utf8(bytes).map_err(|_| Error::malformed(part, Malformed::Json))?;
    let problem = Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let strict = Strict {
        depth_left: MAX_JSON_DEPTH,
        problem: &problem,
    };
    let seed = TopLevel { names, strict };
    let object = seed
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|_| Error::malformed(part, problem.get().unwrap_or(Malformed::Json)))?;
    object.ok_or(Error::malformed(part, Malformed::NotAnObject))
}

/// The top level: an object whose members are sorted into slots (`None` for any other value).
struct TopLevel<'p> {
    names: &'static Names,
    strict: Strict<'p>,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Option<Object>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<Object>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Option<Object>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Option<Object>, A::Error> {
        let inner = self.strict.nested()?;
        let mut object = Object::new(self.names);
        let mut others = OtherNames::default();
        while let Some(Key(name)) = access.next_key::<Key<'de>>()? {
            let value = access.next_value_seed(inner)?;
            let position = u32::try_from(object.members.len() + 1).unwrap_or(u32::MAX);
            let (member, duplicate) = match (self.names.slot)(&name) {
                Some(slot) => {
                    let earlier = std::mem::replace(&mut object.slots[slot], position);
                    (MemberName::Known(slot), earlier != 0)
                }
                None => {
                    let duplicate = others.seen_before(&name, &object.members);
                    (MemberName::Other(name.into_owned()), duplicate)
                }
            };
            object.members.push((member, Some(value)));
            if duplicate {
                return Err(self.strict.fail(Malformed::DuplicateMember));
            }
        }
        Ok(Some(object))
    }

    // Any other top-level value is well-formed JSON but not an object: validate it, then say so.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Object>, A::Error> {
        self.strict.visit_seq(seq).map(|_| None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Option<Object>, E> {
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Option<Object>, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Option<Object>, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Option<Object>, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Option<Object>, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Option<Object>, E> {
        Ok(None)
    }
}

/// A member name, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
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
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // serde_json yields only finite floats; anything else is refused as malformed.
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| self.fail(Malformed::Json))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(inner)?;
            if map.insert(key, value).is_some() {
                return Err(self.fail(Malformed::DuplicateMember));
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    member_names!(NAMES = ["exp", "a"]);

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
        let o = parse_object(
            br#"{"a":1,"zz":"x","exp":2,"\u0061b":[1]}"#,
            TokenPart::Payload,
            &NAMES,
        );
        let o = o.map_err(|e| e.kind());
        let o = o.as_ref();
        assert_eq!(
            o.map(|o| o.get("exp").cloned()),
            Ok(Some(serde_json::json!(2)))
        );
        assert_eq!(
            o.map(|o| o.get("ab").cloned()),
            Ok(Some(serde_json::json!([1])))
        );
        assert_eq!(
            o.map(|o| o.get("zz").cloned()),
            Ok(Some(serde_json::json!("x")))
        );
        assert_eq!(o.map(|o| o.get("nope").is_none()), Ok(true));
        let map = o.map(|o| o.clone().into_map().len());
        assert_eq!(map, Ok(4));
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
        let o = parse_object(many.as_bytes(), TokenPart::Payload, &NAMES).map_err(|e| e.kind());
        assert_eq!(
            o.map(|o| o.get("m1999").cloned()),
            Ok(Some(serde_json::json!(1999)))
        );
        for (first, second) in [(3, 10), (3, 1_500), (1_200, 1_999)] {
            let duplicated = many.replacen(&format!("\"m{second}\""), &format!("\"m{first}\""), 1);
            assert_eq!(
                reason(&duplicated),
                Some(Malformed::DuplicateMember),
                "m{first} twice"
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
