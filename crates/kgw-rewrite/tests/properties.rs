//! Invariants of the filters and the Lambda transforms, checked with proptest.

use base64::Engine as _;
use http::request::Parts;
use http::{HeaderMap, StatusCode};
use kgw_api::gateway::httproute::{HttpPathModifierType, HttpRedirectScheme};
use kgw_api::gateway::{HttpHeader, HttpHeaderFilter, HttpPathModifier, HttpRequestRedirectFilter};
use kgw_rewrite::backend::lambda_payload::{self, LambdaRequestPayload};
use kgw_rewrite::{ListenerInfo, Scheme, headers, redirect, url_rewrite};
use proptest::prelude::*;

fn parts(uri: &str, headers: &[(String, String)]) -> Parts {
    let mut b = http::Request::builder().method("POST").uri(uri);
    for (n, v) in headers {
        b = b.header(n.as_str(), v.as_str());
    }
    b.body(()).unwrap().into_parts().0
}

/// Path segments made of URI path characters.
fn segment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._~!$&'()*+,;=:@-]{1,8}"
}

fn segments(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 0..max)
        .prop_map(|s| s.iter().fold(String::new(), |acc, x| acc + "/" + x))
}

/// A DNS name whose last label starts with a letter: WHATWG URL parsing reads a name ending in
/// a numeric label as an IPv4 address (and refuses most of them), so such names are covered by
/// `redirect_never_panics` instead.
fn dns_name() -> impl Strategy<Value = String> {
    (
        prop::collection::vec("[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", 0..3),
        "[a-z]([a-z0-9-]{0,10}[a-z0-9])?",
    )
        .prop_map(|(mut labels, last)| {
            labels.push(last);
            labels.join(".")
        })
}

fn header_name() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9-]{0,12}"
}

fn header_value() -> impl Strategy<Value = String> {
    "[ -~]{0,20}".prop_map(|v| v.trim().to_owned())
}

