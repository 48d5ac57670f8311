//! The output of validation: diagnostics for people, and for every object the status a
//! conformant controller would write, in a shape that the resolver and the status writer read
//! directly.

use std::sync::Arc;

use indexmap::IndexMap;
use kgw_api::gateway::conditions::RouteConditionReason;
use kgw_api::gateway::{ParentReference, RouteGroupKind};
use kgw_api::{Condition, ObjectKey, ObjectRef, SmolStr};
use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The object is invalid or will not work as written.
    Error,
    /// The object works, but probably not as its author meant.
    Warning,
    /// Worth knowing.
    Info,
}

/// One finding about one field of one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// Stable kebab-case code (`backend-ref-port`); documented in `docs/validation.md`.
    pub code: &'static str,
    /// The object it is about.
    pub object: ObjectRef,
    /// Field path within the object (`spec.rules[0].backendRefs[1].port`); `""` for the object.
    pub field: String,
    /// The file the object was loaded from, when it was.
    #[serde(serialize_with = "serialize_file")]
    pub file: Option<Arc<str>>,
    /// 1-based line of the field (or of its closest written ancestor).
    pub line: Option<u64>,
    /// 1-based column.
    pub column: Option<u64>,
    /// What is wrong and what to do about it.
    pub message: String,
}

// serde's `serialize_with` hands the field itself, so the signature takes `&Option`.
#[allow(clippy::ref_option)]
fn serialize_file<S: serde::Serializer>(file: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match file {
        Some(file) => s.serialize_str(file),
        None => s.serialize_none(),
    }
}

/// Everything validation found, deterministic for a given set of objects whatever their order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Diagnostics, sorted by file, line, column, then code.
    pub diagnostics: Vec<Diagnostic>,
    /// Gateways of a class this controller handles (or whose class is absent), by namespace/name.
    pub gateways: IndexMap<ObjectKey, GatewayReport>,
    /// HTTPRoutes, by namespace/name.
    pub routes: IndexMap<ObjectKey, RouteReport>,
    /// kgateway Backends, by namespace/name.
    pub backends: IndexMap<ObjectKey, BackendReport>,
}

/// Status of one Gateway.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GatewayReport {
    /// Gateway conditions (`Accepted`, `Programmed`, …).
    pub conditions: Vec<Condition>,
    /// One entry per listener, in spec order.
    pub listeners: Vec<ListenerReport>,
}

/// Status of one listener.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListenerReport {
    /// Listener name.
    pub name: String,
    /// Routes accepted on this listener.
    pub attached_routes: i32,
    /// Route kinds the listener supports.
    pub supported_kinds: Vec<RouteGroupKind>,
    /// Listener conditions (`Accepted`, `Programmed`, `ResolvedRefs`, `Conflicted`, …).
    pub conditions: Vec<Condition>,
}

impl ListenerReport {
    /// Whether the listener is accepted and carries traffic (`Accepted=True`, not conflicted).
    pub fn is_usable(&self) -> bool {
        let has = |t: &str, s| {
            self.conditions
                .iter()
                .any(|c| c.type_ == t && c.status == s)
        };
        has("Accepted", kgw_api::ConditionStatus::True)
            && !has("Conflicted", kgw_api::ConditionStatus::True)
    }
}

/// Status of one HTTPRoute.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteReport {
    /// One entry per parentRef that names a Gateway this controller handles, in spec order.
    pub parents: Vec<ParentReport>,
    /// One entry per rule, in spec order.
    pub rules: Vec<RuleReport>,
}

/// How a route attaches through one parentRef.
#[derive(Clone, Debug, PartialEq)]
pub struct ParentReport {
    /// The parentRef with its defaults applied.
    pub parent_ref: ParentReference,
    /// The Gateway it names.
    pub gateway: ObjectKey,
    /// Listeners the route is accepted on through this parentRef (empty when not accepted).
    /// Names are [`SmolStr`]s: a listener name is at most 63 bytes, and one of up to 23 is stored
    /// inline, so most routes' lists allocate only the list.
    pub listeners: Vec<SmolStr>,
    /// Conditions for this parent (`Accepted`, `ResolvedRefs`, `PartiallyInvalid`).
    pub conditions: Vec<Condition>,
}

/// What validation decided about one rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleReport {
    /// Why the rule is dropped (it then never matches), when it is.
    pub dropped: Option<String>,
    /// Matches that can never match (an invalid regex), by index.
    pub invalid_matches: Vec<usize>,
    /// One entry per backendRef, in spec order.
    pub backend_refs: Vec<BackendRefReport>,
    /// RequestMirror targets of the rule's filters, by filter index.
    pub mirrors: Vec<(usize, BackendRefReport)>,
    /// RequestMirror targets of backendRef-level filters: (backendRef index, filter index, target).
    pub backend_mirrors: Vec<(usize, usize, BackendRefReport)>,
}

