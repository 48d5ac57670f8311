//! `kgw resolve`: where a request goes, what it looks like when it gets there.

use std::io::{BufRead, Write as _};

use http::request::Parts;
use kgw_resolve::{
    BackendChoice, GatewayTable, Outcome, RandomSource, RequestHead, RouteTable, SplitMix64, Target,
};
use kgw_rewrite::{Action, HeaderOps, MirrorTarget, RequestSummary, RouteContext, Scheme};
use serde::{Deserialize, Serialize};

use crate::args::{Output, ResolveArgs};
use crate::inputs::{Inputs, validate_options};
use crate::render::{Finding, finding_text, use_colour};
use crate::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};

/// One request of `--requests`: a JSON object per line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestLine {
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
}

/// The answer for one request, in the contract's shape.
#[derive(Debug, Default, Serialize)]
pub struct Answer {
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    listener: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<RouteJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backend: Option<BackendJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<RequestSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_headers: Option<Vec<HeaderOps>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mirrors: Option<Vec<MirrorTarget>>,
    /// Why the gateway answers itself (404, 500, …): an addition to the contract's fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<Vec<String>>,
    /// Set instead of everything else when the request itself is malformed.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct RouteJson {
    kind: &'static str,
    namespace: String,
    name: String,
    rule: usize,
    #[serde(rename = "match")]
    match_index: usize,
}

#[derive(Debug, Serialize)]
struct BackendJson {
    group: &'static str,
    kind: &'static str,
    namespace: String,
    name: String,
    port: Option<i32>,
}

