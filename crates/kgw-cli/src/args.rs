//! Command-line arguments (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Gateway API and kgateway Backend routing, checked and resolved before you deploy.
#[derive(Debug, Parser)]
#[command(name = "kgw", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate manifests: diagnostics, then the status every object would get.
    Check(CheckArgs),
    /// Where a request goes: route, rule, backend, and the request after its filters.
    Resolve(ResolveArgs),
    /// Route real HTTP traffic for one Gateway from manifest files, reloading them on change.
    Serve(ServeArgs),
    /// Print the CRDs of the kinds kgw owns (the kgateway Backend), ready for `kubectl apply`.
    Crds,
}

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// For people; coloured on a terminal.
    #[default]
    Text,
    /// The JSON contract of `docs/cli.md`.
    Json,
}

/// How ReferenceGrants are enforced (kgateway's setting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum GrantMode {
    /// Every cross-namespace reference needs a grant.
    Strict,
    /// kgateway's default.
    #[default]
    Permissive,
    /// Grants are not checked.
    Off,
}

/// Options shared by every command that reads manifests.
#[derive(Clone, Debug, Args)]
pub struct ManifestArgs {
    /// Files or folders (recursive; *.yaml, *.yml, *.json); `-` reads standard input.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// The validation options.
    #[command(flatten)]
    pub validation: ValidationArgs,
}

/// How manifests are read and validated.
#[derive(Clone, Debug, Args)]
pub struct ValidationArgs {
    /// How ReferenceGrants are enforced.
    #[arg(long, value_enum, default_value_t)]
    pub reference_grant_mode: GrantMode,
    /// Only handle Gateways whose GatewayClass names this controller (Gateways whose class is
    /// absent from the input are always handled).
    #[arg(long, value_name = "NAME")]
    pub controller_name: Option<String>,
    /// Accept fields a kind does not have instead of reporting them.
    #[arg(long)]
    pub allow_unknown_fields: bool,
}

/// `kgw check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The manifests.
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// `kgw resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Manifest paths, then METHOD and an absolute URL (`http://host[:port]/path?query`; its
    /// port, by default 80 or 443, selects the listener). With `--requests`, paths only.
    #[arg(value_name = "PATH... METHOD URL", required = true, num_args = 1..)]
    pub words: Vec<String>,
    /// The validation options.
    #[command(flatten)]
    pub validation: ValidationArgs,
    /// The Gateway, as NAMESPACE/NAME.
    #[arg(long, value_name = "NS/NAME")]
    pub gateway: String,
    /// Route on this listener whatever the URL's port and host.
    #[arg(long, value_name = "NAME")]
    pub listener: Option<String>,
    /// A request header, `Name: value`; repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Say why every candidate listener, route and rule matched or lost.
    #[arg(long)]
    pub explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
    /// Read one JSON request per line from FILE (`-`: standard input) and write one JSON
    /// answer per line.
    #[arg(long, value_name = "FILE")]
    pub requests: Option<String>,
    /// Seed of the weighted backend choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `kgw serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The manifests (files or folders; watched for changes).
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// The Gateway to serve, as NAMESPACE/NAME.
    #[arg(long, value_name = "NS/NAME")]
    pub gateway: String,
    /// Where Gateway listener port PORT is bound, as `PORT=ADDR:PORT` (port 0 picks a free
    /// one); repeatable. Listeners not named here bind their own port on 127.0.0.1.
    #[arg(long = "listen", value_name = "PORT=ADDR:PORT")]
    pub listen: Vec<String>,
    /// Serve Prometheus counters at `http://ADDR:PORT/metrics`.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<String>,
    /// Secret values laid out as `DIR/<namespace>/<name>/<key>` (one file per key), for Lambda
    /// credentials and BackendConfigPolicy TLS.
    #[arg(long, value_name = "DIR")]
    pub secrets_dir: Option<PathBuf>,
    /// How often the manifests are checked for changes (Gateway API duration: `500ms`, `2s`).
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    pub watch_interval: String,
    /// Serve a configuration with validation errors (invalid parts answer 500, as in a
    /// cluster) instead of refusing it.
    #[arg(long)]
    pub allow_errors: bool,
}
