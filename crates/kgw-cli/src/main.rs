//! # kgw
//!
//! The `kgw` command line: point it at Gateway API and kgateway manifests and learn, before
//! deploying, what is wrong ([`check`]) and where every request goes (`resolve`), and route
//! real traffic with them (`serve`). Its JSON
//! output is a contract other tools rely on; see `docs/cli.md`.

mod args;
mod check;
mod crds;
mod inputs;
mod render;
mod resolve;
mod serve;

use std::process::ExitCode;

use clap::Parser;

/// Exit status: no errors.
const EXIT_OK: u8 = 0;
/// Exit status: errors found (or warnings with `--deny-warnings`).
const EXIT_FINDINGS: u8 = 1;
/// Exit status: usage error or unreadable path.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout with success; real usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let code = match cli.command {
        args::Command::Check(args) => check::run(&args),
        args::Command::Resolve(args) => resolve::run(&args),
        args::Command::Serve(args) => serve::run(&args),
        args::Command::Crds => crds::run(),
    };
    ExitCode::from(code)
}
