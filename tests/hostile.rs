//! Hostile input: every file under `tests/hostile/` gives the located error or the condition
//! that `tests/hostile/EXPECTED` names, and nothing panics. Inputs too large to commit (100 MB
//! documents, 10 000-deep block nesting, document and node floods) are generated here, and
//! adversarial request paths are resolved against a table that routes `/public` only.

use std::io::Read;
use std::path::{Path, PathBuf};

use kgw::api::Resources;
use kgw::api::load::{LoadError, LoadOptions, Loader};
use kgw::resolve::reference::Reference;
use kgw::resolve::{RequestHead, RouteTable, SplitMix64, Summary};
use kgw::validate::{Options, Report, Severity, validate};

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// What a hostile file must produce.
#[derive(Debug)]
enum Expect {
    /// A load error with this code at this line.
    Load(String, Option<u64>),
    /// Loads; validation reports an error with this code at this line.
    Validate(String, Option<u64>),
    /// Loads and validates without an error diagnostic (the API server would accept it), and
    /// kgw-rewrite refuses every header filter in it with this error.
    Rewrite(String),
    /// Loads and validates without an error diagnostic.
    Ok,
}

/// `EXPECTED`: `file stage code line`, `#` comments; stage is `load`, `validate`, `rewrite` or
/// `ok`.
fn expectations() -> Vec<(String, Expect)> {
    let text = std::fs::read_to_string(hostile_dir().join("EXPECTED")).unwrap();
    text.lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let line_no = |i: usize| cols.get(i).and_then(|l| l.parse().ok());
            let expect = match cols[1] {
                "load" => Expect::Load(cols[2].to_owned(), line_no(3)),
                "validate" => Expect::Validate(cols[2].to_owned(), line_no(3)),
                "rewrite" => Expect::Rewrite(cols[2].to_owned()),
                "ok" => Expect::Ok,
                other => panic!("EXPECTED: unknown stage {other} in {line:?}"),
            };
            (cols[0].to_owned(), expect)
        })
        .collect()
}

/// A Gateway `infra/gw` (HTTP on 80, routes from every namespace) and a Service `apps/svc`
/// that the validation-stage files refer to.
const BASE: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: kgw
  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: apps}
spec: {ports: [{port: 8080}]}
";

fn load(name: &str, bytes: &[u8], options: LoadOptions) -> (Resources, Vec<LoadError>) {
    let mut loader = Loader::new(options);
    loader.add_str("base.yaml", BASE);
    loader.add_bytes(name, bytes);
    loader.into_parts()
}

/// Every error is located: a line and column, unless it concerns the file as a whole.
fn assert_located(errors: &[LoadError]) {
    for e in errors {
        let whole_file = matches!(e.code(), "file-too-large" | "unreadable");
        assert!(
            whole_file || e.position.is_some_and(|p| p.line >= 1 && p.column >= 1),
            "unlocated: {e}"
        );
    }
}

fn check_case(name: &str, expect: &Expect) -> Result<(), String> {
    let bytes = std::fs::read(hostile_dir().join(name)).unwrap();
    let (resources, errors) = load(name, &bytes, LoadOptions::default());
    assert_located(&errors);
    let shown: Vec<String> = errors.iter().map(|e| format!("{} {e}", e.code())).collect();
    let (code, line) = match expect {
        Expect::Load(code, line) => {
            return errors
                .iter()
                .find(|e| e.code() == code && e.position.map(|p| p.line) == *line)
                .map(|_| ())
                .ok_or_else(|| format!("{name}: want {code} at line {line:?}, got {shown:?}"));
        }
        Expect::Validate(code, line) => (Some(code), line),
        Expect::Rewrite(code) => {
            check_header_filters_refused(name, &resources, code)?;
            (None, &None)
        }
        Expect::Ok => (None, &None),
    };
    if !errors.is_empty() {
        return Err(format!("{name}: load errors {shown:?}"));
    }
    let report = validate(&resources, &Options::default());
    // Header values the rewrite stage refuses are already a validation warning.
    if matches!(expect, Expect::Rewrite(code) if code == "invalid-header-value")
        && !report
            .diagnostics
            .iter()
            .any(|d| d.code == "invalid-header-value" && d.file.as_deref() == Some(name))
    {
        return Err(format!(
            "{name}: no invalid-header-value warning from validation"
        ));
    }
    // Whatever validation says, building and querying a table must not panic either.
    let table = RouteTable::build(&resources, &report);
    for gateway in table.gateways() {
        let head = RequestHead::new("GET", "example.com", "/public/x");
        let _ = gateway.resolve(&head, &mut SplitMix64::new(0));
    }
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error && d.file.as_deref() == Some(name))
        .collect();
    let shown: Vec<String> = errors
        .iter()
        .map(|d| format!("{} line {:?}: {}", d.code, d.line, d.message))
        .collect();
    match code {
        Some(code) => errors
            .iter()
            .find(|d| d.code == code && d.line == *line)
            .map(|_| ())
            .ok_or_else(|| format!("{name}: want {code} at line {line:?}, got {shown:?}")),
        None if errors.is_empty() => Ok(()),
        None => Err(format!("{name}: want no error diagnostic, got {shown:?}")),
    }
}