proptest! {
    /// ReplacePrefixMatch keeps everything after the matched prefix, and the result is an
    /// absolute path.
    #[test]
    fn replace_prefix_match_keeps_the_suffix(
        prefix in segments(4),
        prefix_slash in any::<bool>(),
        suffix in segments(4),
        suffix_slash in any::<bool>(),
        replacement in segments(4),
        replacement_slash in any::<bool>(),
    ) {
        let matched = if prefix.is_empty() || prefix_slash { format!("{prefix}/") } else { prefix.clone() };
        let rest = if suffix_slash { format!("{suffix}/") } else { suffix.clone() };
        let path = if prefix.is_empty() && rest.is_empty() { "/".to_owned() } else { format!("{prefix}{rest}") };
        let repl = if replacement_slash { format!("{replacement}/") } else { replacement.clone() };
        let out = url_rewrite::replace_prefix_match(&path, &matched, &repl).unwrap();
        prop_assert!(out.starts_with('/'));
        let kept = path.strip_prefix(&prefix).unwrap();
        prop_assert!(out.ends_with(kept) || (kept.is_empty() && out == "/"), "{out} lost {kept}");
        let expected = format!("{replacement}{kept}");
        prop_assert_eq!(out, if expected.is_empty() { "/".to_owned() } else { expected });
    }

    /// Whatever the replacement text, the rewrite never panics and stays absolute.
    #[test]
    fn replace_prefix_match_is_total(path in "/[ -~]{0,20}", prefix in "/[ -~]{0,5}", repl in "[ -~]{0,10}") {
        if let Ok(out) = url_rewrite::replace_prefix_match(&path, &prefix, &repl) {
            prop_assert!(out.starts_with('/'));
        }
    }

    /// Every redirect built from valid inputs has a Location that parses back to itself, with
    /// the port left out exactly when it is the scheme's default.
    #[test]
    fn redirect_location_always_parses(
        request_host in dns_name(),
        request_port in prop::option::of(1u16..),
        path in segments(5),
        query in prop::option::of("[a-z0-9=&%]{0,12}"),
        scheme in prop::option::of(prop_oneof![Just(HttpRedirectScheme::Http), Just(HttpRedirectScheme::Https)]),
        hostname in prop::option::of(dns_name()),
        port in prop::option::of(1i32..=65535),
        full_path in prop::option::of(segments(3)),
        listener_https in any::<bool>(),
        listener_port in 1u16..,
    ) {
        let authority = match request_port { Some(p) => format!("{request_host}:{p}"), None => request_host.clone() };
        let path = if path.is_empty() { "/".to_owned() } else { path };
        let uri = match &query { Some(q) => format!("{path}?{q}"), None => path.clone() };
        let p = parts(&uri, &[("host".into(), authority)]);
        let filter = HttpRequestRedirectFilter {
            scheme,
            hostname: hostname.clone(),
            port,
            path: full_path.map(|f| HttpPathModifier {
                type_: HttpPathModifierType::ReplaceFullPath,
                replace_full_path: Some(f),
                replace_prefix_match: None,
            }),
            status_code: None,
        };
        let listener = ListenerInfo { scheme: if listener_https { Scheme::Https } else { Scheme::Http }, port: listener_port };
        let location = redirect::location(&filter, &p, listener, None).unwrap();
        let reparsed = url::Url::parse(location.as_str()).unwrap();
        prop_assert_eq!(&reparsed, &location);
        prop_assert_eq!(location.host_str(), Some(hostname.as_deref().unwrap_or(&request_host)));
        let want_port = port.map_or(
            match scheme {
                Some(HttpRedirectScheme::Http) => 80,
                Some(HttpRedirectScheme::Https) => 443,
                None => listener_port,
            },
            |p| u16::try_from(p).unwrap(),
        );
        prop_assert_eq!(location.port_or_known_default(), Some(want_port));
        prop_assert_eq!(location.port().is_none(), want_port == if location.scheme() == "https" { 443 } else { 80 });
        prop_assert_eq!(location.query(), query.as_deref());
    }

    /// Arbitrary filter text never panics a redirect; whatever comes out parses.
    #[test]
    fn redirect_never_panics(hostname in "[ -~]{0,20}", path in "[ -~]{0,20}", port in any::<i32>()) {
        let p = parts("/x?y=1", &[("host".into(), "h.example".into())]);
        let filter = HttpRequestRedirectFilter {
            hostname: Some(hostname),
            port: Some(port),
            path: Some(HttpPathModifier {
                type_: HttpPathModifierType::ReplaceFullPath,
                replace_full_path: Some(path),
                replace_prefix_match: None,
            }),
            ..Default::default()
        };
        if let Ok(loc) = redirect::location(&filter, &p, ListenerInfo::default(), None) {
            prop_assert_eq!(url::Url::parse(loc.as_str()).unwrap(), loc);
        }
    }

    /// `set` after `add` on one name leaves only the set value, whatever the name's case and
    /// whatever was there before.
    #[test]
    fn set_after_add_is_set(
        name in header_name(),
        before in prop::collection::vec(header_value(), 0..3),
        added in header_value(),
        set in header_value(),
        upper in any::<bool>(),
    ) {
        let mut m = HeaderMap::new();
        let lower = name.to_ascii_lowercase();
        for v in &before {
            m.append(http::HeaderName::from_bytes(lower.as_bytes()).unwrap(), v.parse().unwrap());
        }
        let cased = if upper { name.to_ascii_uppercase() } else { name.clone() };
        let filter = HttpHeaderFilter {
            add: Some(vec![HttpHeader { name: name.clone(), value: added }]),
            set: Some(vec![HttpHeader { name: cased, value: set.clone() }]),
            remove: None,
        };
        headers::apply(&filter, &mut m).unwrap();
        let got: Vec<_> = m.get_all(lower.as_str()).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        prop_assert_eq!(got, vec![set]);
    }

    /// Filters on distinct header names commute; `add` joins what was there with a comma.
    #[test]
    fn filters_on_distinct_names_commute(
        a in header_name(), b in header_name(),
        va in header_value(), vb in header_value(),
        before in header_value(),
    ) {
        prop_assume!(!a.eq_ignore_ascii_case(&b));
        let fa = HttpHeaderFilter { add: Some(vec![HttpHeader { name: a.clone(), value: va.clone() }]), ..Default::default() };
        let fb = HttpHeaderFilter { set: Some(vec![HttpHeader { name: b.clone(), value: vb }]), remove: Some(vec![a.clone()]), ..Default::default() };
        let fb = HttpHeaderFilter { remove: None, ..fb };
        let mut start = HeaderMap::new();
        start.insert(http::HeaderName::from_bytes(a.to_ascii_lowercase().as_bytes()).unwrap(), before.parse().unwrap());
        let (mut x, mut y) = (start.clone(), start);
        headers::apply(&fa, &mut x).unwrap();
        headers::apply(&fb, &mut x).unwrap();
        headers::apply(&fb, &mut y).unwrap();
        headers::apply(&fa, &mut y).unwrap();
        prop_assert_eq!(&x, &y);
        prop_assert_eq!(x[a.to_ascii_lowercase().as_str()].to_str().unwrap(), format!("{before},{va}"));
    }

    /// Arbitrary configured text is either applied or refused; a refused filter leaves the
    /// headers alone and nothing with a line break gets in.
    #[test]
    fn header_filters_never_smuggle(name in "[ -~\r\n]{0,12}", value in "[ -~\r\n]{0,12}") {
        let mut m = HeaderMap::new();
        m.insert("keep", "1".parse().unwrap());
        let filter = HttpHeaderFilter { set: Some(vec![HttpHeader { name, value }]), ..Default::default() };
        let before = m.clone();
        if headers::apply(&filter, &mut m).is_ok() {
            prop_assert!(m.len() <= 2);
        } else {
            prop_assert_eq!(&m, &before);
        }
        for (_, v) in &m {
            prop_assert!(!v.as_bytes().iter().any(|b| *b == b'\r' || *b == b'\n'));
        }
    }

    /// A function that echoes the wrapped request back gives the client the original headers
    /// and body (text or binary) and the status it chose.
    #[test]
    fn lambda_wrap_then_unwrap_round_trips(
        request_headers in prop::collection::vec((header_name(), header_value()), 0..6),
        text in any::<bool>(),
        text_body in "[ -~\n\t]{0,40}",
        binary_body in prop::collection::vec(any::<u8>(), 0..40),
        status in 100u16..600,
    ) {
        let content_type = if text { "text/plain" } else { "application/octet-stream" };
        let mut all = request_headers.clone();
        all.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type") && !n.eq_ignore_ascii_case("transfer-encoding") && !n.eq_ignore_ascii_case("host"));
        all.push(("content-type".into(), content_type.into()));
        let body = if text { text_body.into_bytes() } else { binary_body };
        let p = parts("/fn?x=1", &all);
        let wrapped = lambda_payload::wrap_request(&p, &body);

        // The function: parse the payload, answer with it.
        let payload: LambdaRequestPayload = serde_json::from_slice(&wrapped).unwrap();
        let reply = serde_json::json!({
            "statusCode": status,
            "headers": payload.headers,
            "body": payload.body,
            "isBase64Encoded": payload.is_base64_encoded,
        });
        let out = lambda_payload::unwrap_response(StatusCode::OK, &HeaderMap::new(), reply.to_string().as_bytes());
        prop_assert_eq!(out.error, None);
        prop_assert_eq!(out.status.as_u16(), status);
        prop_assert_eq!(&out.body, &body);
        for (name, _) in &all {
            let lower = name.to_ascii_lowercase();
            let joined: Vec<_> = p.headers.get_all(lower.as_str()).iter().map(|v| v.to_str().unwrap()).collect();
            prop_assert_eq!(out.headers[lower.as_str()].to_str().unwrap(), joined.join(","));
        }
        if !text && !body.is_empty() {
            prop_assert_eq!(base64::engine::general_purpose::STANDARD.decode(&payload.body).unwrap(), body);
        }
    }

    /// Arbitrary bytes from Lambda never panic; a 2xx body that is not a valid reply is a 500
    /// with a reason and no body.
    #[test]
    fn lambda_replies_never_panic(body in prop::collection::vec(any::<u8>(), 0..64)) {
        let out = lambda_payload::unwrap_response(StatusCode::OK, &HeaderMap::new(), &body);
        if out.error.is_some() {
            prop_assert_eq!(out.status, StatusCode::INTERNAL_SERVER_ERROR);
            prop_assert!(out.body.is_empty());
        }
    }
}
