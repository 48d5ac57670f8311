//! HTTPRoute field rules (spec digest §6: OpenAPI limits and the 50 CEL rules).
//!
//! Problems inside `spec.rules[i]` drop that rule; problems elsewhere (hostnames, parentRefs, the
//! rule count) make the whole route invalid, as the API server would have rejected it.

use crate::backend_refs::Target;
use kgw_api::gateway::httproute::{
    HttpPathModifier, HttpPathModifierType, HttpRequestMirrorFilter,
};
use kgw_api::gateway::{
    HttpBackendRef, HttpHeaderFilter, HttpRoute, HttpRouteFilter, HttpRouteFilterType,
    HttpRouteMatch, HttpRouteRule, ParentReference, PathMatchType, StringMatchType,
};

use super::{
    group, header_name, kind, length, max_items, min_items, namespace, object_name, port, range,
    section_name, unique,
};
use std::fmt::Display;

use crate::diag::{Path, Sink};
use crate::hostname::hostname_error;
use crate::regex_match::RegexChecks;

/// What the field rules decided about one route.
#[derive(Debug, Default)]
pub(crate) struct RouteFields {
    /// The first route-level problem: the route as a whole is invalid.
    pub route_error: Option<String>,
    /// One entry per rule (after defaulting: an absent rule list is one rule).
    pub rules: Vec<RuleFields>,
}

/// What the field rules decided about one rule.
#[derive(Debug, Default)]
pub(crate) struct RuleFields {
    /// Why the rule is dropped.
    pub dropped: Option<String>,
    /// Matches that can never match.
    pub invalid_matches: Vec<usize>,
}

/// Checks one route as loaded.
pub(crate) fn check<'a>(
    route: &'a HttpRoute,
    sink: &mut Sink<'_>,
    regexes: &mut RegexChecks<'a>,
) -> RouteFields {
    let spec = &route.spec;
    let mark = sink.mark();
    if let Some(hostnames) = &spec.hostnames {
        max_items(sink, "spec.hostnames", hostnames.len(), 16);
        for (i, h) in hostnames.iter().enumerate() {
            if let Some(msg) = hostname_error(h, true) {
                sink.error("invalid-hostname", format!("spec.hostnames[{i}]"), msg);
            }
        }
    }
    if let Some(parents) = &spec.parent_refs {
        parent_refs(sink, parents);
    }
    let mut out = RouteFields::default();
    match &spec.rules {
        None => out.rules.push(RuleFields::default()),
        Some(rules) => {
            min_items(sink, "spec.rules", rules.len(), 1);
            max_items(sink, "spec.rules", rules.len(), 16);
            // CEL rule 3; a rule without matches is defaulted to one match before CEL runs.
            let total: usize = rules
                .iter()
                .map(|r| r.matches.as_ref().map_or(1, Vec::len))
                .sum();
            if total > 128 {
                sink.error(
                    "too-many-matches",
                    "spec.rules",
                    format!(
                        "the route has {total} matches across its rules; at most 128 are allowed \
                         (16 rules and 64 matches per rule are allowed individually)"
                    ),
                );
            }
            out.route_error = sink
                .first_error_between(mark, sink.mark())
                .map(str::to_owned);
            let rules_path = Path::Root("spec.rules");
            for (i, rule) in rules.iter().enumerate() {
                let rule_mark = sink.mark();
                let invalid_matches = check_rule(sink, rules_path.index(i), rule, regexes);
                out.rules.push(RuleFields {
                    dropped: sink
                        .first_error_between(rule_mark, sink.mark())
                        .map(str::to_owned),
                    invalid_matches,
                });
            }
        }
    }
    if spec.rules.is_none() {
        out.route_error = sink
            .first_error_between(mark, sink.mark())
            .map(str::to_owned);
    }
    out
}

fn parent_refs(sink: &mut Sink<'_>, parents: &[ParentReference]) {
    max_items(sink, "spec.parentRefs", parents.len(), 32);
    let parents_path = Path::Root("spec.parentRefs");
    for (i, p) in parents.iter().enumerate() {
        let f = parents_path.index(i);
        if let Some(g) = &p.group {
            group(sink, f.field("group"), g);
        }
        if let Some(k) = &p.kind {
            kind(sink, f.field("kind"), k);
        }
        if let Some(n) = &p.namespace {
            namespace(sink, f.field("namespace"), n);
        }
        object_name(sink, f.field("name"), &p.name);
        if let Some(s) = &p.section_name {
            section_name(sink, f.field("sectionName"), s);
        }
        if let Some(pt) = p.port {
            port(sink, f.field("port"), pt);
        }
    }
    // CEL rules 1 and 2: refs to the same parent all set distinct sectionNames.
    let empty_ns = |p: &ParentReference| p.namespace.as_deref().is_none_or(str::is_empty);
    let same_parent = |a: &ParentReference, b: &ParentReference| {
        a.group == b.group
            && a.kind == b.kind
            && a.name == b.name
            && ((empty_ns(a) && empty_ns(b))
                || (a.namespace.is_some() && a.namespace == b.namespace))
    };
    let no_section = |p: &ParentReference| p.section_name.as_deref().is_none_or(str::is_empty);
    for (i, a) in parents.iter().enumerate() {
        for (j, b) in parents.iter().enumerate().skip(i + 1) {
            if !same_parent(a, b) {
                continue;
            }
            if no_section(a) != no_section(b) {
                sink.error(
                    "parent-ref-section-required",
                    format!("spec.parentRefs[{j}].sectionName"),
                    format!(
                        "parentRefs[{i}] and parentRefs[{j}] name the same parent: sectionName must \
                         be specified when parentRefs includes 2 or more references to the same parent"
                    ),
                );
            } else if a.section_name.as_deref().unwrap_or("")
                == b.section_name.as_deref().unwrap_or("")
            {
                sink.error(
                    "parent-ref-duplicate",
                    format!("spec.parentRefs[{j}]"),
                    format!(
                        "parentRefs[{i}] and parentRefs[{j}] name the same parent and section: \
                         sectionName must be unique when parentRefs includes 2 or more references to \
                         the same parent"
                    ),
                );
            }
        }
    }
}

