//! The one place that knows the YAML parser (serde-saphyr).
//!
//! `serde_yaml` is archived, so YAML goes through serde-saphyr: maintained, pure Rust, no unsafe,
//! with source locations and resource budgets. Everything above this module sees a document as
//! JSON (what Kubernetes itself does with YAML) plus a map from field path to source position, so
//! swapping the parser means rewriting this file only.
//!
//! Scalars follow what `kubectl` sends to the API server: YAML 1.1 booleans (`yes`, `on`) become
//! `true`, quoted scalars stay strings (`"80"` is the string `80`), and integral floats (`1e3`)
//! become integers, because Go's JSON encoder writes them that way.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::{Budget, DuplicateKeyPolicy, NonFiniteFloatPolicy, Options, Spanned};

const PARSE_STACK_BASE: usize = 1 << 20;
const PARSE_STACK_PER_LEVEL: usize = 128 << 10;

use super::positions::Child;
pub use super::positions::{FieldPositions, Position};

/// Resource limits for parsing one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YamlLimits {
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes (scalars, mappings, sequences) in one source, aliases expanded.
    pub max_nodes: usize,
    /// Most alias replay events in one source: the alias-bomb guard.
    pub max_alias_events: usize,
    /// Most documents in one source.
    pub max_documents: usize,
    /// Most bytes of scalar text in one source, aliases expanded: an alias repeats its anchor's
    /// text, so a small file could otherwise expand a long scalar into gigabytes.
    pub max_scalar_bytes: usize,
}

impl Default for YamlLimits {
    fn default() -> Self {
        Self {
            // Gateway API objects nest about 12 deep; 64 leaves room for anything real.
            max_depth: 64,
            max_nodes: 2_000_000,
            max_alias_events: 100_000,
            max_documents: 100_000,
            // Twice the default file size limit: room for every scalar of the largest file
            // accepted, plus aliases.
            max_scalar_bytes: 64 << 20,
        }
    }
}

/// One YAML document converted to JSON, with the positions of its fields.
#[derive(Debug)]
pub struct Document {
    /// The document as JSON.
    pub value: Value,
    /// Where the document starts.
    pub position: Position,
    fields: DocumentFields,
}

/// Field positions, computed while the syntax tree is at hand (it is dropped afterwards).
#[derive(Debug)]
enum DocumentFields {
    /// The document is one object.
    Whole(FieldPositions),
    /// A `kind: List`: each item's JSON and positions.
    Items(Vec<Result<(Value, FieldPositions), JsonError>>),
}

impl Document {
    /// Converts a parsed document.
    fn convert(node: &Spanned<Node>) -> Result<Self, JsonError> {
        let value = to_json(node)?;
        let is_list = value.get("kind").and_then(Value::as_str) == Some("List")
            && value.get("apiVersion").and_then(Value::as_str) == Some("v1")
            && value.get("items").is_some_and(Value::is_array);
        let fields = match &node.value {
            Node::Map(entries) if is_list => DocumentFields::Items(
                entries
                    .iter()
                    .filter(|(k, _)| k.value == "items")
                    .flat_map(|(_, items)| match &items.value {
                        Node::Seq(items) => items.as_slice(),
                        _ => &[],
                    })
                    .map(|item| Ok((to_json(item)?, positions_of(item))))
                    .collect(),
            ),
            _ if is_list => DocumentFields::Items(Vec::new()),
            _ => DocumentFields::Whole(positions_of(node)),
        };
        Ok(Self {
            value,
            position: position(node),
            fields,
        })
    }

    /// Splits the document into objects: the document itself, or the `items` of a `kind: List`.
    /// Each object comes with the positions of its own fields, relative to itself.
    pub fn into_objects(self) -> Vec<Result<(Value, FieldPositions), JsonError>> {
        match self.fields {
            DocumentFields::Whole(fields) => vec![Ok((self.value, fields))],
            DocumentFields::Items(items) => items,
        }
    }
}

/// Documents converted as the parser yields them, so that one syntax tree at a time is alive:
/// collecting every tree first held a whole file's trees and JSON together (about 18 KB per
/// object at the peak, and a heap left fragmented for whatever runs next).
#[derive(Default)]
struct Converted(Vec<Result<Document, JsonError>>);

impl Extend<Spanned<Node>> for Converted {
    fn extend<I: IntoIterator<Item = Spanned<Node>>>(&mut self, documents: I) {
        for node in documents {
            if !matches!(node.value, Node::Null) {
                self.0.push(Document::convert(&node));
            }
        }
    }
}

/// A YAML value that cannot be expressed as JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsonError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub position: Position,
}

/// A YAML syntax or limit error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    /// The parser's message, without its own location prefix.
    pub message: String,
    /// Where, when the parser knows.
    pub position: Option<Position>,
    /// Whether a resource limit (depth, aliases, size) stopped parsing.
    pub limit: bool,
}