/// Every header filter of the file's routes is refused by kgw-rewrite with `code`.
fn check_header_filters_refused(
    name: &str,
    resources: &Resources,
    code: &str,
) -> Result<(), String> {
    use kgw::rewrite::{HeaderOps, RewriteError};
    let mut refused = 0;
    for stored in resources.http_routes.iter() {
        if stored.source.as_ref().is_none_or(|s| &*s.file != name) {
            continue;
        }
        for rule in stored.object.spec.rules.iter().flatten() {
            for filter in rule.filters.iter().flatten() {
                let modifier = filter
                    .request_header_modifier
                    .as_ref()
                    .or(filter.response_header_modifier.as_ref());
                let Some(modifier) = modifier else { continue };
                let got = match HeaderOps::from_filter(modifier) {
                    Err(RewriteError::InvalidHeaderValue { .. }) => "invalid-header-value",
                    Err(RewriteError::InvalidHeaderName { .. }) => "invalid-header-name",
                    Err(_) => "other-error",
                    Ok(_) => "accepted",
                };
                if got != code {
                    return Err(format!("{name}: want {code} from kgw-rewrite, got {got}"));
                }
                refused += 1;
            }
        }
    }
    if refused == 0 {
        return Err(format!("{name}: no header filter to check"));
    }
    Ok(())
}

#[test]
fn every_hostile_file_is_listed_and_every_listed_file_exists() {
    let listed: Vec<String> = expectations().into_iter().map(|(f, _)| f).collect();
    let mut files: Vec<String> = std::fs::read_dir(hostile_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f != "EXPECTED")
        .collect();
    files.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), listed.len(), "a file is listed twice");
    assert_eq!(files, sorted, "tests/hostile/ and EXPECTED disagree");
}

#[test]
fn hostile_files_give_their_expected_error() {
    let cases = expectations();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, expect)| check_case(name, expect).err())
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn hundred_megabyte_documents_are_refused_before_parsing() {
    const SIZE: u64 = 100 << 20;
    let mut loader = Loader::new(LoadOptions::default());
    // A stream: read up to the limit and one byte more, never the whole 100 MB.
    loader.add_reader("stream.yaml", std::io::repeat(b'a').take(SIZE));
    // Text already in memory.
    let big = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: x}}\n# {}\n",
        "a".repeat(100 << 20)
    );
    loader.add_str("text.yaml", &big);
    // A file: refused on its size, before it is read (a sparse file costs no disk).
    let dir = std::env::temp_dir().join(format!("kgw-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.yaml");
    std::fs::File::create(&path).unwrap().set_len(SIZE).unwrap();
    loader.add_path(&path);
    let (resources, errors) = loader.into_parts();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(resources.is_empty());
    let codes: Vec<(&str, &str)> = errors.iter().map(|e| (&*e.file, e.code())).collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert!(
        codes.iter().all(|(_, c)| *c == "file-too-large"),
        "{codes:?}"
    );
    assert!(
        errors[0].to_string().contains("over the limit"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_large_document_under_a_raised_limit_loads() {
    // The limit is the only thing between 32 MiB and 100 MB: raised, the same kind of input loads.
    let value = "v".repeat(40 << 20);
    let text = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: big\n  annotations: {{a: \"{value}\"}}\n"
    );
    let options = LoadOptions {
        max_file_bytes: 64 << 20,
        ..LoadOptions::default()
    };
    let (resources, errors) = load("large.yaml", text.as_bytes(), options);
    assert!(errors.is_empty(), "{errors:?}");
    let ns = resources.namespaces.get("", "big").unwrap();
    assert_eq!(
        ns.object.metadata.annotations.as_ref().unwrap()["a"].len(),
        40 << 20
    );
}

#[test]
fn ten_thousand_deep_block_nesting_is_a_located_limit_error() {
    // Block sequences nest on one line ("- - - …"); mappings nest one indent per level.
    let sequences = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: x}}\nspec: {}x\n",
        "- ".repeat(10_000)
    );
    let mut mappings = String::new();
    for depth in 0..10_000 {
        mappings.push_str(&" ".repeat(depth));
        mappings.push_str("k:\n");
    }
    for (name, text) in [("sequences.yaml", sequences), ("mappings.yaml", mappings)] {
        // 10 000 indented levels take 50 MB: raise the size limit so that the parser sees them.
        let options = LoadOptions {
            max_file_bytes: 64 << 20,
            ..LoadOptions::default()
        };
        let (_, errors) = load(name, text.as_bytes(), options);
        assert_located(&errors);
        assert!(
            errors
                .iter()
                .any(|e| e.code() == "yaml-limit" || e.code() == "yaml-syntax"),
            "{name}: {errors:?}"
        );
        assert!(
            errors
                .iter()
                .all(|e| &*e.file == name || &*e.file == "base.yaml")
        );
    }
}

#[test]
fn document_and_node_floods_stop_at_their_budgets() {
    let mut options = LoadOptions::default();
    options.yaml.max_documents = 1_000;
    options.yaml.max_nodes = 10_000;
    let documents = "---\nk: v\n".repeat(1_001);
    let (_, errors) = load("documents.yaml", documents.as_bytes(), options);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code(), "yaml-limit", "{}", errors[0]);
    let nodes = format!("k: [{}]\n", "1,".repeat(20_000));
    let (_, errors) = load("nodes.yaml", nodes.as_bytes(), options);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code(), "yaml-limit", "{}", errors[0]);
    assert!(errors[0].position.is_some());
}

