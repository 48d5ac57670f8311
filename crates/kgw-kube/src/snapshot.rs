//! A [`Snapshot`] of the cluster kept by kube-runtime reflectors, rebuilt into
//! [`kgw_api::Resources`] once changes settle.
//!
//! Watched: GatewayClass, Gateway, HTTPRoute, ReferenceGrant, Backend, Service, Namespace, and
//! Secret as metadata only (`PartialObjectMetadata` requests: no value ever reaches the
//! process, so a Secret's `type` and key names are unknown here).

use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt};
use kgw_api::Resources;
use kgw_api::gateway::{Gateway, GatewayClass, HttpRoute, ReferenceGrant};
use kgw_api::k8s::{Namespace, Secret, Service};
use kgw_api::kgateway::Backend;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use tokio::time::Instant;

use crate::object::{Kube, KubeKind, from_kube_meta};

/// How the snapshot watches and settles.
#[derive(Clone, Debug)]
pub struct SnapshotConfig {
    /// Watch parameters (label/field selectors, page size) applied to every kind.
    pub watcher: watcher::Config,
    /// Quiet time after the last change before a snapshot is taken.
    pub debounce: Duration,
    /// Longest wait after the first unsettled change, so that constant churn still yields
    /// snapshots.
    pub max_delay: Duration,
}

impl Default for SnapshotConfig {
    fn default() -> Self {
        Self {
            watcher: watcher::Config::default(),
            debounce: Duration::from_millis(250),
            max_delay: Duration::from_secs(2),
        }
    }
}

/// Something a watcher reported, reduced to what the debouncer needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick {
    /// An object was applied or deleted.
    Changed,
    /// The watcher of kind `n` finished a full list: its store is complete.
    Listed(usize),
    /// A relist is in progress; the store swaps in at the next [`Tick::Listed`].
    Relisting,
}

impl Tick {
    fn of<K>(kind: usize, event: &watcher::Event<K>) -> Self {
        match event {
            watcher::Event::Apply(_) | watcher::Event::Delete(_) => Self::Changed,
            watcher::Event::InitDone => Self::Listed(kind),
            watcher::Event::Init | watcher::Event::InitApply(_) => Self::Relisting,
        }
    }
}

/// The stores the watchers keep, readable at any time.
#[derive(Clone)]
pub struct Snapshot {
    gateway_classes: Store<Kube<GatewayClass>>,
    gateways: Store<Kube<Gateway>>,
    http_routes: Store<Kube<HttpRoute>>,
    reference_grants: Store<Kube<ReferenceGrant>>,
    backends: Store<Kube<Backend>>,
    services: Store<Kube<Service>>,
    namespaces: Store<Kube<Namespace>>,
    secrets: Store<PartialObjectMeta<Kube<Secret>>>,
}

/// The stream of settled changes: `Ok(())` when the stores are complete and quiet (read them
/// with [`Snapshot::resources`]), `Err` for each watch error (the watchers retry with backoff).
pub type Changes = Settled<watcher::Error>;

/// Settled changes, or errors of type `E`, as [`debounce`] yields them.
pub type Settled<E> = Pin<Box<dyn Stream<Item = Result<(), E>> + Send>>;

type Ticks = Pin<Box<dyn Stream<Item = Result<Tick, watcher::Error>> + Send>>;

fn watch<K>(api: Api<K>, config: &watcher::Config, kind: usize) -> (Store<K>, Ticks)
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    K: Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let ticks = watcher(api, config.clone())
        .default_backoff()
        .reflect(writer)
        .map(move |event| event.map(|e| Tick::of(kind, &e)));
    (reader, ticks.boxed())
}

impl Snapshot {
    /// Starts watching every kind cluster-wide. Nothing happens until the returned stream is
    /// polled; it first yields once every store is listed.
    pub fn start(client: &Client, config: &SnapshotConfig) -> (Self, Changes) {
        let w = &config.watcher;
        let (gateway_classes, t0) = watch(Api::all(client.clone()), w, 0);
        let (gateways, t1) = watch(Api::all(client.clone()), w, 1);
        let (http_routes, t2) = watch(Api::all(client.clone()), w, 2);
        let (reference_grants, t3) = watch(Api::all(client.clone()), w, 3);
        let (backends, t4) = watch(Api::all(client.clone()), w, 4);
        let (services, t5) = watch(Api::all(client.clone()), w, 5);
        let (namespaces, t6) = watch(Api::all(client.clone()), w, 6);
        let (secrets, t7) = watch(Api::all(client.clone()), w, 7);
        let ticks = futures::stream::select_all([t0, t1, t2, t3, t4, t5, t6, t7]);
        let snapshot = Self {
            gateway_classes,
            gateways,
            http_routes,
            reference_grants,
            backends,
            services,
            namespaces,
            secrets,
        };
        let changes = debounce(ticks, 8, config.debounce, config.max_delay);
        (snapshot, changes)
    }

    /// Everything the stores hold now, as kgw-api objects ordered by namespace and name.
    /// Objects whose metadata does not convert are skipped with a warning.
    pub fn resources(&self) -> Resources {
        let mut resources = Resources::new();
        fill(&self.gateway_classes, &mut resources);
        fill(&self.gateways, &mut resources);
        fill(&self.http_routes, &mut resources);
        fill(&self.reference_grants, &mut resources);
        fill(&self.backends, &mut resources);
        fill(&self.services, &mut resources);
        fill(&self.namespaces, &mut resources);
        let mut secrets: Vec<Secret> = self
            .secrets
            .state()
            .iter()
            .filter_map(|meta| match from_kube_meta(&meta.metadata) {
                Ok(metadata) => Some(Secret {
                    api_version: Secret::api_version(),
                    kind: <Secret as kgw_api::Resource>::KIND.to_owned(),
                    metadata,
                    type_: None,
                    data: None,
                    string_data: None,
                    immutable: None,
                }),
                Err(error) => {
                    tracing::warn!(%error, "skipping a Secret");
                    None
                }
            })
            .collect();
        secrets.sort_by_key(key);
        for secret in secrets {
            resources.insert(secret);
        }
        resources
    }
}

