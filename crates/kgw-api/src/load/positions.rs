//! Where each field of one object sits in its file, stored as a tree of path segments.
//!
//! Storing every field's full path as a string costs the sum of all path lengths, which a
//! hostile manifest makes quadratic: a 100 KB mapping key over 10,000 sequence items was a
//! gigabyte of paths. As a tree, each key is stored once and each field costs one fixed-size
//! entry, in two allocations per object.

use std::cmp::Ordering;
use std::fmt;

/// A 1-based line and column in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where each field of one object sits in its file, looked up by field path
/// (`spec.rules[0].backendRefs[1].port`); the object itself is at `""`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldPositions {
    /// Breadth first from the object (index 0), so that the children of each field are adjacent;
    /// within a mapping they are sorted by key for binary search.
    fields: Vec<Field>,
    /// Every mapping key, each once, concatenated.
    keys: String,
    /// Whether some key contains `.` or `[`, which makes splitting a path ambiguous.
    ambiguous_keys: bool,
}

/// One recorded field, in 28 bytes rather than 56 with `usize`s and `u64`s: positions are most of
/// a loaded object's memory, and validation reads its input faster the closer together it lies.
/// Offsets, indices and counts beyond `u32::MAX` are not recorded (see [`FieldPositions::build`]).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Field {
    segment: Segment,
    /// The children's range in `fields`.
    children: (u32, u32),
    /// Line and column, saturated at `u32::MAX`.
    line: u32,
    column: u32,
}

impl Field {
    /// A field without children yet.
    fn new(segment: Segment, position: Position) -> Self {
        Self {
            segment,
            children: (0, 0),
            line: saturate(position.line),
            column: saturate(position.column),
        }
    }

