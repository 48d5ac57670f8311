//! Where a backendRef (or a mirror's backendRef) leads, in kgateway's order: the ReferenceGrant
//! check first (a denied reference reveals nothing about its target), then the kind, the port on a
//! Backend, and existence (kgateway `BackendIndex.GetBackendFromRef`).

use kgw_api::gateway::RouteConditionReason as Reason;
use kgw_api::gateway::common::BackendObjectReference;
use kgw_api::{ObjectKey, Resources};

use crate::diag::Sink;
use crate::grants::{GrantIndex, RefEnd};
use crate::report::{BackendRefReport, ResolvedBackend};

/// Group of kgateway's `Backend`.
pub const KGATEWAY_GROUP: &str = "gateway.kgateway.dev";

/// The route a reference is made from.
pub(crate) struct Referrer<'a> {
    pub resources: &'a Resources,
    pub grants: &'a GrantIndex<'a>,
    pub kind: &'a str,
    pub namespace: &'a str,
}

/// kgateway's message for a port on a Backend reference (`BackendPortNotAllowedError`).
pub fn backend_port_message(name: &str) -> String {
    format!(
        "BackendRef to {name:?} includes a port. Do not specify a port when referencing a Backend \
         resource, as it defines its own port configuration"
    )
}

/// Resolves one reference; `field` is its path (`spec.rules[0].backendRefs[1]`).
pub(crate) fn resolve(
    from: &Referrer<'_>,
    r: &BackendObjectReference,
    field: impl std::fmt::Display + Copy,
    sink: &mut Sink<'_>,
) -> BackendRefReport {
    let (group, kind, name) = (r.group(), r.kind(), r.name.as_str());
    let namespace = r.namespace_or(from.namespace);
    let source = RefEnd {
        group: kgw_api::gateway::GROUP,
        kind: from.kind,
        namespace: from.namespace,
        name: "",
    };
    let target = RefEnd {
        group,
        kind,
        namespace,
        name,
    };
    let shown = if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    };
    if !from.grants.allows(source, target) {
        let message = format!(
            "backendRef to {shown} {namespace}/{name} is not permitted: no ReferenceGrant in namespace \
             {namespace} allows references from {} in namespace {}",
            from.kind, from.namespace
        );
        sink.error(
            "ref-not-permitted",
            format!("{field}.namespace"),
            format!(
                "{message}; add a ReferenceGrant in {namespace} with from {{group: {}, kind: {}, \
                 namespace: {}}} and to {{group: {group:?}, kind: {kind}}}",
                kgw_api::gateway::GROUP,
                from.kind,
                from.namespace
            ),
        );
        return BackendRefReport::Unresolved {
            reason: Reason::RefNotPermitted,
            message,
        };
    }
    let key = ObjectKey::new(namespace, name);
    let is_service = (group.is_empty() || group == "core") && kind == "Service";
    let is_backend = group == KGATEWAY_GROUP && kind == "Backend";
    if !is_service && !is_backend {
        let message = format!("unknown backend kind {shown}");
        sink.error(
            "invalid-backend-kind",
            format!("{field}.kind"),
            format!(
                "{message}: backendRefs may name a core Service (group \"\", kind Service) or a kgateway \
                 Backend (group {KGATEWAY_GROUP}, kind Backend)"
            ),
        );
        return BackendRefReport::Unresolved {
            reason: Reason::InvalidKind,
            message,
        };
    }
    if is_backend {
        if let Some(port) = r.port {
            let message = backend_port_message(name);
            sink.warning(
                "backend-ref-port",
                format!("{field}.port"),
                format!(
                    "port {port} on a reference to Backend {namespace}/{name}: a Backend defines its own \
                     ports, and kgateway treats this reference as unresolved (ResolvedRefs=False, \
                     BackendNotFound) and answers 500 for its share of traffic; remove the port"
                ),
            );
            return BackendRefReport::Unresolved {
                reason: Reason::BackendNotFound,
                message,
            };
        }
        if from.resources.backends.get(namespace, name).is_none() {
            return not_found(sink, field, format!("Backend {namespace}/{name} not found"));
        }
        return BackendRefReport::Resolved(ResolvedBackend::Backend { key });
    }
    let Some(service) = from.resources.services.get(namespace, name) else {
        return not_found(sink, field, format!("Service {namespace}/{name} not found"));
    };
    let Some(port) = r.port else {
        // The CRD requires the port (reported as a field rule); nothing to route to.
        return BackendRefReport::Unresolved {
            reason: Reason::BackendNotFound,
            message: format!("reference to Service {namespace}/{name} has no port"),
        };
    };
    if service.object.port(port).is_none() {
        let ports: Vec<String> = service
            .object
            .ports()
            .iter()
            .map(|p| p.port.to_string())
            .collect();
        let message = format!("Service {namespace}/{name} has no port {port}");
        sink.warning(
            "backend-not-found",
            format!("{field}.port"),
            format!(
                "{message} (its ports: {}); use one of the Service's ports, not a target port",
                ports.join(", ")
            ),
        );
        return BackendRefReport::Unresolved {
            reason: Reason::BackendNotFound,
            message,
        };
    }
    BackendRefReport::Resolved(ResolvedBackend::Service { key, port })
}

fn not_found(
    sink: &mut Sink<'_>,
    field: impl std::fmt::Display + Copy,
    message: String,
) -> BackendRefReport {
    sink.warning(
        "backend-not-found",
        format!("{field}.name"),
        format!("{message}; requests for this backend are answered with 500 until it exists"),
    );
    BackendRefReport::Unresolved {
        reason: Reason::BackendNotFound,
        message,
    }
}