/// A table with a route for `/public` (and `/public` only) on `infra/gw`.
fn public_only() -> (Resources, Report) {
    let route = "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: public, namespace: apps}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /public}}]
    backendRefs: [{name: svc, port: 8080}]
";
    let (resources, errors) = load("public.yaml", route.as_bytes(), LoadOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    let report = validate(&resources, &Options::default());
    assert!(
        report
            .diagnostics
            .iter()
            .all(|d| d.severity != Severity::Error),
        "{:?}",
        report.diagnostics
    );
    (resources, report)
}

#[test]
fn adversarial_paths_cannot_reach_a_route_that_should_not_match() {
    let (resources, report) = public_only();
    let table = RouteTable::build(&resources, &report);
    let gateway = table.gateway("infra", "gw").unwrap();
    let reference = Reference::new(&resources, &report);
    // (request path, whether it reaches the /public route, or 400 when it is refused)
    let cases: &[(&str, Option<bool>)] = &[
        ("/public", Some(true)),
        ("/public/x", Some(true)),
        ("/admin", Some(false)),
        // Dot segments are removed before matching: these are /public …
        ("/admin/../public", Some(true)),
        ("/admin/%2e%2e/public/x", Some(true)),
        ("/public/./x", Some(true)),
        ("/%70ublic", Some(true)),
        // … and these are /admin, which nothing routes.
        ("/public/../admin", Some(false)),
        ("/public/%2e%2e/admin", Some(false)),
        ("/public/%2E%2E/admin", Some(false)),
        ("/public/.%2e/admin", Some(false)),
        ("/%2e%2e/admin", Some(false)),
        ("/../../admin", Some(false)),
        // %2F is data, not a separator: "public%2F..%2Fadmin" is one segment, not /public.
        ("/public%2F..%2Fadmin", Some(false)),
        ("/public%2fadmin", Some(false)),
        // Repeated slashes are kept (merge_slashes off): "//public" has an empty first segment.
        ("//admin", Some(false)),
        ("//public", Some(false)),
        ("/PUBLIC", Some(false)),
        ("/publicity", Some(false)),
        ("/public%00", Some(false)),
        // Malformed: 400.
        ("/public/%zz", None),
        ("/public/%2", None),
        ("public", None),
        ("*", None),
    ];
    for (path, reaches) in cases {
        let head = RequestHead::new("GET", "example.com", path);
        let got = gateway.resolve(&head, &mut SplitMix64::new(0)).summary();
        let want = reference.resolve(gateway.key(), &head, &mut SplitMix64::new(0));
        assert_eq!(got, want, "{path}: fast table and reference disagree");
        match reaches {
            None => assert_eq!(got, Summary::BadRequest, "{path}"),
            Some(true) => assert!(
                matches!(&got, Summary::Matched { route, .. } if route.name == "public"),
                "{path}: {got:?}"
            ),
            Some(false) => assert!(matches!(got, Summary::NoRoute { .. }), "{path}: {got:?}"),
        }
    }
}

#[test]
fn a_catastrophic_backtracking_regex_is_linear() {
    let bytes = std::fs::read(hostile_dir().join("regex-catastrophic-backtracking.yaml")).unwrap();
    let (resources, errors) = load("regex.yaml", &bytes, LoadOptions::default());
    assert!(errors.is_empty(), "{errors:?}");
    let report = validate(&resources, &Options::default());
    let table = RouteTable::build(&resources, &report);
    let gateway = table.gateway("infra", "gw").unwrap();
    // 2^100 000 paths for a backtracking engine; one pass for the regex crate.
    let path = format!("/{}!", "a".repeat(100_000));
    let head = RequestHead::new("GET", "example.com", &path);
    assert!(matches!(
        gateway.resolve(&head, &mut SplitMix64::new(0)).summary(),
        Summary::NoRoute { .. }
    ));
    let path = format!("/{}", "a".repeat(100_000));
    let head = RequestHead::new("GET", "example.com", &path);
    assert!(matches!(
        gateway.resolve(&head, &mut SplitMix64::new(0)).summary(),
        Summary::Matched { .. }
    ));
}
