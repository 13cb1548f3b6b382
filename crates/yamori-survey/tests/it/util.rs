//! Shared helpers: build a config for a scope text and a port list.

use std::time::Duration;

use yamori_survey::creds;
use yamori_survey::fingerprint::Rules;
use yamori_survey::model::{Host, Service};
use yamori_survey::ports;
use yamori_survey::scope::Scope;
use yamori_survey::SurveyConfig;

pub fn config(scope: &str, ports_list: &str) -> SurveyConfig {
    SurveyConfig {
        scope: Scope::parse("test-scope", scope, None).expect("test scope is valid"),
        ports: ports::parse(ports_list).expect("test port list is valid"),
        rate: 2000,
        concurrency: 256,
        per_host: 16,
        timeout: Duration::from_millis(800),
        host_budget: Duration::from_secs(60),
        prompt_wait: yamori_survey::engine::DEFAULT_PROMPT_WAIT,
        reply_wait: yamori_survey::engine::DEFAULT_REPLY_WAIT,
        login_parallel: yamori_survey::engine::DEFAULT_LOGIN_PARALLEL,
        learned: Default::default(),
        credentials: creds::parse_builtin(creds::BUILTIN).expect("built-in credentials parse"),
        ftp_anonymous: true,
        rules: Rules::builtin().expect("built-in rules load"),
        contact: "lab@example.org".into(),
        discovery: yamori_survey::Discovery::Connect,
    }
}

pub fn service(hosts: &[Host], port: u16) -> &Service {
    hosts
        .iter()
        .flat_map(|h| &h.services)
        .find(|s| s.port == port)
        .unwrap_or_else(|| panic!("no service on port {port}; hosts: {hosts:#?}"))
}
