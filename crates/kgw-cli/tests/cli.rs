//! The `kgw` binary on the bundled examples and on bad input: exit codes and the JSON contract.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn examples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples")
        .join(name)
}

fn kgw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kgw"))
        .args(args)
        .output()
        .expect("the kgw binary runs")
}

fn kgw_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kgw"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the kgw binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn check_json(path: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", path.to_str().unwrap(), "--output", "json"];
    args.extend_from_slice(extra);
    let out = kgw(&args);
    (out.status.code().unwrap(), json(&out))
}

/// The status of one object, by kind and name.
fn status<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["object"]["kind"] == kind && s["object"]["name"] == name)
        .unwrap_or_else(|| panic!("no status for {kind} {name}: {report:#}"))
}

fn condition<'a>(conditions: &'a Value, type_: &str) -> &'a Value {
    conditions
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == type_)
        .unwrap_or_else(|| panic!("no {type_} condition in {conditions:#}"))
}

#[test]
fn check_static_backend_is_clean_and_accepted() {
    let (code, report) = check_json(&examples("static-backend"), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["diagnostics"], Value::Array(vec![]));
    let route = status(&report, "HTTPRoute", "static-backend");
    let parent = &route["parents"][0];
    assert_eq!(parent["parentRef"]["name"], "http");
    assert_eq!(parent["parentRef"]["namespace"], "kgateway-system");
    assert_eq!(parent["parentRef"]["sectionName"], Value::Null);
    assert_eq!(parent["parentRef"]["port"], Value::Null);
    assert_eq!(
        condition(&parent["conditions"], "Accepted")["status"],
        "True"
    );
    assert_eq!(
        condition(&parent["conditions"], "ResolvedRefs")["status"],
        "True"
    );
    let gateway = status(&report, "Gateway", "http");
    assert_eq!(gateway["listeners"][0]["name"], "http");
    assert_eq!(gateway["listeners"][0]["attachedRoutes"], 1);
    let backend = status(&report, "Backend", "json-backend");
    assert_eq!(
        condition(&backend["conditions"], "Accepted")["status"],
        "True"
    );
}

