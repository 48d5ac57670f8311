//! The status writer and the snapshot against a mocked API server (kube-rs's `tower-test`
//! pattern): the exact requests, their bodies, and no request when nothing changed.

use std::time::Duration;

use futures::StreamExt;
use http::{Method, Request, Response};
use kgw_api::gateway::HttpRoute;
use kgw_api::gateway::conditions::RouteConditionReason;
use kgw_api::{Condition, ConditionStatus, ObjectKey, Resources};
use kgw_kube::{Snapshot, SnapshotConfig, StatusWriter};
use kgw_validate::report::{ParentReport, Report, RouteReport};
use kube::Client;
use kube::client::Body;
use serde_json::{Value, json};
use tower_test::mock::{Handle, SendResponse};

const CONTROLLER: &str = "kgw.dev/gateway-controller";

type ApiServer = Handle<Request<Body>, Response<Body>>;

fn mock() -> (Client, ApiServer) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    (Client::new(service, "default"), handle)
}

async fn body_json(request: Request<Body>) -> Value {
    let bytes = request.into_body().collect_bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn respond(send: SendResponse<Response<Body>>, value: &Value) {
    send.send_response(Response::new(Body::from(
        serde_json::to_vec(value).unwrap(),
    )));
}

fn route(status: &Value) -> Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "app", "generation": 2, "resourceVersion": "10"},
        "spec": {"parentRefs": [{"name": "gw", "namespace": "infra"}],
                 "rules": [{"backendRefs": [{"name": "missing", "port": 80}]}]},
        "status": status,
    })
}

fn report() -> Report {
    let mut report = Report::default();
    let condition = |type_: &str, status, reason: &str, message: &str| Condition {
        type_: type_.to_owned().into(),
        status,
        observed_generation: None,
        last_transition_time: None,
        reason: reason.to_owned().into(),
        message: message.to_owned().into(),
    };
    report.routes.insert(
        ObjectKey::new("app", "web"),
        RouteReport {
            parents: vec![ParentReport {
                parent_ref: serde_json::from_value(json!({"group": "gateway.networking.k8s.io",
                    "kind": "Gateway", "namespace": "infra", "name": "gw"}))
                .unwrap(),
                gateway: ObjectKey::new("infra", "gw"),
                listeners: vec!["http".into()],
                conditions: vec![
                    condition("Accepted", ConditionStatus::True, "Accepted", "accepted"),
                    condition(
                        "ResolvedRefs",
                        ConditionStatus::False,
                        RouteConditionReason::BackendNotFound.as_str(),
                        "Service app/missing not found",
                    ),
                ],
            }],
            rules: Vec::new(),
        },
    );
    report
}

fn resources(route_json: Value) -> Resources {
    let mut resources = Resources::new();
    resources.insert(serde_json::from_value::<HttpRoute>(route_json).unwrap());
    resources
}

#[tokio::test]
async fn status_is_applied_once_then_left_alone() {
    let (client, mut server) = mock();
    let writer = StatusWriter::new(client, CONTROLLER, "kgw");
    let other = json!({"parentRef": {"name": "mesh", "kind": "Service", "group": ""},
                       "controllerName": "mesh.example/controller",
                       "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted",
                                       "message": "", "lastTransitionTime": "2025-01-01T00:00:00Z"}]});
    let before = route(&json!({"parents": [other.clone()]}));

    let apiserver = tokio::spawn(async move {
        let (request, send) = server.next_request().await.expect("a status patch");
        assert_eq!(request.method(), Method::PATCH);
        assert_eq!(
            request.uri().to_string(),
            "/apis/gateway.networking.k8s.io/v1/namespaces/app/httproutes/web/status?&force=true&fieldManager=kgw"
        );
        assert_eq!(
            request.headers()["content-type"],
            "application/apply-patch+yaml"
        );
        let body = body_json(request).await;
        let time = body["status"]["parents"][1]["conditions"][0]["lastTransitionTime"].clone();
        assert!(
            time.as_str()
                .is_some_and(|t| t.len() == 20 && t.ends_with('Z')),
            "{time}"
        );
        let condition = |type_: &str, status: &str, reason: &str, message: &str| {
            json!({"type": type_, "status": status, "reason": reason, "message": message,
                   "observedGeneration": 2, "lastTransitionTime": time})
        };
        assert_eq!(
            body,
            json!({
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": "web", "namespace": "app"},
                "status": {"parents": [other, {
                    "parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                  "namespace": "infra", "name": "gw"},
                    "controllerName": CONTROLLER,
                    "conditions": [
                        condition("Accepted", "True", "Accepted", "accepted"),
                        condition("ResolvedRefs", "False", "BackendNotFound", "Service app/missing not found"),
                    ],
                }]},
            })
        );
        let mut after = route(&body["status"]);
        after["metadata"]["resourceVersion"] = "11".into();
        respond(send, &after);
        (server, after)
    });
    let summary = writer.write(&resources(before), &report()).await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!(summary.patched.len(), 1);
    let (mut server, after) = tokio::time::timeout(Duration::from_secs(1), apiserver)
        .await
        .expect("the API server saw the patch")
        .unwrap();

    // The same report against the status now in the cluster: no request at all.
    // (A request would wait forever for an answer, hence the timeout.)
    let summary = tokio::time::timeout(
        Duration::from_secs(1),
        writer.write(&resources(after), &report()),
    )
    .await
    .expect("no request for an unchanged status");
    assert!(summary.patched.is_empty() && summary.failed.is_empty());
    drop(writer);
    assert!(
        server.next_request().await.is_none(),
        "no request for an unchanged status"
    );
}

