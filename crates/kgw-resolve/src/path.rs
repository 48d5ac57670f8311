//! Request path normalisation, applied once before matching (policy in `docs/resolution.md`).
//!
//! Envoy's defaults, made explicit: dot segments are removed (RFC 3986 §5.2.4) after `%2E`
//! is read as `.`; percent-encoded unreserved characters are decoded; every other
//! percent-encoding is kept, its hex digits uppercased, so `%2F` is never a separator; repeated
//! slashes are kept unless [`PathOptions::merge_slashes`] is set. A path that is already normal
//! (no `%`, no `.`/`..` segment, no `//` to merge) is borrowed, not copied.

use std::borrow::Cow;
use std::fmt;

/// How request paths are normalised before matching.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathOptions {
    /// Collapse runs of `/` into one (Envoy's `merge_slashes`, off by default there and here).
    pub merge_slashes: bool,
}

/// Why a request path cannot be normalised; the request is answered 400.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// The path is empty or does not start with `/` (`*`, `a/b`, an absolute URL).
    NotAbsolute,
    /// A `%` not followed by two hex digits, at this byte offset.
    InvalidPercentEncoding {
        /// Byte offset of the `%`.
        at: usize,
    },
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAbsolute => f.write_str("the request path does not start with `/`"),
            Self::InvalidPercentEncoding { at } => {
                write!(
                    f,
                    "invalid percent-encoding at byte {at} of the request path"
                )
            }
        }
    }
}

impl std::error::Error for PathError {}

/// Normalises a request path (without its query) for matching.
///
/// ```
/// use kgw_resolve::path::{normalize_path, PathOptions};
/// let opts = PathOptions::default();
/// assert_eq!(normalize_path("/admin/../public", &opts).unwrap(), "/public");
/// assert_eq!(normalize_path("/a/%2e%2E/b", &opts).unwrap(), "/b");
/// assert_eq!(normalize_path("/%7Euser/a%2fb", &opts).unwrap(), "/~user/a%2Fb");
/// assert_eq!(normalize_path("/a//b", &opts).unwrap(), "/a//b");
/// assert!(normalize_path("/bad%zz", &opts).is_err());
/// ```
pub fn normalize_path<'p>(raw: &'p str, options: &PathOptions) -> Result<Cow<'p, str>, PathError> {
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if is_normal(raw, *options) {
        return Ok(Cow::Borrowed(raw));
    }
    let decoded = decode_unreserved(raw)?;
    Ok(Cow::Owned(remove_dot_segments(
        &decoded,
        options.merge_slashes,
    )))
}

/// Whether `raw` (starting with `/`) is already in normal form.
fn is_normal(raw: &str, options: PathOptions) -> bool {
    !(raw.contains('%')
        || (options.merge_slashes && raw.contains("//"))
        || raw[1..]
            .split('/')
            .any(|segment| segment == "." || segment == ".."))
}

