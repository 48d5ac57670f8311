//! Helpers for tests built from small manifests.

use kgw_api::ObjectKey;
use kgw_api::load::{LoadOptions, load_str};

use crate::report::{Diagnostic, Report};
use crate::{Options, validate};

/// Loads inline YAML and validates it with `options`.
pub(crate) fn check_with(yaml: &str, options: &Options) -> Report {
    let resources =
        load_str("test.yaml", yaml, &LoadOptions::default()).expect("test manifest loads");
    validate(&resources, options)
}

/// Loads inline YAML and validates it with the default options.
pub(crate) fn check(yaml: &str) -> Report {
    check_with(yaml, &Options::default())
}

/// The diagnostics with this code.
pub(crate) fn with_code<'a>(report: &'a Report, code: &str) -> Vec<&'a Diagnostic> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect()
}

/// A Gateway `gw` in `infra` with one HTTP listener on port 80 allowing every namespace.
pub(crate) const GATEWAY: &str = "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: kgw
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
";

/// A Service `svc` in `apps` with port 8080.
pub(crate) const SERVICE: &str = "
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: apps}
spec: {ports: [{port: 8080}]}
";

/// A route `r` in `apps` attached to `infra/gw` with the given rules (YAML list body, indented
/// by two spaces).
pub(crate) fn route(rules: &str) -> String {
    format!(
        "
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r, namespace: apps}}
spec:
  parentRefs: [{{name: gw, namespace: infra}}]
  rules:
{rules}"
    )
}

/// Joins manifests into one multi-document stream.
pub(crate) fn docs(parts: &[&str]) -> String {
    parts.join("\n---\n")
}

/// The key of route `apps/r`.
pub(crate) fn route_key() -> ObjectKey {
    ObjectKey::new("apps", "r")
}

/// The condition `type_` of the first parent of route `apps/r`, as (status, reason).
pub(crate) fn parent_condition(report: &Report, type_: &str) -> Option<(String, String)> {
    let route = report.routes.get(&route_key())?;
    let c = route
        .parents
        .first()?
        .conditions
        .iter()
        .find(|c| c.type_ == type_)?;
    Some((format!("{:?}", c.status), c.reason.to_string()))
}
