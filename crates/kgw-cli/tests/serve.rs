//! `kgw serve` as a process: real traffic to a loopback upstream, reload on edit, a bad edit
//! keeping the last good table, `/metrics`, and graceful shutdown on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const IO_TIMEOUT: Duration = Duration::from_secs(5);
const RELOAD_DEADLINE: Duration = Duration::from_secs(15);

/// Host headers the upstream saw, in arrival order.
type Seen = Arc<Mutex<Vec<String>>>;

/// A keep-alive HTTP/1.1 upstream on a free loopback port that answers `upstream` to
/// everything and records each request's Host header.
fn upstream() -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Seen::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let log = log.clone();
            std::thread::spawn(move || serve_upstream_connection(stream, &log));
        }
    });
    (addr, seen)
}

fn serve_upstream_connection(stream: TcpStream, log: &Seen) {
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut host = None;
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "host" => host = Some(value.trim().to_owned()),
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        log.lock().unwrap().push(host.unwrap_or_default());
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\nupstream";
        if writer.write_all(answer).is_err() {
            return;
        }
    }
}

/// One request on a fresh connection; the status code and body.
fn get(addr: SocketAddr, host: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Polls `probe` until it holds or the reload deadline passes.
fn eventually(what: &str, mut probe: impl FnMut() -> bool) {
    let deadline = Instant::now() + RELOAD_DEADLINE;
    while !probe() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes `text` to `path` atomically (a rename), so the watcher never reads half a file.
fn write_atomically(path: &Path, text: &str) {
    let staging = path.with_extension("staging");
    std::fs::write(&staging, text).unwrap();
    std::fs::rename(&staging, path).unwrap();
}

/// The docs' Gateway (`docs/examples/static-backend`): `kgateway-system/http`, one HTTP listener
/// on 8080 open to all namespaces.
const GATEWAY: &str = include_str!("../../../docs/examples/static-backend/gateway.yaml");

fn backend(upstream: SocketAddr) -> String {
    format!(
        "\
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata:
  name: json-backend
  namespace: default
spec:
  type: Static
  static:
    hosts:
      - host: {}
        port: {}
",
        upstream.ip(),
        upstream.port()
    )
}

fn route(name: &str, hostname: &str, rewrite_to: &str) -> String {
    format!(
        "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {name}
  namespace: default
spec:
  parentRefs:
  - name: http
    namespace: kgateway-system
  hostnames:
    - {hostname}
  rules:
    - backendRefs:
      - name: json-backend
        kind: Backend
        group: gateway.kgateway.dev
      filters:
      - type: URLRewrite
        urlRewrite:
          hostname: {rewrite_to}
"
    )
}

/// The `kgw serve` child; killed if the test fails before shutting it down.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    fn start(dir: PathBuf) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kgw"))
            .arg("serve")
            .arg(&dir)
            .args(["--gateway", "kgateway-system/http"])
            .args(["--listen", "8080=127.0.0.1:0"])
            .args(["--metrics", "127.0.0.1:0"])
            .args(["--watch-interval", "100ms"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the kgw binary runs");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Self { child, lines, dir }
    }

    /// The address printed as `PREFIX…addr=ADDR` on standard output.
    fn address(&self, prefix: &str) -> SocketAddr {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("kgw serve never printed `{prefix}`"));
            if line.starts_with(prefix) {
                let addr = line.rsplit_once("addr=").unwrap().1;
                return addr.parse().unwrap();
            }
        }
    }
}

fn metrics(addr: SocketAddr) -> String {
    let (status, body) = get(addr, "localhost", "/metrics");
    assert_eq!(status, 200, "{body}");
    body
}

fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no counter {name} in {metrics}"))
}

#[test]
fn serve_routes_reloads_keeps_the_last_good_table_and_stops_on_sigterm() {
    let (upstream_addr, seen) = upstream();
    let dir = std::env::temp_dir().join(format!("kgw-serve-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("gateway.yaml"), GATEWAY).unwrap();
    std::fs::write(dir.join("backend.yaml"), backend(upstream_addr)).unwrap();
    std::fs::write(
        dir.join("posts.yaml"),
        route("posts", "posts.example", "jsonplaceholder.typicode.com"),
    )
    .unwrap();

    let mut server = Server::start(dir.clone());
    let gateway = server.address("listening port=8080 ");
    let metrics_addr = server.address("metrics ");

    // The route serves, with the Host rewritten on the way upstream.
    let (status, body) = get(gateway, "posts.example", "/posts/1");
    assert_eq!((status, body.as_str()), (200, "upstream"));
    assert_eq!(
        seen.lock().unwrap().last().map(String::as_str),
        Some("jsonplaceholder.typicode.com")
    );
    assert_eq!(get(gateway, "users.example", "/users").0, 404);

    // A new route appears after an edit.
    let users = dir.join("users.yaml");
    write_atomically(&users, &route("users", "users.example", "users.upstream"));
    eventually("the new route", || {
        get(gateway, "users.example", "/users").0 == 200
    });
    assert_eq!(
        seen.lock().unwrap().last().map(String::as_str),
        Some("users.upstream")
    );

    // A broken edit is rejected: both routes keep working.
    write_atomically(
        &users,
        &route("users", "users.example", "users.upstream").replace("backendRefs", "backendRefz"),
    );
    eventually("the rejected reload", || {
        metrics(metrics_addr).contains("kgw_reloads_rejected_total 1\n")
    });
    assert_eq!(get(gateway, "users.example", "/users").0, 200);
    assert_eq!(get(gateway, "posts.example", "/posts/2").0, 200);

    let text = metrics(metrics_addr);
    assert!(text.contains("kgw_table_swaps_total 1\n"), "{text}");
    // The 404 before the edit, and as many more as polls before the reload landed.
    assert!(counter(&text, "kgw_no_route_total") >= 1, "{text}");
    assert!(counter(&text, "kgw_forwarded_total") >= 4, "{text}");
    assert!(
        text.contains("kgw_responses_total{class=\"2xx\"}"),
        "{text}"
    );
    assert_eq!(get(metrics_addr, "localhost", "/other").0, 404);

    // SIGTERM: a graceful stop with exit status 0.
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "kgw serve ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn serve_refuses_a_bad_gateway_argument_and_invalid_manifests() {
    let usage = Command::new(env!("CARGO_BIN_EXE_kgw"))
        .args(["serve", ".", "--gateway", "no-slash"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("NAMESPACE/NAME"));

    let dir = std::env::temp_dir().join(format!("kgw-serve-invalid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("gateway.yaml"),
        GATEWAY.replace("listeners:", "listenerz:"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kgw"))
        .arg("serve")
        .arg(&dir)
        .args(["--gateway", "kgateway-system/http"])
        .args(["--listen", "8080=127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kgw serve started on manifests that do not load");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("did not load"), "{stderr}");
}
