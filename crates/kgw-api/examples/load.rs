//! Loads manifests and prints what was found, or every error with its location.
//!
//! ```text
//! cargo run -p kgw-api --example load -- ../shared/examples
//! ```

use std::process::ExitCode;

use kgw_api::load::{LoadOptions, Loader};

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: load PATH... (files, folders, or - for standard input)");
        return ExitCode::from(2);
    }
    let mut loader = Loader::new(LoadOptions::default());
    for path in &paths {
        loader.add_path(path.as_ref());
    }
    let (resources, errors) = loader.into_parts();
    for stored in resources.gateways.iter() {
        let gw = &stored.object;
        let listeners: Vec<String> = gw
            .spec
            .listeners
            .iter()
            .map(|l| format!("{}:{}/{}", l.name, l.port, l.protocol))
            .collect();
        println!(
            "Gateway {}/{}  listeners {}",
            gw.metadata.namespace(),
            gw.metadata.name(),
            listeners.join(" ")
        );
    }
    for stored in resources.http_routes.iter() {
        let route = &stored.object;
        let rules = route.spec.rules.as_ref().map_or(0, Vec::len);
        let at = stored
            .source
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        println!(
            "HTTPRoute {}/{}  {rules} rule(s)  ({at})",
            route.metadata.namespace(),
            route.metadata.name()
        );
    }
    for stored in resources.backends.iter() {
        let b = &stored.object;
        let members: Vec<String> = b.spec.members().map(|m| format!("{m:?}")).collect();
        println!(
            "Backend {}/{}  {}",
            b.metadata.namespace(),
            b.metadata.name(),
            members.join(",")
        );
    }
    println!(
        "{} object(s): {} GatewayClass, {} Gateway, {} HTTPRoute, {} GRPCRoute, {} ReferenceGrant, {} Backend, {} Service, {} Namespace, {} Secret",
        resources.len(),
        resources.gateway_classes.len(),
        resources.gateways.len(),
        resources.http_routes.len(),
        resources.grpc_routes.len(),
        resources.reference_grants.len(),
        resources.backends.len(),
        resources.services.len(),
        resources.namespaces.len(),
        resources.secrets.len(),
    );
    for (kind, count) in &resources.skipped {
        println!("skipped {count} × {kind}");
    }
    for e in &errors {
        eprintln!("error[{}]: {e}", e.code());
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
