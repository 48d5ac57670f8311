//! Manifest loading: files, folders, standard input; multi-document YAML and JSON; `kind: List`.
//!
//! Every error names the file, the document, the line and column, and the field path. Kinds kgw
//! does not read (Deployment, ConfigMap, …) are skipped and counted in [`Resources::skipped`],
//! not reported as errors. A namespaced object without a namespace lands in `default`, as with
//! `kubectl apply`. Fields a kind does not have are errors (typos must not vanish) unless
//! [`LoadOptions::allow_unknown_fields`] is set.

mod error;
mod positions;
pub mod yaml;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use smol_str::SmolStr;

pub use self::error::{LoadError, LoadErrorKind, LoadErrors};
use self::yaml::{FieldPositions, Position, YamlLimits};
use crate::gateway::{
    BackendTlsPolicy, Gateway, GatewayClass, GrpcRoute, HttpRoute, ReferenceGrant,
};
use crate::k8s::{Namespace, Secret, Service};
use crate::kgateway::{Backend, BackendConfigPolicy};
use crate::resource::ObjectRef;
use crate::resources::{Indexed, Resources, Source};

/// How manifests are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Accept fields a kind does not have (ignored) instead of reporting `unknown-field`.
    pub allow_unknown_fields: bool,
    /// Largest file (or standard input) read, in bytes.
    pub max_file_bytes: u64,
    /// Parser budgets (depth, alias expansion, node and document counts).
    pub yaml: YamlLimits,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            allow_unknown_fields: false,
            // Real manifest bundles are a few MiB at most; the API server itself caps a
            // request at 3 MiB.
            max_file_bytes: 32 << 20,
            yaml: YamlLimits::default(),
        }
    }
}

/// Accumulates objects from any number of sources, collecting every error.
#[derive(Debug, Default)]
pub struct Loader {
    options: LoadOptions,
    resources: Resources,
    errors: Vec<LoadError>,
}

/// Loads files and folders (recursively; `.yaml`, `.yml`, `.json`); `-` reads standard input.
pub fn load_paths<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
    options: &LoadOptions,
) -> Result<Resources, LoadErrors> {
    let mut loader = Loader::new(*options);
    for path in paths {
        loader.add_path(path.as_ref());
    }
    loader.finish()
}

/// Loads manifests from a string; `name` is used in error messages.
pub fn load_str(name: &str, text: &str, options: &LoadOptions) -> Result<Resources, LoadErrors> {
    let mut loader = Loader::new(*options);
    loader.add_str(name, text);
    loader.finish()
}

impl Loader {
    /// A loader with these options.
    pub fn new(options: LoadOptions) -> Self {
        Self {
            options,
            ..Self::default()
        }
    }

