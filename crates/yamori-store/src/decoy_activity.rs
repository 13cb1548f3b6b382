//! What the decoy saw over a window, for the dashboard's decoy page: counts, an hourly series,
//! the pairs and commands tried most, the download URLs, the most active sources and the
//! newest sessions.
//!
//! One scan of the window's records (`decoy_events` by `ts`), aggregated here rather than by
//! the engines: the pairs and commands live in the records' JSON, whose functions differ
//! between SQLite and PostgreSQL, and ties are broken by byte order so both engines give the
//! same answer. The records are read through the index on `ts`, so the cost grows with the
//! window's records (the caller's bound), as does the memory: a row per session that started
//! in it and a set of sessions per URL and per command line.
//!
//! A session counts where its connect record is: one that started before the window adds its
//! logins, commands and downloads to the totals and to its source, but no session, and it is
//! not among the recent sessions.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::db::Param;
use crate::{Result, Store};

const CONNECT: &str = "cowrie.session.connect";
const CLOSED: &str = "cowrie.session.closed";
const LOGIN_OK: &str = "cowrie.login.success";
const LOGIN_FAILED: &str = "cowrie.login.failed";
const COMMAND: &str = "cowrie.command.input";

/// The decoy's activity since a time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecoyActivity {
    /// Sessions that started in the window (their connect record is in it).
    pub sessions: u64,
    /// Distinct source addresses with a record in the window.
    pub sources: u64,
    pub logins_succeeded: u64,
    pub logins_failed: u64,
    /// Command lines typed (`cowrie.command.input`).
    pub commands: u64,
    /// Download records that carry a URL.
    pub downloads: u64,
    /// Per hour with records, ascending.
    pub hours: Vec<DecoyHour>,
    /// The pairs tried most, by attempts, then pair.
    pub credentials: Vec<DecoyCredential>,
    /// The command lines typed most, by count, then line.
    pub commands_top: Vec<DecoyCommand>,
    /// The download URLs named in most sessions, then URL.
    pub urls: Vec<DecoyWindowUrl>,
    /// The sources with most sessions (started in the window), then address.
    pub attackers: Vec<DecoyAttacker>,
    /// The newest sessions first (by their first record).
    pub recent: Vec<DecoySessionRow>,
}

/// One hour of records (`hour`: `YYYY-MM-DDTHH`, UTC, as the records' timestamps begin).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecoyHour {
    pub hour: String,
    pub sessions: u64,
    pub logins: u64,
    pub commands: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoyCredential {
    pub username: String,
    pub password: String,
    pub attempts: u64,
    pub succeeded: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoyCommand {
    pub input: String,
    pub count: u64,
    pub sessions: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoyWindowUrl {
    pub url: String,
    pub sessions: u64,
    pub sources: u64,
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoyAttacker {
    pub src_ip: String,
    pub sessions: u64,
    pub logins_succeeded: u64,
    pub commands: u64,
    pub downloads: u64,
    pub first_seen: String,
    pub last_seen: String,
}

/// One session as the list of recent sessions shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoySessionRow {
    pub session: String,
    pub src_ip: String,
    /// `telnet`, `http`, `mqtt` … from the records (empty if none says).
    pub protocol: String,
    pub start: String,
    /// The close record's time; `None` while the session is open (or its close fell outside
    /// what was stored).
    pub end: Option<String>,
    /// The pair that logged in, if one did.
    pub login: Option<(String, String)>,
    pub commands: u64,
    pub downloads: u64,
}

#[derive(Default)]
struct Tally {
    attempts: u64,
    succeeded: u64,
}

#[derive(Default)]
struct CommandTally {
    count: u64,
    sessions: HashSet<String>,
}

struct UrlTally {
    sessions: HashSet<String>,
    sources: HashSet<String>,
    first: String,
    last: String,
}

struct AttackerTally {
    sessions: u64,
    logins_succeeded: u64,
    commands: u64,
    downloads: u64,
    first: String,
    last: String,
}

/// The first `n` of `items` by `key` (larger first), ties by `tie` (byte order of names, so
/// both engines list the same).
fn top<T>(
    mut items: Vec<T>,
    n: usize,
    key: impl Fn(&T) -> u64,
    tie: impl Fn(&T, &T) -> Ordering,
) -> Vec<T> {
    items.sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| tie(a, b)));
    items.truncate(n);
    items
}

