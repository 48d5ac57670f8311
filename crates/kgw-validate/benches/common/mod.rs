//! The input of the validation benchmarks, shared by `benches/validate.rs` and
//! `examples/validate_timing.rs`.

use std::fmt::Write as _;

use kgw_api::Resources;
use kgw_api::load::yaml::YamlLimits;
use kgw_api::load::{LoadOptions, load_str};

/// `routes` HTTPRoutes spread over 10 namespaces, each with two rules: one to a Service in another
/// namespace (granted for half of the namespaces), one to a Backend in its own namespace. The
/// second rule's regex is `/r{i % patterns}/[a-z]+`: every route has its own pattern when
/// `patterns >= routes`.
pub fn generate(routes: usize, patterns: usize) -> Resources {
    let mut yaml = String::from(
        "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: kgw
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
  - {name: api, port: 80, hostname: '*.example.com', protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: backends}
spec: {ports: [{port: 8080}]}
",
    );
    for ns in 0..10 {
        write!(
            yaml,
            "---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {{name: from-ns{ns}, namespace: backends}}
spec:
  from: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ns{granted}}}]
  to: [{{group: '', kind: Service}}]
",
            granted = if ns % 2 == 0 { ns } else { 100 + ns }
        )
        .expect("writing to a String cannot fail");
    }
    for i in 0..routes {
        let ns = i % 10;
        write!(
            yaml,
            "---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {{name: b{i}, namespace: ns{ns}}}
spec: {{static: {{hosts: [{{host: h{i}.internal, port: 80}}]}}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r{i}, namespace: ns{ns}}}
spec:
  parentRefs: [{{name: gw, namespace: infra}}]
  hostnames: [r{i}.example.com]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /api/{i}}}, headers: [{{name: x-v, value: '1'}}]}}]
    backendRefs: [{{name: svc, namespace: backends, port: 8080}}]
  - matches: [{{path: {{type: RegularExpression, value: '/r{p}/[a-z]+'}}}}]
    filters: [{{type: RequestHeaderModifier, requestHeaderModifier: {{set: [{{name: x-a, value: b}}]}}}}]
    backendRefs: [{{group: gateway.kgateway.dev, kind: Backend, name: b{i}}}]
",
            p = i % patterns
        )
        .expect("writing to a String cannot fail");
    }
    // The default limits guard against hostile files; this one is generated and, beyond some 40k
    // routes, larger than they allow.
    let defaults = LoadOptions::default();
    let options = LoadOptions {
        max_file_bytes: u64::MAX,
        yaml: YamlLimits {
            max_nodes: usize::MAX,
            max_documents: usize::MAX,
            ..defaults.yaml
        },
        ..defaults
    };
    load_str("bench.yaml", &yaml, &options).expect("generated manifests load")
}
