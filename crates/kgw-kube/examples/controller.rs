//! Runs kgw's status loop against the cluster in the kubeconfig: watches Gateway API and
//! kgateway resources, validates them, and writes the status of the Gateways whose
//! GatewayClass names our controller, of their HTTPRoutes, and of Backends.
//!
//! ```text
//! cargo run -p kgw-kube --example controller -- [CONTROLLER_NAME] [FIELD_MANAGER]
//! ```
//!
//! Defaults: `kgw.dev/gateway-controller` and `kgw`. Stop it with Ctrl-C.

use kgw_kube::{ControllerConfig, SnapshotConfig};
use kgw_validate::{Options, Report, Severity};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let controller_name = args
        .next()
        .unwrap_or_else(|| "kgw.dev/gateway-controller".to_owned());
    let field_manager = args.next().unwrap_or_else(|| "kgw".to_owned());
    let client = kube::Client::try_default().await?;
    let options = Options {
        controller_name: Some(controller_name.clone()),
        ..Options::default()
    };
    let config = ControllerConfig {
        controller_name,
        field_manager,
        snapshot: SnapshotConfig::default(),
    };
    let validate =
        move |resources: &kgw_api::Resources| kgw_validate::validate(resources, &options);
    let report_round =
        |resources: &kgw_api::Resources, report: &Report, summary: &kgw_kube::WriteSummary| {
            let errors = report
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            println!(
                "{} objects, {} gateways handled, {} errors; {} statuses patched, {} failed",
                resources.len(),
                report.gateways.len(),
                errors,
                summary.patched.len(),
                summary.failed.len()
            );
            for failure in &summary.failed {
                eprintln!("  {failure}");
            }
        };
    tokio::select! {
        () = kgw_kube::run(client, config, validate, report_round) => {}
        _ = tokio::signal::ctrl_c() => println!("stopping"),
    }
    Ok(())
}