#[tokio::test]
async fn failed_patches_are_reported_not_fatal() {
    let (client, mut server) = mock();
    let writer = StatusWriter::new(client, CONTROLLER, "kgw");
    let apiserver = tokio::spawn(async move {
        let (_request, send) = server.next_request().await.unwrap();
        let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                            "message": "httproutes.gateway.networking.k8s.io \"web\" not found",
                            "reason": "NotFound", "code": 404});
        let mut response = Response::new(Body::from(serde_json::to_vec(&status).unwrap()));
        *response.status_mut() = http::StatusCode::NOT_FOUND;
        send.send_response(response);
    });
    let summary = writer
        .write(&resources(route(&Value::Null)), &report())
        .await;
    apiserver.await.unwrap();
    assert!(summary.patched.is_empty());
    assert_eq!(summary.failed.len(), 1);
    assert!(
        summary.failed[0]
            .to_string()
            .contains("HTTPRoute.gateway.networking.k8s.io app/web"),
        "{}",
        summary.failed[0]
    );
}

/// The list each watcher starts with, by URL path, in the shape the API server answers.
fn list_response(path: &str) -> Value {
    let items = match path {
        "/apis/gateway.networking.k8s.io/v1/httproutes" => vec![route(&Value::Null)],
        "/api/v1/namespaces" => vec![json!({"metadata": {"name": "app", "labels": {"team": "a"}}})],
        "/api/v1/secrets" => {
            // Metadata-only lists are PartialObjectMetadataList.
            return json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                          "metadata": {"resourceVersion": "5"},
                          "items": [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                     "metadata": {"name": "tls", "namespace": "app"}}]});
        }
        _ => Vec::new(),
    };
    json!({"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "5"}, "items": items})
}

const WATCHED: [&str; 8] = [
    "/apis/gateway.networking.k8s.io/v1/gatewayclasses",
    "/apis/gateway.networking.k8s.io/v1/gateways",
    "/apis/gateway.networking.k8s.io/v1/httproutes",
    "/apis/gateway.networking.k8s.io/v1/referencegrants",
    "/apis/gateway.kgateway.dev/v1alpha1/backends",
    "/api/v1/services",
    "/api/v1/namespaces",
    "/api/v1/secrets",
];

#[tokio::test]
async fn snapshot_lists_every_kind_then_follows_watch_events() {
    let (client, mut server) = mock();
    let config = SnapshotConfig {
        debounce: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..SnapshotConfig::default()
    };
    let (snapshot, mut changes) = Snapshot::start(&client, &config);
    let apiserver = tokio::spawn(async move {
        let mut listed = Vec::new();
        let mut held = Vec::new();
        let mut routes_watched = false;
        while let Some((request, send)) = server.next_request().await {
            assert_eq!(request.method(), Method::GET);
            let path = request.uri().path().to_owned();
            let query = request.uri().query().unwrap_or_default().to_owned();
            assert!(
                WATCHED.contains(&path.as_str()),
                "unexpected request {}",
                request.uri()
            );
            let accept = request
                .headers()
                .get("accept")
                .map(|v| v.to_str().unwrap().to_owned());
            let metadata_only = accept
                .as_deref()
                .is_some_and(|a| a.contains("as=PartialObjectMetadata"));
            assert_eq!(
                metadata_only,
                path == "/api/v1/secrets",
                "{path}: accept {accept:?}"
            );
            if query.contains("watch=true") {
                let answered = path.ends_with("/httproutes") && !routes_watched;
                let version = if path.ends_with("/httproutes") && routes_watched {
                    "6"
                } else {
                    "5"
                };
                assert!(
                    query.contains(&format!("resourceVersion={version}")),
                    "{path}?{query}"
                );
                if answered {
                    // One added route; the body then ends and the watcher watches again from 6.
                    routes_watched = true;
                    let mut added = route(&Value::Null);
                    added["metadata"]["name"] = "late".into();
                    added["metadata"]["resourceVersion"] = "6".into();
                    respond(send, &json!({"type": "ADDED", "object": added}));
                } else {
                    // Held open: the watch waits for events that never come.
                    held.push((path, send));
                }
            } else {
                assert!(query.contains("limit=500"), "{query}");
                listed.push(path.clone());
                respond(send, &list_response(&path));
            }
            if listed.len() == WATCHED.len() && held.len() == WATCHED.len() {
                break;
            }
        }
        listed.sort();
        (listed, held, server)
    });

    tokio::time::timeout(Duration::from_secs(2), async {
        // First settled change: every store listed, then the watch event for `late`.
        let mut names = Vec::new();
        while names.len() < 2 {
            changes.next().await.unwrap().unwrap();
            let resources = snapshot.resources();
            names = resources
                .http_routes
                .iter()
                .map(|r| r.object.metadata.name().to_owned())
                .collect();
            assert_eq!(resources.namespaces.len(), 1);
            assert_eq!(
                resources
                    .secrets
                    .get("app", "tls")
                    .map(|s| s.object.data.is_none()),
                Some(true)
            );
        }
        assert_eq!(names, ["late", "web"]);
    })
    .await
    .expect("snapshots arrive");
    let (listed, _held, _server) = apiserver.await.unwrap();
    let mut expected = WATCHED.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(listed, expected);
}