impl Store {
    /// The decoy's activity with records at or after `since` (ISO 8601 UTC, compared as text:
    /// the decoy writes one format). Lists hold at most `top` entries, the recent sessions
    /// `2 × top`.
    pub fn decoy_activity(&self, since: &str, top_n: usize) -> Result<DecoyActivity> {
        let mut a = DecoyActivity::default();
        let mut hours: BTreeMap<String, DecoyHour> = BTreeMap::new();
        let mut sources: HashSet<String> = HashSet::new();
        let mut creds: HashMap<(String, String), Tally> = HashMap::new();
        let mut commands: HashMap<String, CommandTally> = HashMap::new();
        let mut urls: HashMap<String, UrlTally> = HashMap::new();
        let mut attackers: HashMap<String, AttackerTally> = HashMap::new();
        let mut sessions: HashMap<String, DecoySessionRow> = HashMap::new();
        self.db.read(|c| {
            c.query_each(
                "summarise decoy activity",
                "SELECT session, eventid, src_ip, ts, url, record FROM decoy_events
                 WHERE ts >= ?1 ORDER BY seq",
                &[Param::text(since)],
                &mut |r| {
                    let (session, eventid, src, ts) =
                        (r.text(0)?, r.text(1)?, r.text(2)?, r.text(3)?);
                    let url = r.opt_text(4)?;
                    // A record that does not parse (written by something else) counts by its
                    // columns and adds no pair, line or protocol.
                    let record: serde_json::Value =
                        if matches!(eventid, LOGIN_OK | LOGIN_FAILED | COMMAND | CONNECT) {
                            serde_json::from_str(r.text(5)?).unwrap_or_default()
                        } else {
                            serde_json::Value::Null
                        };
                    sources.insert(src.to_string());
                    let hour = hours.entry(ts.chars().take(13).collect()).or_default();
                    let attacker =
                        attackers
                            .entry(src.to_string())
                            .or_insert_with(|| AttackerTally {
                                sessions: 0,
                                logins_succeeded: 0,
                                commands: 0,
                                downloads: 0,
                                first: ts.to_string(),
                                last: ts.to_string(),
                            });
                    if ts < attacker.first.as_str() {
                        attacker.first = ts.to_string();
                    }
                    if ts > attacker.last.as_str() {
                        attacker.last = ts.to_string();
                    }
                    if eventid == CONNECT {
                        a.sessions += 1;
                        hour.sessions += 1;
                        attacker.sessions += 1;
                        let protocol = record["protocol"].as_str().unwrap_or_default();
                        sessions.insert(
                            session.to_string(),
                            DecoySessionRow {
                                session: session.to_string(),
                                src_ip: src.to_string(),
                                protocol: protocol.to_string(),
                                start: ts.to_string(),
                                end: None,
                                login: None,
                                commands: 0,
                                downloads: 0,
                            },
                        );
                    }
                    // Records are read in the order they were written and a session's connect
                    // comes first: a session without a row started before the window.
                    let mut row = sessions.get_mut(session);
                    match eventid {
                        CLOSED => {
                            if let Some(r) = row.as_deref_mut() {
                                r.end = Some(ts.to_string());
                            }
                        }
                        LOGIN_OK | LOGIN_FAILED => {
                            let ok = eventid == LOGIN_OK;
                            hour.logins += 1;
                            if ok {
                                a.logins_succeeded += 1;
                                attacker.logins_succeeded += 1;
                            } else {
                                a.logins_failed += 1;
                            }
                            if let (Some(u), Some(p)) =
                                (record["username"].as_str(), record["password"].as_str())
                            {
                                let pair = (u.to_string(), p.to_string());
                                if let Some(r) = row.as_deref_mut() {
                                    if ok && r.login.is_none() {
                                        r.login = Some(pair.clone());
                                    }
                                }
                                let t = creds.entry(pair).or_default();
                                t.attempts += 1;
                                t.succeeded += u64::from(ok);
                            }
                        }
                        COMMAND => {
                            a.commands += 1;
                            hour.commands += 1;
                            attacker.commands += 1;
                            if let Some(r) = row.as_deref_mut() {
                                r.commands += 1;
                            }
                            if let Some(line) = record["input"].as_str() {
                                let t = commands.entry(line.to_string()).or_default();
                                t.count += 1;
                                t.sessions.insert(session.to_string());
                            }
                        }
                        _ => {}
                    }
                    if let Some(u) = url {
                        a.downloads += 1;
                        attacker.downloads += 1;
                        if let Some(r) = row {
                            r.downloads += 1;
                        }
                        let t = urls.entry(u.to_string()).or_insert_with(|| UrlTally {
                            sessions: HashSet::new(),
                            sources: HashSet::new(),
                            first: ts.to_string(),
                            last: ts.to_string(),
                        });
                        t.sessions.insert(session.to_string());
                        t.sources.insert(src.to_string());
                        if ts < t.first.as_str() {
                            t.first = ts.to_string();
                        }
                        if ts > t.last.as_str() {
                            t.last = ts.to_string();
                        }
                    }
                    Ok(())
                },
            )
        })?;
        a.sources = sources.len() as u64;
        a.hours = hours
            .into_iter()
            .map(|(hour, h)| DecoyHour { hour, ..h })
            .collect();
        a.credentials = top(
            creds
                .into_iter()
                .map(|((username, password), t)| DecoyCredential {
                    username,
                    password,
                    attempts: t.attempts,
                    succeeded: t.succeeded,
                })
                .collect(),
            top_n,
            |c| c.attempts,
            |x, y| (&x.username, &x.password).cmp(&(&y.username, &y.password)),
        );
        a.commands_top = top(
            commands
                .into_iter()
                .map(|(input, t)| DecoyCommand {
                    input,
                    count: t.count,
                    sessions: t.sessions.len() as u64,
                })
                .collect(),
            top_n,
            |c| c.count,
            |x, y| x.input.cmp(&y.input),
        );
        a.urls = top(
            urls.into_iter()
                .map(|(url, t)| DecoyWindowUrl {
                    url,
                    sessions: t.sessions.len() as u64,
                    sources: t.sources.len() as u64,
                    first_seen: t.first,
                    last_seen: t.last,
                })
                .collect(),
            top_n,
            |u| u.sessions,
            |x, y| x.url.cmp(&y.url),
        );
        a.attackers = top(
            attackers
                .into_iter()
                .map(|(src_ip, t)| DecoyAttacker {
                    src_ip,
                    sessions: t.sessions,
                    logins_succeeded: t.logins_succeeded,
                    commands: t.commands,
                    downloads: t.downloads,
                    first_seen: t.first,
                    last_seen: t.last,
                })
                .collect(),
            top_n,
            |x| x.sessions,
            |x, y| x.src_ip.cmp(&y.src_ip),
        );
        let mut recent: Vec<DecoySessionRow> = sessions.into_values().collect();
        recent.sort_by(|x, y| {
            y.start
                .cmp(&x.start)
                .then_with(|| x.session.cmp(&y.session))
        });
        recent.truncate(top_n.saturating_mul(2));
        a.recent = recent;
        Ok(a)
    }
}
