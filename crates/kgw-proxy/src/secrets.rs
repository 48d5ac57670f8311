//! Secret values. kgw-api keeps only a Secret's key names, never its values, so the proxy asks
//! the embedder for them through [`SecretStore`].

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// The data of one Secret: key → value bytes.
pub type SecretData = BTreeMap<String, Vec<u8>>;

/// Where the proxy reads Secret values (Lambda credentials, upstream TLS material).
pub trait SecretStore: Send + Sync + 'static {
    /// The data of Secret `namespace/name`, or `None` when it does not exist.
    fn secret(&self, namespace: &str, name: &str) -> Option<SecretData>;
}

/// No Secrets at all: every lookup answers `None`.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSecrets;

impl SecretStore for NoSecrets {
    fn secret(&self, _namespace: &str, _name: &str) -> Option<SecretData> {
        None
    }
}

/// Secrets held in memory, keyed by namespace and name.
#[derive(Debug, Default, Clone)]
pub struct MapSecrets {
    secrets: HashMap<(String, String), SecretData>,
}

impl MapSecrets {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) Secret `namespace/name` with `data`.
    pub fn insert<K, V>(
        &mut self,
        namespace: impl Into<String>,
        name: impl Into<String>,
        data: impl IntoIterator<Item = (K, V)>,
    ) -> &mut Self
    where
        K: Into<String>,
        V: Into<Vec<u8>>,
    {
        self.secrets.insert(
            (namespace.into(), name.into()),
            data.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }
}

impl SecretStore for MapSecrets {
    fn secret(&self, namespace: &str, name: &str) -> Option<SecretData> {
        self.secrets
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }
}

/// Secrets as files laid out like mounted Secret volumes: `ROOT/<namespace>/<name>/<key>`, one
/// file per key holding the raw value. Read on every lookup, so edits apply without a restart.
#[derive(Debug, Clone)]
pub struct DirSecrets {
    root: PathBuf,
}

impl DirSecrets {
    /// Secrets under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl SecretStore for DirSecrets {
    fn secret(&self, namespace: &str, name: &str) -> Option<SecretData> {
        // A namespace or name with a path separator would escape the root.
        if [namespace, name]
            .iter()
            .any(|part| part.is_empty() || part.contains(['/', '\\']) || *part == "..")
        {
            return None;
        }
        let dir = self.root.join(namespace).join(name);
        let entries = std::fs::read_dir(&dir).ok()?;
        let mut data = SecretData::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            let (Some(key), Ok(value)) = (
                path.file_name().and_then(|n| n.to_str()).map(str::to_owned),
                std::fs::read(&path),
            ) else {
                continue;
            };
            if !key.starts_with('.') {
                data.insert(key, value);
            }
        }
        Some(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_store_answers_what_was_inserted() {
        let mut store = MapSecrets::new();
        store.insert("ns", "creds", [("accessKey", "AK"), ("secretKey", "SK")]);
        let data = store.secret("ns", "creds").unwrap();
        assert_eq!(data["accessKey"], b"AK");
        assert!(store.secret("other", "creds").is_none());
    }

    #[test]
    fn dir_store_reads_one_file_per_key_and_refuses_escapes() {
        let root = std::env::temp_dir().join(format!("kgw-proxy-secrets-{}", std::process::id()));
        let dir = root.join("ns").join("creds");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("accessKey"), "AK").unwrap();
        let store = DirSecrets::new(&root);
        assert_eq!(store.secret("ns", "creds").unwrap()["accessKey"], b"AK");
        assert!(store.secret("ns", "missing").is_none());
        assert!(store.secret("..", "ns").is_none());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
