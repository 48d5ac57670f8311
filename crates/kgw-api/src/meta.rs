//! Kubernetes object metadata shared by every kind: `metadata`, conditions and label selectors.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `metadata` of a Kubernetes object (`meta/v1 ObjectMeta`).
///
/// Every field the API server knows is accepted so that objects exported from a cluster load;
/// fields that routing never reads (`managedFields`, `ownerReferences`) are kept as plain JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// Object name, unique within its namespace (or cluster-wide for cluster-scoped kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Namespace; a namespaced object loaded without one lands in `default`, as kubectl does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Prefix the API server uses to generate a name when `name` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_name: Option<String>,
    /// Labels, used by listener `allowedRoutes` namespace selectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Generation of the desired state, echoed as `observedGeneration` in status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// RFC 3339 creation time; the older route wins a precedence tie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    /// RFC 3339 time at which deletion was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<String>,
    /// Grace period of a pending deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    /// Unique id assigned by the API server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Opaque version for optimistic concurrency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    /// Deprecated self link, still present in older exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<String>,
    /// Finalizers that block deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalizers: Option<Vec<String>>,
    /// Owner references, kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_references: Option<Vec<serde_json::Value>>,
    /// Server-side apply bookkeeping, kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_fields: Option<Vec<serde_json::Value>>,
}

impl ObjectMeta {
    /// The object's name, or `""` when it has none.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }

    /// The object's namespace, or `""` when it has none (cluster-scoped kinds).
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or_default()
    }

    /// The object's labels (empty when unset).
    pub fn labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Status of a condition (`True`, `False` or `Unknown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ConditionStatus {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// The controller cannot tell.
    Unknown,
}

/// A `meta/v1 Condition` as written in status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Condition type in CamelCase (`Accepted`, `ResolvedRefs`, …). Borrowed when it is one of
    /// the spec's names, as it almost always is: a status report holds thousands of conditions.
    #[serde(rename = "type")]
    pub type_: Cow<'static, str>,
    /// `True`, `False` or `Unknown`.
    pub status: ConditionStatus,
    /// The `metadata.generation` the condition was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// RFC 3339 time of the last status change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// Machine-readable CamelCase reason (borrowed when it is one of the spec's reasons).
    pub reason: Cow<'static, str>,
    /// Human-readable message (borrowed when it is a fixed text such as `Route accepted`).
    #[serde(default)]
    pub message: Cow<'static, str>,
}

/// A label selector (`meta/v1 LabelSelector`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// Labels that must be present with exactly these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<BTreeMap<String, String>>,
    /// Set-based requirements; all must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_expressions: Option<Vec<LabelSelectorRequirement>>,
}

/// One set-based requirement of a [`LabelSelector`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LabelSelectorRequirement {
    /// Label key.
    pub key: String,
    /// How `values` are compared.
    pub operator: LabelSelectorOperator,
    /// Values for `In` and `NotIn`; must be empty for `Exists` and `DoesNotExist`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

/// Operator of a [`LabelSelectorRequirement`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum LabelSelectorOperator {
    /// The label's value is one of `values`.
    In,
    /// The label is absent or its value is none of `values`.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

impl LabelSelector {
    /// Whether a set of labels satisfies this selector. An empty selector matches everything,
    /// as in Kubernetes.
    pub fn matches<'a>(&self, labels: impl Fn(&str) -> Option<&'a str>) -> bool {
        let labels_ok = self
            .match_labels
            .iter()
            .flatten()
            .all(|(k, v)| labels(k) == Some(v.as_str()));
        labels_ok
            && self.match_expressions.iter().flatten().all(|req| {
                let values = req.values.as_deref().unwrap_or_default();
                let value = labels(&req.key);
                match req.operator {
                    LabelSelectorOperator::In => {
                        value.is_some_and(|v| values.iter().any(|x| x == v))
                    }
                    LabelSelectorOperator::NotIn => {
                        value.is_none_or(|v| values.iter().all(|x| x != v))
                    }
                    LabelSelectorOperator::Exists => value.is_some(),
                    LabelSelectorOperator::DoesNotExist => value.is_none(),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(yaml: &str) -> LabelSelector {
        serde_json::from_str(yaml).unwrap()
    }

    #[test]
    fn empty_selector_matches_everything() {
        assert!(LabelSelector::default().matches(|_| None));
    }

    #[test]
    fn match_labels_and_expressions_all_hold() {
        let s = selector(
            r#"{"matchLabels":{"env":"prod"},
                "matchExpressions":[{"key":"team","operator":"In","values":["a","b"]},
                                    {"key":"legacy","operator":"DoesNotExist"}]}"#,
        );
        let labels = |k: &str| match k {
            "env" => Some("prod"),
            "team" => Some("b"),
            _ => None,
        };
        assert!(s.matches(labels));
        assert!(!s.matches(|k| if k == "env" { Some("dev") } else { labels(k) }));
        assert!(!s.matches(|k| if k == "legacy" { Some("x") } else { labels(k) }));
        assert!(!s.matches(|k| if k == "team" { None } else { labels(k) }));
    }

    #[test]
    fn not_in_matches_absent_label() {
        let s = selector(r#"{"matchExpressions":[{"key":"t","operator":"NotIn","values":["x"]}]}"#);
        assert!(s.matches(|_| None));
        assert!(s.matches(|_| Some("y")));
        assert!(!s.matches(|_| Some("x")));
    }
}