/// Whether a byte is an RFC 3986 unreserved character.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The value of an ASCII hex digit.
pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes percent-encoded unreserved characters and uppercases the hex of the others.
fn decode_unreserved(raw: &str) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(PathError::InvalidPercentEncoding { at: i });
            };
            let value = hi * 16 + lo;
            if is_unreserved(value) {
                out.push(value);
            } else {
                out.extend_from_slice(&[
                    b'%',
                    bytes[i + 1].to_ascii_uppercase(),
                    bytes[i + 2].to_ascii_uppercase(),
                ]);
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    // Only ASCII was decoded and multi-byte sequences were copied whole, so `out` is UTF-8;
    // the lossy conversion never replaces anything here and avoids an `expect`.
    Ok(String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// RFC 3986 §5.2.4 on a path starting with `/`, then optionally merging slashes.
fn remove_dot_segments(path: &str, merge_slashes: bool) -> String {
    let segments: Vec<&str> = path[1..].split('/').collect();
    let last = segments.len() - 1;
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
        // A final `.` or `..` leaves the path ending with `/` (`/a/b/..` is `/a/`).
        if i == last && matches!(*segment, "." | "..") {
            out.push("");
        }
    }
    if merge_slashes {
        // After dot segments, as Envoy does: `/a//../b` is `/a/b`. A final empty segment is
        // the trailing slash and stays.
        let keep_trailing = out.last().is_some_and(|s| s.is_empty());
        out.retain(|s| !s.is_empty());
        if keep_trailing {
            out.push("");
        }
    }
    let mut result = String::with_capacity(path.len());
    for segment in &out {
        result.push('/');
        result.push_str(segment);
    }
    if result.is_empty() {
        result.push('/');
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(p: &str) -> Result<String, PathError> {
        normalize_path(p, &PathOptions::default()).map(Cow::into_owned)
    }

    fn merged(p: &str) -> String {
        normalize_path(
            p,
            &PathOptions {
                merge_slashes: true,
            },
        )
        .unwrap()
        .into_owned()
    }

    #[test]
    fn normal_paths_are_borrowed() {
        for p in ["/", "/a", "/a/b/", "/.well-known/x", "/a..b/c.", "/a//b"] {
            let out = normalize_path(p, &PathOptions::default()).unwrap();
            assert!(matches!(out, Cow::Borrowed(_)), "{p}");
            assert_eq!(out, p);
        }
    }

    #[test]
    fn dot_segments_are_removed() {
        assert_eq!(norm("/admin/../public").unwrap(), "/public");
        assert_eq!(norm("/a/./b").unwrap(), "/a/b");
        assert_eq!(norm("/a/b/..").unwrap(), "/a/");
        assert_eq!(norm("/a/b/.").unwrap(), "/a/b/");
        assert_eq!(norm("/..").unwrap(), "/");
        assert_eq!(norm("/../../x").unwrap(), "/x");
        assert_eq!(norm("/a/%2e%2e/b").unwrap(), "/b");
        assert_eq!(norm("/a/%2E/b").unwrap(), "/a/b");
        assert_eq!(norm("/a/.%2e/b").unwrap(), "/b");
    }

    #[test]
    fn percent_encoding_policy() {
        assert_eq!(norm("/%61%62c").unwrap(), "/abc");
        assert_eq!(norm("/a%2fb").unwrap(), "/a%2Fb");
        assert_eq!(norm("/a%2Fb/..").unwrap(), "/");
        assert_eq!(norm("/%20x").unwrap(), "/%20x");
        assert_eq!(norm("/%c3%a9").unwrap(), "/%C3%A9");
        assert_eq!(norm("/é/./x").unwrap(), "/é/x");
    }

    #[test]
    fn bad_paths_are_errors() {
        assert_eq!(norm(""), Err(PathError::NotAbsolute));
        assert_eq!(norm("*"), Err(PathError::NotAbsolute));
        assert_eq!(norm("a/b"), Err(PathError::NotAbsolute));
        assert_eq!(
            norm("/a%"),
            Err(PathError::InvalidPercentEncoding { at: 2 })
        );
        assert_eq!(
            norm("/a%4"),
            Err(PathError::InvalidPercentEncoding { at: 2 })
        );
        assert_eq!(
            norm("/a%zz"),
            Err(PathError::InvalidPercentEncoding { at: 2 })
        );
    }

    #[test]
    fn repeated_slashes_are_kept_unless_merged() {
        assert_eq!(norm("/a//b").unwrap(), "/a//b");
        assert_eq!(merged("/a//b"), "/a/b");
        assert_eq!(merged("//a///b//"), "/a/b/");
        assert_eq!(merged("//"), "/");
        assert_eq!(merged("/a/"), "/a/");
        assert_eq!(merged("/a//../b"), "/a/b");
    }

    proptest::proptest! {
        #[test]
        fn normalising_is_idempotent(p in "/[a-c./%2eE/]{0,12}", merge in proptest::bool::ANY) {
            let opts = PathOptions { merge_slashes: merge };
            if let Ok(once) = normalize_path(&p, &opts) {
                let twice = normalize_path(&once, &opts).unwrap();
                proptest::prop_assert_eq!(&*once, &*twice);
                proptest::prop_assert!(!once.split('/').any(|s| s == "." || s == ".."));
            }
        }
    }
}
