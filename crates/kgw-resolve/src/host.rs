//! Hostnames: request host normalisation and wildcard (`*.`) suffix matching.

use std::borrow::Cow;

/// Longest host normalised on the stack; longer ones (never a valid DNS name) are copied.
pub(crate) const HOST_BUF: usize = 256;

/// Strips the port and one trailing dot from a Host header or URI authority.
pub(crate) fn strip_port_and_dot(raw: &str) -> &str {
    let host = if raw.starts_with('[') {
        // An IPv6 literal keeps its brackets; the port, if any, follows the `]`.
        raw.find(']').map_or(raw, |end| &raw[..=end])
    } else {
        raw.split(':').next().unwrap_or(raw)
    };
    host.strip_suffix('.').unwrap_or(host)
}

/// Normalises a request host for matching: port and trailing dot stripped, ASCII lowercase.
///
/// Borrows `raw` when it is already lowercase, writes into `buf` otherwise, so the common
/// cases never allocate.
pub(crate) fn normalize_host_into<'b>(raw: &'b str, buf: &'b mut [u8; HOST_BUF]) -> Cow<'b, str> {
    let host = strip_port_and_dot(raw);
    if !host.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(host);
    }
    if host.len() > buf.len() {
        return Cow::Owned(host.to_ascii_lowercase());
    }
    let out = &mut buf[..host.len()];
    out.copy_from_slice(host.as_bytes());
    out.make_ascii_lowercase();
    // Lowercasing ASCII bytes keeps valid UTF-8 valid, so this never takes the fallback.
    match std::str::from_utf8(out) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(host.to_ascii_lowercase()),
    }
}

/// Normalises a request host, allocating only when it must change case.
///
/// ```
/// assert_eq!(kgw_resolve::normalize_host("Foo.Example.COM.:8080"), "foo.example.com");
/// assert_eq!(kgw_resolve::normalize_host("[::1]:443"), "[::1]");
/// ```
pub fn normalize_host(raw: &str) -> Cow<'_, str> {
    let host = strip_port_and_dot(raw);
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    }
}

/// A configured hostname (route or listener), parsed once.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum HostPattern {
    /// A full name.
    Exact(Box<str>),
    /// `*.suffix`: one or more labels, then `.suffix` (the suffix is stored without `*.`).
    Wildcard(Box<str>),
}

impl HostPattern {
    /// Parses a configured hostname, lowercased with any trailing dot removed.
    pub(crate) fn parse(hostname: &str) -> Self {
        let lower = hostname.to_ascii_lowercase();
        let lower = lower.strip_suffix('.').unwrap_or(&lower);
        match lower.strip_prefix("*.") {
            Some(suffix) => Self::Wildcard(suffix.into()),
            None => Self::Exact(lower.into()),
        }
    }
}

/// Whether `host` is one or more labels followed by `.suffix`: the same rule attachment uses.
pub(crate) use kgw_validate::hostname::wildcard_matches;

/// The suffixes a wildcard could be keyed by for `host`, longest (most specific) first:
/// `a.b.c` yields `b.c`, then `c`.
pub(crate) fn wildcard_suffixes(host: &str) -> impl Iterator<Item = &str> {
    host.bytes()
        .enumerate()
        .filter(|&(i, b)| b == b'.' && i > 0)
        .map(move |(i, _)| &host[i + 1..])
        .filter(|suffix| !suffix.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_is_normalised_once() {
        let mut buf = [0; HOST_BUF];
        assert_eq!(
            normalize_host_into("H1.EXAMPLE.com", &mut buf),
            "h1.example.com"
        );
        let mut buf = [0; HOST_BUF];
        assert_eq!(
            normalize_host_into("h1.example.com.", &mut buf),
            "h1.example.com"
        );
        let mut buf = [0; HOST_BUF];
        assert_eq!(
            normalize_host_into("h1.example.com.:80", &mut buf),
            "h1.example.com"
        );
        let mut buf = [0; HOST_BUF];
        assert_eq!(normalize_host_into("[::1]:8080", &mut buf), "[::1]");
        let long = "A".repeat(300);
        let mut buf = [0; HOST_BUF];
        assert_eq!(normalize_host_into(&long, &mut buf), "a".repeat(300));
        assert!(matches!(normalize_host("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn wildcard_is_one_or_more_labels() {
        assert!(wildcard_matches("example.com", "a.example.com"));
        assert!(wildcard_matches("example.com", "a.b.example.com"));
        assert!(!wildcard_matches("example.com", "example.com"));
        assert!(!wildcard_matches("example.com", ".example.com"));
        assert!(!wildcard_matches("example.com", "aexample.com"));
        let suffixes: Vec<_> = wildcard_suffixes("a.b.example.com").collect();
        assert_eq!(suffixes, ["b.example.com", "example.com", "com"]);
        assert_eq!(
            wildcard_suffixes("example.com").collect::<Vec<_>>(),
            ["com"]
        );
        assert_eq!(wildcard_suffixes(".com").count(), 0);
    }

    #[test]
    fn patterns_parse() {
        assert_eq!(
            HostPattern::parse("*.Example.com"),
            HostPattern::Wildcard("example.com".into())
        );
        assert_eq!(
            HostPattern::parse("a.example.com."),
            HostPattern::Exact("a.example.com".into())
        );
    }
}
