//! Strict JSON for token parts: one object, UTF-8, no duplicate member names, bounded nesting.
//!
//! serde_json alone keeps the last of two duplicate members silently; two parsers that disagree
//! on which one counts is a classic JWT confusion, so duplicates are refused here.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;
use std::mem::ManuallyDrop;

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
        position(self.list, name)
    }
}

/// Where `name` is in `list`, at compile time.
pub(crate) const fn position(list: &[&str], name: &str) -> Option<usize> {
    let mut slot = 0;
    while slot < list.len() {
        if const_str_eq(list[slot], name) {
            return Some(slot);
        }
        slot += 1;
    }
    None
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
            // One `match` (compiled to a dispatch on the length, then one comparison), each
            // arm's slot computed at compile time.
            slot: |name| {
                const LIST: &[&str] = &[$($member),*];
                match name {
                    $($member => const { $crate::token::json::position(LIST, $member) },)*
                    _ => None,
                }
            },
        };
        const _: () = assert!($name.list.len() <= $crate::token::json::MAX_KNOWN);
    };
}

pub(crate) use member_names;

/// A string of a parsed JSON text: where it is in that text when it has no escapes (so reading a
/// token allocates nothing per string), or its decoded value. Read with the text it was parsed
/// from ([`as_str`](Self::as_str)); a [`Parsed`] keeps the two together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Text {
    /// `text[start..end]` of the parsed text.
    Span { start: u32, end: u32 },
    /// A string decoded from escapes (or, rarely, too far into the text for a span).
    Owned(Box<str>),
    /// A name known at compile time (a claim's).
    Static(&'static str),
}

impl Text {
    /// The string, given the text this was parsed from. Spans are made only by the parser, from
    /// strings it borrowed from that very text, so they are in bounds and on character
    /// boundaries.
    pub(crate) fn as_str<'t>(&'t self, text: &'t str) -> &'t str {
        match self {
            Text::Span { start, end } => &text[*start as usize..*end as usize],
            Text::Owned(s) => s,
            Text::Static(s) => s,
        }
    }

    /// `s`, a string borrowed from the text that starts at address `base`.
    fn borrowed(s: &str, base: usize) -> Text {
        let start = (s.as_ptr() as usize).wrapping_sub(base);
        match (u32::try_from(start), u32::try_from(start + s.len())) {
            (Ok(start), Ok(end)) => Text::Span { start, end },
            _ => Text::Owned(s.into()),
        }
    }
}

/// The empty string: the value a claim's slot in a type check starts from, written over before
/// it is read (see the claims table's `take`).
impl Default for Text {
    fn default() -> Self {
        Text::Static("")
    }
}

/// A JSON value of a token part, strictly parsed, its strings [`Text`]s of the part's text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(Text),
    /// An array of strings only (empty included): what a claim like `cognito:groups` is.
    Strings(Vec<Text>),
    /// Any other array, with its items.
    Array(Vec<Json>),
    /// An object, with its members in order.
    Object(Vec<(Text, Json)>),
}

impl Json {
    /// The value as serde_json's, given the text it was parsed from.
    pub(crate) fn to_value(&self, text: &str) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.as_str(text).to_owned()),
            Json::Strings(items) => Value::Array(
                items
                    .iter()
                    .map(|s| Value::String(s.as_str(text).to_owned()))
                    .collect(),
            ),
            Json::Array(items) => Value::Array(items.iter().map(|v| v.to_value(text)).collect()),
            Json::Object(members) => Value::Object(members_to_map(members, text)),
        }
    }
}

/// Members as a serde_json map.
pub(crate) fn members_to_map(members: &[(Text, Json)], text: &str) -> Map<String, Value> {
    members
        .iter()
        .map(|(name, value)| (name.as_str(text).to_owned(), value.to_value(text)))
        .collect()
}

/// A strictly parsed JSON object: for each known name (see [`Names`]), its member's value, and
/// the other members in order. Built by [`parse_object`]; its strings are [`Text`]s of the text it
/// was parsed from.
#[derive(Debug, Clone)]
pub(crate) struct Object {
    names: &'static Names,
    /// Emptied by [`Object`]'s `Drop`, which visits the filled slots only: once a type check has
    /// taken the claims out, dropping the object costs next to nothing.
    slots: ManuallyDrop<[Option<Json>; MAX_KNOWN]>,
    /// The slots holding a value, a bit each: every slot that is `Some` has its bit set.
    filled: u32,
    rest: Vec<(Text, Json)>,
}

impl Drop for Object {
    fn drop(&mut self) {
        let mut filled = self.filled;
        while filled != 0 {
            let slot = filled.trailing_zeros() as usize;
            filled &= filled - 1;
            if let Some(value) = self.slots.get_mut(slot) {
                drop(value.take());
            }
        }
    }
}

