//! Field rules: the OpenAPI limits and CEL rules of the CRDs, as Rust checks on the objects as
//! loaded (so that "unset" and "set to the default" stay distinguishable).

pub(crate) mod backend;
pub(crate) mod gateway;
pub(crate) mod httproute;
pub(crate) mod reference_grant;

use std::fmt::Display;

use crate::diag::Sink;
use crate::hostname::{is_dns_label, is_dns_subdomain};

/// `maxItems`.
pub(crate) fn max_items(sink: &mut Sink<'_>, field: impl Display + Copy, len: usize, max: usize) {
    if len > max {
        sink.error(
            "max-items",
            field,
            format!("{field} has {len} entries; at most {max} are allowed"),
        );
    }
}

/// `minItems`.
pub(crate) fn min_items(sink: &mut Sink<'_>, field: impl Display + Copy, len: usize, min: usize) {
    if len < min {
        sink.error(
            "min-items",
            field,
            format!("{field} has {len} entries; at least {min} are required"),
        );
    }
}

/// `minLength` / `maxLength` (counted in characters, as the API server does).
pub(crate) fn length(
    sink: &mut Sink<'_>,
    field: impl Display + Copy,
    value: &str,
    min: usize,
    max: usize,
) {
    // A string has at most as many characters as bytes, and exactly as many when it is ASCII
    // (checked much faster than characters are counted).
    let len = if value.is_ascii() {
        value.len()
    } else {
        value.chars().count()
    };
    if len < min || len > max {
        sink.error(
            "value-length",
            field,
            format!("{field} is {len} characters long; it must be {min} to {max}"),
        );
    }
}

/// `minimum` / `maximum`.
pub(crate) fn range(
    sink: &mut Sink<'_>,
    field: impl Display + Copy,
    value: i64,
    min: i64,
    max: i64,
) {
    if value < min || value > max {
        sink.error(
            "value-range",
            field,
            format!("{field} is {value}; it must be between {min} and {max}"),
        );
    }
}

/// A value that does not match its pattern.
pub(crate) fn invalid(
    sink: &mut Sink<'_>,
    field: impl Display + Copy,
    value: &str,
    expected: &str,
) {
    sink.error(
        "invalid-value",
        field,
        format!("{field} {value:?} is invalid: {expected}"),
    );
}

/// `Group`: empty or a DNS subdomain, at most 253 characters.
pub(crate) fn group(sink: &mut Sink<'_>, field: impl Display + Copy, value: &str) {
    if value.len() > 253 || !(value.is_empty() || is_dns_subdomain(value)) {
        invalid(
            sink,
            field,
            value,
            "an API group is empty (core) or a lowercase DNS name",
        );
    }
}

/// `Kind`: `^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`, 1 to 63 characters.
pub(crate) fn kind(sink: &mut Sink<'_>, field: impl Display + Copy, value: &str) {
    let b = value.as_bytes();
    let ok = (1..=63).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-');
    if !ok {
        invalid(
            sink,
            field,
            value,
            "a kind is 1 to 63 letters, digits and '-', starting with a letter",
        );
    }
}

/// `Namespace`: an RFC 1123 label of 1 to 63 characters.
pub(crate) fn namespace(sink: &mut Sink<'_>, field: impl Display + Copy, value: &str) {
    if !is_dns_label(value) {
        invalid(
            sink,
            field,
            value,
            "a namespace is a lowercase DNS label of at most 63 characters",
        );
    }
}

/// `ObjectName`: 1 to 253 characters.
pub(crate) fn object_name(sink: &mut Sink<'_>, field: impl Display + Copy, value: &str) {
    length(sink, field, value, 1, 253);
}

/// `SectionName`: an RFC 1123 subdomain of 1 to 253 characters.
pub(crate) fn section_name(sink: &mut Sink<'_>, field: impl Display + Copy, value: &str) {
    if value.len() > 253 || !is_dns_subdomain(value) {
        invalid(
            sink,
            field,
            value,
            "a section name is a lowercase DNS name of at most 253 characters",
        );
    }
}

/// `PortNumber`: 1 to 65535.
pub(crate) fn port(sink: &mut Sink<'_>, field: impl Display + Copy, value: i32) {
    range(sink, field, i64::from(value), 1, 65535);
}

/// `HTTPHeaderName`: RFC 7230 token characters, 1 to 256.
pub(crate) fn is_header_name(value: &str) -> bool {
    (1..=256).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Checks a header name.
pub(crate) fn header_name(sink: &mut Sink<'_>, field: impl Display + Copy, value: &str) {
    if !is_header_name(value) {
        sink.error(
            "invalid-header-name",
            field,
            format!(
                "{field} {value:?} is not a header name: use 1 to 256 letters, digits and \
                 !#$%&'*+-.^_`|~"
            ),
        );
    }
}

/// Reports every entry whose key repeats an earlier one (list-map keys, sets).
pub(crate) fn unique<'k, I>(sink: &mut Sink<'_>, field: impl Display + Copy, keys: I, what: &str)
where
    I: IntoIterator<Item = &'k str>,
    I::IntoIter: Clone,
{
    let keys = keys.into_iter();
    // Lists within their `maxItems` are short: comparing with the earlier keys beats hashing and
    // allocates nothing. Longer ones (already an error) are hashed so that a hostile list costs
    // linear time.
    let short = keys.clone().nth(16).is_none();
    let mut seen = std::collections::HashSet::new();
    for (i, key) in keys.clone().enumerate() {
        let repeated = if short {
            keys.clone().take(i).any(|k| k == key)
        } else {
            !seen.insert(key)
        };
        if repeated {
            sink.error(
                "duplicate-key",
                format!("{field}[{i}]"),
                format!("{what} {key:?} appears more than once in {field}; keep one entry"),
            );
        }
    }
}
