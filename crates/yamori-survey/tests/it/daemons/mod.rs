//! Real Debian daemons in a network namespace (root): `inetutils-telnetd` started by
//! `inetutils-inetd` with `login(1)` and PAM, a daemon silent for 8 s before its prompt.
//! Without root or a daemon the check is skipped by the shared rule (a failure in the suite).

mod ftp;
mod ssh;
mod telnet;

use std::time::Duration;

use yamori_lab::netns as lab;
use yamori_survey::fingerprint::Rules;
use yamori_survey::scope::Scope;
use yamori_survey::{creds, engine, ports, SurveyConfig};

/// The survey as `yamori survey` runs it with default settings (the CLI's defaults), on the
/// lab's server address and the given ports.
fn default_config(port_list: &str) -> SurveyConfig {
    SurveyConfig {
        scope: Scope::parse("lab", &format!("{}/32\n", lab::SERVER), None).expect("scope"),
        ports: ports::parse(port_list).expect("ports"),
        rate: 500,
        concurrency: 1000,
        per_host: 4,
        timeout: Duration::from_secs(3),
        host_budget: engine::DEFAULT_HOST_BUDGET,
        prompt_wait: engine::DEFAULT_PROMPT_WAIT,
        reply_wait: engine::DEFAULT_REPLY_WAIT,
        login_parallel: engine::DEFAULT_LOGIN_PARALLEL,
        learned: Default::default(),
        credentials: creds::parse_builtin(creds::BUILTIN).expect("built-in credentials"),
        ftp_anonymous: true,
        rules: Rules::builtin().expect("rules"),
        contact: "lab@example.org".into(),
        discovery: yamori_survey::Discovery::Connect,
    }
}
