//! Strict JSON for token parts: one object, UTF-8, no duplicate member names, bounded nesting.
//!
//! serde_json alone keeps the last of two duplicate members silently; two parsers that disagree
//! on which one counts is a classic JWT confusion, so duplicates are refused here.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::defaults::MAX_JSON_DEPTH;
use crate::error::{Error, Malformed, TokenPart};

/// How many member names an [`Object`] can give slots to.
pub(crate) const MAX_KNOWN: usize = 24;

/// A strictly parsed JSON object: members with a known name in fixed slots (no map, no key
/// allocation), the others in arrival order. Built by [`parse_object`].
#[derive(Debug, Clone)]
pub(crate) struct Object {
    names: &'static [&'static str],
    known: [Option<Value>; MAX_KNOWN],
    unknown: Vec<(String, Value)>,
}

impl Object {
    /// The value of member `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        match self.names.iter().position(|n| *n == name) {
            Some(slot) => self.known[slot].as_ref(),
            None => self.unknown.iter().find(|(n, _)| n == name).map(|(_, v)| v),
        }
    }

    /// Takes member `name` out.
    pub(crate) fn take(&mut self, name: &str) -> Option<Value> {
        match self.names.iter().position(|n| *n == name) {
            Some(slot) => self.known[slot].take(),
            None => {
                let at = self.unknown.iter().position(|(n, _)| n == name)?;
                Some(self.unknown.swap_remove(at).1)
            }
        }
    }

    /// Every member left, as a map.
    pub(crate) fn into_map(mut self) -> Map<String, Value> {
        let mut map = Map::new();
        for (name, slot) in self.names.iter().zip(self.known.iter_mut()) {
            if let Some(value) = slot.take() {
                map.insert((*name).to_owned(), value);
            }
        }
        for (name, value) in self.unknown {
            map.insert(name, value);
        }
        map
    }
}

/// Parses `bytes` as exactly one JSON object under the strict rules; members named in `names`
/// (at most [`MAX_KNOWN`]) get slots.
pub(crate) fn parse_object(
    bytes: &[u8],
    part: TokenPart,
    names: &'static [&'static str],
) -> Result<Object, Error> {
    debug_assert!(names.len() <= MAX_KNOWN);
    let problem = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
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
    names: &'static [&'static str],
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
        let mut object = Object {
            names: self.names,
            known: Default::default(),
            unknown: Vec::new(),
        };
        while let Some(Key(name)) = access.next_key::<Key<'de>>()? {
            let value = access.next_value_seed(inner)?;
            let duplicate = match self.names.iter().position(|n| *n == name) {
                Some(slot) => object.known[slot].replace(value).is_some(),
                None if object.unknown.iter().any(|(n, _)| *n == *name) => true,
                None => {
                    object.unknown.push((name.into_owned(), value));
                    false
                }
            };
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

    const NAMES: &[&str] = &["exp", "a"];

    fn reason(json: &str) -> Option<Malformed> {
        match parse_object(json.as_bytes(), TokenPart::Payload, NAMES) {
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
            NAMES,
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
        assert_eq!(
            reason(r#"{"zz":1,"zz":2}"#),
            Some(Malformed::DuplicateMember)
        );
        assert_eq!(
            reason(r#"{"zz":1,"\u007az":2}"#),
            Some(Malformed::DuplicateMember)
        );
        assert_eq!(
            reason(r#"{"exp":1,"exp":2}"#),
            Some(Malformed::DuplicateMember)
        );
        assert_eq!(
            reason(r#"{"exp":1,"\u0065xp":2}"#),
            Some(Malformed::DuplicateMember)
        );
        assert_eq!(
            reason(r#"{"a":{"b":1,"b":1}}"#),
            Some(Malformed::DuplicateMember)
        );
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
            parse_object(b"{\"a\":\"\xff\"}", TokenPart::Header, NAMES).map(|_| ()),
            Err(Error::malformed(TokenPart::Header, Malformed::Json))
        );
        assert_eq!(reason(r#"{"a":"\ud800"}"#), Some(Malformed::Json));
    }
}