    fn position(&self) -> Position {
        Position {
            line: self.line.into(),
            column: self.column.into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment {
    Root,
    /// A mapping key: its range in `keys`.
    Key(u32, u32),
    /// A sequence item.
    Index(u32),
}

/// One child of a node, as the parser's tree lists it. Ordered as children are stored:
/// sequence items by index, mapping entries by key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Child<'k> {
    /// A sequence item.
    Index(usize),
    /// A mapping entry, positioned at its key.
    Key(&'k str),
}

fn saturate(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl FieldPositions {
    /// Records `root` and everything under it; `children(node, emit)` calls `emit` for each of
    /// a node's children in document order, with the position it is reported at.
    ///
    /// A field that cannot be stored in 32-bit offsets (an index, key text or field count past
    /// `u32::MAX`, which the loader's size limits keep out of reach by default) is left out with
    /// everything under it, so it is reported at its closest recorded ancestor.
    pub(super) fn build<'n, N: Copy + 'n>(
        root: N,
        position: Position,
        children: impl Fn(N, &mut dyn FnMut(Child<'n>, Position, N)),
    ) -> Self {
        let mut this = Self {
            fields: vec![Field::new(Segment::Root, position)],
            keys: String::new(),
            ambiguous_keys: false,
        };
        // `nodes[i]` is the tree node of `fields[i]`.
        let mut nodes = vec![root];
        let mut group: Vec<(Segment, Position, N)> = Vec::new();
        let mut next = 0;
        while next < nodes.len() {
            group.clear();
            children(nodes[next], &mut |child, position, node| {
                let segment = match child {
                    Child::Index(i) => match u32::try_from(i) {
                        Ok(i) => Segment::Index(i),
                        Err(_) => return,
                    },
                    Child::Key(key) => {
                        let start = this.keys.len();
                        let (Ok(first), Ok(end)) =
                            (u32::try_from(start), u32::try_from(start + key.len()))
                        else {
                            return;
                        };
                        this.ambiguous_keys |= key.contains(['.', '[']);
                        this.keys.push_str(key);
                        Segment::Key(first, end)
                    }
                };
                group.push((segment, position, node));
            });
            // Sequence items arrive in index order, mapping keys in document order.
            group.sort_by(|a, b| this.compare(a.0, b.0));
            let (Ok(first), Ok(last)) = (
                u32::try_from(this.fields.len()),
                u32::try_from(this.fields.len() + group.len()),
            ) else {
                break;
            };
            for &(segment, position, node) in &group {
                this.fields.push(Field::new(segment, position));
                nodes.push(node);
            }
            this.fields[next].children = (first, last);
            next += 1;
        }
        // Kept for the object's lifetime: give back what doubling over-allocated.
        this.fields.shrink_to_fit();
        this.keys.shrink_to_fit();
        this
    }

    /// A stored segment as the child it was recorded from (`None` for the object itself, which
    /// orders first).
    fn as_child(&self, segment: Segment) -> Option<Child<'_>> {
        match segment {
            Segment::Root => None,
            // Ranges were taken from `keys` as it grew, so they lie within it; `get` keeps a
            // broken range from panicking all the same.
            Segment::Key(start, end) => Some(Child::Key(
                self.keys.get(start as usize..end as usize).unwrap_or(""),
            )),
            Segment::Index(i) => Some(Child::Index(i as usize)),
        }
    }

    fn compare(&self, a: Segment, b: Segment) -> Ordering {
        self.as_child(a).cmp(&self.as_child(b))
    }

    fn child(&self, parent: &Field, segment: Child<'_>) -> Option<&Field> {
        let (first, last) = parent.children;
        let children = self.fields.get(first as usize..last as usize)?;
        // A sequence's items are stored in index order from 0: item `i` is the `i`-th child.
        if let Child::Index(i) = segment
            && let Some(item) = children.get(i)
            && item.segment == Segment::Index(u32::try_from(i).ok()?)
        {
            return Some(item);
        }
        let found = children.binary_search_by(|f| self.as_child(f.segment).cmp(&Some(segment)));
        found.ok().map(|i| &children[i])
    }

    /// The position of a field, or of its closest recorded ancestor (a defaulted field that the
    /// manifest does not spell out is reported where its parent is).
    ///
    /// A key that contains `.` or `[` (a label such as `app.kubernetes.io/name`) makes a path
    /// ambiguous; the longest key that fits is taken at each step.
    pub fn get(&self, path: &str) -> Option<Position> {
        self.load_into_cache();
        let mut field = self.fields.first()?;
        let mut rest = path;
        while !rest.is_empty() {
            let step = if let Some(inner) = rest.strip_prefix('[') {
                inner.split_once(']').and_then(|(index, after)| {
                    let child = self.child(field, Child::Index(index.parse().ok()?))?;
                    Some((child, after))
                })
            } else {
                let key = if field.segment == Segment::Root {
                    Some(rest)
                } else {
                    rest.strip_prefix('.')
                };
                key.and_then(|key| self.key_step(field, key))
            };
            match step {
                Some((child, after)) => (field, rest) = (child, after),
                None => break,
            }
        }
        Some(field.position())
    }

    /// Reads every cache line of a small table before the walk. A lookup follows one chain of
    /// dependent reads (each level's children, then their keys), and a table is usually out of
    /// cache when a diagnostic asks for it: some ten misses one after the other. Independent
    /// reads of all its lines overlap in the memory system instead (at 10k routes with 5,000
    /// diagnostics, docs/benchmarks.md).
    fn load_into_cache(&self) {
        const SMALL: usize = 8 * 1024;
        if size_of_val(self.fields.as_slice()) + self.keys.len() > SMALL {
            return;
        }
        // Two fields span less than a 64-byte line, so every other one reaches each line.
        let fields = self
            .fields
            .iter()
            .step_by(2)
            .fold(0u32, |sum, f| sum.wrapping_add(f.line));
        let keys = self
            .keys
            .as_bytes()
            .iter()
            .step_by(64)
            .fold(0u8, |sum, &b| sum.wrapping_add(b));
        std::hint::black_box((fields, keys));
    }

    /// The child of `field` whose key starts `path` (up to a `.`, a `[` or the end), with what
    /// follows it.
    fn key_step<'p>(&self, field: &Field, path: &'p str) -> Option<(&Field, &'p str)> {
        let split = |end: usize| {
            let child = self.child(field, Child::Key(&path[..end]))?;
            Some((child, &path[end..]))
        };
        if !self.ambiguous_keys {
            return split(path.find(['.', '[']).unwrap_or(path.len()));
        }
        std::iter::once(path.len())
            .chain(path.rmatch_indices(['.', '[']).map(|(i, _)| i))
            .find_map(split)
    }

    /// Number of recorded fields, the object included.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    /// A document tree with the position each node is reported at.
    #[derive(Clone, Debug)]
    enum Tree {
        Leaf(Position),
        Map(Position, Vec<(String, Tree)>),
        Seq(Position, Vec<Tree>),
    }

    impl Tree {
        fn position(&self) -> Position {
            match self {
                Self::Leaf(p) | Self::Map(p, _) | Self::Seq(p, _) => *p,
            }
        }
    }

    fn positions(tree: &Tree) -> FieldPositions {
        FieldPositions::build(tree, tree.position(), |node: &Tree, emit| match node {
            Tree::Leaf(_) => {}
            Tree::Map(_, entries) => {
                for (k, v) in entries {
                    emit(Child::Key(k), v.position(), v);
                }
            }
            Tree::Seq(_, items) => {
                for (i, v) in items.iter().enumerate() {
                    emit(Child::Index(i), v.position(), v);
                }
            }
        })
    }

    /// The plain definition: every field's full path in a map; a missing path falls back to
    /// the path with its last segment cut off.
    fn reference(tree: &Tree) -> impl Fn(&str) -> Option<Position> {
        fn record(node: &Tree, path: &str, map: &mut HashMap<String, Position>) {
            map.insert(path.to_owned(), node.position());
            match node {
                Tree::Leaf(_) => {}
                Tree::Map(_, entries) => {
                    for (k, v) in entries {
                        let dot = if path.is_empty() { "" } else { "." };
                        record(v, &format!("{path}{dot}{k}"), map);
                    }
                }
                Tree::Seq(_, items) => {
                    for (i, v) in items.iter().enumerate() {
                        record(v, &format!("{path}[{i}]"), map);
                    }
                }
            }
        }
        let mut map = HashMap::new();
        record(tree, "", &mut map);
        move |path: &str| {
            let mut path = path;
            loop {
                if let Some(p) = map.get(path) {
                    return Some(*p);
                }
                if path.is_empty() {
                    return None;
                }
                path = &path[..path.rfind(['.', '[']).unwrap_or(0)];
            }
        }
    }

    fn at(line: u64) -> Position {
        Position { line, column: 1 }
    }

    fn tree() -> impl Strategy<Value = Tree> {
        let leaf = (1..1000u64).prop_map(|l| Tree::Leaf(at(l)));
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                (
                    1..1000u64,
                    prop::collection::btree_map("[a-c]{1,2}", inner.clone(), 0..6)
                )
                    .prop_map(|(l, m)| Tree::Map(at(l), m.into_iter().collect())),
                (1..1000u64, prop::collection::vec(inner, 0..6))
                    .prop_map(|(l, v)| Tree::Seq(at(l), v)),
            ]
        })
    }

    proptest! {
        #[test]
        fn agrees_with_a_map_of_full_paths(
            tree in tree(),
            // Well-formed paths as validation writes them; `[x]` is an index that does not parse.
            queries in prop::collection::vec("([.][a-c]{1,2}|\\[[0-6x]\\]){0,6}", 0..20),
        ) {
            let fast = positions(&tree);
            let slow = reference(&tree);
            for query in queries {
                let query = query.strip_prefix('.').unwrap_or(&query);
                prop_assert_eq!(fast.get(query), slow(query), "{}", query);
            }
        }
    }

    #[test]
    fn fields_keys_and_items() {
        let tree = Tree::Map(
            at(1),
            vec![
                (
                    "spec".into(),
                    Tree::Map(
                        at(2),
                        vec![(
                            "rules".into(),
                            Tree::Seq(at(3), vec![Tree::Leaf(at(4)), Tree::Leaf(at(5))]),
                        )],
                    ),
                ),
                ("b".into(), Tree::Leaf(at(6))),
            ],
        );
        let pos = positions(&tree);
        assert_eq!(pos.len(), 6);
        assert_eq!(pos.get(""), Some(at(1)));
        assert_eq!(pos.get("b"), Some(at(6)));
        assert_eq!(pos.get("spec.rules[1]"), Some(at(5)));
        // Unrecorded or malformed: the closest recorded ancestor.
        assert_eq!(pos.get("spec.rules[2]"), Some(at(3)));
        assert_eq!(pos.get("spec.rules[1].port"), Some(at(5)));
        assert_eq!(pos.get("spec.rules[x]"), Some(at(3)));
        assert_eq!(pos.get("spec.rules[0"), Some(at(3)));
        assert_eq!(pos.get("nope.rules"), Some(at(1)));
        assert_eq!(FieldPositions::default().get(""), None);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_index_past_32_bits_is_left_out_with_what_is_under_it() {
        // No manifest within the loader's limits has 2^32 items; a callback can claim one.
        let huge = usize::try_from(u64::from(u32::MAX) + 1).unwrap_or(usize::MAX);
        let pos = FieldPositions::build(0u8, at(1), |node, emit| match node {
            0 => {
                emit(Child::Key("items"), at(2), 1);
            }
            1 => {
                emit(Child::Index(0), at(3), 2);
                emit(Child::Index(huge), at(4), 3);
            }
            2 | 3 => emit(Child::Key("name"), at(9), 4),
            _ => {}
        });
        assert_eq!(pos.len(), 4);
        assert_eq!(pos.get("items[0].name"), Some(at(9)));
        assert_eq!(pos.get(&format!("items[{huge}].name")), Some(at(2)));
    }

    #[test]
    fn keys_with_dots_take_the_longest_key_that_fits() {
        let labels = Tree::Map(
            at(2),
            vec![
                ("app".into(), Tree::Leaf(at(3))),
                ("app.kubernetes.io/name".into(), Tree::Leaf(at(4))),
                ("x[0]".into(), Tree::Leaf(at(5))),
            ],
        );
        let tree = Tree::Map(at(1), vec![("labels".into(), labels)]);
        let pos = positions(&tree);
        assert_eq!(pos.get("labels.app.kubernetes.io/name"), Some(at(4)));
        assert_eq!(pos.get("labels.app"), Some(at(3)));
        assert_eq!(pos.get("labels.app.other"), Some(at(3)));
        assert_eq!(pos.get("labels.x[0]"), Some(at(5)));
    }
}