/// Checks one rule; returns the indices of matches that can never match.
fn check_rule<'a>(
    sink: &mut Sink<'_>,
    f: Path<'_>,
    rule: &'a HttpRouteRule,
    regexes: &mut RegexChecks<'a>,
) -> Vec<usize> {
    if let Some(name) = &rule.name {
        section_name(sink, f.field("name"), name);
    }
    let mut invalid_matches = Vec::new();
    if let Some(matches) = &rule.matches {
        let matches_path = f.field("matches");
        max_items(sink, matches_path, matches.len(), 64);
        for (i, m) in matches.iter().enumerate() {
            if !check_match(sink, matches_path.index(i), m, regexes) {
                invalid_matches.push(i);
            }
        }
    }
    let filters = rule.filters.as_deref().unwrap_or_default();
    check_filters(sink, f.field("filters"), filters);
    let backends = rule.backend_refs.as_deref().unwrap_or_default();
    let backends_path = f.field("backendRefs");
    max_items(sink, backends_path, backends.len(), 16);
    for (i, b) in backends.iter().enumerate() {
        check_backend_ref(sink, backends_path.index(i), b);
    }
    // CEL rule 4.
    if !backends.is_empty()
        && let Some(i) = filters.iter().position(|x| x.request_redirect.is_some())
    {
        sink.error(
            "redirect-with-backend-refs",
            format!("{f}.filters[{i}]"),
            "RequestRedirect filter must not be used together with backendRefs: a redirect \
                 answers the request itself; remove the backendRefs or the redirect",
        );
    }
    // CEL rules 5–8 (applied whenever any filter uses ReplacePrefixMatch: see spec digest §7.9a).
    let one_prefix_match = rule
        .matches
        .as_ref()
        .is_none_or(|m| m.len() == 1 && m[0].path_or_default().0 == PathMatchType::PathPrefix);
    if !one_prefix_match {
        // (backendRef index, filter index): the path is written only for a finding.
        let rule_filters = filters.iter().enumerate().map(|(i, x)| (None, i, x));
        let ref_filters = backends.iter().enumerate().flat_map(|(b, r)| {
            r.filters
                .iter()
                .flatten()
                .enumerate()
                .map(move |(i, x)| (Some(b), i, x))
        });
        for (backend, i, x) in rule_filters.chain(ref_filters) {
            let prefix = |m: Option<&HttpPathModifier>| {
                m.is_some_and(|p| {
                    p.type_ == HttpPathModifierType::ReplacePrefixMatch
                        && p.replace_prefix_match.is_some()
                })
            };
            let (name, used) = if prefix(x.request_redirect.as_ref().and_then(|r| r.path.as_ref()))
            {
                ("RequestRedirect", true)
            } else {
                (
                    "URLRewrite",
                    prefix(x.url_rewrite.as_ref().and_then(|r| r.path.as_ref())),
                )
            };
            if used {
                let path = match backend {
                    None => format!("{f}.filters[{i}]"),
                    Some(b) => format!("{f}.backendRefs[{b}].filters[{i}]"),
                };
                sink.error(
                    "replace-prefix-match-without-prefix-match",
                    path,
                    format!(
                        "When using {name} filter with path.replacePrefixMatch, exactly one PathPrefix \
                         match must be specified in the rule"
                    ),
                );
            }
        }
    }
    if let Some(t) = &rule.timeouts {
        let request = t
            .request
            .as_deref()
            .and_then(|d| duration(sink, &format!("{f}.timeouts.request"), d));
        let backend = t
            .backend_request
            .as_deref()
            .and_then(|d| duration(sink, &format!("{f}.timeouts.backendRequest"), d));
        if let (Some(r), Some(b)) = (request, backend)
            && r != 0
            && b > r
        {
            sink.error(
                "backend-timeout-exceeds-request-timeout",
                format!("{f}.timeouts.backendRequest"),
                "backendRequest timeout cannot be longer than request timeout",
            );
        }
    }
    invalid_matches
}

/// Parses a Gateway API duration into milliseconds, reporting a malformed one.
fn duration(sink: &mut Sink<'_>, f: impl Display + Copy, value: &str) -> Option<u64> {
    // At most 4 parts of 99999h: far below u64::MAX milliseconds.
    if let Some(d) = kgw_api::gateway::common::parse_duration(value) {
        Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    } else {
        sink.error(
            "invalid-duration",
            f,
            format!(
                "{f} {value:?} is not a duration: write 1 to 4 parts of up to 5 digits with h, m, \
                 s or ms (e.g. 1m30s, 500ms)"
            ),
        );
        None
    }
}

