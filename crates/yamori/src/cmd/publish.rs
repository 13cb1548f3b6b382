//! `yamori publish`.
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_g: &crate::GlobalArgs, _a: Args) -> anyhow::Result<ExitCode> {
    super::not_yet("publish")
}