/// Parses a YAML (or JSON) stream into its non-empty documents.
pub fn parse(
    text: &str,
    limits: &YamlLimits,
) -> Result<Vec<Result<Document, JsonError>>, SyntaxError> {
    let limits = *limits;
    // serde-saphyr recurses once per nesting level with large frames (about 40 KiB each in debug
    // builds), so the depth budget alone does not keep an ordinary 2 MiB thread stack safe; the
    // parse runs on a thread whose stack is sized for the budget.
    let stack = PARSE_STACK_BASE + limits.max_depth.saturating_mul(PARSE_STACK_PER_LEVEL);
    let docs: Converted = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("kgw-yaml".into())
            .stack_size(stack)
            .spawn_scoped(scope, move || {
                serde_saphyr::from_str_multiple_with_options(text, parser_options(&limits))
            })
            .map_err(|e| SyntaxError {
                message: format!("cannot start the parser thread: {e}"),
                position: None,
                limit: true,
            })?
            .join()
            .map_err(|_| SyntaxError {
                message: "the YAML parser failed unexpectedly".to_owned(),
                position: None,
                limit: false,
            })?
            .map_err(syntax_error)
    })?;
    Ok(docs.0)
}

fn parser_options(limits: &YamlLimits) -> Options {
    let mut options = Options::default();
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.with_snippet = false;
    options.non_finite_float_policy = NonFiniteFloatPolicy::PassThrough;
    let mut budget = Budget::default();
    budget.max_depth = limits.max_depth;
    budget.max_nodes = limits.max_nodes;
    budget.max_documents = limits.max_documents;
    budget.max_events = limits.max_nodes.saturating_mul(2);
    budget.max_total_scalar_bytes = limits.max_scalar_bytes;
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = limits.max_alias_events;
    options
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(syntax_error)`
fn syntax_error(err: serde_saphyr::Error) -> SyntaxError {
    let position = err.location().map(|l| Position {
        line: l.line(),
        column: l.column(),
    });
    let mut message = err.to_string();
    // The position is reported on its own; drop the parser's " at line N, column M" suffix.
    if let Some(idx) = message.rfind(" at line ") {
        message.truncate(idx);
    }
    let limit = ["budget", "limit", "alias", "depth", "nesting"]
        .iter()
        .any(|w| message.contains(w));
    SyntaxError {
        message,
        position,
        limit,
    }
}

fn position<T>(node: &Spanned<T>) -> Position {
    Position {
        line: node.referenced.line(),
        column: node.referenced.column(),
    }
}

/// A parsed YAML node. Keys keep their own positions so that an unknown field is reported on
/// its key, not on its (possibly multi-line) value.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Key>, Spanned<Node>)>),
}

/// A mapping key as JSON sees it: scalars become their text, as Go's YAML decoder does.
#[derive(Debug)]
struct Key(String);

impl std::ops::Deref for Key {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        i64::try_from(v)
            .map(Node::Int)
            .map_err(|_| E::custom("integer does not fit in 64 bits"))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        u64::try_from(v)
            .map(Node::UInt)
            .map_err(|_| E::custom("integer does not fit in 64 bits"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        String::from_utf8(v.to_vec())
            .map(Node::Str)
            .map_err(|_| E::custom("binary value is not UTF-8"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Key>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(Key(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Key, E> {
        Ok(Key(v))
    }
    fn visit_unit<E>(self) -> Result<Key, E> {
        Ok(Key("null".to_owned()))
    }
}

fn to_json(node: &Spanned<Node>) -> Result<Value, JsonError> {
    Ok(match &node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(*b),
        Node::Int(i) => Value::from(*i),
        Node::UInt(u) => Value::from(*u),
        Node::Float(f) => float_to_json(*f).ok_or_else(|| JsonError {
            message: format!("the number {f} cannot be represented in JSON"),
            position: position(node),
        })?,
        Node::Str(s) => Value::String(s.clone()),
        Node::Seq(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Node::Map(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for (k, v) in entries {
                map.insert(k.value.0.clone(), to_json(v)?);
            }
            Value::Object(map)
        }
    })
}

/// Go's `encoding/json` writes an integral float64 without a fraction, so the API server sees
/// `1e3` as the integer 1000; NaN and infinities are not JSON at all.
fn float_to_json(f: f64) -> Option<Value> {
    if !f.is_finite() {
        return None;
    }
    // Exactly representable integers below 2^53 round-trip through i64 unchanged.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        return Some(Value::from(f as i64));
    }
    Number::from_f64(f).map(Value::Number)
}

fn positions_of(root: &Spanned<Node>) -> FieldPositions {
    // A mapping entry is reported where its key is written.
    FieldPositions::build(
        root,
        position(root),
        |node: &Spanned<Node>, emit| match &node.value {
            Node::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    emit(Child::Index(i), position(item), item);
                }
            }
            Node::Map(entries) => {
                for (k, v) in entries {
                    emit(Child::Key(&k.value), position(k), v);
                }
            }
            _ => {}
        },
    )
}

#[cfg(test)]
#[allow(clippy::format_push_string, clippy::format_collect)]
mod tests {
    use super::*;

    fn one(text: &str) -> (Value, FieldPositions) {
        let mut docs = parse(text, &YamlLimits::default()).unwrap();
        assert_eq!(docs.len(), 1);
        let mut objs = docs.remove(0).unwrap().into_objects();
        objs.remove(0).unwrap()
    }

    #[test]
    fn scalars_load_as_kubectl_sends_them() {
        let (v, _) =
            one("a: \"80\"\nb: 80\nc: yes\nd: on\ne: 1e3\nf: 'yes'\ng: 1.5\nh: ~\ni: 0x10\n");
        assert_eq!(v["a"], Value::from("80"));
        assert_eq!(v["b"], Value::from(80));
        assert_eq!(v["c"], Value::Bool(true));
        assert_eq!(v["d"], Value::Bool(true));
        assert_eq!(v["e"], Value::from(1000));
        assert_eq!(v["f"], Value::from("yes"));
        assert_eq!(v["g"], Value::from(1.5));
        assert_eq!(v["h"], Value::Null);
        assert_eq!(v["i"], Value::from(16));
    }

    #[test]
    fn positions_point_at_keys() {
        let (_, pos) = one("spec:\n  rules:\n  - backendRefs:\n    - name: a\n      port: 80\n");
        assert_eq!(
            pos.get("spec.rules[0].backendRefs[0].port"),
            Some(Position { line: 5, column: 7 })
        );
        assert_eq!(pos.get("spec.rules[0]").map(|p| p.line), Some(3));
        // An unrecorded (defaulted) field falls back to its closest ancestor.
        assert_eq!(
            pos.get("spec.rules[0].backendRefs[0].weight")
                .map(|p| p.line),
            Some(4)
        );
    }

    #[test]
    fn multiple_documents_and_empty_ones() {
        let docs = parse("---\na: 1\n---\n---\nb: 2\n...\n", &YamlLimits::default()).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].as_ref().unwrap().position.line, 5);
    }

    #[test]
    fn list_items_are_objects_with_their_own_positions() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- kind: A\n  x: 1\n- kind: B\n";
        let doc = parse(text, &YamlLimits::default())
            .unwrap()
            .remove(0)
            .unwrap();
        let objs = doc.into_objects();
        assert_eq!(objs.len(), 2);
        let (v, pos) = objs[0].as_ref().unwrap();
        assert_eq!(v["x"], Value::from(1));
        assert_eq!(pos.get("x").unwrap().line, 5);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse("a: 1\na: 2\n", &YamlLimits::default()).unwrap_err();
        assert!(err.message.contains("duplicate"), "{err:?}");
        assert_eq!(err.position.map(|p| p.line), Some(2));
    }

    #[test]
    fn alias_bomb_is_stopped() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let err = parse(&text, &YamlLimits::default()).unwrap_err();
        assert!(err.limit, "{err:?}");
    }

    #[test]
    fn aliased_long_scalars_are_stopped() {
        // 10,000 copies of a 100 KB scalar from a 100 KB file: 1 GB unbounded.
        let mut text = format!("a1: &a1 {}\n", "k".repeat(100_000));
        for i in 2..6 {
            let items = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let err = parse(&text, &YamlLimits::default()).unwrap_err();
        assert!(err.limit, "{err:?}");
        // The same aliases over a short scalar stay well within the limit.
        let small = text.replacen(&"k".repeat(100_000), "k", 1);
        assert!(parse(&small, &YamlLimits::default()).is_ok());
    }

    #[test]
    fn a_long_key_over_many_items_costs_its_length_once() {
        // Positions used to store each item's full path: this 1 MB key over 20,000 items
        // was 20 GB of paths.
        let key = "k".repeat(1 << 20);
        let items = vec!["0"; 20_000].join(",");
        let (value, pos) = one(&format!("status:\n  ? {key}\n  : [{items}]\n"));
        assert_eq!(value["status"][&key].as_array().map(Vec::len), Some(20_000));
        assert_eq!(pos.len(), 3 + 20_000);
        let last = pos.get(&format!("status.{key}[19999]")).unwrap();
        assert_eq!(last.line, 3);
    }

    #[test]
    fn deep_nesting_is_stopped() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&text, &YamlLimits::default()).unwrap_err();
        assert!(err.position.is_some(), "{err:?}");
        let block: String = (0..10_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert!(parse(&block, &YamlLimits::default()).is_err());
    }

    #[test]
    fn non_json_numbers_are_located_errors() {
        let docs = parse("a: 1\nb: .inf\n", &YamlLimits::default()).unwrap();
        let err = docs.into_iter().next().unwrap().unwrap_err();
        assert_eq!(err.position.line, 2);
    }
}
