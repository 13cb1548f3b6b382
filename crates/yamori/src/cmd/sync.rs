//! `yamori sync`: incremental pull from / push to another TAXII 2.1 server. The position
//! (last date_added handled) is remembered per peer and collection in the local store.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use yamori_hub::client::{collection_url, Auth, ClientOptions, TaxiiClient};
use yamori_store::taxii::{Collection, ObjectQuery, VersionFilter};
use yamori_store::Store;

use super::open_store;

/// Objects per page read or envelope sent.
const PAGE: u32 = 1000;
/// How long to wait for a peer to finish a posted envelope.
const STATUS_WAIT: Duration = Duration::from_secs(300);

/// How to authenticate to another TAXII server (shared by `sync` and `publish --to`).
#[derive(clap::Args, Debug, Default, Clone)]
pub struct PeerAuth {
    /// Bearer token for the peer.
    #[arg(
        long,
        env = "YAMORI_PEER_TOKEN",
        hide_env_values = true,
        conflicts_with = "user"
    )]
    pub token: Option<String>,
    /// HTTP Basic user for the peer (password from YAMORI_PEER_PASSWORD).
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long, env = "YAMORI_PEER_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Trust this PEM certificate (e.g. the peer hub's generated tls/ca.pem).
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
    /// Accept any certificate from the peer (testing on loopback only).
    #[arg(long)]
    pub danger_accept_invalid_certs: bool,
}

impl PeerAuth {
    /// A TAXII client with these credentials.
    pub fn client(&self) -> anyhow::Result<TaxiiClient> {
        let auth = match (&self.token, &self.user) {
            (Some(t), _) => Auth::Bearer(t.clone()),
            (None, Some(u)) => Auth::Basic {
                user: u.clone(),
                password: self.password.clone().unwrap_or_default(),
            },
            _ => Auth::None,
        };
        let opts = ClientOptions {
            ca_cert: self.ca_cert.clone(),
            danger_accept_invalid_certs: self.danger_accept_invalid_certs,
            timeout: None,
        };
        Ok(TaxiiClient::new(auth, &opts)?)
    }
}

#[derive(clap::Args, Debug)]
pub struct Peer {
    /// The peer's API root URL, e.g. https://peer:9443/api1/
    pub url: String,
    #[command(flatten)]
    pub auth: PeerAuth,
    /// Local API root.
    #[arg(long, default_value = "api1")]
    pub local_api_root: String,
    /// Start again from the beginning instead of the remembered position.
    #[arg(long)]
    pub full: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Copy objects added on the peer since the last pull into a local collection.
    Pull {
        #[command(flatten)]
        peer: Peer,
        /// Remote collection (id, alias or title).
        #[arg(long)]
        collection: String,
        /// Local collection alias (created if missing); default: the remote name.
        #[arg(long)]
        into: Option<String>,
    },
    /// Send objects added locally since the last push to a collection on the peer.
    Push {
        #[command(flatten)]
        peer: Peer,
        /// Local collection (id or alias).
        #[arg(long)]
        collection: String,
        /// Remote collection (id, alias or title); default: the local name.
        #[arg(long)]
        to: Option<String>,
        /// The sharing policy file (default: <data-dir>/sharing.toml when it exists). Only
        /// what the peer's policy allows is sent: TLP:RED never; AMBER and AMBER+STRICT only
        /// when its policy says so; objects without a marking count as AMBER unless it says
        /// otherwise. Without a policy for the peer, CLEAR and GREEN only.
        #[arg(long)]
        policy: Option<std::path::PathBuf>,
        /// An ASN database (MaxMind/DB-IP ASN MMDB, ip2asn or pfx2as TSV) for a policy whose
        /// k-anonymity groups hosts by autonomous system (`keep_asn = true`).
        #[arg(long)]
        asn: Option<PathBuf>,
        /// Say what would be sent, withheld and how anonymous it is; send nothing and keep
        /// the push position.
        #[arg(long)]
        dry_run: bool,
    },
}

fn local_collection(
    store: &Store,
    root: &str,
    name: &str,
    create: bool,
) -> anyhow::Result<Collection> {
    if let Some(c) = store.taxii_collection(root, name)? {
        return Ok(c);
    }
    if !create {
        anyhow::bail!("no local collection {name:?} in API root {root}");
    }
    let c = Collection {
        id: yamori_hub::ingest::new_status("", "", 0).id,
        api_root: root.to_string(),
        alias: Some(name.to_string()),
        title: name.to_string(),
        description: Some("pulled from a TAXII peer".into()),
    };
    store.taxii_put_collection(&c)?;
    Ok(c)
}