/// Checks one match; returns whether it can match at all.
fn check_match<'a>(
    sink: &mut Sink<'_>,
    f: Path<'_>,
    m: &'a HttpRouteMatch,
    regexes: &mut RegexChecks<'a>,
) -> bool {
    let mut valid = true;
    if let Some(path) = &m.path {
        let value = path.value_or_default();
        let path_field = f.field("path");
        let pf = path_field.field("value");
        length(sink, pf, value, 0, 1024);
        match path.type_or_default() {
            PathMatchType::RegularExpression => {
                if let Err(msg) = regexes.check(value) {
                    sink.error(
                        "invalid-regex",
                        pf,
                        format!("{msg}; this match never matches"),
                    );
                    valid = false;
                }
            }
            PathMatchType::Exact | PathMatchType::PathPrefix => {
                if let Some(msg) = path_value_error(value) {
                    sink.error("invalid-path", pf, msg);
                }
            }
        }
    }
    if let Some(headers) = &m.headers {
        let hf = f.field("headers");
        max_items(sink, hf, headers.len(), 16);
        unique(sink, hf, headers.iter().map(|h| h.name.as_str()), "header");
        for (i, h) in headers.iter().enumerate() {
            let header = hf.index(i);
            header_name(sink, header.field("name"), &h.name);
            length(sink, header.field("value"), &h.value, 1, 4096);
            if h.type_or_default() == StringMatchType::RegularExpression
                && let Err(msg) = regexes.check(&h.value)
            {
                sink.error(
                    "invalid-regex",
                    format!("{hf}[{i}].value"),
                    format!("{msg}; this match never matches"),
                );
                valid = false;
            }
        }
    }
    if let Some(params) = &m.query_params {
        let qf = f.field("queryParams");
        max_items(sink, qf, params.len(), 16);
        unique(
            sink,
            qf,
            params.iter().map(|h| h.name.as_str()),
            "query parameter",
        );
        for (i, q) in params.iter().enumerate() {
            let param = qf.index(i);
            header_name(sink, param.field("name"), &q.name);
            length(sink, param.field("value"), &q.value, 1, 1024);
            if q.type_or_default() == StringMatchType::RegularExpression
                && let Err(msg) = regexes.check(&q.value)
            {
                sink.error(
                    "invalid-regex",
                    format!("{qf}[{i}].value"),
                    format!("{msg}; this match never matches"),
                );
                valid = false;
            }
        }
    }
    valid
}

/// The forbidden sequences of an Exact or PathPrefix value, in the CRD's rule order.
const FORBIDDEN_IN_PATHS: [&str; 6] = [
    "must not contain '//'",
    "must not contain '/./'",
    "must not contain '/../'",
    "must not contain '%2f'",
    "must not contain '%2F'",
    "must not contain '#'",
];

/// CEL rules 39–47 and 49 for `Exact` and `PathPrefix` values.
pub(crate) fn path_value_error(value: &str) -> Option<String> {
    // One pass for every forbidden sequence (six substring searches cost more than the rest of
    // a route's checks); reported in the CRD's rule order, not in the order they appear.
    let bytes = value.as_bytes();
    let mut found = [false; 6];
    for (i, &b) in bytes.iter().enumerate() {
        let rest = &bytes[i + 1..];
        match b {
            b'/' => {
                found[0] |= rest.starts_with(b"/");
                found[1] |= rest.starts_with(b"./");
                found[2] |= rest.starts_with(b"../");
            }
            b'%' => {
                found[3] |= rest.starts_with(b"2f");
                found[4] |= rest.starts_with(b"2F");
            }
            b'#' => found[5] = true,
            _ => {}
        }
    }
    let forbidden = found.iter().position(|&f| f).map(|i| FORBIDDEN_IN_PATHS[i]);
    let problem = if !value.starts_with('/') {
        "value must be an absolute path and start with '/'"
    } else if let Some(problem) = forbidden {
        problem
    } else if value.ends_with("/..") {
        "must not end with '/..'"
    } else if value.ends_with("/.") {
        "must not end with '/.'"
    } else if !valid_path_chars(value) {
        "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)"
    } else {
        return None;
    };
    Some(format!(
        "path {value:?} {problem} when type one of ['Exact', 'PathPrefix']"
    ))
}

fn valid_path_chars(value: &str) -> bool {
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
        } else if c.is_ascii_alphanumeric() || b"-/._~!$&'()*+,;=:@".contains(&c) {
            i += 1;
        } else {
            return false;
        }
    }
    !b.is_empty()
}

fn check_backend_ref(sink: &mut Sink<'_>, f: Path<'_>, b: &HttpBackendRef) {
    check_object_ref(sink, f, b.into());
    if let Some(w) = b.weight {
        range(sink, f.field("weight"), i64::from(w), 0, 1_000_000);
    }
    if let Some(filters) = &b.filters {
        check_filters(sink, f.field("filters"), filters);
    }
}

/// Limits of a `BackendObjectReference` and CEL rule 9.
fn check_object_ref(sink: &mut Sink<'_>, f: Path<'_>, r: Target<'_>) {
    if let Some(g) = r.group {
        group(sink, f.field("group"), g);
    }
    if let Some(k) = r.kind {
        kind(sink, f.field("kind"), k);
    }
    if let Some(n) = r.namespace {
        namespace(sink, f.field("namespace"), n);
    }
    object_name(sink, f.field("name"), r.name);
    match r.port {
        Some(p) => port(sink, f.field("port"), p),
        None if r.group().is_empty() && r.kind() == "Service" => sink.error(
            "service-port-required",
            format!("{f}.port"),
            format!(
                "Must have port for Service reference: add the Service port to reach {}",
                r.name
            ),
        ),
        None => {}
    }
}

