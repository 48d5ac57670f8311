//! Structured fuzz input: a small set of Gateway API and kgateway objects, built from
//! `arbitrary` bytes, written out as a manifest and loaded through the real loader. Names and
//! values come mostly from small vocabularies (so that references resolve, routes attach and
//! requests match) and sometimes from free text (so that hostile values reach every check).

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Value, json};

/// A string from a vocabulary, or free text.
#[derive(Clone, Debug)]
pub enum Text<const V: usize> {
    /// Index into the vocabulary the field uses.
    Known(usize),
    /// Anything.
    Free(String),
}

impl<'a, const V: usize> Arbitrary<'a> for Text<V> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        // One in eight is free text.
        if u.ratio(1, 8)? {
            Ok(Self::Free(u.arbitrary()?))
        } else {
            Ok(Self::Known(u.arbitrary::<u8>()? as usize))
        }
    }
}

impl<const V: usize> Text<V> {
    /// The string, drawn from `VOCABULARIES[V]`.
    pub fn get(&self) -> &str {
        let vocabulary = VOCABULARIES[V];
        match self {
            Self::Known(i) => vocabulary[i % vocabulary.len()],
            Self::Free(s) => s,
        }
    }
}

const NAMESPACE: usize = 0;
const NAME: usize = 1;
const HOSTNAME: usize = 2;
const PATH: usize = 3;
const REGEX: usize = 4;
const HEADER_NAME: usize = 5;
const HEADER_VALUE: usize = 6;
const LISTENER: usize = 7;
const PROTOCOL: usize = 8;
const METHOD: usize = 9;
const TIMESTAMP: usize = 10;
const KIND: usize = 11;
/// Request hosts (with ports, case, trailing dots).
pub const REQUEST_HOST: usize = 12;
/// Request paths (dot segments, percent-encoding, repeated slashes).
pub const REQUEST_PATH: usize = 13;
/// Query strings.
pub const REQUEST_QUERY: usize = 14;
/// Request methods.
pub const REQUEST_METHOD: usize = METHOD;
/// Request header names.
pub const REQUEST_HEADER_NAME: usize = HEADER_NAME;
/// Request header values.
pub const REQUEST_HEADER_VALUE: usize = HEADER_VALUE;

/// The vocabularies, indexed by the constants above.
pub const VOCABULARIES: [&[&str]; 15] = [
    &["default", "infra", "apps", "other"],
    &["gw", "gw2", "r1", "r2", "svc", "svc2", "be", "be2", "cert"],
    &[
        "example.com",
        "*.example.com",
        "a.example.com",
        "*.a.example.com",
        "A.Example.com",
        "x.a.example.com",
        "bad host",
        "exämple.com",
        "*",
        "a..b",
        "",
        "example.com.",
    ],
    &[
        "/", "/a", "/a/", "/ab", "/a/b", "/public", "/admin", "/%2e%2e", "/a/../b", "//a",
        "/a%2Fb", "", "a", "/a//b",
    ],
    &[
        "/a.*",
        "(",
        "/[ab]+",
        "(a+)+$",
        "a{1000}{1000}",
        ".*",
        r"\p{L}+",
        "/a|/ab",
        "(?i)/A",
    ],
    &[
        "x-a",
        "X-A",
        "x-b",
        "host",
        "bad name",
        "content-length",
        ":path",
        "",
    ],
    &["1", "2", "a\r\nb", "", "x\u{0}y", " 1 "],
    &["http", "https", "other", "http"],
    &["HTTP", "HTTPS", "TCP", "TLS", "HTTP"],
    &["GET", "POST", "HEAD", "get", "CONNECT", "PATCH"],
    &[
        "2020-01-01T00:00:00Z",
        "2021-06-01T00:00:00Z",
        "bad",
        "2020-01-01T01:00:00+01:00",
    ],
    &["Service", "Backend", "Gateway", "ConfigMap"],
    &[
        "a.example.com",
        "example.com",
        "x.a.example.com",
        "A.Example.COM",
        "a.example.com.",
        "a.example.com:80",
        "a.example.com:8080",
        "[::1]:80",
        "other.net",
        "",
    ],
    &[
        "/",
        "/a",
        "/a/",
        "/ab",
        "/a/b",
        "/public",
        "/admin",
        "/admin/../public",
        "/public/../admin",
        "/public/%2e%2e/admin",
        "/%2e%2e/admin",
        "//admin",
        "/public%2Fadmin",
        "/%61",
        "/a/./b",
        "bad",
        "/x%zz",
        "*",
    ],
    &["q=1", "q=2&r=1", "q=1&q=2", "%71=1", "", "q"],
];

fn capped<T>(items: &[T], n: usize) -> &[T] {
    &items[..items.len().min(n)]
}