pub fn run(g: &crate::GlobalArgs, c: Command) -> anyhow::Result<ExitCode> {
    match c {
        Command::Pull {
            peer,
            collection,
            into,
        } => pull(g, &peer, &collection, into.as_deref()),
        Command::Push {
            peer,
            collection,
            to,
            policy,
            asn,
            dry_run,
        } => push(
            g,
            &peer,
            &PushArgs {
                local_name: &collection,
                to: to.as_deref(),
                policy_file: policy.as_deref(),
                asn: asn.as_deref(),
                dry_run,
            },
        ),
    }
}

fn pull(
    g: &crate::GlobalArgs,
    peer: &Peer,
    remote: &str,
    into: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let store = open_store(g)?;
    let cl = peer.auth.client()?;
    let info = cl.find_collection(&peer.url, remote)?;
    let local = local_collection(
        store.as_ref(),
        &peer.local_api_root,
        into.unwrap_or(remote),
        true,
    )?;
    let key = format!("sync.pull|{}|{}", peer.url, info.id);
    let since = if peer.full { None } else { store.kv_get(&key)? };
    let url = collection_url(&peer.url, &info.id);
    let (mut ok, mut failed) = (0u64, 0u64);
    let mut q = yamori_hub::client::GetQuery {
        added_after: since.clone(),
        limit: Some(PAGE),
        matches: vec![("version".into(), "all".into())],
        next: None,
    };
    let mut position = since;
    let mut guard = yamori_hub::client::PageGuard::default();
    loop {
        let page = cl
            .get_objects(&url, &q)
            .with_context(|| format!("reading {url}"))?;
        let raws: Vec<&serde_json::value::RawValue> =
            page.objects.iter().map(AsRef::as_ref).collect();
        let mut status = yamori_hub::ingest::new_status(&peer.local_api_root, "sync", raws.len());
        let prepared = yamori_hub::ingest::prepare_all(&raws, &mut status);
        yamori_hub::ingest::store_objects(store.as_ref(), &local.id, &prepared, &mut status, 500)?;
        ok += status.successes.len() as u64;
        failed += status.failures.len() as u64;
        for f in status.failures.iter().take(5) {
            tracing::warn!(id = %f.id, message = ?f.message, "object from peer refused");
        }
        if let Some(l) = &page.date_added_last {
            position = Some(l.clone());
            // Saved after every stored page: an interrupted pull resumes where it stopped.
            store.kv_set(&key, l)?;
        }
        // A page may be empty with more to come: the peer withheld what this account may not
        // read (a TLP clearance) and its `next` goes on past them.
        if !page.more || (page.objects.is_empty() && page.next.is_none()) {
            break;
        }
        guard
            .check(&page)
            .map_err(|e| anyhow::anyhow!("reading {url}: {e}"))?;
        match page.next {
            Some(n) => q.next = Some(n),
            None => {
                q.next = None;
                q.added_after = position.clone();
            }
        }
    }
    println!(
        "pulled {ok} objects from {} into {} ({failed} refused); position {}",
        url,
        local.alias.as_deref().unwrap_or(&local.id),
        position.as_deref().unwrap_or("(start)")
    );
    Ok(if failed > 0 {
        ExitCode::from(super::EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

/// A peer no policy names: CLEAR and GREEN only, unmarked objects counted as AMBER.
fn no_policy(url: &str) -> yamori_intel::sharing::PeerPolicy {
    yamori_intel::sharing::PeerPolicy {
        url: url.to_string(),
        collections: None,
        tlp: Default::default(),
        anonymise: None,
    }
}

struct PushArgs<'a> {
    local_name: &'a str,
    to: Option<&'a str>,
    policy_file: Option<&'a std::path::Path>,
    asn: Option<&'a std::path::Path>,
    dry_run: bool,
}

fn push(g: &crate::GlobalArgs, peer: &Peer, a: &PushArgs<'_>) -> anyhow::Result<ExitCode> {
    let (local_name, to, policy_file) = (a.local_name, a.to, a.policy_file);
    let store = open_store(g)?;
    let cl = peer.auth.client()?;
    let local = local_collection(store.as_ref(), &peer.local_api_root, local_name, false)?;
    let (peer_name, policy) = match super::sharing::path(&g.data_dir, policy_file) {
        Some(path) => match super::sharing::for_url(&path, &peer.url)? {
            Some(found) => found,
            None => {
                eprintln!(
                    "{} has no policy for {}: only TLP:CLEAR and TLP:GREEN objects are sent",
                    path.display(),
                    peer.url
                );
                (peer.url.clone(), no_policy(&peer.url))
            }
        },
        None => {
            eprintln!(
                "no sharing policy (<data-dir>/sharing.toml or --policy): only TLP:CLEAR and \
                 TLP:GREEN objects are sent to {}",
                peer.url
            );
            (peer.url.clone(), no_policy(&peer.url))
        }
    };
    if let Some(allowed) = &policy.collections {
        let named = |n: &String| *n == local.id || Some(n.as_str()) == local.alias.as_deref();
        if !allowed.iter().any(named) {
            anyhow::bail!(
                "the sharing policy of {peer_name} does not allow collection {local_name:?} \
                 (it allows: {})",
                allowed.join(", ")
            );
        }
    }
    let tlp = policy.tlp.policy(&peer_name);
    let mut withheld: std::collections::BTreeMap<String, u64> = Default::default();
    let info = cl.find_collection(&peer.url, to.unwrap_or(local_name))?;
    if !info.can_write {
        anyhow::bail!("no write access to {} on {}", info.id, peer.url);
    }
    let key = format!("sync.push|{}|{}|{}", peer.url, info.id, local.id);
    let mut q = ObjectQuery::new(&local.id, PAGE);
    q.versions = VersionFilter::all();
    q.added_after = if peer.full { None } else { store.kv_get(&key)? };
    let shareable = |v: &serde_json::Value| tlp.check(v, &peer_name).is_ok();
    let mut anonymiser = match &policy.anonymise {
        Some(p) => {
            let asn = a
                .asn
                .map(yamori_enrich::AsnDb::open)
                .transpose()
                .context("opening --asn")?;
            let (anon, report) = super::anonymise::PushAnonymiser::prepare(
                store.as_ref(),
                &g.data_dir,
                p,
                &q,
                asn.as_ref(),
                &shareable,
            )?;
            println!("{report}");
            Some(anon)
        }
        None => None,
    };
    let url = collection_url(&peer.url, &info.id);
    let (mut ok, mut failed, mut would_send) = (0u64, 0u64, 0u64);
    loop {
        let page = store.taxii_query(&q)?;
        // An anonymised push sends only what it measured; later objects wait for the next.
        let bound = anonymiser.as_ref().map(|a| a.through_seq);
        let measured = |seq: i64| bound.is_none_or(|t| t.is_some_and(|t| seq <= t));
        let upto = page
            .objects
            .iter()
            .position(|o| !measured(o.seq))
            .unwrap_or(page.objects.len());
        let (objects, beyond) = (&page.objects[..upto], upto < page.objects.len());
        let Some(last) = objects.last().cloned() else {
            break;
        };
        let mut allowed: Vec<(String, serde_json::Value)> = Vec::new();
        for body in objects.iter().filter_map(|o| o.body.clone()) {
            let verdict = serde_json::from_str::<serde_json::Value>(&body)
                .map_err(|e| format!("not JSON: {e}"))
                .and_then(|v| match tlp.check(&v, &peer_name) {
                    Ok(()) => Ok(v),
                    Err(w) => Err(w.to_string()),
                });
            match verdict {
                Ok(v) => allowed.push((body, v)),
                Err(why) => *withheld.entry(why).or_default() += 1,
            }
        }
        let mut bodies: Vec<Box<serde_json::value::RawValue>> = Vec::new();
        match anonymiser.as_mut() {
            None => bodies.extend(
                allowed
                    .into_iter()
                    .filter_map(|(body, _)| serde_json::value::RawValue::from_string(body).ok()),
            ),
            Some(anon) => {
                let values: Vec<serde_json::Value> = allowed.into_iter().map(|(_, v)| v).collect();
                anon.resolve(store.as_ref(), &values, &shareable)?;
                for v in &values {
                    match anon.rewrite(v) {
                        yamori_intel::anonymise::Rewritten::Shared(out) => {
                            bodies.extend(serde_json::value::to_raw_value(&out.object).ok())
                        }
                        yamori_intel::anonymise::Rewritten::Withheld(why) => {
                            *withheld.entry(format!("anonymisation: {why}")).or_default() += 1
                        }
                    }
                }
            }
        }
        if a.dry_run {
            would_send += bodies.len() as u64;
        } else if !bodies.is_empty() {
            let refs: Vec<&serde_json::value::RawValue> =
                bodies.iter().map(AsRef::as_ref).collect();
            let st = cl
                .post_objects(&url, &refs)
                .with_context(|| format!("posting to {url}"))?;
            let st = cl.wait_status(&peer.url, st, STATUS_WAIT)?;
            ok += st.success_count;
            failed += st.failure_count;
        }
        // Only advance once the peer has finished with this page.
        if !a.dry_run {
            store.kv_set(&key, &last.date_added)?;
        }
        q.after = Some(last.cursor());
        if !page.more || beyond {
            break;
        }
    }
    let held: u64 = withheld.values().sum();
    if a.dry_run {
        println!("would push {would_send} objects to {url} ({held} withheld by the sharing policy); nothing was sent");
    } else {
        println!("pushed {ok} objects to {url} ({failed} refused by the peer, {held} withheld by the sharing policy)");
    }
    for (why, n) in &withheld {
        println!("  withheld {n}: {why}");
    }
    Ok(if failed > 0 {
        ExitCode::from(super::EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}