fn check_filters(sink: &mut Sink<'_>, f: Path<'_>, filters: &[HttpRouteFilter]) {
    max_items(sink, f, filters.len(), 16);
    let count = |t| filters.iter().filter(|x| x.type_ == t).count();
    if count(HttpRouteFilterType::RequestRedirect) > 0 && count(HttpRouteFilterType::UrlRewrite) > 0
    {
        sink.error(
            "redirect-and-rewrite",
            f,
            "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but \
             not both: a RequestRedirect answers the request, so a URLRewrite next to it never applies",
        );
    }
    for t in [
        HttpRouteFilterType::Cors,
        HttpRouteFilterType::RequestHeaderModifier,
        HttpRouteFilterType::ResponseHeaderModifier,
        HttpRouteFilterType::RequestRedirect,
        HttpRouteFilterType::UrlRewrite,
    ] {
        if count(t) > 1 {
            sink.error(
                "filter-repeated",
                f,
                format!("{t} filter cannot be repeated; merge them into one"),
            );
        }
    }
    for (i, x) in filters.iter().enumerate() {
        check_filter(sink, f.index(i), x);
    }
}

fn check_filter(sink: &mut Sink<'_>, f: Path<'_>, x: &HttpRouteFilter) {
    use HttpRouteFilterType as T;
    let configs = [
        (T::Cors, "cors", x.cors.is_some()),
        (
            T::RequestHeaderModifier,
            "requestHeaderModifier",
            x.request_header_modifier.is_some(),
        ),
        (
            T::ResponseHeaderModifier,
            "responseHeaderModifier",
            x.response_header_modifier.is_some(),
        ),
        (
            T::RequestMirror,
            "requestMirror",
            x.request_mirror.is_some(),
        ),
        (
            T::RequestRedirect,
            "requestRedirect",
            x.request_redirect.is_some(),
        ),
        (T::UrlRewrite, "urlRewrite", x.url_rewrite.is_some()),
        (T::ExtensionRef, "extensionRef", x.extension_ref.is_some()),
        (T::ExternalAuth, "externalAuth", x.external_auth.is_some()),
    ];
    for (t, field, set) in configs {
        if set && x.type_ != t {
            sink.error(
                "filter-config-mismatch",
                format!("{f}.{field}"),
                format!("filter.{field} must be nil if the filter.type is not {t}"),
            );
        } else if !set && x.type_ == t {
            sink.error(
                "filter-config-mismatch",
                format!("{f}.type"),
                format!("filter.{field} must be specified for {t} filter.type"),
            );
        }
    }
    if x.type_ == T::ExternalAuth {
        sink.error(
            "unsupported-value",
            format!("{f}.type"),
            "filter type ExternalAuth exists only in the experimental channel and is not supported",
        );
    }
    for (field, m) in [
        ("requestHeaderModifier", &x.request_header_modifier),
        ("responseHeaderModifier", &x.response_header_modifier),
    ] {
        if let Some(m) = m {
            header_modifier(sink, f.field(field), m);
        }
    }
    if let Some(m) = &x.request_mirror {
        mirror(sink, f.field("requestMirror"), m);
    }
    if let Some(r) = &x.request_redirect {
        let rf = format!("{f}.requestRedirect");
        if let Some(h) = &r.hostname
            && let Some(msg) = hostname_error(h, false)
        {
            sink.error("invalid-hostname", format!("{rf}.hostname"), msg);
        }
        if let Some(p) = &r.path {
            path_modifier(sink, &format!("{rf}.path"), p);
        }
        if let Some(p) = r.port {
            port(sink, &format!("{rf}.port"), p);
        }
        if let Some(code) = r.status_code
            && ![301, 302, 303, 307, 308].contains(&code)
        {
            sink.error(
                "unsupported-value",
                format!("{rf}.statusCode"),
                format!(
                    "redirect statusCode {code} is not supported; use 301, 302, 303, 307 or 308"
                ),
            );
        }
    }
    if let Some(r) = &x.url_rewrite {
        let rf = format!("{f}.urlRewrite");
        if let Some(h) = &r.hostname
            && let Some(msg) = hostname_error(h, false)
        {
            sink.error("invalid-hostname", format!("{rf}.hostname"), msg);
        }
        if let Some(p) = &r.path {
            path_modifier(sink, &format!("{rf}.path"), p);
        }
    }
    if let Some(c) = &x.cors {
        let cf = format!("{f}.cors");
        let origins = c.allow_origins.as_deref().unwrap_or_default();
        max_items(sink, &format!("{cf}.allowOrigins"), origins.len(), 64);
        star_alone(
            sink,
            &format!("{cf}.allowOrigins"),
            origins.iter().map(String::as_str),
            "AllowOrigins cannot contain '*' alongside other origins",
        );
        for (i, o) in origins.iter().enumerate() {
            length(sink, &format!("{cf}.allowOrigins[{i}]"), o, 1, 253);
        }
        let methods = c.allow_methods.as_deref().unwrap_or_default();
        max_items(sink, &format!("{cf}.allowMethods"), methods.len(), 9);
        star_alone(
            sink,
            &format!("{cf}.allowMethods"),
            methods.iter().map(|m| m.as_str()),
            "AllowMethods cannot contain '*' alongside other methods",
        );
        let headers = c.allow_headers.as_deref().unwrap_or_default();
        max_items(sink, &format!("{cf}.allowHeaders"), headers.len(), 64);
        star_alone(
            sink,
            &format!("{cf}.allowHeaders"),
            headers.iter().map(String::as_str),
            "AllowHeaders cannot contain '*' alongside other methods",
        );
        max_items(
            sink,
            &format!("{cf}.exposeHeaders"),
            c.expose_headers.as_deref().unwrap_or_default().len(),
            64,
        );
        if let Some(age) = c.max_age {
            range(
                sink,
                &format!("{cf}.maxAge"),
                i64::from(age),
                1,
                i64::from(i32::MAX),
            );
        }
    }
    if let Some(e) = &x.extension_ref {
        let ef = format!("{f}.extensionRef");
        group(sink, &format!("{ef}.group"), &e.group);
        kind(sink, &format!("{ef}.kind"), &e.kind);
        object_name(sink, &format!("{ef}.name"), &e.name);
        sink.warning(
            "extension-ref-unsupported",
            ef,
            format!(
                "ExtensionRef filter {}/{} {} is implementation-specific and kgw cannot evaluate it; \
                 requests through this rule are answered with an error",
                e.group, e.kind, e.name
            ),
        );
    }
}

