//! ReferenceGrant field rules: 1 to 16 `from` and `to` entries, group/kind/namespace/name syntax.

use kgw_api::gateway::ReferenceGrant;

use super::{group, kind, max_items, min_items, namespace, object_name};
use crate::diag::Sink;

/// Checks one ReferenceGrant as loaded.
pub(crate) fn check(grant: &ReferenceGrant, sink: &mut Sink<'_>) {
    let spec = &grant.spec;
    min_items(sink, "spec.from", spec.from.len(), 1);
    max_items(sink, "spec.from", spec.from.len(), 16);
    min_items(sink, "spec.to", spec.to.len(), 1);
    max_items(sink, "spec.to", spec.to.len(), 16);
    for (i, f) in spec.from.iter().enumerate() {
        group(sink, &format!("spec.from[{i}].group"), &f.group);
        kind(sink, &format!("spec.from[{i}].kind"), &f.kind);
        namespace(sink, &format!("spec.from[{i}].namespace"), &f.namespace);
        if f.namespace == grant.metadata.namespace() {
            sink.warning(
                "reference-grant-same-namespace",
                format!("spec.from[{i}].namespace"),
                format!(
                    "references from namespace {} to itself need no ReferenceGrant; this entry has no effect",
                    f.namespace
                ),
            );
        }
    }
    for (i, t) in spec.to.iter().enumerate() {
        group(sink, &format!("spec.to[{i}].group"), &t.group);
        kind(sink, &format!("spec.to[{i}].kind"), &t.kind);
        if let Some(n) = &t.name {
            object_name(sink, &format!("spec.to[{i}].name"), n);
        }
    }
}