/// Runs `kgw resolve` and returns the exit status.
pub fn run(args: &ResolveArgs) -> u8 {
    let (paths, single) = match split_positionals(args) {
        Ok(split) => split,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    let manifests = crate::args::ManifestArgs {
        paths,
        validation: args.validation.clone(),
    };
    let inputs = Inputs::load(&manifests);
    if !inputs.errors.is_empty() {
        let colour = use_colour();
        let mut sources = inputs.sources();
        for e in &inputs.errors {
            eprintln!(
                "{}\n",
                finding_text(&Finding::from(e), &mut sources, colour)
            );
        }
        let unreadable = inputs.unreadable().next().is_some();
        return if unreadable {
            EXIT_USAGE
        } else {
            EXIT_FINDINGS
        };
    }
    let report = kgw_validate::validate(&inputs.resources, &validate_options(&manifests));
    let table = RouteTable::build(&inputs.resources, &report);
    let Some((namespace, name)) = args.gateway.split_once('/') else {
        eprintln!(
            "error: --gateway takes NAMESPACE/NAME, not `{}`",
            args.gateway
        );
        return EXIT_USAGE;
    };
    let Some(gateway) = table.gateway(namespace, name) else {
        eprintln!("error: no Gateway {namespace}/{name} is handled in these manifests");
        return EXIT_USAGE;
    };
    if let Some(listener) = &args.listener
        && !gateway.listeners().any(|l| &l.name == listener)
    {
        eprintln!("error: Gateway {namespace}/{name} has no usable listener `{listener}`");
        return EXIT_USAGE;
    }
    let mut random = SplitMix64::new(args.seed);
    let resolver = Resolver {
        gateway,
        listener: args.listener.as_deref(),
        explain: args.explain,
    };
    match single {
        Some((method, url)) => {
            let headers: Vec<(String, String)> =
                match args.headers.iter().map(|h| parse_header(h)).collect() {
                    Ok(headers) => headers,
                    Err(message) => {
                        eprintln!("error: {message}");
                        return EXIT_USAGE;
                    }
                };
            let answer = resolver.answer(&method, &url, &headers, &mut random);
            if answer.error.is_some() && args.output == Output::Text {
                eprintln!("error: {}", answer.error.unwrap_or_default());
                return EXIT_USAGE;
            }
            print_answer(&answer, args.output);
            if answer.error.is_some() {
                EXIT_USAGE
            } else {
                EXIT_OK
            }
        }
        None => resolve_lines(&resolver, args, &mut random),
    }
}

/// `--requests FILE|-`: one JSON answer per input line, in order, even for malformed lines.
fn resolve_lines(resolver: &Resolver<'_>, args: &ResolveArgs, random: &mut SplitMix64) -> u8 {
    let source = args.requests.as_deref().unwrap_or("-");
    let reader: Box<dyn BufRead> = if source == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(source) {
            Ok(file) => Box::new(std::io::BufReader::new(file)),
            Err(e) => {
                eprintln!("error: cannot read {source}: {e}");
                return EXIT_USAGE;
            }
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in reader.lines() {
        let answer = match line {
            Err(e) => Answer::error(format!("cannot read the request line: {e}")),
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => match serde_json::from_str::<RequestLine>(&line) {
                Ok(req) => resolver.answer(&req.method, &req.url, &req.headers, random),
                Err(e) => Answer::error(format!("malformed request line: {e}")),
            },
        };
        let text = serde_json::to_string(&answer)
            .unwrap_or_else(|e| format!(r#"{{"error":"cannot write the answer: {e}"}}"#));
        if writeln!(out, "{text}").is_err() {
            return EXIT_FINDINGS;
        }
    }
    EXIT_OK
}

/// Splits the positionals: paths, then METHOD URL unless `--requests` is given.
/// The manifest paths, and METHOD and URL when a single request is given.
type Positionals = (Vec<std::path::PathBuf>, Option<(String, String)>);

fn split_positionals(args: &ResolveArgs) -> Result<Positionals, String> {
    let mut words = args.words.clone();
    if args.requests.is_some() {
        if words.is_empty() {
            return Err("no manifest PATH given".into());
        }
        return Ok((words.into_iter().map(Into::into).collect(), None));
    }
    if words.len() < 3 {
        return Err("usage: kgw resolve PATH... --gateway NS/NAME METHOD URL".into());
    }
    let url = words.pop().unwrap_or_default();
    let method = words.pop().unwrap_or_default();
    Ok((
        words.into_iter().map(Into::into).collect(),
        Some((method, url)),
    ))
}

fn parse_header(raw: &str) -> Result<(String, String), String> {
    let (name, value) = raw
        .split_once(':')
        .ok_or_else(|| format!("header `{raw}` is not `Name: value`"))?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

struct Resolver<'t> {
    gateway: &'t GatewayTable,
    listener: Option<&'t str>,
    explain: bool,
}

impl Answer {
    fn error(message: String) -> Self {
        Self {
            error: Some(message),
            ..Self::default()
        }
    }

    fn respond(status: u16, reason: impl Into<String>) -> Self {
        Self {
            outcome: Some("respond"),
            status: Some(status),
            reason: Some(reason.into()),
            ..Self::default()
        }
    }
}

impl Resolver<'_> {
    fn answer(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        random: &mut dyn RandomSource,
    ) -> Answer {
        let mut parts = match request_parts(method, url, headers) {
            Ok(parts) => parts,
            Err(message) => return Answer::error(message),
        };
        let head = RequestHead::from_parts(&parts);
        // The explanation covers listener selection, which `--listener` skips.
        let (outcome, explain) = match (self.listener, self.explain) {
            (Some(l), _) => (self.gateway.resolve_on_listener(l, &head, random), None),
            (None, true) => {
                let (outcome, explanation) = self.gateway.explain(&head, random);
                (Some(outcome), Some(explanation.lines()))
            }
            (None, false) => (Some(self.gateway.resolve(&head, random)), None),
        };
        let Some(outcome) = outcome else {
            return Answer::error("the listener is not usable".into());
        };
        let mut answer = answer_for(&outcome, &mut parts);
        answer.explain = explain;
        answer
    }
}

fn request_parts(method: &str, url: &str, headers: &[(String, String)]) -> Result<Parts, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("URL `{url}`: {e}"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
        return Err(format!(
            "URL `{url}` must be absolute: http://host[:port]/path"
        ));
    }
    let method = http::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("`{method}` is not an HTTP method"))?;
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(())
        .map(|r| r.into_parts().0)
        .map_err(|e| format!("invalid request: {e}"))
}

/// The contract's answer for an outcome; runs the filters on `parts` for a matched rule.
fn answer_for(outcome: &Outcome<'_>, parts: &mut Parts) -> Answer {
    let resolution = match outcome {
        Outcome::Matched(r) => r,
        Outcome::NoRoute { listener } => {
            let mut a = Answer::respond(404, "no route on the listener matches the request");
            a.listener = Some(listener.name.clone());
            return a;
        }
        Outcome::NoListener => {
            return Answer::respond(404, "no listener serves this port and host");
        }
        Outcome::Misdirected { listener } => {
            let mut a = Answer::respond(
                421,
                "the Host belongs to another listener than the TLS server name",
            );
            a.listener = Some(listener.name.clone());
            return a;
        }
        Outcome::BadRequest(e) => return Answer::respond(400, e.to_string()),
    };
    let listener = kgw_rewrite::ListenerInfo {
        scheme: Scheme::of_listener_protocol(&resolution.listener.protocol),
        port: resolution.listener.port,
    };
    let context = RouteContext {
        rule_filters: resolution.rule_filters,
        backend_filters: resolution.backend_filters(),
        matched_prefix: resolution.matched_prefix(),
        listener,
        ..RouteContext::default()
    };
    let mut answer = match kgw_rewrite::apply(&context, parts) {
        Err(e) => Answer::respond(e.status().as_u16(), e.to_string()),
        Ok(Action::Redirect(r)) => Answer {
            outcome: Some("redirect"),
            status: Some(r.status.as_u16()),
            location: Some(r.location.to_string()),
            ..Answer::default()
        },
        Ok(Action::Respond(r)) => Answer::respond(r.status.as_u16(), r.reason),
        Ok(Action::Forward(forward)) => match resolution.backend {
            BackendChoice::Forward { target, .. } => Answer {
                outcome: Some("forward"),
                backend: Some(backend_json(&target)),
                request: Some(RequestSummary::of(parts, listener)),
                response_headers: Some(forward.response_headers),
                mirrors: Some(forward.mirrors),
                ..Answer::default()
            },
            BackendChoice::Unresolved {
                message, reason, ..
            } => Answer::respond(
                500,
                format!("the chosen backendRef is unresolved ({reason}): {message}"),
            ),
            BackendChoice::NoBackends => Answer::respond(500, "the rule has no backendRefs"),
            BackendChoice::AllWeightsZero => {
                Answer::respond(500, "every backendRef of the rule has weight 0")
            }
        },
    };
    answer.listener = Some(resolution.listener.name.clone());
    answer.route = Some(RouteJson {
        kind: "HTTPRoute",
        namespace: resolution.route_key.namespace.to_string(),
        name: resolution.route_key.name.to_string(),
        rule: resolution.rule_index,
        match_index: resolution.match_index,
    });
    answer
}

fn backend_json(target: &Target<'_>) -> BackendJson {
    match *target {
        Target::Service {
            namespace,
            name,
            port,
            ..
        } => BackendJson {
            group: "",
            kind: "Service",
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            port: Some(port),
        },
        Target::Backend {
            namespace, name, ..
        } => BackendJson {
            group: kgw_validate::KGATEWAY_GROUP,
            kind: "Backend",
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            port: None,
        },
    }
}

fn print_answer(answer: &Answer, output: Output) {
    match output {
        Output::Json => match serde_json::to_string_pretty(answer) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: cannot write JSON: {e}"),
        },
        Output::Text => print!("{}", answer_text(answer)),
    }
}