/// The objects of one scenario.
#[derive(Arbitrary, Debug)]
pub struct Scenario {
    gateways: Vec<GatewayIn>,
    routes: Vec<RouteIn>,
    services: Vec<ServiceIn>,
    backends: Vec<BackendIn>,
    grants: Vec<GrantIn>,
    namespaces: Vec<NamespaceIn>,
}

#[derive(Arbitrary, Debug)]
struct NamespaceIn {
    name: Text<NAMESPACE>,
    label: Option<Text<NAME>>,
}

#[derive(Arbitrary, Debug)]
struct GatewayIn {
    namespace: Text<NAMESPACE>,
    name: Text<NAME>,
    listeners: Vec<ListenerIn>,
}

#[derive(Arbitrary, Debug)]
struct ListenerIn {
    name: Text<LISTENER>,
    port: PortIn,
    protocol: Text<PROTOCOL>,
    hostname: Option<Text<HOSTNAME>>,
    from: u8,
    certificate: bool,
}

#[derive(Arbitrary, Debug)]
enum PortIn {
    Http,
    Https,
    Alt,
    Any(i32),
}

impl PortIn {
    fn get(&self) -> i64 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
            Self::Alt => 8080,
            Self::Any(p) => i64::from(*p),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct RouteIn {
    namespace: Text<NAMESPACE>,
    name: Text<NAME>,
    created: Option<Text<TIMESTAMP>>,
    parents: Vec<ParentIn>,
    hostnames: Vec<Text<HOSTNAME>>,
    rules: Vec<RuleIn>,
}

#[derive(Arbitrary, Debug)]
struct ParentIn {
    name: Text<NAME>,
    namespace: Option<Text<NAMESPACE>>,
    section: Option<Text<LISTENER>>,
    port: Option<PortIn>,
}

#[derive(Arbitrary, Debug)]
struct RuleIn {
    matches: Vec<MatchIn>,
    filters: Vec<FilterIn>,
    backends: Vec<BackendRefIn>,
}

#[derive(Arbitrary, Debug)]
enum PathIn {
    Exact(Text<PATH>),
    Prefix(Text<PATH>),
    Regex(Text<REGEX>),
}

#[derive(Arbitrary, Debug)]
struct MatchIn {
    path: Option<PathIn>,
    headers: Vec<(bool, Text<HEADER_NAME>, Text<HEADER_VALUE>)>,
    queries: Vec<(bool, Text<HEADER_NAME>, Text<HEADER_VALUE>)>,
    method: Option<Text<METHOD>>,
}

#[derive(Arbitrary, Debug)]
enum PathModifierIn {
    Full(Text<PATH>),
    Prefix(Text<PATH>),
}

#[derive(Arbitrary, Debug)]
enum FilterIn {
    RequestHeaders(Vec<(u8, Text<HEADER_NAME>, Text<HEADER_VALUE>)>),
    ResponseHeaders(Vec<(u8, Text<HEADER_NAME>, Text<HEADER_VALUE>)>),
    Rewrite(Option<Text<HOSTNAME>>, Option<PathModifierIn>),
    Redirect {
        https: Option<bool>,
        hostname: Option<Text<HOSTNAME>>,
        port: Option<PortIn>,
        path: Option<PathModifierIn>,
        status: Option<u16>,
    },
    Mirror(BackendRefIn),
}

#[derive(Arbitrary, Debug)]
struct BackendRefIn {
    kind: Text<KIND>,
    name: Text<NAME>,
    namespace: Option<Text<NAMESPACE>>,
    port: Option<PortIn>,
    weight: Option<i16>,
}

#[derive(Arbitrary, Debug)]
struct ServiceIn {
    namespace: Text<NAMESPACE>,
    name: Text<NAME>,
    ports: Vec<PortIn>,
}

#[derive(Arbitrary, Debug)]
enum BackendSpecIn {
    Static(Vec<(Text<HOSTNAME>, PortIn)>),
    Lambda {
        function: Text<NAME>,
        region: Option<Text<NAME>>,
        account: Option<Text<NAME>>,
    },
    Empty,
}

#[derive(Arbitrary, Debug)]
struct BackendIn {
    namespace: Text<NAMESPACE>,
    name: Text<NAME>,
    spec: BackendSpecIn,
}

#[derive(Arbitrary, Debug)]
struct GrantIn {
    namespace: Text<NAMESPACE>,
    name: Text<NAME>,
    from: Vec<Text<NAMESPACE>>,
    to: Vec<(Text<KIND>, Option<Text<NAME>>)>,
}

fn group_of(kind: &str) -> &'static str {
    match kind {
        "Backend" => "gateway.kgateway.dev",
        "Gateway" | "HTTPRoute" => "gateway.networking.k8s.io",
        _ => "",
    }
}

