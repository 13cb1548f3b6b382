//! `yamori sync`.
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum Command {}

pub fn run(_g: &crate::GlobalArgs, c: Command) -> anyhow::Result<ExitCode> {
    match c {}
}
