//! What every top-level kind has in common: its identity (group, kind, versions, scope) and
//! metadata access, so that loading, indexing and reporting are written once.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use smol_str::SmolStr;

use crate::defaults::ApplyDefaults;
use crate::meta::ObjectMeta;

/// A top-level Kubernetes kind that kgw understands.
pub trait Resource:
    Serialize + DeserializeOwned + Clone + fmt::Debug + PartialEq + ApplyDefaults
{
    /// API group (`""` for the core group).
    const GROUP: &'static str;
    /// Kind, as written in `kind:`.
    const KIND: &'static str;
    /// API versions accepted in `apiVersion`, newest first.
    const VERSIONS: &'static [&'static str];
    /// Whether objects of this kind live in a namespace.
    const NAMESPACED: bool;

    /// The object's metadata.
    fn metadata(&self) -> &ObjectMeta;
    /// The object's metadata, mutably.
    fn metadata_mut(&mut self) -> &mut ObjectMeta;

    /// The object's reference (group, kind, namespace, name).
    fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            group: SmolStr::new_static(Self::GROUP),
            kind: SmolStr::new_static(Self::KIND),
            namespace: self.metadata().namespace().into(),
            name: self.metadata().name().into(),
        }
    }
}

/// Implements [`Resource`] for a struct with a `metadata: ObjectMeta` field.
macro_rules! impl_resource {
    ($ty:ty, group = $group:literal, kind = $kind:literal, versions = [$($v:literal),+], namespaced = $ns:literal) => {
        impl $crate::resource::Resource for $ty {
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSIONS: &'static [&'static str] = &[$($v),+];
            const NAMESPACED: bool = $ns;

            fn metadata(&self) -> &$crate::meta::ObjectMeta {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut $crate::meta::ObjectMeta {
                &mut self.metadata
            }
        }
    };
}
pub(crate) use impl_resource;

/// Identifies one object: group, kind, namespace (`""` when cluster-scoped) and name.
///
/// The strings are [`SmolStr`]s: up to 23 bytes are stored inline, longer ones are shared by
/// reference count, so cloning a reference does not allocate. Build the group and kind of a
/// [`Resource`] with [`SmolStr::new_static`] (or use [`Resource::object_ref`]):
///
/// ```
/// use kgw_api::{ObjectRef, SmolStr};
///
/// let route = ObjectRef {
///     group: SmolStr::new_static("gateway.networking.k8s.io"),
///     kind: SmolStr::new_static("HTTPRoute"),
///     namespace: "default".into(),
///     name: "web".into(),
/// };
/// assert_eq!(route.to_string(), "HTTPRoute.gateway.networking.k8s.io default/web");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectRef {
    /// API group (`""` for the core group).
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub group: SmolStr,
    /// Kind.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub kind: SmolStr,
    /// Namespace, `""` for cluster-scoped objects.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub namespace: SmolStr,
    /// Name.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub name: SmolStr,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        f.write_str(" ")?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        f.write_str(&self.name)
    }
}

/// Key of an object within one kind: namespace (`""` when cluster-scoped) and name.
///
/// Both are [`SmolStr`]s (inline up to 23 bytes, shared by reference count beyond), so cloning
/// a key does not allocate. Keys order and hash as the pair of their `str`s.
///
/// ```
/// use kgw_api::ObjectKey;
///
/// let key = ObjectKey::new("kgateway-system", "http");
/// assert_eq!(key.namespace, "kgateway-system");
/// assert_eq!(key.to_string(), "kgateway-system/http");
/// assert_eq!(ObjectKey::new("", "cluster-wide").to_string(), "cluster-wide");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// Namespace, `""` for cluster-scoped objects.
    pub namespace: SmolStr,
    /// Name.
    pub name: SmolStr,
}

impl ObjectKey {
    /// A key from a namespace and a name (`&str`, `String` or [`SmolStr`]).
    pub fn new(namespace: impl Into<SmolStr>, name: impl Into<SmolStr>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}

#[cfg(all(test, feature = "schema"))]
mod tests {
    use super::ObjectRef;

    #[test]
    fn object_ref_schema_has_four_required_strings() {
        let schema = serde_json::to_value(schemars::schema_for!(ObjectRef)).unwrap();
        for field in ["group", "kind", "namespace", "name"] {
            assert_eq!(schema["properties"][field]["type"], "string", "{field}");
            assert!(
                schema["required"]
                    .as_array()
                    .unwrap()
                    .contains(&field.into()),
                "{field}"
            );
        }
    }
}
