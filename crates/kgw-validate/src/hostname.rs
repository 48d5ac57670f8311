//! Hostname syntax (`Hostname`, `PreciseHostname`) and listener/route hostname intersection
//! (spec digest §1.3): `*.` matches one or more labels, never zero.

/// Whether `s` is an RFC 1123 DNS subdomain as the CRDs spell it:
/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_label_chars)
}

/// Whether `s` is an RFC 1123 DNS label: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, at most 63 bytes.
pub fn is_dns_label(s: &str) -> bool {
    s.len() <= 63 && is_label_chars(s)
}

fn is_label_chars(label: &str) -> bool {
    let bytes = label.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
        }
        _ => false,
    }
}

/// Why a hostname is invalid, or `None` when it is valid. `wildcard` allows a leading `*.`
/// label (`Hostname`); without it the value is a `PreciseHostname`.
pub fn hostname_error(hostname: &str, wildcard: bool) -> Option<String> {
    if hostname.is_empty() || hostname.len() > 253 {
        return Some(format!(
            "hostname {hostname:?} must be 1 to 253 characters long"
        ));
    }
    let rest = match hostname.strip_prefix("*.") {
        Some(rest) if wildcard => rest,
        Some(_) => {
            return Some(format!(
                "hostname {hostname:?} must not contain a wildcard here; write the full name"
            ));
        }
        None => hostname,
    };
    if is_dns_subdomain(rest) {
        None
    } else if wildcard {
        Some(format!(
            "hostname {hostname:?} is not a lowercase DNS name (letters, digits, '-' and '.', \
             optionally starting with a whole '*.' label)"
        ))
    } else {
        Some(format!(
            "hostname {hostname:?} is not a lowercase DNS name (letters, digits, '-' and '.')"
        ))
    }
}

/// Whether `name` matches the wildcard `*.suffix` (given without `*.`): it ends with `.suffix`
/// and has at least one more label before it. Case-sensitive: normalise both sides first.
///
/// ```
/// use kgw_validate::hostname::wildcard_matches;
/// assert!(wildcard_matches("example.com", "a.b.example.com"));
/// assert!(!wildcard_matches("example.com", "example.com"));
/// assert!(!wildcard_matches("example.com", "aexample.com"));
/// ```
#[inline]
pub fn wildcard_matches(suffix: &str, name: &str) -> bool {
    name.len() > suffix.len() + 1
        && name.ends_with(suffix)
        && name.as_bytes()[name.len() - suffix.len() - 1] == b'.'
}

/// The hostname served when a listener hostname and one route hostname intersect: the narrower
/// of the two, or `None` when they do not intersect.
pub fn intersection<'a>(listener: &'a str, route: &'a str) -> Option<&'a str> {
    match (listener.strip_prefix("*."), route.strip_prefix("*.")) {
        (None, None) => (listener == route).then_some(route),
        (Some(l), None) => wildcard_matches(l, route).then_some(route),
        (None, Some(r)) => wildcard_matches(r, listener).then_some(listener),
        (Some(l), Some(r)) => {
            if l == r || wildcard_matches(l, r) {
                Some(route)
            } else if wildcard_matches(r, l) {
                Some(listener)
            } else {
                None
            }
        }
    }
}

/// Whether a route with these hostnames (empty: every hostname) can serve anything on a listener
/// with this hostname (`None`: every hostname).
pub fn route_intersects_listener(listener: Option<&str>, route_hostnames: &[String]) -> bool {
    match listener {
        None => true,
        Some(_) if route_hostnames.is_empty() => true,
        Some(l) => route_hostnames.iter().any(|h| intersection(l, h).is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax() {
        assert_eq!(hostname_error("foo.example.com", false), None);
        assert_eq!(hostname_error("*.example.com", true), None);
        assert!(hostname_error("*.example.com", false).is_some());
        assert!(hostname_error("Foo.com", true).is_some());
        assert!(hostname_error("a..b", true).is_some());
        assert!(hostname_error("-a.b", true).is_some());
        assert!(hostname_error("a*.b", true).is_some());
        assert!(hostname_error("*", true).is_some());
        assert!(hostname_error("", true).is_some());
        assert!(hostname_error(&"a".repeat(254), true).is_some());
        assert!(is_dns_label("abc-1"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(!is_dns_label("a.b"));
    }

    #[test]
    fn intersections_follow_the_spec_examples() {
        assert_eq!(
            intersection("test.example.com", "test.example.com"),
            Some("test.example.com")
        );
        assert_eq!(
            intersection("test.example.com", "*.example.com"),
            Some("test.example.com")
        );
        assert_eq!(
            intersection("*.example.com", "*.example.com"),
            Some("*.example.com")
        );
        assert_eq!(
            intersection("*.example.com", "test.example.com"),
            Some("test.example.com")
        );
        assert_eq!(
            intersection("*.example.com", "foo.test.example.com"),
            Some("foo.test.example.com")
        );
        assert_eq!(intersection("*.example.com", "example.com"), None);
        assert_eq!(intersection("*.example.com", "test.example.net"), None);
        assert_eq!(
            intersection("*.a.example.com", "*.example.com"),
            Some("*.a.example.com")
        );
        assert_eq!(intersection("*.wildcard.io", "wildcard.io"), None);
        assert_eq!(
            intersection("very.specific.com", "*.specific.com"),
            Some("very.specific.com")
        );
        assert_eq!(intersection("xexample.com", "*.example.com"), None);
    }

    #[test]
    fn listener_without_hostname_or_route_without_hostnames_intersect() {
        assert!(route_intersects_listener(None, &["a.b".into()]));
        assert!(route_intersects_listener(Some("a.b"), &[]));
        assert!(!route_intersects_listener(Some("a.b"), &["c.d".into()]));
    }
}
