//! Strict JSON for token parts: one object, UTF-8, no duplicate member names, bounded nesting.
//!
//! serde_json alone keeps the last of two duplicate members silently; two parsers that disagree
//! on which one counts is a classic JWT confusion, so duplicates are refused here.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::defaults::MAX_JSON_DEPTH;
use crate::error::{Error, Malformed, TokenPart};

/// Parses `bytes` as exactly one JSON object under the strict rules.
pub(crate) fn parse_object(bytes: &[u8], part: TokenPart) -> Result<Map<String, Value>, Error> {
    let problem = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = Strict {
        depth_left: MAX_JSON_DEPTH,
        problem: &problem,
    };
    let value = seed
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|_| Error::malformed(part, problem.get().unwrap_or(Malformed::Json)))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(Error::malformed(part, Malformed::NotAnObject)),
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

    fn reason(json: &str) -> Option<Malformed> {
        match parse_object(json.as_bytes(), TokenPart::Payload) {
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
    fn refuses_duplicates_even_when_escaped() {
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
            parse_object(b"{\"a\":\"\xff\"}", TokenPart::Header).map(|_| ()),
            Err(Error::malformed(TokenPart::Header, Malformed::Json))
        );
        assert_eq!(reason(r#"{"a":"\ud800"}"#), Some(Malformed::Json));
    }
}