#[test]
fn check_reports_the_port_on_a_backend_ref() {
    let dir = examples("broken-port-on-backend");
    let (code, report) = check_json(&dir, &[]);
    assert_eq!(code, 0, "a warning alone does not fail: {report:#}");
    let d = &report["diagnostics"][0];
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["code"], "backend-ref-port");
    assert_eq!(d["field"], "spec.rules[0].backendRefs[0].port");
    assert_eq!(d["line"], 20);
    assert!(d["file"].as_str().unwrap().ends_with("route.yaml"));
    assert_eq!(d["object"]["kind"], "HTTPRoute");
    let parent = &status(&report, "HTTPRoute", "static-backend")["parents"][0];
    let resolved = condition(&parent["conditions"], "ResolvedRefs");
    assert_eq!(resolved["status"], "False");
    assert_eq!(resolved["reason"], "BackendNotFound");

    let (code, _) = check_json(&dir, &["--deny-warnings"]);
    assert_eq!(code, 1);

    let text = kgw(&["check", dir.to_str().unwrap()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("warning[backend-ref-port]"), "{text}");
    assert!(text.contains("route.yaml:20:9"), "{text}");
    assert!(text.contains("port: 80"), "{text}");
    assert!(text.contains("^^^^^^^^"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour when not on a terminal: {text}"
    );
}

#[test]
fn check_cross_namespace_needs_its_reference_grant() {
    let dir = examples("cross-namespace");
    let (code, report) = check_json(&dir, &[]);
    assert_eq!(code, 0, "{report:#}");
    let parent = &status(&report, "HTTPRoute", "posts")["parents"][0];
    assert_eq!(
        condition(&parent["conditions"], "ResolvedRefs")["status"],
        "True"
    );

    // The same manifests without the grant: RefNotPermitted, and resolve answers 500.
    let text = std::fs::read_to_string(dir.join("resources.yaml")).unwrap();
    let without_grant = text
        .split("\n---\n# Lives in the target namespace")
        .next()
        .unwrap();
    let gateway = std::fs::read_to_string(dir.join("gateway.yaml")).unwrap();
    let stdin = format!("{gateway}\n---\n{without_grant}\n");
    let out = kgw_stdin(&["check", "-", "--output", "json"], &stdin);
    let report = json(&out);
    let parent = &status(&report, "HTTPRoute", "posts")["parents"][0];
    let resolved = condition(&parent["conditions"], "ResolvedRefs");
    assert_eq!(resolved["reason"], "RefNotPermitted", "{report:#}");
    let out = kgw_stdin(
        &[
            "resolve",
            "-",
            "--gateway",
            "kgateway-system/http",
            "--output",
            "json",
            "GET",
            "http://posts.example:8080/posts/1",
        ],
        &stdin,
    );
    let answer = json(&out);
    assert_eq!(answer["outcome"], "respond");
    assert_eq!(answer["status"], 500);
    assert_eq!(answer["route"]["name"], "posts");
}

#[test]
fn check_lambda_example_is_clean() {
    let (code, report) = check_json(&examples("lambda"), &[]);
    assert_eq!(code, 0, "{report:#}");
    let backend = status(&report, "Backend", "lambda");
    assert_eq!(
        condition(&backend["conditions"], "Accepted")["status"],
        "True"
    );
}

#[test]
fn unreadable_path_is_a_usage_error() {
    let out = kgw(&["check", "/nonexistent/kgw/manifests.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("/nonexistent/kgw/manifests.yaml"),
        "{stderr}"
    );
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(kgw(&["check"]).status.code(), Some(2));
    assert_eq!(kgw(&["frobnicate"]).status.code(), Some(2));
    let out = kgw(&["resolve", "x.yaml", "--gateway", "a/b"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn invalid_yaml_is_a_located_error() {
    let out = kgw_stdin(
        &["check", "-", "--output", "json"],
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: [a\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let d = &report["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "yaml-syntax");
    assert_eq!(d["file"], "-");
    assert!(d["line"].as_u64().unwrap() >= 3, "{d:#}");

    let out = kgw_stdin(
        &["check", "-"],
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - port: \"80\"\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error[invalid-field]"), "{text}");
    assert!(text.contains("-:6:"), "{text}");
    assert!(text.contains("spec.ports[0].port"), "{text}");
}

#[test]
fn resolve_forwards_with_the_rewritten_host() {
    let out = kgw(&[
        "resolve",
        examples("static-backend").to_str().unwrap(),
        "--gateway",
        "kgateway-system/http",
        "--output",
        "json",
        "-H",
        "x-trace: 1",
        "GET",
        "http://static.example:8080/posts?userId=1",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let a = json(&out);
    assert_eq!(a["outcome"], "forward");
    assert_eq!(a["listener"], "http");
    assert_eq!(a["route"]["namespace"], "default");
    assert_eq!(a["route"]["name"], "static-backend");
    assert_eq!(a["route"]["rule"], 0);
    assert_eq!(a["route"]["match"], 0);
    assert_eq!(a["backend"]["kind"], "Backend");
    assert_eq!(a["backend"]["group"], "gateway.kgateway.dev");
    assert_eq!(a["backend"]["name"], "json-backend");
    assert_eq!(a["request"]["authority"], "jsonplaceholder.typicode.com");
    assert_eq!(a["request"]["path"], "/posts?userId=1");
    assert_eq!(
        a["request"]["headers"][0],
        serde_json::json!(["x-trace", "1"])
    );
}

#[test]
fn resolve_answers_404_and_500_with_reasons() {
    let static_backend = examples("static-backend");
    let out = kgw(&[
        "resolve",
        static_backend.to_str().unwrap(),
        "--gateway",
        "kgateway-system/http",
        "--output",
        "json",
        "GET",
        "http://other.example:8080/",
    ]);
    let a = json(&out);
    assert_eq!(
        (a["outcome"].as_str(), a["status"].as_u64()),
        (Some("respond"), Some(404))
    );
    assert!(a["reason"].as_str().is_some());

    let broken = examples("broken-port-on-backend");
    let out = kgw(&[
        "resolve",
        broken.to_str().unwrap(),
        "--gateway",
        "kgateway-system/http",
        "--output",
        "json",
        "GET",
        "http://static.example:8080/posts",
    ]);
    let a = json(&out);
    assert_eq!(
        (a["outcome"].as_str(), a["status"].as_u64()),
        (Some("respond"), Some(500))
    );
    assert_eq!(a["route"]["name"], "static-backend");

    let out = kgw(&[
        "resolve",
        static_backend.to_str().unwrap(),
        "--gateway",
        "nope/none",
        "GET",
        "http://x/",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn resolve_requests_answers_every_line_in_order() {
    let stdin = concat!(
        r#"{"method": "GET", "url": "http://static.example:8080/a"}"#,
        "\n",
        "not json\n",
        r#"{"method": "GET", "url": "/relative/path"}"#,
        "\n",
        r#"{"method": "POST", "url": "http://nowhere.example:8080/", "headers": [["x-a", "1"]]}"#,
        "\n",
    );
    let dir = examples("static-backend");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kgw"))
        .args([
            "resolve",
            dir.to_str().unwrap(),
            "--gateway",
            "kgateway-system/http",
            "--requests",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 4);
    assert_eq!(answers[0]["outcome"], "forward");
    assert!(answers[1]["error"].as_str().is_some());
    assert!(answers[2]["error"].as_str().unwrap().contains("absolute"));
    assert_eq!(answers[3]["status"], 404);
}

#[test]
fn weighted_choice_is_deterministic_for_a_seed() {
    let manifests = "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: kgw
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: infra}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: infra}
spec: {ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: split, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{name: a, port: 80, weight: 1}, {name: b, port: 80, weight: 1}]
";
    let requests = r#"{"method": "GET", "url": "http://any/"}"#.to_owned() + "\n";
    let requests = requests.repeat(40);
    let run = |seed: &str| {
        let dir =
            std::env::temp_dir().join(format!("kgw-cli-weights-{}-{seed}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.yaml"), manifests).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kgw"))
            .args([
                "resolve",
                dir.to_str().unwrap(),
                "--gateway",
                "infra/gw",
                "--seed",
                seed,
                "--requests",
                "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(requests.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["backend"]["name"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    let first = run("7");
    assert_eq!(first, run("7"));
    assert!(
        first.iter().any(|b| b == "a") && first.iter().any(|b| b == "b"),
        "{first:?}"
    );
    assert_ne!(first, run("8"));
}

#[test]
fn crds_prints_the_backend_crd() {
    let out = kgw(&["crds"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let docs =
        kgw_api::load::yaml::parse(&text, &kgw_api::load::yaml::YamlLimits::default()).unwrap();
    assert_eq!(docs.len(), 1);
    let crd = &docs[0].as_ref().unwrap().value;
    assert_eq!(crd["kind"], "CustomResourceDefinition");
    assert_eq!(crd["metadata"]["name"], "backends.gateway.kgateway.dev");
    assert_eq!(crd["spec"]["names"]["kind"], "Backend");
    let version = &crd["spec"]["versions"][0];
    assert_eq!(version["name"], "v1alpha1");
    let spec = &version["schema"]["openAPIV3Schema"]["properties"]["spec"];
    assert!(spec["properties"]["static"]["properties"]["hosts"].is_object());
}