/// Where one backendRef leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendRefReport {
    /// A backend that exists and may be referenced.
    Resolved(ResolvedBackend),
    /// A reference that answers 500 for its share of traffic.
    Unresolved {
        /// The `ResolvedRefs=False` reason.
        reason: RouteConditionReason,
        /// The condition message.
        message: String,
    },
}

/// A resolved backend reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolvedBackend {
    /// A core Service and the Service port the ref names.
    Service {
        /// The Service.
        key: ObjectKey,
        /// The Service port (not the target port).
        port: i32,
    },
    /// A kgateway Backend.
    Backend {
        /// The Backend.
        key: ObjectKey,
    },
}

/// Status of one kgateway Backend.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BackendReport {
    /// Backend conditions (`Accepted`).
    pub conditions: Vec<Condition>,
}

/// The status of one object in the `kgw` JSON contract (`statuses[]`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ObjectStatus {
    /// The object.
    pub object: ObjectRef,
    /// Object conditions (Gateways and Backends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
    /// One entry per parentRef (routes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parents: Option<Vec<ParentStatus>>,
    /// One entry per listener (Gateways).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listeners: Option<Vec<ListenerStatus>>,
}

/// A route's status for one parent in the JSON contract.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentStatus {
    /// The parentRef with defaults applied; `sectionName` and `port` are `null` when unset.
    pub parent_ref: ParentRefStatus,
    /// `Accepted`, `ResolvedRefs`, `PartiallyInvalid`.
    pub conditions: Vec<Condition>,
}

/// A parentRef in the JSON contract's shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRefStatus {
    /// Group (default `gateway.networking.k8s.io`).
    pub group: String,
    /// Kind (default `Gateway`).
    pub kind: String,
    /// Namespace (default: the route's).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Listener name, `null` when unset.
    pub section_name: Option<String>,
    /// Listener port, `null` when unset.
    pub port: Option<i32>,
}

/// A listener's status in the JSON contract.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerStatus {
    /// Listener name.
    pub name: String,
    /// Routes accepted on the listener.
    pub attached_routes: i32,
    /// Route kinds the listener supports (an addition to the contract's fields).
    pub supported_kinds: Vec<RouteGroupKind>,
    /// Listener conditions.
    pub conditions: Vec<Condition>,
}

fn object_ref(group: &'static str, kind: &'static str, key: &ObjectKey) -> ObjectRef {
    ObjectRef {
        group: SmolStr::new_static(group),
        kind: SmolStr::new_static(kind),
        namespace: key.namespace.clone(),
        name: key.name.clone(),
    }
}

impl Report {
    /// The `statuses` array of the `kgw` JSON contract: Gateways, then HTTPRoutes, then
    /// Backends, each sorted by namespace and name.
    pub fn statuses(&self) -> Vec<ObjectStatus> {
        let mut out =
            Vec::with_capacity(self.gateways.len() + self.routes.len() + self.backends.len());
        let mut gateways: Vec<_> = self.gateways.iter().collect();
        gateways.sort_by(|a, b| a.0.cmp(b.0));
        for (key, g) in gateways {
            out.push(ObjectStatus {
                object: object_ref(kgw_api::gateway::GROUP, "Gateway", key),
                conditions: Some(g.conditions.clone()),
                parents: None,
                listeners: Some(
                    g.listeners
                        .iter()
                        .map(|l| ListenerStatus {
                            name: l.name.clone(),
                            attached_routes: l.attached_routes,
                            supported_kinds: l.supported_kinds.clone(),
                            conditions: l.conditions.clone(),
                        })
                        .collect(),
                ),
            });
        }
        let mut routes: Vec<_> = self.routes.iter().collect();
        routes.sort_by(|a, b| a.0.cmp(b.0));
        for (key, r) in routes {
            out.push(ObjectStatus {
                object: object_ref(kgw_api::gateway::GROUP, "HTTPRoute", key),
                conditions: None,
                parents: Some(
                    r.parents
                        .iter()
                        .map(|p| ParentStatus {
                            parent_ref: ParentRefStatus {
                                group: p.parent_ref.group().to_owned(),
                                kind: p.parent_ref.kind().to_owned(),
                                namespace: p.parent_ref.namespace_or(&key.namespace).to_owned(),
                                name: p.parent_ref.name.to_string(),
                                section_name: p.parent_ref.section_name.clone(),
                                port: p.parent_ref.port,
                            },
                            conditions: p.conditions.clone(),
                        })
                        .collect(),
                ),
                listeners: None,
            });
        }
        let mut backends: Vec<_> = self.backends.iter().collect();
        backends.sort_by(|a, b| a.0.cmp(b.0));
        for (key, b) in backends {
            out.push(ObjectStatus {
                object: object_ref("gateway.kgateway.dev", "Backend", key),
                conditions: Some(b.conditions.clone()),
                parents: None,
                listeners: None,
            });
        }
        out
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}
