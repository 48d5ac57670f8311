//! What every top-level kind has in common: its identity (group, kind, versions, scope) and
//! metadata access, so that loading, indexing and reporting are written once.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

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
            group: Self::GROUP.to_owned(),
            kind: Self::KIND.to_owned(),
            namespace: self.metadata().namespace().to_owned(),
            name: self.metadata().name().to_owned(),
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
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ObjectRef {
    /// API group (`""` for the core group).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
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
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// Namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectKey {
    /// A key from a namespace and a name.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
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
