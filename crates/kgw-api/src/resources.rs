//! [`Resources`]: every loaded object, indexed by kind, namespace and name, in input order, each
//! with the place it was loaded from.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::defaults::ApplyDefaults;
use crate::gateway::{
    BackendTlsPolicy, Gateway, GatewayClass, GrpcRoute, HttpRoute, ReferenceGrant,
};
use crate::k8s::{Namespace, Secret, Service};
use crate::kgateway::{Backend, BackendConfigPolicy};
use crate::load::yaml::{FieldPositions, Position};
use crate::resource::{ObjectKey, Resource};

/// Where an object was loaded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file (`-` for standard input).
    pub file: Arc<str>,
    /// 0-based index of the document among the file's non-empty documents.
    pub document: usize,
    /// Where the object starts.
    pub position: Position,
    /// Where each of its fields is.
    pub fields: Arc<FieldPositions>,
}

impl Source {
    /// The position of a field (`spec.rules[0].backendRefs[1].port`), or of its closest written
    /// ancestor when the field itself is not in the manifest.
    pub fn field(&self, path: &str) -> Position {
        self.fields.get(path).unwrap_or(self.position)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.position.line)
    }
}

/// An object and where it came from (`None` for objects built in code or read from a cluster).
#[derive(Clone, Debug, PartialEq)]
pub struct Stored<T> {
    /// The object.
    pub object: T,
    /// Its source, when it was loaded from a manifest.
    pub source: Option<Source>,
}

/// A borrowed [`ObjectKey`], so that a lookup does not build an owned key. Its derived `Hash`
/// feeds the same `str`s in the same order as `ObjectKey`'s (a `SmolStr` hashes as its `str`),
/// which `Equivalent` requires.
#[derive(Hash)]
struct KeyRef<'a> {
    namespace: &'a str,
    name: &'a str,
}

impl indexmap::Equivalent<ObjectKey> for KeyRef<'_> {
    fn equivalent(&self, key: &ObjectKey) -> bool {
        self.namespace == key.namespace && self.name == key.name
    }
}

/// The objects of one kind, by namespace and name, in insertion order.
#[derive(Clone, Debug, PartialEq)]
pub struct Store<T> {
    // foldhash rather than SipHash: validation looks objects up by key for every reference, and
    // keys come from manifests, not from the network.
    items: IndexMap<ObjectKey, Stored<T>, foldhash::fast::RandomState>,
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Self {
            items: IndexMap::default(),
        }
    }
}

impl<T: Resource> Store<T> {
    /// The object with this namespace and name (`""` namespace for cluster-scoped kinds).
    pub fn get(&self, namespace: &str, name: &str) -> Option<&Stored<T>> {
        self.items.get(&KeyRef { namespace, name })
    }

    /// Inserts or replaces an object, returning the one it replaced.
    pub fn insert(&mut self, object: T, source: Option<Source>) -> Option<Stored<T>> {
        let key = key_of(&object);
        self.items.insert(key, Stored { object, source })
    }

    /// Removes an object, keeping the order of the others.
    pub fn remove(&mut self, namespace: &str, name: &str) -> Option<Stored<T>> {
        self.items.shift_remove(&KeyRef { namespace, name })
    }

    /// Objects in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Stored<T>> {
        self.items.values()
    }

    /// Objects with their keys, in insertion order.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (&ObjectKey, &Stored<T>)> {
        self.items.iter()
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

fn key_of<T: Resource>(object: &T) -> ObjectKey {
    let namespace = if T::NAMESPACED {
        object.metadata().namespace()
    } else {
        ""
    };
    ObjectKey::new(namespace, object.metadata().name())
}

/// Every object kgw reads, by kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resources {
    /// GatewayClasses.
    pub gateway_classes: Store<GatewayClass>,
    /// Gateways.
    pub gateways: Store<Gateway>,
    /// HTTPRoutes.
    pub http_routes: Store<HttpRoute>,
    /// GRPCRoutes (recognised; not resolved).
    pub grpc_routes: Store<GrpcRoute>,
    /// ReferenceGrants (v1 and v1beta1).
    pub reference_grants: Store<ReferenceGrant>,
    /// BackendTLSPolicies.
    pub backend_tls_policies: Store<BackendTlsPolicy>,
    /// kgateway Backends.
    pub backends: Store<Backend>,
    /// kgateway BackendConfigPolicies.
    pub backend_config_policies: Store<BackendConfigPolicy>,
    /// Services.
    pub services: Store<Service>,
    /// Namespaces.
    pub namespaces: Store<Namespace>,
    /// Secrets (names and key names only).
    pub secrets: Store<Secret>,
    /// Objects of kinds kgw does not read, counted by `apiVersion kind` (`apps/v1 Deployment`).
    pub skipped: IndexMap<String, usize>,
}

