//! `ReplacePrefixMatch`, `ReplaceFullPath`, `URLRewrite` and `RequestRedirect` on arbitrary
//! paths, prefixes, hosts and filters: never panics; a rewritten path is absolute and keeps the
//! unmatched rest; a failed rewrite leaves the request unchanged; a redirect's `Location` is a
//! valid header value with no user info.
#![no_main]

use arbitrary::Arbitrary;
use kgw_api::gateway::{HttpRequestRedirectFilter, HttpUrlRewriteFilter};
use kgw_rewrite::{ListenerInfo, Scheme, redirect, url_rewrite};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

#[derive(Arbitrary, Debug)]
struct Input {
    path: String,
    prefix: String,
    replacement: String,
    uri: String,
    host: Option<String>,
    hostname: Option<String>,
    full_path: bool,
    redirect_https: Option<bool>,
    redirect_port: Option<i32>,
    redirect_status: Option<i64>,
    listener_https: bool,
    listener_port: u16,
}

fn trim_one_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

fn path_modifier(input: &Input) -> Value {
    if input.full_path {
        json!({"type": "ReplaceFullPath", "replaceFullPath": input.replacement})
    } else {
        json!({"type": "ReplacePrefixMatch", "replacePrefixMatch": input.replacement})
    }
}

fn check_prefix_rewrite(input: &Input) {
    let rest = input
        .path
        .strip_prefix(trim_one_slash(&input.prefix))
        .filter(|rest| rest.is_empty() || rest.starts_with('/'));
    let got = url_rewrite::replace_prefix_match(&input.path, &input.prefix, &input.replacement);
    match (got, rest) {
        (Ok(out), Some(rest)) => {
            assert!(out.starts_with('/'), "{out:?}");
            assert!(
                out.ends_with(rest),
                "{out:?} lost the unmatched rest {rest:?}"
            );
        }
        (Err(_), None) => {}
        (got, rest) => panic!("prefix rewrite {got:?} but the unmatched rest is {rest:?}"),
    }
    assert!(url_rewrite::replace_full_path(&input.replacement).starts_with('/'));
}

fn parts(input: &Input) -> Option<http::request::Parts> {
    let mut builder = http::Request::builder().uri(input.uri.as_str());
    if let Some(host) = &input.host {
        builder = builder.header("host", host.as_str());
    }
    builder.body(()).ok().map(|r| r.into_parts().0)
}

fn check_url_rewrite(input: &Input, original: &http::request::Parts) {
    let mut filter = json!({"path": path_modifier(input)});
    if let Some(h) = &input.hostname {
        filter["hostname"] = json!(h);
    }
    let Ok(filter) = serde_json::from_value::<HttpUrlRewriteFilter>(filter) else {
        return;
    };
    let mut parts = original.clone();
    if url_rewrite::apply(&filter, &mut parts, Some(&input.prefix)).is_ok() {
        assert!(parts.uri.path().starts_with('/'), "{}", parts.uri);
        assert_eq!(parts.uri.query(), original.uri.query(), "the query changed");
    } else {
        assert_eq!(parts.uri, original.uri, "a failed rewrite changed the URI");
        assert_eq!(
            parts.headers, original.headers,
            "a failed rewrite changed headers"
        );
    }
}

fn check_redirect(input: &Input, parts: &http::request::Parts) {
    let mut filter = json!({"path": path_modifier(input)});
    if let Some(h) = &input.hostname {
        filter["hostname"] = json!(h);
    }
    if let Some(https) = input.redirect_https {
        filter["scheme"] = json!(if https { "https" } else { "http" });
    }
    if let Some(port) = input.redirect_port {
        filter["port"] = json!(port);
    }
    if let Some(status) = input.redirect_status {
        filter["statusCode"] = json!(status);
    }
    let Ok(filter) = serde_json::from_value::<HttpRequestRedirectFilter>(filter) else {
        return;
    };
    let listener = ListenerInfo {
        scheme: if input.listener_https {
            Scheme::Https
        } else {
            Scheme::Http
        },
        port: input.listener_port,
    };
    if let Ok(answer) = redirect::redirect(&filter, parts, listener, Some(&input.prefix)) {
        assert!(
            [301, 302, 303, 307, 308].contains(&answer.status.as_u16()),
            "{}",
            answer.status
        );
        let location = &answer.location;
        assert!(
            answer.location_header().is_ok(),
            "Location {location} is not a header value"
        );
        assert!(matches!(location.scheme(), "http" | "https"), "{location}");
        assert!(
            location.host_str().is_some_and(|h| !h.is_empty()),
            "{location}"
        );
        assert!(
            location.username().is_empty() && location.password().is_none(),
            "user info smuggled into {location}"
        );
    }
}

fuzz_target!(|input: Input| {
    check_prefix_rewrite(&input);
    if let Some(parts) = parts(&input) {
        check_url_rewrite(&input, &parts);
        check_redirect(&input, &parts);
    }
});