fn backend_ref(b: &BackendRefIn) -> Value {
    let kind = b.kind.get();
    let mut v = json!({"group": group_of(kind), "kind": kind, "name": b.name.get()});
    if let Some(ns) = &b.namespace {
        v["namespace"] = json!(ns.get());
    }
    if let Some(port) = &b.port {
        v["port"] = json!(port.get());
    }
    if let Some(weight) = b.weight {
        v["weight"] = json!(weight);
    }
    v
}

fn path_modifier(m: &PathModifierIn) -> Value {
    match m {
        PathModifierIn::Full(p) => json!({"type": "ReplaceFullPath", "replaceFullPath": p.get()}),
        PathModifierIn::Prefix(p) => {
            json!({"type": "ReplacePrefixMatch", "replacePrefixMatch": p.get()})
        }
    }
}

fn header_modifier(ops: &[(u8, Text<HEADER_NAME>, Text<HEADER_VALUE>)]) -> Value {
    let (mut set, mut add, mut remove) = (Vec::new(), Vec::new(), Vec::new());
    for (op, name, value) in capped(ops, 4) {
        let pair = json!({"name": name.get(), "value": value.get()});
        match op % 3 {
            0 => set.push(pair),
            1 => add.push(pair),
            _ => remove.push(json!(name.get())),
        }
    }
    json!({"set": set, "add": add, "remove": remove})
}

fn filter(f: &FilterIn) -> Value {
    match f {
        FilterIn::RequestHeaders(ops) => {
            json!({"type": "RequestHeaderModifier", "requestHeaderModifier": header_modifier(ops)})
        }
        FilterIn::ResponseHeaders(ops) => {
            json!({"type": "ResponseHeaderModifier", "responseHeaderModifier": header_modifier(ops)})
        }
        FilterIn::Rewrite(hostname, path) => {
            let mut r = json!({});
            if let Some(h) = hostname {
                r["hostname"] = json!(h.get());
            }
            if let Some(p) = path {
                r["path"] = path_modifier(p);
            }
            json!({"type": "URLRewrite", "urlRewrite": r})
        }
        FilterIn::Redirect {
            https,
            hostname,
            port,
            path,
            status,
        } => {
            let mut r = json!({});
            if let Some(https) = https {
                r["scheme"] = json!(if *https { "https" } else { "http" });
            }
            if let Some(h) = hostname {
                r["hostname"] = json!(h.get());
            }
            if let Some(p) = port {
                r["port"] = json!(p.get());
            }
            if let Some(p) = path {
                r["path"] = path_modifier(p);
            }
            if let Some(s) = status {
                r["statusCode"] = json!(s);
            }
            json!({"type": "RequestRedirect", "requestRedirect": r})
        }
        FilterIn::Mirror(b) => {
            json!({"type": "RequestMirror", "requestMirror": {"backendRef": backend_ref(b)}})
        }
    }
}

fn string_matches(items: &[(bool, Text<HEADER_NAME>, Text<HEADER_VALUE>)], regexes: bool) -> Value {
    capped(items, 3)
        .iter()
        .map(|(regex, name, value)| {
            let kind = if *regex && regexes {
                "RegularExpression"
            } else {
                "Exact"
            };
            json!({"type": kind, "name": name.get(), "value": value.get()})
        })
        .collect()
}

fn route_match(m: &MatchIn) -> Value {
    let mut v = json!({});
    if let Some(path) = &m.path {
        v["path"] = match path {
            PathIn::Exact(p) => json!({"type": "Exact", "value": p.get()}),
            PathIn::Prefix(p) => json!({"type": "PathPrefix", "value": p.get()}),
            PathIn::Regex(p) => json!({"type": "RegularExpression", "value": p.get()}),
        };
    }
    if !m.headers.is_empty() {
        v["headers"] = string_matches(&m.headers, true);
    }
    if !m.queries.is_empty() {
        v["queryParams"] = string_matches(&m.queries, true);
    }
    if let Some(method) = &m.method {
        v["method"] = json!(method.get());
    }
    v
}

