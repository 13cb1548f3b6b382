//! `yamori check`: the simple self-check of one's own network, for households and small
//! offices that cannot write a scope file.
//!
//! The scope is the machine's own directly attached private networks (`yamori_survey::local`:
//! RFC 1918 only, a /22 at most per interface unless widened), shown and confirmed before
//! anything is sent; the survey runs with gentle settings; the report (`yamori_notify::check`)
//! says in plain Japanese or English what is wrong with each device and what to do, on the
//! terminal and in an HTML file to keep.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use yamori_notify::{check_report, lang_of_locale, render_check, Format, Lang};
use yamori_survey::fingerprint::Rules;
use yamori_survey::local::{self, Plan, DEFAULT_MAX_PREFIX_LEN};
use yamori_survey::{creds, engine, ports, Discovery, SurveyConfig};

#[derive(clap::Args, Debug)]
#[command(
    long_about = "Check the devices on this machine's own home or office network for guessable \
passwords, services botnets hunt for and known vulnerabilities, and say what to do.\n\n\
Only the private networks (10/8, 172.16/12, 192.168/16) configured on this machine's interfaces \
are checked, at most a /22 around this machine's address per interface unless --widen says \
otherwise; public addresses are refused. The networks are shown and must be confirmed (--yes \
skips the question). Needs no privileges."
)]
pub struct Args {
    /// Check without asking for confirmation.
    #[arg(long, short)]
    pub yes: bool,
    /// Report language (default: the system locale's, Japanese for `ja_*`, else English).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Where the HTML report is written.
    #[arg(long, value_name = "FILE", default_value = "yamori-check.html")]
    pub html: PathBuf,
    /// Survey a larger interface network whole, down to this prefix length (e.g. 16); by
    /// default a network larger than a /22 is narrowed to the /22 around this machine.
    #[arg(long, value_name = "PREFIX_LEN", value_parser = clap::value_parser!(u8).range(8..=30))]
    pub widen: Option<u8>,
    /// Ports: `iot`, `common`, or a list like `23,80,8080`.
    #[arg(long, default_value = "iot")]
    pub ports: String,
    /// Probes per second (gentle by default: home routers and cameras are small).
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
    /// Do not try any passwords.
    #[arg(long)]
    pub no_creds: bool,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangArg {
    Ja,
    En,
}

/// Login connections to one service at once: fewer than `yamori survey`'s default, for
/// small home devices.
const CHECK_LOGIN_PARALLEL: usize = 2;
/// Connect and read timeout on a local network, where answers take milliseconds.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// Time budget per device.
const CHECK_HOST_BUDGET: Duration = Duration::from_secs(180);

pub fn run(g: &crate::GlobalArgs, a: Args) -> anyhow::Result<ExitCode> {
    let lang = match a.lang {
        Some(LangArg::Ja) => Lang::Ja,
        Some(LangArg::En) => Lang::En,
        None => {
            let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
                .into_iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
            lang_of_locale(locale.as_deref())
        }
    };
    let port_list = ports::parse(&a.ports).map_err(|e| anyhow::anyhow!("--ports: {e}"))?;
    let addrs = local::interface_addrs()?;
    let plan = local::plan(&addrs, a.widen.unwrap_or(DEFAULT_MAX_PREFIX_LEN));
    print_plan(&plan, lang);
    let Some(scope) = plan.scope() else {
        bail!(
            "{}",
            match lang {
                Lang::Ja => "このマシンには私的ネットワーク（10/8, 172.16/12, 192.168/16）のアドレスがありません。`yamori check` は自宅や事務所の私的ネットワークだけを調べます（公開アドレスの周りは他人の機器です）。認可された範囲を調べるには `yamori survey --scope FILE` を使ってください。",
                Lang::En => "this machine has no address on a private network (10/8, 172.16/12, 192.168/16). `yamori check` only checks home or office private networks (the machines around a public address are other people's). To survey a range you are authorised to survey, use `yamori survey --scope FILE`.",
            }
        );
    };
    let scope = scope?;
    if !a.yes && !confirm(lang)? {
        eprintln!(
            "{}",
            match lang {
                Lang::Ja => "中止しました。何も送信していません。",
                Lang::En => "Stopped; nothing was sent.",
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let cfg = SurveyConfig {
        scope,
        ports: port_list,
        rate: a.rate.max(1),
        concurrency: 256,
        per_host: 2,
        timeout: CHECK_TIMEOUT,
        host_budget: CHECK_HOST_BUDGET,
        prompt_wait: engine::DEFAULT_PROMPT_WAIT,
        reply_wait: engine::DEFAULT_REPLY_WAIT,
        login_parallel: CHECK_LOGIN_PARALLEL,
        learned: Default::default(),
        credentials: if a.no_creds {
            Vec::new()
        } else {
            creds::parse_builtin(creds::BUILTIN)?
        },
        // An owner wants to know that a NAS or camera serves files to anyone.
        ftp_anonymous: true,
        rules: Rules::builtin()?,
        // Who is checking: the owner, from this machine.
        contact: format!("self-check from {hostname}"),
        discovery: Discovery::Connect,
    };
    let mut result = yamori_survey::run_survey(cfg)?;
    super::survey::annotate_vulns(g, &mut result)?;
    let networks: Vec<String> = plan
        .networks
        .iter()
        .map(|p| format!("{} ({})", p.net, p.interface))
        .collect();
    let report = check_report(&result, &networks);
    let html = render_check(&report, lang, Format::Html)?;
    std::fs::write(&a.html, html).with_context(|| format!("writing {}", a.html.display()))?;
    if a.json {
        print!("{}", render_check(&report, lang, Format::Json)?);
    } else {
        print!("{}", render_check(&report, lang, Format::Text)?);
    }
    eprintln!(
        "{} {}",
        match lang {
            Lang::Ja => "レポートを保存しました:",
            Lang::En => "report saved to",
        },
        a.html.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Shows what will and will not be checked, and why.
fn print_plan(plan: &Plan, lang: Lang) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{}",
        match lang {
            Lang::Ja => "調べるネットワーク:",
            Lang::En => "Networks to check:",
        }
    );
    for p in &plan.networks {
        let narrowed = p
            .narrowed_from
            .map(|w| match lang {
                Lang::Ja => format!(
                    "（{w} のうちこのマシンの周り。全体は --widen {}）",
                    w.prefix_len()
                ),
                Lang::En => format!(
                    " (the part of {w} around this machine; --widen {} for all of it)",
                    w.prefix_len()
                ),
            })
            .unwrap_or_default();
        let _ = writeln!(
            err,
            "  {} on {} (this machine: {}){narrowed}",
            p.net, p.interface, p.addr
        );
    }
    if plan.networks.is_empty() {
        let _ = writeln!(err, "  -");
    }
    for r in &plan.refused {
        let _ = writeln!(
            err,
            "  {} {}/{} on {}: {}",
            match lang {
                Lang::Ja => "対象外",
                Lang::En => "not checked",
            },
            r.addr,
            r.prefix_len,
            r.interface,
            reason_text(r.reason, lang)
        );
    }
}

fn reason_text(r: local::Reason, lang: Lang) -> String {
    use local::Reason as R;
    match (lang, r) {
        (Lang::Ja, R::Public) => "公開アドレスです。周りの機器は他人のものです（自宅や事務所の私的ネットワークだけを調べます）".into(),
        (Lang::Ja, R::SharedAddressSpace) => "プロバイダの共有アドレス（CGNAT）です。周りは他の契約者の機器です".into(),
        (Lang::Ja, R::Ipv6) => "IPv6 のネットワークは 2^64 個のアドレスがあり、一つずつは調べられません（機器は IPv4 側で見つけます）".into(),
        (Lang::Ja, R::LinkLocal) => "リンクローカルアドレスです（設定されたネットワークがありません）".into(),
        (Lang::Ja, R::NoNetwork) => "単一アドレスの経路です（周りにネットワークがありません）".into(),
        _ => r.to_string(),
    }
}

/// Asks on the terminal; without one, `--yes` is required.
fn confirm(lang: Lang) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "{}",
            match lang {
                Lang::Ja => "確認できません（端末がありません）。上のネットワークを調べてよければ --yes を付けて実行してください。",
                Lang::En => "cannot ask for confirmation (no terminal): run again with --yes if the networks above may be checked",
            }
        );
    }
    eprint!(
        "{}",
        match lang {
            Lang::Ja => "これらのネットワークの機器を調べますか？ [y/N] ",
            Lang::En => "Check the devices on these networks? [y/N] ",
        }
    );
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes" | "はい"))
}
