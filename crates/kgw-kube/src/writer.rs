//! Sends the patches [`crate::status::plan`] computes: server-side apply of the `status`
//! subresource, with our field manager and `force` (we own the fields we apply).

use kgw_api::gateway::{Gateway, HttpRoute};
use kgw_api::kgateway::Backend;
use kgw_api::{ObjectRef, Resources};
use kgw_validate::report::Report;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};

use crate::object::{Kube, KubeKind};
use crate::status::{StatusPatch, Writer, now_rfc3339, plan};

/// Why one status patch failed.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The API server (or the connection to it) refused the patch.
    #[error("patching the status of {object}: {source}")]
    Api {
        /// The object.
        object: ObjectRef,
        /// What the client reported.
        #[source]
        source: kube::Error,
    },
    /// The planner produced a kind the writer does not patch (a bug).
    #[error("no status writer for kind {0}")]
    UnsupportedKind(ObjectRef),
}

/// What one [`StatusWriter::write`] did.
#[derive(Debug, Default)]
pub struct WriteSummary {
    /// Objects whose status was patched.
    pub patched: Vec<ObjectRef>,
    /// Patches that failed; the next round retries them (their status still differs).
    pub failed: Vec<PatchError>,
}

/// Writes the statuses of a [`Report`] to the cluster.
#[derive(Clone)]
pub struct StatusWriter {
    client: Client,
    controller_name: String,
    field_manager: String,
}

impl StatusWriter {
    /// A writer for `controller_name` (route parent entries it owns) applying as
    /// `field_manager`.
    pub fn new(
        client: Client,
        controller_name: impl Into<String>,
        field_manager: impl Into<String>,
    ) -> Self {
        Self {
            client,
            controller_name: controller_name.into(),
            field_manager: field_manager.into(),
        }
    }

    /// Patches every object whose status differs from what the report computes; objects already
    /// up to date cost no request.
    pub async fn write(&self, resources: &Resources, report: &Report) -> WriteSummary {
        let now = now_rfc3339();
        let writer = Writer {
            controller_name: &self.controller_name,
            now: &now,
        };
        let mut summary = WriteSummary::default();
        for patch in plan(resources, report, writer) {
            match self.send(&patch).await {
                Ok(()) => summary.patched.push(patch.object),
                Err(error) => summary.failed.push(error),
            }
        }
        summary
    }

    /// Sends one status patch.
    pub async fn send(&self, patch: &StatusPatch) -> Result<(), PatchError> {
        match patch.object.kind.as_str() {
            k if k == <HttpRoute as kgw_api::Resource>::KIND => {
                self.apply::<HttpRoute>(patch).await
            }
            k if k == <Gateway as kgw_api::Resource>::KIND => self.apply::<Gateway>(patch).await,
            k if k == <Backend as kgw_api::Resource>::KIND => self.apply::<Backend>(patch).await,
            _ => Err(PatchError::UnsupportedKind(patch.object.clone())),
        }
    }

    async fn apply<T>(&self, patch: &StatusPatch) -> Result<(), PatchError>
    where
        T: KubeKind<Scope = k8s_openapi::NamespaceResourceScope>,
    {
        let api: Api<Kube<T>> = Api::namespaced(self.client.clone(), &patch.object.namespace);
        let params = PatchParams::apply(&self.field_manager).force();
        api.patch_status(&patch.object.name, &params, &Patch::Apply(&patch.body))
            .await
            .map(drop)
            .map_err(|source| PatchError::Api {
                object: patch.object.clone(),
                source,
            })
    }
}
