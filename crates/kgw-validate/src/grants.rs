//! ReferenceGrant evaluation (spec digest §3.1, kgateway `RefGrantIndex.ReferenceAllowed`).

use foldhash::HashMap;

use kgw_api::Resources;
use kgw_api::gateway::ReferenceGrant;

/// How cross-namespace references are checked, as kgateway's `KGW_REFERENCE_GRANT_MODE`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum ReferenceGrantMode {
    /// Every cross-namespace reference needs a grant (kgateway also checks ExtensionRefs then,
    /// which HTTPRoute can only make within its namespace).
    Strict,
    /// Cross-namespace backend and certificate references need a grant (kgateway's default).
    #[default]
    Permissive,
    /// No grant is ever needed.
    Off,
}

/// One side of a reference: group (`""` for core), kind, namespace, name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RefEnd<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
}

/// ReferenceGrants by the namespace they live in (the target namespace) and a namespace their
/// `from` list names: a lookup then only sees grants that can apply.
pub(crate) struct GrantIndex<'a> {
    mode: ReferenceGrantMode,
    by_namespaces: HashMap<(&'a str, &'a str), Vec<&'a ReferenceGrant>>,
}

/// kgateway normalises the group `core` to `""` on both sides.
fn norm(group: &str) -> &str {
    if group == "core" { "" } else { group }
}

impl<'a> GrantIndex<'a> {
    pub(crate) fn new(resources: &'a Resources, mode: ReferenceGrantMode) -> Self {
        let mut by_namespaces: HashMap<(&str, &str), Vec<&ReferenceGrant>> = HashMap::default();
        for stored in resources.reference_grants.iter() {
            let grant = &stored.object;
            for from in &grant.spec.from {
                let grants = by_namespaces
                    .entry((grant.metadata.namespace(), from.namespace.as_str()))
                    .or_default();
                // A grant naming one namespace twice is listed once.
                if !grants.last().is_some_and(|g| std::ptr::eq(*g, grant)) {
                    grants.push(grant);
                }
            }
        }
        Self {
            mode,
            by_namespaces,
        }
    }

    /// Whether `from` may reference `to`: same namespace, mode `Off`, or a grant in `to`'s
    /// namespace whose `from` and `to` entries both match exactly.
    pub(crate) fn allows(&self, from: RefEnd<'_>, to: RefEnd<'_>) -> bool {
        if self.mode == ReferenceGrantMode::Off || from.namespace == to.namespace {
            return true;
        }
        let key = (to.namespace, from.namespace);
        self.by_namespaces.get(&key).is_some_and(|grants| {
            grants.iter().any(|g| {
                g.spec.from.iter().any(|f| {
                    norm(&f.group) == norm(from.group)
                        && f.kind == from.kind
                        && f.namespace == from.namespace
                }) && g.spec.to.iter().any(|t| {
                    norm(&t.group) == norm(to.group)
                        && t.kind == to.kind
                        && t.name.as_deref().is_none_or(|n| n == to.name)
                })
            })
        })
    }
}