fn star_alone<'a>(
    sink: &mut Sink<'_>,
    f: impl Display + Copy,
    mut values: impl ExactSizeIterator<Item = &'a str>,
    message: &str,
) {
    if values.len() > 1 && values.any(|v| v == "*") {
        sink.error("cors-wildcard-not-alone", f, message.to_owned());
    }
}

fn header_modifier(sink: &mut Sink<'_>, f: Path<'_>, m: &HttpHeaderFilter) {
    let set = m.set.as_deref().unwrap_or_default();
    let add = m.add.as_deref().unwrap_or_default();
    let remove = m.remove.as_deref().unwrap_or_default();
    for (action, headers) in [("set", set), ("add", add)] {
        let af = f.field(action);
        max_items(sink, af, headers.len(), 16);
        unique(sink, af, headers.iter().map(|h| h.name.as_str()), "header");
        for (i, h) in headers.iter().enumerate() {
            let header = af.index(i);
            header_name(sink, header.field("name"), &h.name);
            length(sink, header.field("value"), &h.value, 1, 4096);
            header_value_bytes(sink, header.field("value"), &h.name, &h.value);
        }
    }
    let rf = f.field("remove");
    max_items(sink, rf, remove.len(), 16);
    unique(sink, rf, remove.iter().map(String::as_str), "header");
    for (i, h) in remove.iter().enumerate() {
        header_name(sink, rf.index(i), h);
    }
    // One action per header name, case-insensitively (spec digest §4.1; no CEL rule).
    let all = set
        .iter()
        .map(|h| ("set", h.name.as_str()))
        .chain(add.iter().map(|h| ("add", h.name.as_str())))
        .chain(remove.iter().map(|h| ("remove", h.as_str())));
    let total = set.len() + add.len() + remove.len();
    let conflicts = if total <= 48 {
        conflicts_by_scan(all)
    } else {
        conflicts_by_map(all)
    };
    for (action, name, first) in conflicts {
        sink.error(
            "header-modifier-conflict",
            f,
            format!(
                "header {name:?} is both in {first} and in {action}; give each header one action"
            ),
        );
    }
}

/// (action, name, action of the first earlier entry with this name and another action) for
/// every entry that has one; names compare case-insensitively.
type Conflict<'a> = (&'a str, &'a str, &'a str);

/// Within the lists' limits (at most 48 names): compares each entry with the earlier ones, which
/// allocates nothing unless there is a conflict.
fn conflicts_by_scan<'a>(
    all: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> Vec<Conflict<'a>> {
    let mut found = Vec::new();
    let earlier = all.clone();
    for (i, (action, name)) in all.enumerate() {
        if let Some((first, _)) = earlier
            .clone()
            .take(i)
            .find(|(a, n)| n.eq_ignore_ascii_case(name) && *a != action)
        {
            found.push((action, name, first));
        }
    }
    found
}

/// Over the limits (already an error): linear time whatever the length. Per name, the first
/// action and the first action that differs from it decide every later entry's answer.
fn conflicts_by_map<'a>(all: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Conflict<'a>> {
    let mut firsts: foldhash::HashMap<String, (&str, Option<&str>)> = foldhash::HashMap::default();
    let mut found = Vec::new();
    for (action, name) in all {
        match firsts.entry(name.to_ascii_lowercase()) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert((action, None));
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let (first, other) = o.get_mut();
                let earlier = if *first == action {
                    *other
                } else {
                    Some(*first)
                };
                if *first != action && other.is_none() {
                    *other = Some(action);
                }
                if let Some(earlier) = earlier {
                    found.push((action, name, earlier));
                }
            }
        }
    }
    found
}

fn header_value_bytes(sink: &mut Sink<'_>, f: Path<'_>, name: &str, value: &str) {
    let bad = value
        .bytes()
        .find(|&b| (b < 0x20 && b != b'\t') || b == 0x7f);
    if let Some(b) = bad {
        sink.warning(
            "invalid-header-value",
            f,
            format!(
                "the value of header {name:?} contains the control character 0x{b:02x}, which an \
                 HTTP header cannot carry (a CR or LF would split the header); requests this \
                 filter applies to are answered with 500. Remove it"
            ),
        );
    }
}