    /// Adds a file, a folder (recursively, in name order) or `-` for standard input.
    pub fn add_path(&mut self, path: &Path) {
        if path.as_os_str() == "-" {
            self.add_reader("-", std::io::stdin().lock());
            return;
        }
        let name: Arc<str> = path.display().to_string().into();
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => self.add_dir(path, 0),
            Ok(meta) if meta.len() > self.options.max_file_bytes => {
                self.file_error(
                    &name,
                    LoadErrorKind::TooLarge {
                        size: meta.len(),
                        limit: self.options.max_file_bytes,
                    },
                );
            }
            Ok(_) => match std::fs::File::open(path) {
                Ok(file) => self.add_reader(&name, file),
                Err(e) => self.file_error(&name, LoadErrorKind::Io(e.to_string())),
            },
            Err(e) => self.file_error(&name, LoadErrorKind::Io(e.to_string())),
        }
    }

    fn add_dir(&mut self, dir: &Path, depth: usize) {
        // Symlinked folders are followed, so bound the walk against link cycles.
        const MAX_DEPTH: usize = 32;
        let name: Arc<str> = dir.display().to_string().into();
        if depth > MAX_DEPTH {
            self.file_error(
                &name,
                LoadErrorKind::Io(format!("folders nest deeper than {MAX_DEPTH}")),
            );
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.file_error(&name, LoadErrorKind::Io(e.to_string())),
        };
        let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                self.add_dir(&path, depth + 1);
            } else if is_manifest(&path) {
                self.add_path(&path);
            }
        }
    }

    /// Adds everything a reader yields; `name` is used in error messages.
    pub fn add_reader(&mut self, name: &str, reader: impl Read) {
        let limit = self.options.max_file_bytes;
        let mut bytes = Vec::new();
        match reader.take(limit.saturating_add(1)).read_to_end(&mut bytes) {
            Ok(n) if n as u64 > limit => self.file_error(
                &name.into(),
                LoadErrorKind::TooLarge {
                    size: n as u64,
                    limit,
                },
            ),
            Ok(_) => self.add_bytes(name, &bytes),
            Err(e) => self.file_error(&name.into(), LoadErrorKind::Io(e.to_string())),
        }
    }

    /// Adds manifests from bytes, which must be UTF-8.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.add_str(name, text),
            Err(e) => {
                let good = &bytes[..e.valid_up_to()];
                let line = good.split(|&b| b == b'\n').count() as u64;
                let column = good.rsplit(|&b| b == b'\n').next().map_or(0, <[u8]>::len) as u64 + 1;
                self.errors.push(LoadError {
                    file: name.into(),
                    document: None,
                    position: Some(Position { line, column }),
                    field: None,
                    object: None,
                    kind: LoadErrorKind::NotText,
                });
            }
        }
    }

    /// Adds manifests from text; `name` is used in error messages.
    pub fn add_str(&mut self, name: &str, text: &str) {
        let file: Arc<str> = name.into();
        if text.len() as u64 > self.options.max_file_bytes {
            let kind = LoadErrorKind::TooLarge {
                size: text.len() as u64,
                limit: self.options.max_file_bytes,
            };
            return self.file_error(&file, kind);
        }
        let docs = match yaml::parse(text, &self.options.yaml) {
            Ok(docs) => docs,
            Err(e) => {
                let kind = if e.limit {
                    LoadErrorKind::Limit(e.message)
                } else {
                    LoadErrorKind::Syntax(e.message)
                };
                return self.errors.push(LoadError {
                    file,
                    document: None,
                    position: e.position,
                    field: None,
                    object: None,
                    kind,
                });
            }
        };
        // Each document's JSON is kept until the whole file is decoded. The JSON was built by the
        // parser thread, in that thread's heap; freeing it object by object put its memory in
        // this thread's allocation caches, so the next object decoded was spread over both heaps
        // (a route's rules here, its backendRefs tens of megabytes away). Kept, each object lies
        // in one stretch of memory, and validating 10k loaded routes is about 10% faster
        // (docs/benchmarks.md); the peak grows by about 2%.
        let mut decoded = Vec::new();
        for (index, doc) in docs.into_iter().enumerate() {
            let doc = match doc {
                Ok(doc) => doc,
                Err(e) => {
                    self.errors.push(LoadError {
                        file: file.clone(),
                        document: Some(index),
                        position: Some(e.position),
                        field: None,
                        object: None,
                        kind: LoadErrorKind::Syntax(e.message),
                    });
                    continue;
                }
            };
            let doc_position = doc.position;
            for object in doc.into_objects() {
                let at = DocAt {
                    file: file.clone(),
                    document: index,
                    position: doc_position,
                };
                match object {
                    Ok((value, fields)) => {
                        self.add_object(&at, &value, fields);
                        decoded.push(value);
                    }
                    Err(e) => self.errors.push(at.error(
                        Some(e.position),
                        None,
                        LoadErrorKind::Syntax(e.message),
                    )),
                }
            }
        }
    }

    fn add_object(&mut self, at: &DocAt, value: &Value, fields: FieldPositions) {
        let position = fields.get("").unwrap_or(at.position);
        let Value::Object(map) = value else {
            return self
                .errors
                .push(at.error(Some(position), None, LoadErrorKind::NotAnObject));
        };
        let (Some(api_version), Some(kind)) = (
            map.get("apiVersion").and_then(Value::as_str),
            map.get("kind").and_then(Value::as_str),
        ) else {
            return self
                .errors
                .push(at.error(Some(position), None, LoadErrorKind::MissingKind));
        };
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let decode = match (group, kind) {
            ("gateway.networking.k8s.io", "GatewayClass") => Self::decode::<GatewayClass>,
            ("gateway.networking.k8s.io", "Gateway") => Self::decode::<Gateway>,
            ("gateway.networking.k8s.io", "HTTPRoute") => Self::decode::<HttpRoute>,
            ("gateway.networking.k8s.io", "GRPCRoute") => Self::decode::<GrpcRoute>,
            ("gateway.networking.k8s.io", "ReferenceGrant") => Self::decode::<ReferenceGrant>,
            ("gateway.networking.k8s.io", "BackendTLSPolicy") => Self::decode::<BackendTlsPolicy>,
            ("gateway.kgateway.dev", "Backend") => Self::decode::<Backend>,
            ("gateway.kgateway.dev", "BackendConfigPolicy") => Self::decode::<BackendConfigPolicy>,
            ("", "Service") => Self::decode::<Service>,
            ("", "Namespace") => Self::decode::<Namespace>,
            ("", "Secret") => Self::decode::<Secret>,
            _ => {
                *self
                    .resources
                    .skipped
                    .entry(format!("{api_version} {kind}"))
                    .or_default() += 1;
                return;
            }
        };
        let source = Source {
            file: at.file.clone(),
            document: at.document,
            position,
            fields: Arc::new(fields),
        };
        decode(self, version, value, source);
    }

    fn decode<T: Indexed>(&mut self, version: &str, value: &Value, source: Source) {
        // Name the object as far as the document does, even when it does not decode.
        let object = ObjectRef {
            group: SmolStr::new_static(T::GROUP),
            kind: SmolStr::new_static(T::KIND),
            namespace: value["metadata"]["namespace"]
                .as_str()
                .unwrap_or(if T::NAMESPACED { "default" } else { "" })
                .into(),
            name: value["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .into(),
        };
        let at = |field: Option<String>, kind| LoadError {
            file: source.file.clone(),
            document: Some(source.document),
            position: Some(
                field
                    .as_deref()
                    .map_or(source.position, |f| source.field(f)),
            ),
            field,
            object: Some(object.clone()),
            kind,
        };
        if !T::VERSIONS.contains(&version) {
            let kind = LoadErrorKind::UnsupportedVersion {
                kind: T::KIND.to_owned(),
                api_version: value["apiVersion"].as_str().unwrap_or_default().to_owned(),
                supported: T::VERSIONS
                    .iter()
                    .map(|v| {
                        if T::GROUP.is_empty() {
                            (*v).to_owned()
                        } else {
                            format!("{}/{v}", T::GROUP)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            return self.errors.push(at(Some("apiVersion".to_owned()), kind));
        }
        let mut unknown = Vec::new();
        // Decoding from a borrowed value copies each string next to the rest of the object,
        // instead of keeping the JSON's own strings, scattered through the parser's heap:
        // validating 10k loaded routes became about 17% faster (docs/benchmarks.md).
        let decoded: Result<T, _> = serde_path_to_error::deserialize(
            serde_ignored::Deserializer::new(value, &mut |path: serde_ignored::Path<'_>| {
                unknown.push(field_path(&path));
            }),
        );
        let mut object = match decoded {
            Ok(object) => object,
            Err(e) => {
                let field = e.path().to_string();
                let field = (field != ".").then_some(field);
                let message = e.into_inner().to_string();
                return self
                    .errors
                    .push(at(field, LoadErrorKind::InvalidField(message)));
            }
        };
        if !self.options.allow_unknown_fields && !unknown.is_empty() {
            for field in unknown {
                let name = field.rsplit(['.', '[']).next().unwrap_or(&field).to_owned();
                self.errors
                    .push(at(Some(field), LoadErrorKind::UnknownField(name)));
            }
            return;
        }
        if object.metadata().name().is_empty() {
            return self.errors.push(at(
                Some("metadata.name".to_owned()),
                LoadErrorKind::MissingName,
            ));
        }
        if T::NAMESPACED
            && object
                .metadata()
                .namespace
                .as_deref()
                .is_none_or(str::is_empty)
        {
            object.metadata_mut().namespace = Some("default".to_owned());
        }
        let store = T::store_mut(&mut self.resources);
        let namespace = object.metadata().namespace().to_owned();
        let name = object.metadata().name().to_owned();
        let key_namespace = if T::NAMESPACED {
            namespace.as_str()
        } else {
            ""
        };
        if let Some(first) = store.get(key_namespace, &name) {
            let first = first
                .source
                .as_ref()
                .map_or_else(|| "an earlier source".to_owned(), ToString::to_string);
            let kind = LoadErrorKind::Duplicate {
                object: object.object_ref().to_string(),
                first,
            };
            return self.errors.push(at(None, kind));
        }
        store.insert(object, Some(source));
    }

    fn file_error(&mut self, file: &Arc<str>, kind: LoadErrorKind) {
        self.errors.push(LoadError {
            file: file.clone(),
            document: None,
            position: None,
            field: None,
            object: None,
            kind,
        });
    }

    /// Errors found so far, in input order.
    pub fn errors(&self) -> &[LoadError] {
        &self.errors
    }

    /// Objects loaded so far.
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// The objects and every error (objects with errors are left out).
    pub fn into_parts(self) -> (Resources, Vec<LoadError>) {
        (self.resources, self.errors)
    }

    /// The objects, or every error when there is any.
    pub fn finish(self) -> Result<Resources, LoadErrors> {
        if self.errors.is_empty() {
            Ok(self.resources)
        } else {
            Err(LoadErrors(self.errors))
        }
    }
}

/// The document an object came from.
struct DocAt {
    file: Arc<str>,
    document: usize,
    position: Position,
}

impl DocAt {
    fn error(
        &self,
        position: Option<Position>,
        field: Option<String>,
        kind: LoadErrorKind,
    ) -> LoadError {
        LoadError {
            file: self.file.clone(),
            document: Some(self.document),
            position: position.or(Some(self.position)),
            field,
            object: None,
            kind,
        }
    }
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}

/// `spec.rules[0].x`, the same spelling as the field positions and serde_path_to_error.
fn field_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    match path {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        P::Map { parent, key } => {
            let parent = field_path(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            field_path(parent)
        }
    }
}
