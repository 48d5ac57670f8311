//! `RequestHeaderModifier` and `ResponseHeaderModifier` (`HTTPHeaderFilter`).
//!
//! Order of operations inside one filter: **remove, then add, then set** — Envoy's order for
//! removals (removed before anything is added), and `set` last so that `add` followed by `set`
//! on one name leaves exactly the `set` value. The API calls several actions on one name invalid,
//! so the order only shows on configurations validation already reports.
//!
//! `add` appends to what is there as one comma-joined value (`h: a` + `add h: b` → `h: a,b`,
//! as the conformance tests expect); several existing values are joined the same way.

use http::{HeaderMap, HeaderName, HeaderValue};
use kgw_api::gateway::HttpHeaderFilter;
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::{RewriteError, validate_output};

/// Validated header operations: what one header filter does to a header map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderOps {
    /// Replace the header's values (or add it).
    pub set: Vec<(HeaderName, HeaderValue)>,
    /// Append to the header's value, comma-joined.
    pub add: Vec<(HeaderName, HeaderValue)>,
    /// Delete the header.
    pub remove: Vec<HeaderName>,
}

impl HeaderOps {
    /// Validates a filter's names and values (names are lowercased; CR/LF in a value is an error).
    pub fn from_filter(filter: &HttpHeaderFilter) -> Result<Self, RewriteError> {
        let pairs = |list: &Option<Vec<kgw_api::gateway::HttpHeader>>| {
            list.iter()
                .flatten()
                .map(|h| {
                    Ok((
                        validate_output::header_name(&h.name)?,
                        validate_output::header_value(&h.name, &h.value)?,
                    ))
                })
                .collect::<Result<Vec<_>, RewriteError>>()
        };
        Ok(Self {
            set: pairs(&filter.set)?,
            add: pairs(&filter.add)?,
            remove: filter
                .remove
                .iter()
                .flatten()
                .map(|n| validate_output::header_name(n))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether these operations change nothing.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }

    /// Applies the operations: remove, then add, then set.
    pub fn apply(&self, headers: &mut HeaderMap) {
        for name in &self.remove {
            headers.remove(name);
        }
        for (name, value) in &self.add {
            append_joined(headers, name, value);
        }
        for (name, value) in &self.set {
            headers.insert(name.clone(), value.clone());
        }
    }
}

/// Validates `filter` and applies it to `headers`; on error `headers` is left unchanged.
pub fn apply(filter: &HttpHeaderFilter, headers: &mut HeaderMap) -> Result<(), RewriteError> {
    HeaderOps::from_filter(filter)?.apply(headers);
    Ok(())
}

/// Appends `value` to the values of `name` as one comma-joined value.
fn append_joined(headers: &mut HeaderMap, name: &HeaderName, value: &HeaderValue) {
    let mut joined = Vec::new();
    for existing in headers.get_all(name) {
        joined.extend_from_slice(existing.as_bytes());
        joined.push(b',');
    }
    if joined.is_empty() {
        headers.insert(name.clone(), value.clone());
        return;
    }
    joined.extend_from_slice(value.as_bytes());
    // Valid values joined by commas form a valid value, so the fallback never runs; keeping the
    // value as a separate field line is still correct HTTP if it ever did.
    match HeaderValue::from_bytes(&joined) {
        Ok(v) => {
            headers.insert(name.clone(), v);
        }
        Err(_) => {
            headers.append(name.clone(), value.clone());
        }
    }
}

fn lossy(value: &HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
}

/// Serialises as the `kgw` CLI contract's `{"set": [[n, v]], "add": [[n, v]], "remove": [n]}`.
impl Serialize for HeaderOps {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let pairs = |list: &[(HeaderName, HeaderValue)]| {
            list.iter()
                .map(|(n, v)| [n.as_str().to_owned(), lossy(v)])
                .collect::<Vec<_>>()
        };
        let mut s = serializer.serialize_struct("HeaderOps", 3)?;
        s.serialize_field("set", &pairs(&self.set))?;
        s.serialize_field("add", &pairs(&self.add))?;
        s.serialize_field(
            "remove",
            &self
                .remove
                .iter()
                .map(HeaderName::as_str)
                .collect::<Vec<_>>(),
        )?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kgw_api::gateway::HttpHeader;

    fn h(name: &str, value: &str) -> HttpHeader {
        HttpHeader {
            name: name.into(),
            value: value.into(),
        }
    }

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (n, v) in pairs {
            m.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        m
    }

    fn values(m: &HeaderMap, name: &str) -> Vec<String> {
        m.get_all(name).iter().map(lossy).collect()
    }

    #[test]
    fn table() {
        struct Case {
            name: &'static str,
            before: &'static [(&'static str, &'static str)],
            filter: HttpHeaderFilter,
            header: &'static str,
            after: &'static [&'static str],
        }
        let cases = [
            Case {
                name: "set adds an absent header",
                before: &[],
                filter: HttpHeaderFilter {
                    set: Some(vec![h("X-Set", "v")]),
                    ..Default::default()
                },
                header: "x-set",
                after: &["v"],
            },
            Case {
                name: "set overwrites every value, case-insensitively",
                before: &[("x-set", "a"), ("x-set", "b")],
                filter: HttpHeaderFilter {
                    set: Some(vec![h("X-SET", "v")]),
                    ..Default::default()
                },
                header: "x-set",
                after: &["v"],
            },
            Case {
                name: "add appends comma-joined",
                before: &[("x-add", "a")],
                filter: HttpHeaderFilter {
                    add: Some(vec![h("X-Add", "b")]),
                    ..Default::default()
                },
                header: "x-add",
                after: &["a,b"],
            },
            Case {
                name: "add joins several existing values",
                before: &[("x-add", "a"), ("x-add", "b")],
                filter: HttpHeaderFilter {
                    add: Some(vec![h("x-add", "c")]),
                    ..Default::default()
                },
                header: "x-add",
                after: &["a,b,c"],
            },
            Case {
                name: "add to an absent header",
                before: &[],
                filter: HttpHeaderFilter {
                    add: Some(vec![h("x-add", "c")]),
                    ..Default::default()
                },
                header: "x-add",
                after: &["c"],
            },
            Case {
                name: "remove is case-insensitive",
                before: &[("x-foo", "a"), ("x-foo", "b")],
                filter: HttpHeaderFilter {
                    remove: Some(vec!["X-Foo".into()]),
                    ..Default::default()
                },
                header: "x-foo",
                after: &[],
            },
            Case {
                name: "set after add is set",
                before: &[("x-h", "old")],
                filter: HttpHeaderFilter {
                    add: Some(vec![h("x-h", "added")]),
                    set: Some(vec![h("x-h", "set")]),
                    ..Default::default()
                },
                header: "x-h",
                after: &["set"],
            },
            Case {
                name: "remove runs before add",
                before: &[("x-h", "old")],
                filter: HttpHeaderFilter {
                    remove: Some(vec!["x-h".into()]),
                    add: Some(vec![h("x-h", "new")]),
                    ..Default::default()
                },
                header: "x-h",
                after: &["new"],
            },
            Case {
                name: "values keep their case",
                before: &[],
                filter: HttpHeaderFilter {
                    set: Some(vec![h("x-v", "MiXeD")]),
                    ..Default::default()
                },
                header: "x-v",
                after: &["MiXeD"],
            },
        ];
        for case in cases {
            let mut m = map(case.before);
            apply(&case.filter, &mut m).unwrap();
            assert_eq!(values(&m, case.header), case.after, "{}", case.name);
        }
    }

    #[test]
    fn unrelated_headers_are_untouched() {
        let mut m = map(&[("keep", "1"), ("x-foo", "2")]);
        let filter = HttpHeaderFilter {
            remove: Some(vec!["x-foo".into()]),
            ..Default::default()
        };
        apply(&filter, &mut m).unwrap();
        assert_eq!(values(&m, "keep"), ["1"]);
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn smuggling_attempts_are_errors_and_change_nothing() {
        let mut m = map(&[("x-a", "1")]);
        let bad_value = HttpHeaderFilter {
            set: Some(vec![h("x-a", "2"), h("x-b", "v\r\nx-evil: 1")]),
            ..Default::default()
        };
        assert_eq!(
            apply(&bad_value, &mut m),
            Err(RewriteError::InvalidHeaderValue { name: "x-b".into() })
        );
        let bad_name = HttpHeaderFilter {
            add: Some(vec![h("x-b\r\nx-evil", "v")]),
            ..Default::default()
        };
        assert!(matches!(
            apply(&bad_name, &mut m),
            Err(RewriteError::InvalidHeaderName { .. })
        ));
        assert_eq!(m, map(&[("x-a", "1")]));
    }

    #[test]
    fn serialises_as_the_cli_contract() {
        let ops = HeaderOps::from_filter(&HttpHeaderFilter {
            set: Some(vec![h("X-S", "1")]),
            add: Some(vec![h("x-a", "2")]),
            remove: Some(vec!["Server".into()]),
        })
        .unwrap();
        assert_eq!(
            serde_json::to_value(&ops).unwrap(),
            serde_json::json!({"set": [["x-s", "1"]], "add": [["x-a", "2"]], "remove": ["server"]})
        );
        assert!(!ops.is_empty());
        assert!(HeaderOps::default().is_empty());
    }
}