fn mirror(sink: &mut Sink<'_>, f: Path<'_>, m: &HttpRequestMirrorFilter) {
    check_object_ref(sink, f.field("backendRef"), (&m.backend_ref).into());
    if let Some(p) = m.percent {
        range(sink, f.field("percent"), i64::from(p), 0, 100);
    }
    if let Some(fr) = &m.fraction {
        range(
            sink,
            &format!("{f}.fraction.numerator"),
            i64::from(fr.numerator),
            0,
            i64::from(i32::MAX),
        );
        let denominator = fr.denominator.unwrap_or(100);
        range(
            sink,
            &format!("{f}.fraction.denominator"),
            i64::from(denominator),
            1,
            i64::from(i32::MAX),
        );
        if fr.numerator > denominator {
            sink.error(
                "mirror-fraction-invalid",
                format!("{f}.fraction"),
                "numerator must be less than or equal to denominator",
            );
        }
        if m.percent.is_some() {
            sink.error(
                "mirror-percent-and-fraction",
                f,
                "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter",
            );
        }
    }
}

fn path_modifier(sink: &mut Sink<'_>, f: impl Display + Copy, p: &HttpPathModifier) {
    use HttpPathModifierType as T;
    let pairs = [
        (T::ReplaceFullPath, "replaceFullPath", &p.replace_full_path),
        (
            T::ReplacePrefixMatch,
            "replacePrefixMatch",
            &p.replace_prefix_match,
        ),
    ];
    for (t, field, value) in pairs {
        match value {
            Some(v) => {
                length(sink, &format!("{f}.{field}"), v, 0, 1024);
                if p.type_ != t {
                    sink.error(
                        "path-modifier-mismatch",
                        format!("{f}.{field}"),
                        format!("type must be '{t}' when {field} is set"),
                    );
                }
            }
            None if p.type_ == t => sink.error(
                "path-modifier-mismatch",
                format!("{f}.type"),
                format!("{field} must be specified when type is set to '{t}'"),
            ),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{GATEWAY, SERVICE, check, docs, route, route_key, with_code};

    /// (rules, expected code, whether the problem drops the rule rather than the route).
    const RULE_CASES: &[(&str, &str)] = &[
        (
            "  - matches: [{path: {type: Exact, value: 'a'}}]",
            "invalid-path",
        ),
        ("  - matches: [{path: {value: '/a//b'}}]", "invalid-path"),
        ("  - matches: [{path: {value: '/a/%2F'}}]", "invalid-path"),
        (
            "  - matches: [{headers: [{name: 'bad name', value: v}]}]",
            "invalid-header-name",
        ),
        (
            "  - matches: [{headers: [{name: a, value: v}, {name: a, value: w}]}]",
            "duplicate-key",
        ),
        (
            "  - matches: [{headers: [{name: a, value: ''}]}]",
            "value-length",
        ),
        (
            "  - matches: [{queryParams: [{name: q, type: RegularExpression, value: '['}]}]",
            "invalid-regex",
        ),
        ("  - backendRefs: [{name: svc}]", "service-port-required"),
        ("  - backendRefs: [{name: svc, port: 0}]", "value-range"),
        (
            "  - backendRefs: [{name: svc, port: 8080, weight: 1000001}]",
            "value-range",
        ),
        (
            "  - backendRefs: [{name: svc, port: 8080, namespace: Bad_NS}]",
            "invalid-value",
        ),
        (
            "  - filters: [{type: RequestRedirect, requestRedirect: {port: 443}}]\n    backendRefs: [{name: svc, port: 8080}]",
            "redirect-with-backend-refs",
        ),
        (
            "  - filters: [{type: RequestRedirect, requestRedirect: {port: 443}}, {type: URLRewrite, urlRewrite: {hostname: a.b}}]",
            "redirect-and-rewrite",
        ),
        (
            "  - filters: [{type: URLRewrite, urlRewrite: {hostname: a.b}}, {type: URLRewrite, urlRewrite: {hostname: c.d}}]",
            "filter-repeated",
        ),
        (
            "  - filters: [{type: RequestHeaderModifier}]",
            "filter-config-mismatch",
        ),
        (
            "  - filters: [{type: CORS, requestHeaderModifier: {remove: [a]}}]",
            "filter-config-mismatch",
        ),
        (
            "  - filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: A, value: x}], remove: [a]}}]",
            "header-modifier-conflict",
        ),
        (
            "  - filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: x}, {name: a, value: yy}]}}]",
            "duplicate-key",
        ),
        (
            "  - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: svc, port: 8080}, percent: 5, fraction: {numerator: 1}}}]",
            "mirror-percent-and-fraction",
        ),
        (
            "  - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: svc, port: 8080}, fraction: {numerator: 5, denominator: 4}}}]",
            "mirror-fraction-invalid",
        ),
        (
            "  - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: svc, port: 8080}, percent: 101}}]",
            "value-range",
        ),
        (
            "  - filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath}}}]",
            "path-modifier-mismatch",
        ),
        (
            "  - filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replacePrefixMatch: /x}}}]",
            "path-modifier-mismatch",
        ),
        (
            "  - matches: [{path: {type: Exact, value: /a}}]\n    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}}]",
            "replace-prefix-match-without-prefix-match",
        ),
        (
            "  - matches: [{path: {value: /a}}, {path: {value: /b}}]\n    filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}}]",
            "replace-prefix-match-without-prefix-match",
        ),
        (
            "  - matches: [{path: {value: /a}}, {path: {value: /b}}]\n    backendRefs:\n    - {name: svc, port: 8080, filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}}]}\n    - {name: svc, port: 8080, filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /y}}}]}",
            "replace-prefix-match-without-prefix-match",
        ),
        (
            "  - filters: [{type: RequestRedirect, requestRedirect: {statusCode: 305}}]",
            "unsupported-value",
        ),
        (
            "  - filters: [{type: RequestRedirect, requestRedirect: {hostname: '*.a.b'}}]",
            "invalid-hostname",
        ),
        (
            "  - filters: [{type: CORS, cors: {allowOrigins: ['*', 'https://a.b']}}]",
            "cors-wildcard-not-alone",
        ),
        (
            "  - filters: [{type: CORS, cors: {allowMethods: ['*', GET]}}]",
            "cors-wildcard-not-alone",
        ),
        (
            "  - filters: [{type: CORS, cors: {allowHeaders: ['*', x-a]}}]",
            "cors-wildcard-not-alone",
        ),
        (
            "  - filters: [{type: CORS, cors: {maxAge: 0}}]",
            "value-range",
        ),
        (
            "  - timeouts: {request: 1s, backendRequest: 2s}",
            "backend-timeout-exceeds-request-timeout",
        ),
        ("  - timeouts: {request: 1d}", "invalid-duration"),
        ("  - name: Not_A_Name", "invalid-value"),
    ];

    #[test]
    fn every_rule_level_check_reports_and_drops_the_rule() {
        for (rules, code) in RULE_CASES {
            let good =
                "  - matches: [{path: {value: /ok}}]\n    backendRefs: [{name: svc, port: 8080}]";
            let r = check(&docs(&[
                GATEWAY,
                SERVICE,
                &route(&format!("{good}\n{rules}")),
            ]));
            assert!(
                !with_code(&r, code).is_empty(),
                "{code} for {rules}: {:#?}",
                r.diagnostics
            );
            let route = &r.routes[&route_key()];
            assert!(route.rules[0].dropped.is_none(), "{rules}");
            assert!(
                route.rules[1].dropped.is_some(),
                "{code} for {rules} does not drop the rule"
            );
            let partially = route.parents[0]
                .conditions
                .iter()
                .any(|c| c.type_ == "PartiallyInvalid");
            assert!(partially, "{rules}");
        }
    }

    #[test]
    fn valid_rules_report_nothing() {
        let rules = "  - name: api
    matches: [{path: {type: PathPrefix, value: /a}, headers: [{name: x-a, value: '1'}], queryParams: [{name: q, value: v}], method: GET}]
    filters:
    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: x}], add: [{name: b, value: yy}], remove: [c]}}
    - {type: URLRewrite, urlRewrite: {hostname: a.example.com, path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}
    - {type: RequestMirror, requestMirror: {backendRef: {name: svc, port: 8080}, fraction: {numerator: 1, denominator: 2}}}
    - {type: CORS, cors: {allowOrigins: ['*'], allowMethods: [GET, POST], maxAge: 10}}
    backendRefs: [{name: svc, port: 8080, weight: 0}]
    timeouts: {request: 10s, backendRequest: 1s}
  - filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]";
        let r = check(&docs(&[GATEWAY, SERVICE, &route(rules)]));
        assert!(r.diagnostics.is_empty(), "{:#?}", r.diagnostics);
    }

    #[test]
    fn control_characters_in_header_values_warn_and_keep_the_rule() {
        for (value, byte) in [
            (r#""a\r\nx-injected: 1""#, "0x0d"),
            (r#""a\u0000""#, "0x00"),
        ] {
            let rules = format!(
                "  - filters: [{{type: ResponseHeaderModifier, responseHeaderModifier: {{add: [{{name: x-a, value: {value}}}]}}}}]\n    backendRefs: [{{name: svc, port: 8080}}]"
            );
            let r = check(&docs(&[GATEWAY, SERVICE, &route(&rules)]));
            let found = with_code(&r, "invalid-header-value");
            assert_eq!(found.len(), 1, "{value}: {:#?}", r.diagnostics);
            assert_eq!(found[0].severity, crate::Severity::Warning);
            assert_eq!(
                found[0].field,
                "spec.rules[0].filters[0].responseHeaderModifier.add[0].value"
            );
            assert!(found[0].message.contains(byte), "{}", found[0].message);
            assert!(r.routes[&route_key()].rules[0].dropped.is_none());
        }
        let tab = "  - filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-a, value: \"a\\tb\"}]}}]\n    backendRefs: [{name: svc, port: 8080}]";
        let r = check(&docs(&[GATEWAY, SERVICE, &route(tab)]));
        assert!(
            with_code(&r, "invalid-header-value").is_empty(),
            "a tab is allowed"
        );
    }

    /// (route spec fragment replacing `rules:`, expected code): route-level problems.
    const ROUTE_CASES: &[(&str, &str)] = &[
        (
            "  hostnames: ['Bad.example.com']\n  rules:",
            "invalid-hostname",
        ),
        ("  hostnames: ['a.*.com']\n  rules:", "invalid-hostname"),
        ("  rules: []\n  x-unused:", "min-items"),
    ];

    #[test]
    fn route_level_problems_reject_the_whole_route() {
        for (fragment, code) in ROUTE_CASES {
            let body =
                route("  - backendRefs: [{name: svc, port: 8080}]").replace("  rules:", fragment);
            let body = body.replace(
                "  x-unused:\n  - backendRefs: [{name: svc, port: 8080}]",
                "",
            );
            let r = check(&docs(&[GATEWAY, SERVICE, &body]));
            assert!(
                !with_code(&r, code).is_empty(),
                "{code}: {:#?}",
                r.diagnostics
            );
            let c = &r.routes[&route_key()].parents[0].conditions[0];
            assert_eq!(
                (c.status, &*c.reason),
                (kgw_api::ConditionStatus::False, "UnsupportedValue")
            );
        }
    }

    #[test]
    fn parent_ref_rules() {
        let two = |a: &str, b: &str| {
            route("  - backendRefs: [{name: svc, port: 8080}]")
                .replace("[{name: gw, namespace: infra}]", &format!("[{a}, {b}]"))
        };
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &two(
                "{name: gw, namespace: infra}",
                "{name: gw, namespace: infra, sectionName: http}",
            ),
        ]));
        assert_eq!(with_code(&r, "parent-ref-section-required").len(), 1);
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &two(
                "{name: gw, namespace: infra, sectionName: http}",
                "{name: gw, namespace: infra, sectionName: http}",
            ),
        ]));
        assert_eq!(with_code(&r, "parent-ref-duplicate").len(), 1);
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &two(
                "{name: gw, sectionName: http}",
                "{name: gw, namespace: apps, sectionName: http}",
            ),
        ]));
        assert!(
            with_code(&r, "parent-ref-duplicate").is_empty(),
            "unset and set namespaces differ in CEL"
        );
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &two("{name: gw, namespace: infra, port: 0}", "{name: other}"),
        ]));
        assert_eq!(with_code(&r, "value-range").len(), 1);
    }

    #[test]
    fn too_many_matches_across_rules() {
        let matches: Vec<String> = (0..43)
            .map(|i| format!("{{path: {{value: /m{i}}}}}"))
            .collect();
        let rule = format!("  - matches: [{}]", matches.join(", "));
        let rules = [rule.as_str(), rule.as_str(), rule.as_str()].join("\n");
        let r = check(&docs(&[GATEWAY, SERVICE, &route(&rules)]));
        assert_eq!(with_code(&r, "too-many-matches").len(), 1);
        let rules = [rule.as_str(), rule.as_str()].join("\n");
        let r = check(&docs(&[GATEWAY, SERVICE, &route(&rules)]));
        assert!(with_code(&r, "too-many-matches").is_empty());
    }

    #[test]
    fn list_limits() {
        let headers: Vec<String> = (0..17)
            .map(|i| format!("{{name: h{i}, value: v}}"))
            .collect();
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &route(&format!(
                "  - matches: [{{headers: [{}]}}]",
                headers.join(", ")
            )),
        ]));
        assert_eq!(with_code(&r, "max-items").len(), 1);
        let refs: Vec<String> = (0..17)
            .map(|_| "{name: svc, port: 8080}".to_owned())
            .collect();
        let r = check(&docs(&[
            GATEWAY,
            SERVICE,
            &route(&format!("  - backendRefs: [{}]", refs.join(", "))),
        ]));
        assert_eq!(with_code(&r, "max-items").len(), 1);
    }

    #[test]
    fn path_values() {
        assert_eq!(path_value_error("/a/b-c_%20"), None);
        for bad in [
            "a", "/a//b", "/a/./b", "/a/../b", "/a%2fb", "/a%2Fb", "/a#", "/a/..", "/a/.", "/a b",
            "/%zz", "/%2",
        ] {
            assert!(path_value_error(bad).is_some(), "{bad}");
        }
        // The CRD's rule order decides which problem is named, not the position.
        let msg = path_value_error("/a#b//c").unwrap();
        assert!(msg.contains("must not contain '//'"), "{msg}");
    }

    proptest::proptest! {
        #[test]
        fn header_conflicts_agree_whatever_the_length(
            entries in proptest::collection::vec(
                (proptest::sample::select(vec!["set", "add", "remove"]),
                 proptest::sample::select(vec!["a", "A", "b", "B", "c"])),
                0..80,
            )
        ) {
            let all = entries.iter().map(|&(a, n)| (a, n));
            proptest::prop_assert_eq!(conflicts_by_scan(all.clone()), conflicts_by_map(all));
        }
    }

    /// The CEL rules as the CRD writes them, one substring search each.
    fn path_value_problem_reference(value: &str) -> Option<&'static str> {
        [
            (!value.starts_with('/'), "start with '/'"),
            (value.contains("//"), "'//'"),
            (value.contains("/./"), "'/./'"),
            (value.contains("/../"), "'/../'"),
            (value.contains("%2f"), "'%2f'"),
            (value.contains("%2F"), "'%2F'"),
            (value.contains('#'), "'#'"),
            (value.ends_with("/.."), "end with '/..'"),
            (value.ends_with("/."), "end with '/.'"),
            (!valid_path_chars(value), "valid characters"),
        ]
        .into_iter()
        .find_map(|(bad, name)| bad.then_some(name))
    }

    proptest::proptest! {
        #[test]
        fn path_value_error_agrees_with_the_crd_rules(value in "[/.%2fF#a ]{0,12}") {
            let ours = path_value_error(&value);
            match path_value_problem_reference(&value) {
                None => proptest::prop_assert_eq!(ours, None),
                Some(name) => {
                    let ours = ours.unwrap_or_default();
                    proptest::prop_assert!(ours.contains(name), "{value:?}: {ours}");
                }
            }
        }
    }
}
