//! The demo's survey: emulated IoT devices on 127.0.0.1 (the lab's emulators), surveyed
//! with an explicit loopback scope, so the dashboard's survey page has something real to
//! show without touching any other address.
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use yamori_lab::{self as lab, Emu, LabLog};

/// Devices to emulate: `(lab spec with port 0, protocol the survey is told to expect)`.
/// A telnet router with Mirai's favourite default login, a camera with a default web login,
/// an open MQTT broker, an FTP and an SSH server with old versions.
const DEVICES: &[(&str, &str)] = &[
    ("telnet:0:root:xc3511", "telnet"),
    ("http:0:Hikvision-Webs:admin:12345", "http"),
    ("mqtt:0:anon", "mqtt"),
    ("ftp:0:220 (vsFTPd 2.3.4)", "ftp"),
    ("ssh:0:SSH-2.0-dropbear_2014.63", "ssh"),
];

/// Running emulators; they stop when this is dropped.
pub struct Lab {
    _rt: tokio::runtime::Runtime,
    /// `--ports` list for `yamori survey` (e.g. `40123/telnet,40124/http,…`).
    pub ports: String,
}

pub fn start() -> anyhow::Result<Lab> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the lab's runtime")?;
    let log = Arc::new(LabLog::default());
    let mut ports = Vec::new();
    for (spec, proto) in DEVICES {
        let emu = Emu::parse(spec).map_err(anyhow::Error::msg)?;
        let addr = rt
            .block_on(lab::spawn("127.0.0.1".parse()?, emu, log.clone()))
            .with_context(|| format!("starting the {proto} emulator on 127.0.0.1"))?;
        ports.push(format!("{}/{proto}", addr.port()));
    }
    Ok(Lab {
        _rt: rt,
        ports: ports.join(","),
    })
}

/// The scope file: loopback only, named explicitly (the survey refuses special-purpose
/// ranges unless the scope names them).
pub fn write_scope(path: &Path) -> anyhow::Result<()> {
    std::fs::write(
        path,
        "# yamori demo: emulated devices on this machine only\n127.0.0.1\n",
    )
    .with_context(|| format!("cannot write {}", path.display()))
}