fn key<T: kgw_api::Resource>(object: &T) -> (String, String) {
    let meta = object.metadata();
    (meta.namespace().to_owned(), meta.name().to_owned())
}

fn fill<T: KubeKind + kgw_api::resources::Indexed>(
    store: &Store<Kube<T>>,
    resources: &mut Resources,
) {
    let mut objects: Vec<T> = store
        .state()
        .iter()
        .filter_map(|object| match object.to_object() {
            Ok(object) => Some(object),
            Err(error) => {
                tracing::warn!(%error, kind = T::KIND, "skipping an object");
                None
            }
        })
        .collect();
    objects.sort_by_key(key);
    for object in objects {
        resources.insert(object);
    }
}

struct Debounce<S> {
    ticks: S,
    listed: Vec<bool>,
    deadline: Option<Instant>,
    debounce: Duration,
    max_delay: Duration,
}

/// Turns watcher ticks into settled changes: nothing until each of `kinds` stores has been
/// listed; then one `Ok(())` per burst of changes, `debounce` after the last change of the burst
/// or `max_delay` after its first, whichever comes first. Errors pass through at once.
pub fn debounce<S, E>(ticks: S, kinds: usize, debounce: Duration, max_delay: Duration) -> Settled<E>
where
    S: Stream<Item = Result<Tick, E>> + Send + Unpin + 'static,
    E: Send + 'static,
{
    let state = Debounce {
        ticks,
        listed: vec![false; kinds],
        deadline: None,
        debounce,
        max_delay,
    };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            let ready = state.listed.iter().all(|l| *l);
            let next = match state.deadline {
                Some(deadline) if ready => {
                    let quiet = (Instant::now() + state.debounce).min(deadline);
                    match tokio::time::timeout_at(quiet, state.ticks.next()).await {
                        Ok(next) => next,
                        Err(_elapsed) => {
                            state.deadline = None;
                            return Some((Ok(()), state));
                        }
                    }
                }
                _ => state.ticks.next().await,
            };
            match next? {
                Err(error) => return Some((Err(error), state)),
                Ok(Tick::Relisting) => {}
                Ok(tick) => {
                    if let Tick::Listed(kind) = tick
                        && let Some(listed) = state.listed.get_mut(kind)
                    {
                        *listed = true;
                    }
                    let max_delay = state.max_delay;
                    state
                        .deadline
                        .get_or_insert_with(|| Instant::now() + max_delay);
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use futures::channel::mpsc;

    use super::*;

    type Sender = mpsc::UnboundedSender<Result<Tick, &'static str>>;

    fn setup(kinds: usize) -> (Sender, Settled<&'static str>) {
        let (tx, rx) = mpsc::unbounded();
        (
            tx,
            debounce(
                rx,
                kinds,
                Duration::from_millis(100),
                Duration::from_secs(1),
            ),
        )
    }

    async fn pending<S: Stream + Unpin>(stream: &mut S, wait: Duration) -> bool {
        tokio::time::timeout(wait, stream.next()).await.is_err()
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_before_every_kind_is_listed() {
        let (tx, mut changes) = setup(2);
        tx.unbounded_send(Ok(Tick::Changed)).unwrap();
        tx.unbounded_send(Ok(Tick::Listed(0))).unwrap();
        assert!(pending(&mut changes, Duration::from_millis(500)).await);
        tx.unbounded_send(Ok(Tick::Listed(1))).unwrap();
        let start = Instant::now();
        assert_eq!(changes.next().await, Some(Ok(())));
        assert_eq!(start.elapsed(), Duration::from_millis(100));
        assert!(pending(&mut changes, Duration::from_secs(10)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_yields_once_after_the_quiet_time() {
        let (tx, mut changes) = setup(1);
        tx.unbounded_send(Ok(Tick::Listed(0))).unwrap();
        assert_eq!(changes.next().await, Some(Ok(())));
        let start = Instant::now();
        let feeder = tokio::spawn(async move {
            for _ in 0..5 {
                tx.unbounded_send(Ok(Tick::Changed)).unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            tx
        });
        assert_eq!(changes.next().await, Some(Ok(())));
        // Last change at 200 ms, quiet for 100 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        let _tx = feeder.await.unwrap();
        assert!(pending(&mut changes, Duration::from_secs(10)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn constant_churn_still_yields_at_max_delay() {
        let (tx, mut changes) = setup(1);
        tx.unbounded_send(Ok(Tick::Listed(0))).unwrap();
        assert_eq!(changes.next().await, Some(Ok(())));
        let start = Instant::now();
        tokio::spawn(async move {
            loop {
                if tx.unbounded_send(Ok(Tick::Changed)).is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        assert_eq!(changes.next().await, Some(Ok(())));
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn errors_pass_through_and_relists_alone_do_not_yield() {
        let (tx, mut changes) = setup(1);
        tx.unbounded_send(Ok(Tick::Listed(0))).unwrap();
        assert_eq!(changes.next().await, Some(Ok(())));
        tx.unbounded_send(Ok(Tick::Relisting)).unwrap();
        assert!(pending(&mut changes, Duration::from_secs(10)).await);
        tx.unbounded_send(Err("watch failed")).unwrap();
        assert_eq!(changes.next().await, Some(Err("watch failed")));
        drop(tx);
        assert_eq!(changes.next().await, None);
    }
}