// `Object::filled` has a bit per slot.
const _: () = assert!(MAX_KNOWN <= u32::BITS as usize);

impl Object {
    /// An object without members.
    pub(crate) fn empty(names: &'static Names) -> Self {
        Object {
            names,
            slots: ManuallyDrop::new([const { None }; MAX_KNOWN]),
            filled: 0,
            rest: Vec::new(),
        }
    }

    /// The value of the member with a known name, by its slot (see [`slot!`]).
    pub(crate) fn slot(&self, slot: usize) -> Option<&Json> {
        self.slots.get(slot)?.as_ref()
    }

    /// Takes the value of the member with a known name out, by its slot.
    pub(crate) fn take_slot(&mut self, slot: usize) -> Option<Json> {
        self.filled &= !(1 << slot);
        self.slots.get_mut(slot)?.take()
    }

    /// Takes every member not taken out yet: those with a known name (named by it), then the
    /// others.
    pub(crate) fn take_members(&mut self) -> Vec<(Text, Json)> {
        let rest = std::mem::take(&mut self.rest);
        if self.filled == 0 {
            return rest;
        }
        let mut members: Vec<(Text, Json)> = self
            .names
            .list
            .iter()
            .zip(self.slots.iter_mut())
            .filter_map(|(name, value)| Some((Text::Static(name), value.take()?)))
            .collect();
        self.filled = 0;
        members.extend(rest);
        members
    }
}

/// The slot of a known member name of a [`Names`] constant, checked at compile time: a name
/// without a slot fails the build.
macro_rules! slot {
    ($names:expr, $name:literal) => {{
        const SLOT: Option<usize> = $names.slot_of($name);
        const { assert!(SLOT.is_some(), "not a member name with a slot") };
        match SLOT {
            Some(slot) => slot,
            None => usize::MAX,
        }
    }};
}
pub(crate) use slot;

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

/// Parses `text` as exactly one JSON object under the strict rules; members named in `names`
/// (at most [`MAX_KNOWN`]) get slots, the others are kept in order.
pub(crate) fn parse_object(
    bytes: &[u8],
    part: TokenPart,
    names: &'static Names,
) -> Result<Object, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::malformed(part, Malformed::Json))?;
    let mut object = Object::empty(names);
    parse_into(text, part, &mut object)?;
    Ok(object)
}

/// A JSON object parsed once and kept with its text: what a token's payload becomes.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The text; the object's [`Text`]s are spans of it.
    pub(crate) text: String,
    pub(crate) object: Object,
}

impl Parsed {
    /// Nothing parsed yet: room for a parse whose members named in `names` get slots.
    pub(crate) fn empty(names: &'static Names) -> Self {
        Parsed {
            text: String::new(),
            object: Object::empty(names),
        }
    }

    /// Parses `bytes` (checked to be UTF-8 once, up front: JSON text outside strings is ASCII, so
    /// this is the same rule as checking each string) as [`parse_object`] does.
    pub(crate) fn parse(
        bytes: Vec<u8>,
        part: TokenPart,
        names: &'static Names,
    ) -> Result<Self, Error> {
        let mut parsed = Parsed::empty(names);
        parsed.parse_into(bytes, part)?;
        Ok(parsed)
    }

    /// [`parse`](Self::parse) into `self` (empty), which is filled in place: an object is large
    /// enough that moving it through results costs.
    pub(crate) fn parse_into(&mut self, bytes: Vec<u8>, part: TokenPart) -> Result<(), Error> {
        self.text =
            String::from_utf8(bytes).map_err(|_| Error::malformed(part, Malformed::Json))?;
        parse_into(&self.text, part, &mut self.object)
    }
}