/// A kind that [`Resources`] keeps, with the store that holds it.
pub trait Indexed: Resource {
    /// The store of this kind.
    fn store(resources: &Resources) -> &Store<Self>;
    /// The store of this kind, mutably.
    fn store_mut(resources: &mut Resources) -> &mut Store<Self>;
}

macro_rules! indexed {
    ($($ty:ty => $field:ident),+ $(,)?) => {
        $(impl Indexed for $ty {
            fn store(resources: &Resources) -> &Store<Self> {
                &resources.$field
            }
            fn store_mut(resources: &mut Resources) -> &mut Store<Self> {
                &mut resources.$field
            }
        })+

        impl Resources {
            /// Number of objects of every kind kgw reads (skipped kinds not counted).
            pub fn len(&self) -> usize {
                0 $(+ self.$field.len())+
            }

            /// A copy with [`ApplyDefaults`] applied to every object.
            pub fn defaulted(&self) -> Resources {
                let mut out = self.clone();
                $(for stored in out.$field.items.values_mut() {
                    let namespace = stored.object.metadata().namespace().to_owned();
                    stored.object.apply_defaults(&namespace);
                })+
                out
            }
        }
    };
}

indexed! {
    GatewayClass => gateway_classes,
    Gateway => gateways,
    HttpRoute => http_routes,
    GrpcRoute => grpc_routes,
    ReferenceGrant => reference_grants,
    BackendTlsPolicy => backend_tls_policies,
    Backend => backends,
    BackendConfigPolicy => backend_config_policies,
    Service => services,
    Namespace => namespaces,
    Secret => secrets,
}

impl Resources {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether no object of a kind kgw reads is present.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The store of one kind: `resources.store::<HttpRoute>()`.
    pub fn store<T: Indexed>(&self) -> &Store<T> {
        T::store(self)
    }

    /// One object by kind, namespace and name.
    pub fn get<T: Indexed>(&self, namespace: &str, name: &str) -> Option<&T> {
        T::store(self).get(namespace, name).map(|s| &s.object)
    }

    /// Inserts or replaces an object built in code (no source), returning the one it replaced.
    pub fn insert<T: Indexed>(&mut self, object: T) -> Option<T> {
        T::store_mut(self).insert(object, None).map(|s| s.object)
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyRef, Store};
    use crate::ObjectKey;
    use crate::k8s::Service;
    use crate::meta::ObjectMeta;

    fn service(namespace: &str, name: &str) -> Service {
        Service {
            api_version: "v1".into(),
            kind: "Service".into(),
            metadata: ObjectMeta {
                namespace: Some(namespace.to_owned()),
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            spec: None,
            status: None,
        }
    }

    #[test]
    fn borrowed_lookups_find_exactly_the_stored_keys() {
        let mut store = Store::default();
        // Pairs whose concatenations collide: the key must not be hashed as one string.
        for (namespace, name) in [("ab", "c"), ("a", "bc"), ("", "abc"), ("abc", "")] {
            store.insert(service(namespace, name), None);
        }
        for (namespace, name) in [("ab", "c"), ("a", "bc"), ("", "abc"), ("abc", "")] {
            let found = store.get(namespace, name).map(|s| &s.object.metadata);
            assert_eq!(
                found.map(|m| (m.namespace(), m.name())),
                Some((namespace, name))
            );
        }
        assert!(store.get("a", "b").is_none());
        assert!(store.get("abc", "c").is_none());
        assert!(store.remove("a", "bc").is_some());
        assert!(store.get("a", "bc").is_none());
        assert!(store.get("ab", "c").is_some());
        assert_eq!(store.len(), 3);
    }

    #[test]
    fn borrowed_keys_hash_as_owned_keys_inline_or_not() {
        use std::hash::BuildHasher;

        // Up to 23 bytes a `SmolStr` is inline, beyond it is shared: both must hash as the `str`.
        let long = "a-name-longer-than-twenty-three-bytes";
        assert!(long.len() > 23);
        let state = foldhash::fast::FixedState::with_seed(7);
        for (namespace, name) in [("ns", "short"), ("ns", long), (long, "short"), (long, long)] {
            assert_eq!(
                state.hash_one(KeyRef { namespace, name }),
                state.hash_one(ObjectKey::new(namespace, name)),
                "{namespace}/{name}"
            );
        }

        let mut store = Store::default();
        store.insert(service("default", long), None);
        store.insert(service(long, "web"), None);
        assert_eq!(
            store.get("default", long).map(|s| s.object.metadata.name()),
            Some(long)
        );
        assert!(store.get(long, "web").is_some());
        assert!(store.get("default", &long[..23]).is_none());
        assert!(store.remove("default", long).is_some());
        assert!(store.get("default", long).is_none());
        assert_eq!(store.len(), 1);
    }
}
