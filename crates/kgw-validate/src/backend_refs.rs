//! Where a backendRef (or a mirror's backendRef) leads, in kgateway's order: the ReferenceGrant
//! check first (a denied reference reveals nothing about its target), then the kind, the port on a
//! Backend, and existence (kgateway `BackendIndex.GetBackendFromRef`).

use std::fmt::Write as _;

use kgw_api::gateway::HttpBackendRef;
use kgw_api::gateway::RouteConditionReason as Reason;
use kgw_api::gateway::common::{BackendObjectReference, CORE_GROUP, DEFAULT_BACKEND_KIND};
use kgw_api::{ObjectKey, Resources};

use crate::diag::{Path, Sink};
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

/// The fields of a backend reference, borrowed from a backendRef or a mirror's backendRef
/// (`HttpBackendRef::object_ref` would clone them for every reference checked).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target<'a> {
    pub group: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub port: Option<i32>,
}

impl<'a> Target<'a> {
    /// The group, with the CRD default applied (as `BackendObjectReference::group`).
    pub fn group(&self) -> &'a str {
        self.group.unwrap_or(CORE_GROUP)
    }

    /// The kind, with the CRD default applied (as `BackendObjectReference::kind`).
    pub fn kind(&self) -> &'a str {
        self.kind.unwrap_or(DEFAULT_BACKEND_KIND)
    }
}

/// Both reference types carry the same five fields (`HttpBackendRef` flattens them).
macro_rules! target_from {
    ($($ty:ty),+) => {$(
        impl<'a> From<&'a $ty> for Target<'a> {
            fn from(r: &'a $ty) -> Self {
                Self {
                    group: r.group.as_deref(),
                    kind: r.kind.as_deref(),
                    name: &r.name,
                    namespace: r.namespace.as_deref(),
                    port: r.port,
                }
            }
        }
    )+};
}

target_from!(HttpBackendRef, BackendObjectReference);

/// Resolves one reference; `field` is its path (`spec.rules[0].backendRefs[1]`).
pub(crate) fn resolve(
    from: &Referrer<'_>,
    r: Target<'_>,
    field: Path<'_>,
    sink: &mut Sink<'_>,
) -> BackendRefReport {
    let (group, kind, name) = (r.group(), r.kind(), r.name);
    let namespace = r.namespace.unwrap_or(from.namespace);
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
    let shown = || {
        if group.is_empty() {
            kind.to_owned()
        } else {
            format!("{kind}.{group}")
        }
    };
    if !from.grants.allows(source, target) {
        // `concat` sizes each text once: a denied reference is common in large inputs (a missing
        // grant denies every route of a namespace) and `format!` dominated their cost.
        let (dot, group_suffix) = if group.is_empty() {
            ("", "")
        } else {
            (".", group)
        };
        let message = [
            "backendRef to ",
            kind,
            dot,
            group_suffix,
            " ",
            namespace,
            "/",
            name,
            " is not permitted: no ReferenceGrant in namespace ",
            namespace,
            " allows references from ",
            from.kind,
            " in namespace ",
            from.namespace,
        ]
        .concat();
        let pieces = [
            &message,
            "; add a ReferenceGrant in ",
            namespace,
            " with from {group: ",
            kgw_api::gateway::GROUP,
            ", kind: ",
            from.kind,
            ", namespace: ",
            from.namespace,
            "} and to {group: ",
        ];
        // Sized once, like `message`, with room for the quoted group (escapes aside) and kind.
        let quoted_group = group.len() + 2;
        let tail = ", kind: }".len() + kind.len();
        let mut hint = String::with_capacity(
            pieces.iter().map(|p| p.len()).sum::<usize>() + quoted_group + tail,
        );
        for piece in pieces {
            hint.push_str(piece);
        }
        // Writing to a `String` cannot fail.
        let _ = write!(hint, "{group:?}, kind: {kind}}}");
        sink.error("ref-not-permitted", field.field("namespace"), hint);
        return BackendRefReport::Unresolved {
            reason: Reason::RefNotPermitted,
            message,
        };
    }
    let is_service = (group.is_empty() || group == "core") && kind == "Service";
    let is_backend = group == KGATEWAY_GROUP && kind == "Backend";
    if !is_service && !is_backend {
        let message = format!("unknown backend kind {}", shown());
        sink.error(
            "invalid-backend-kind",
            field.field("kind"),
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
                field.field("port"),
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
        return BackendRefReport::Resolved(ResolvedBackend::Backend {
            key: ObjectKey::new(namespace, name),
        });
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
            field.field("port"),
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
    BackendRefReport::Resolved(ResolvedBackend::Service {
        key: ObjectKey::new(namespace, name),
        port,
    })
}

fn not_found(sink: &mut Sink<'_>, field: Path<'_>, message: String) -> BackendRefReport {
    sink.warning(
        "backend-not-found",
        field.field("name"),
        format!("{message}; requests for this backend are answered with 500 until it exists"),
    );
    BackendRefReport::Unresolved {
        reason: Reason::BackendNotFound,
        message,
    }
}