/// The answer for people: the outcome first, then one labelled line per fact.
fn answer_text(a: &Answer) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let outcome = a.outcome.unwrap_or("error");
    let _ = match a.status {
        Some(status) => writeln!(out, "{outcome} {status}"),
        None => writeln!(out, "{outcome}"),
    };
    let mut line = |label: &str, value: String| {
        let _ = writeln!(out, "  {label:<9} {value}");
    };
    if let Some(listener) = &a.listener {
        line("listener", listener.clone());
    }
    if let Some(r) = &a.route {
        line(
            "route",
            format!(
                "{} {}/{} rule {} match {}",
                r.kind, r.namespace, r.name, r.rule, r.match_index
            ),
        );
    }
    if let Some(b) = &a.backend {
        let port = b.port.map(|p| format!(" port {p}")).unwrap_or_default();
        line(
            "backend",
            format!("{} {}/{}{port}", b.kind, b.namespace, b.name),
        );
    }
    if let Some(location) = &a.location {
        line("location", location.clone());
    }
    if let Some(reason) = &a.reason {
        line("reason", reason.clone());
    }
    if let Some(r) = &a.request {
        line(
            "request",
            format!("{} {}://{}{}", r.method, r.scheme, r.authority, r.path),
        );
        for (name, value) in &r.headers {
            line("header", format!("{name}: {value}"));
        }
    }
    for ops in a.response_headers.iter().flatten() {
        if let Ok(json) = serde_json::to_string(ops) {
            line("response", json);
        }
    }
    for mirror in a.mirrors.iter().flatten() {
        if let Ok(json) = serde_json::to_string(mirror) {
            line("mirror", json);
        }
    }
    for e in a.explain.iter().flatten() {
        line("explain", e.clone());
    }
    out
}