impl Scenario {
    /// The scenario as JSON documents (each one Kubernetes object).
    pub fn documents(&self) -> Vec<Value> {
        let mut docs = Vec::new();
        for ns in capped(&self.namespaces, 3) {
            let mut meta = json!({"name": ns.name.get()});
            if let Some(label) = &ns.label {
                meta["labels"] = json!({"team": label.get()});
            }
            docs.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta}));
        }
        for g in capped(&self.gateways, 2) {
            let listeners: Vec<Value> = capped(&g.listeners, 4)
                .iter()
                .map(|l| {
                    let mut v = json!({
                        "name": l.name.get(), "port": l.port.get(), "protocol": l.protocol.get(),
                    });
                    if let Some(h) = &l.hostname {
                        v["hostname"] = json!(h.get());
                    }
                    v["allowedRoutes"] = match l.from % 4 {
                        0 => json!({"namespaces": {"from": "All"}}),
                        1 => json!({"namespaces": {"from": "Same"}}),
                        2 => json!({"namespaces": {"from": "Selector",
                            "selector": {"matchLabels": {"team": "gw"}}}}),
                        _ => json!({}),
                    };
                    if l.certificate {
                        v["tls"] = json!({"mode": "Terminate",
                            "certificateRefs": [{"kind": "Secret", "name": "cert"}]});
                    }
                    v
                })
                .collect();
            docs.push(json!({
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                "metadata": {"namespace": g.namespace.get(), "name": g.name.get()},
                "spec": {"gatewayClassName": "kgw", "listeners": listeners},
            }));
        }
        for r in capped(&self.routes, 4) {
            let mut meta = json!({"namespace": r.namespace.get(), "name": r.name.get()});
            if let Some(t) = &r.created {
                meta["creationTimestamp"] = json!(t.get());
            }
            let parents: Vec<Value> = capped(&r.parents, 3)
                .iter()
                .map(|p| {
                    let mut v = json!({"name": p.name.get()});
                    if let Some(ns) = &p.namespace {
                        v["namespace"] = json!(ns.get());
                    }
                    if let Some(s) = &p.section {
                        v["sectionName"] = json!(s.get());
                    }
                    if let Some(port) = &p.port {
                        v["port"] = json!(port.get());
                    }
                    v
                })
                .collect();
            let rules: Vec<Value> = capped(&r.rules, 4)
                .iter()
                .map(|rule| {
                    let mut v = json!({});
                    if !rule.matches.is_empty() {
                        v["matches"] = capped(&rule.matches, 4).iter().map(route_match).collect();
                    }
                    if !rule.filters.is_empty() {
                        v["filters"] = capped(&rule.filters, 3).iter().map(filter).collect();
                    }
                    if !rule.backends.is_empty() {
                        v["backendRefs"] =
                            capped(&rule.backends, 3).iter().map(backend_ref).collect();
                    }
                    v
                })
                .collect();
            let mut spec = json!({"parentRefs": parents, "rules": rules});
            if !r.hostnames.is_empty() {
                spec["hostnames"] = capped(&r.hostnames, 3)
                    .iter()
                    .map(|h| json!(h.get()))
                    .collect();
            }
            docs.push(json!({
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": meta, "spec": spec,
            }));
        }
        for s in capped(&self.services, 3) {
            let ports: Vec<Value> = capped(&s.ports, 3)
                .iter()
                .map(|p| json!({"port": p.get()}))
                .collect();
            docs.push(json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"namespace": s.namespace.get(), "name": s.name.get()},
                "spec": {"ports": ports},
            }));
        }
        for b in capped(&self.backends, 3) {
            let spec = match &b.spec {
                BackendSpecIn::Static(hosts) => {
                    let hosts: Vec<Value> = capped(hosts, 3)
                        .iter()
                        .map(|(h, p)| json!({"host": h.get(), "port": p.get()}))
                        .collect();
                    json!({"type": "Static", "static": {"hosts": hosts}})
                }
                BackendSpecIn::Lambda {
                    function,
                    region,
                    account,
                } => {
                    let mut aws = json!({"lambda": {"functionName": function.get()}});
                    if let Some(r) = region {
                        aws["region"] = json!(r.get());
                    }
                    if let Some(a) = account {
                        aws["accountId"] = json!(a.get());
                    }
                    json!({"type": "AWS", "aws": aws})
                }
                BackendSpecIn::Empty => json!({}),
            };
            docs.push(json!({
                "apiVersion": "gateway.kgateway.dev/v1alpha1", "kind": "Backend",
                "metadata": {"namespace": b.namespace.get(), "name": b.name.get()},
                "spec": spec,
            }));
        }
        for g in capped(&self.grants, 2) {
            let from: Vec<Value> = capped(&g.from, 2)
                .iter()
                .map(|ns| {
                    json!({"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                        "namespace": ns.get()})
                })
                .collect();
            let to: Vec<Value> = capped(&g.to, 2)
                .iter()
                .map(|(kind, name)| {
                    let kind = kind.get();
                    let mut v = json!({"group": group_of(kind), "kind": kind});
                    if let Some(n) = name {
                        v["name"] = json!(n.get());
                    }
                    v
                })
                .collect();
            docs.push(json!({
                "apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
                "metadata": {"namespace": g.namespace.get(), "name": g.name.get()},
                "spec": {"from": from, "to": to},
            }));
        }
        docs
    }

    /// The scenario as one multi-document manifest, one JSON document per object.
    pub fn manifest(&self) -> String {
        let mut out = String::new();
        for doc in self.documents() {
            out.push_str("---\n");
            out.push_str(&doc.to_string());
            out.push('\n');
        }
        out
    }
}