fn parse_into(text: &str, part: TokenPart, object: &mut Object) -> Result<(), Error> {
    debug_assert!(object.slots.iter().all(Option::is_none), "not empty");
    let problem = Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let strict = Strict {
        depth_left: MAX_JSON_DEPTH,
        problem: &problem,
        base: text.as_ptr() as usize,
    };
    let seed = TopLevel { object, strict };
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
struct TopLevel<'o, 'p> {
    object: &'o mut Object,
    strict: Strict<'p>,
}

impl<'a> DeserializeSeed<'a> for TopLevel<'_, '_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'a> Visitor<'a> for TopLevel<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut access: A) -> Result<bool, A::Error> {
        let inner = self.strict.nested()?;
        let names = self.object.names;
        let mut others = SeenNames::default();
        while let Some(Key(name)) = access.next_key::<Key<'a>>()? {
            let slot = (names.slot)(&name);
            let value = access.next_value_seed(inner)?;
            let duplicate = match slot {
                Some(slot) => match self.object.slots.get_mut(slot) {
                    Some(kept) => {
                        self.object.filled |= 1 << slot;
                        kept.replace(value).is_some()
                    }
                    None => false,
                },
                None => {
                    let (text, name) = self.strict.text(name);
                    let duplicate = others.seen_before(name);
                    self.object.rest.push((text, value));
                    duplicate
                }
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
    /// The address of the text being parsed, which borrowed strings are spans of.
    base: usize,
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

    /// A name as a [`Text`] (a span when it was borrowed from the text), and the name.
    fn text(self, name: Cow<'_, str>) -> (Text, Cow<'_, str>) {
        let text = match &name {
            Cow::Borrowed(s) => Text::borrowed(s, self.base),
            Cow::Owned(s) => Text::Owned(s.as_str().into()),
        };
        (text, name)
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Json;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        // serde_json yields only finite floats; anything else is refused as malformed.
        Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| self.fail(Malformed::Json))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json, E> {
        Ok(Json::String(Text::borrowed(v, self.base)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(Text::Owned(v.into())))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(Text::Owned(v.into_boxed_str())))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let inner = self.nested()?;
        // Strings, while every item is one.
        let mut strings = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            match item {
                Json::String(s) => strings.push(s),
                other => {
                    let mut items: Vec<Json> = strings.into_iter().map(Json::String).collect();
                    items.push(other);
                    while let Some(item) = seq.next_element_seed(inner)? {
                        items.push(item);
                    }
                    return Ok(Json::Array(items));
                }
            }
        }
        Ok(Json::Strings(strings))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Json, A::Error> {
        let inner = self.nested()?;
        let mut names = SeenNames::default();
        let mut members = Vec::new();
        while let Some(Key(name)) = access.next_key::<Key<'de>>()? {
            let value = access.next_value_seed(inner)?;
            let (text, name) = self.text(name);
            if names.seen_before(name) {
                return Err(self.fail(Malformed::DuplicateMember));
            }
            members.push((text, value));
        }
        Ok(Json::Object(members))
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
    fn sorts_members_into_slots_and_keeps_the_others() {
        let text = br#"{"a":"x","zz":{"n":[1]},"exp":2,"\u0061b":["y\n",null],"s":["p","q"]}"#;
        let parsed = Parsed::parse(text.to_vec(), TokenPart::Payload, &NAMES).unwrap();
        let (o, text) = (&parsed.object, parsed.text.as_str());
        let value = |slot| o.slot(slot).map(|v| v.to_value(text));
        assert_eq!(value(slot!(NAMES, "exp")), Some(Value::from(2)));
        // An unescaped string is a span of the text; an escaped one is decoded into its own.
        assert!(matches!(
            o.slot(slot!(NAMES, "a")),
            Some(Json::String(Text::Span { .. }))
        ));
        assert_eq!(
            o.slot(slot!(NAMES, "ab")),
            Some(&Json::Array(vec![
                Json::String(Text::Owned("y\n".into())),
                Json::Null
            ]))
        );
        // Members without a slot are kept, in order; arrays of strings only are told apart.
        let rest = Value::Object(members_to_map(&o.rest, text));
        assert_eq!(rest, serde_json::json!({"zz": {"n": [1]}, "s": ["p", "q"]}));
        assert!(matches!(o.rest.get(1), Some((_, Json::Strings(s))) if s.len() == 2));
        let all = parsed.object.clone().take_members();
        assert_eq!(
            Value::Object(members_to_map(&all, text)),
            serde_json::json!({"a": "x", "zz": {"n": [1]}, "exp": 2, "ab": ["y\n", null], "s": ["p", "q"]})
        );
    }

    /// What `Object`'s `Drop` relies on: the `filled` bits are exactly the slots holding a value.
    #[test]
    fn filled_bits_are_the_slots_holding_values() {
        let holding = |o: &Object| {
            (o.slots.iter().enumerate())
                .filter(|(_, value)| value.is_some())
                .fold(0u32, |bits, (slot, _)| bits | 1 << slot)
        };
        let text = br#"{"a":"x","zz":1,"exp":2,"ab":[1]}"#;
        let mut parsed = Parsed::parse(text.to_vec(), TokenPart::Payload, &NAMES).unwrap();
        let o = &mut parsed.object;
        assert_eq!((o.filled, holding(o)), (0b111, 0b111));
        assert!(o.take_slot(slot!(NAMES, "a")).is_some());
        assert_eq!((o.filled, holding(o)), (0b101, 0b101));
        assert!(o.take_slot(slot!(NAMES, "a")).is_none());
        let copy = o.clone();
        assert_eq!((copy.filled, holding(&copy)), (0b101, 0b101));
        assert_eq!(o.take_members().len(), 3);
        assert_eq!((o.filled, holding(o)), (0, 0));
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
