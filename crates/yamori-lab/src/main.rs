//! `yamori-lab`: the device emulators and a bare survey runner for the network-namespace lab
//! (tests/lab/README.md). Not an end-user tool.
//!
//!   yamori-lab emulate IP=KIND:PORT[:ARGS…]…   serve until killed; prints `ready` when bound
//!   yamori-lab survey SCOPE_FILE PORTS OUT_FILE [RATE] [TIMEOUT_SECS] [connect|syn] [LOGIN_PARALLEL] [anonymous|no-anonymous]

use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use yamori_lab::{self as lab, Emu, LabLog};
use yamori_survey::fingerprint::Rules;
use yamori_survey::scope::Scope;
use yamori_survey::{creds, ports, Discovery, SurveyConfig};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.first().map(String::as_str) {
        Some("emulate") => emulate(&args[1..]),
        Some("survey") => survey(&args[1..]),
        _ => Err("usage: yamori-lab emulate IP=KIND:PORT[:ARGS]… | yamori-lab survey SCOPE PORTS OUT [RATE] [TIMEOUT] [connect|syn] [LOGIN_PARALLEL] [anonymous|no-anonymous]".into()),
    };
    match out {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("yamori-lab: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn emulate(specs: &[String]) -> Result<(), String> {
    let mut emus = Vec::new();
    for s in specs {
        let (ip, spec) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?}: expected IP=KIND:PORT…"))?;
        let ip: IpAddr = ip.parse().map_err(|_| format!("{s:?}: bad IP"))?;
        emus.push((ip, Emu::parse(spec)?));
    }
    runtime()?.block_on(async move {
        let log = Arc::new(LabLog::default());
        for (ip, emu) in emus {
            let addr = lab::spawn(ip, emu, log.clone())
                .await
                .map_err(|e| format!("bind {ip}: {e}"))?;
            eprintln!("yamori-lab: serving {addr}");
        }
        println!("ready");
        // Report post-login bytes on stderr periodically so a lab run can check them.
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let n = LabLog::get(&log.bytes_after_login);
            if n > 0 {
                eprintln!("yamori-lab: BYTES-AFTER-LOGIN {n}");
            }
        }
    })
}

fn survey(a: &[String]) -> Result<(), String> {
    let [scope, port_list, out, rest @ ..] = a else {
        return Err("survey needs SCOPE PORTS OUT".into());
    };
    let rate: u32 = rest
        .first()
        .map_or(Ok(2000), |r| r.parse())
        .map_err(|_| "bad RATE")?;
    let timeout: f64 = rest
        .get(1)
        .map_or(Ok(1.0), |t| t.parse())
        .map_err(|_| "bad TIMEOUT")?;
    let discovery = match rest.get(2).map(String::as_str) {
        None | Some("connect") => Discovery::Connect,
        Some("syn") => Discovery::Syn,
        Some(other) => return Err(format!("bad discovery {other:?}: connect or syn")),
    };
    let login_parallel: usize = rest
        .get(3)
        .map_or(Ok(yamori_survey::engine::DEFAULT_LOGIN_PARALLEL), |n| {
            n.parse().map_err(|_| "bad LOGIN_PARALLEL")
        })?;
    let ftp_anonymous = match rest.get(4).map(String::as_str) {
        None | Some("anonymous") => true,
        Some("no-anonymous") => false,
        Some(other) => return Err(format!("bad {other:?}: anonymous or no-anonymous")),
    };
    let cfg = SurveyConfig {
        scope: Scope::load(scope.as_ref(), None).map_err(|e| e.to_string())?,
        ports: ports::parse(port_list)?,
        rate,
        concurrency: 1000,
        per_host: 8,
        timeout: Duration::from_secs_f64(timeout),
        host_budget: Duration::from_secs(120),
        prompt_wait: yamori_survey::engine::DEFAULT_PROMPT_WAIT,
        reply_wait: yamori_survey::engine::DEFAULT_REPLY_WAIT,
        login_parallel,
        learned: Default::default(),
        credentials: creds::parse_builtin(creds::BUILTIN).map_err(|e| e.to_string())?,
        ftp_anonymous,
        rules: Rules::builtin().map_err(|e| e.to_string())?,
        contact: "lab@example.org".into(),
        discovery,
    };
    let t0 = std::time::Instant::now();
    let result = yamori_survey::run_survey(cfg).map_err(|e| e.to_string())?;
    eprintln!(
        "yamori-lab: survey of {} targets took {:.2} s",
        result.targets,
        t0.elapsed().as_secs_f64()
    );
    let json = serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?;
    std::fs::write(out, json).map_err(|e| format!("writing {out}: {e}"))
}
