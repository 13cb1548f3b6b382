//! A TAXII 2.1 client (blocking; reqwest with rustls). Works against any TAXII 2.1 server:
//! discovery, API roots, collections, paged object reads (`next`, else `added_after` from
//! `X-TAXII-Date-Added-Last`), envelope posts and status polling.
//!
//! Do not call it from inside an async runtime (reqwest's blocking client owns one).

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::TAXII_MEDIA_TYPE;

/// Largest response body read (a page of 1,000 large objects fits easily).
const MAX_RESPONSE: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("HTTP request to {url} failed: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("{url} sent an unexpected response: {detail}")]
    Protocol { url: String, detail: String },
    #[error("reading the CA certificate {path}: {detail}")]
    Ca { path: String, detail: String },
    #[error("status {id} still pending after {secs} s")]
    Timeout { id: String, secs: u64 },
    #[error("no write access to collection {name:?} ({url})")]
    NotWritable { url: String, name: String },
}

type Result<T> = std::result::Result<T, ClientError>;

/// Pages in a row without objects that a reader follows before it gives up: a server may
/// answer a page it withheld (a TLP clearance) as empty with `more` and `next`, but not
/// without end.
pub const MAX_EMPTY_PAGES: u32 = 1000;

/// Watches a paged read for a server that answers empty pages without end. (A repeated
/// `next` is no sign of that: medallion keeps one token for a whole paging session.)
#[derive(Debug, Default)]
pub struct PageGuard {
    empty_in_a_row: u32,
}

impl PageGuard {
    /// Call with each page before following its `next`; an error says why to stop.
    pub fn check(&mut self, page: &ObjectsPage) -> std::result::Result<(), String> {
        if page.objects.is_empty() {
            self.empty_in_a_row += 1;
            if self.empty_in_a_row > MAX_EMPTY_PAGES {
                return Err(format!(
                    "{MAX_EMPTY_PAGES} pages in a row without objects, each with more to come; \
                     stopped (the position stays at the last object read)"
                ));
            }
        } else {
            self.empty_in_a_row = 0;
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Basic { user: String, password: String },
    Bearer(String),
}

#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Extra trusted CA / self-signed certificate (PEM), e.g. a peer hub's generated cert.
    pub ca_cert: Option<std::path::PathBuf>,
    /// Accept any server certificate. Only for tests on loopback.
    pub danger_accept_invalid_certs: bool,
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CollectionInfo {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub can_read: bool,
    pub can_write: bool,
    #[serde(default)]
    pub media_types: Vec<String>,
}

/// Filters for a read of objects.
#[derive(Debug, Clone, Default)]
pub struct GetQuery {
    pub added_after: Option<String>,
    pub limit: Option<u32>,
    pub next: Option<String>,
    /// `(field, comma-separated values)`, e.g. `("type", "indicator")`.
    pub matches: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct ObjectsPage {
    pub objects: Vec<Box<RawValue>>,
    pub more: bool,
    pub next: Option<String>,
    pub date_added_first: Option<String>,
    pub date_added_last: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusResource {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub success_count: u64,
    #[serde(default)]
    pub failure_count: u64,
    #[serde(default)]
    pub pending_count: u64,
    #[serde(default)]
    pub failures: Vec<Value>,
}

/// What [`TaxiiClient::publish`] did: the collection's URL and the statuses added up.
#[derive(Debug, Clone)]
pub struct Posted {
    pub url: String,
    pub success_count: u64,
    pub failure_count: u64,
    /// The failure details the server gave, in order.
    pub failures: Vec<Value>,
}

pub struct TaxiiClient {
    http: reqwest::blocking::Client,
    auth: Auth,
}

/// Join a base URL (ending in `/`) and a relative path.
fn join(base: &str, rel: &str) -> String {
    if base.ends_with('/') {
        format!("{base}{rel}")
    } else {
        format!("{base}/{rel}")
    }
}

/// URL of a collection under an API root URL.
pub fn collection_url(api_root: &str, collection_id: &str) -> String {
    join(api_root, &format!("collections/{collection_id}/"))
}

impl TaxiiClient {
    pub fn new(auth: Auth, opts: &ClientOptions) -> Result<Self> {
        let mut b = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .timeout(opts.timeout.unwrap_or(Duration::from_secs(120)))
            .user_agent(concat!("yamori/", env!("CARGO_PKG_VERSION")));
        if let Some(p) = &opts.ca_cert {
            b = b.add_root_certificate(load_ca(p)?);
        }
        if opts.danger_accept_invalid_certs {
            b = b.danger_accept_invalid_certs(true);
        }
        let http = b.build().map_err(|e| ClientError::Http {
            url: String::new(),
            source: e,
        })?;
        Ok(Self { http, auth })
    }

    fn req(&self, m: reqwest::Method, url: &str) -> reqwest::blocking::RequestBuilder {
        let r = self.http.request(m, url).header("Accept", TAXII_MEDIA_TYPE);
        match &self.auth {
            Auth::None => r,
            Auth::Basic { user, password } => r.basic_auth(user, Some(password)),
            Auth::Bearer(t) => r.bearer_auth(t),
        }
    }

    fn send(
        &self,
        url: &str,
        r: reqwest::blocking::RequestBuilder,
    ) -> Result<(reqwest::header::HeaderMap, Vec<u8>)> {
        let resp = r.send().map_err(|e| ClientError::Http {
            url: url.to_string(),
            source: e,
        })?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        use std::io::Read;
        resp.take(MAX_RESPONSE as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| ClientError::Protocol {
                url: url.to_string(),
                detail: format!("reading the body: {e}"),
            })?;
        if body.len() > MAX_RESPONSE {
            return Err(ClientError::Protocol {
                url: url.to_string(),
                detail: format!("response larger than {MAX_RESPONSE} bytes"),
            });
        }
        if !status.is_success() {
            return Err(ClientError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                body: String::from_utf8_lossy(&body[..body.len().min(2000)]).into_owned(),
            });
        }
        Ok((headers, body))
    }

    fn get_json<T: for<'de> Deserialize<'de>>(&self, url: &str) -> Result<T> {
        let (_, body) = self.send(url, self.req(reqwest::Method::GET, url))?;
        parse(url, &body)
    }

    /// `GET /taxii2/` of the server at `server` (e.g. `https://host:9443/`).
    pub fn discovery(&self, server: &str) -> Result<Value> {
        let url = join(server.trim_end_matches('/'), "taxii2/");
        self.get_json(&url)
    }

    pub fn api_root(&self, api_root: &str) -> Result<Value> {
        self.get_json(&join(api_root, ""))
    }

    pub fn collections(&self, api_root: &str) -> Result<Vec<CollectionInfo>> {
        #[derive(Deserialize)]
        struct Cs {
            #[serde(default)]
            collections: Vec<CollectionInfo>,
        }
        Ok(self
            .get_json::<Cs>(&join(api_root, "collections/"))?
            .collections)
    }

    /// Find a collection by id, alias or title.
    pub fn find_collection(&self, api_root: &str, name: &str) -> Result<CollectionInfo> {
        self.collections(api_root)?
            .into_iter()
            .find(|c| c.id == name || c.alias.as_deref() == Some(name) || c.title == name)
            .ok_or_else(|| ClientError::Protocol {
                url: api_root.to_string(),
                detail: format!("no readable or writable collection {name:?}"),
            })
    }

    /// One page of `GET {collection}/objects/`.
    pub fn get_objects(&self, collection: &str, q: &GetQuery) -> Result<ObjectsPage> {
        let mut url = reqwest::Url::parse(&join(collection, "objects/")).map_err(|e| {
            ClientError::Protocol {
                url: collection.to_string(),
                detail: format!("bad URL: {e}"),
            }
        })?;
        {
            let mut qp = url.query_pairs_mut();
            if let Some(a) = &q.added_after {
                qp.append_pair("added_after", a);
            }
            if let Some(l) = q.limit {
                qp.append_pair("limit", &l.to_string());
            }
            for (f, v) in &q.matches {
                qp.append_pair(&format!("match[{f}]"), v);
            }
            if let Some(n) = &q.next {
                qp.append_pair("next", n);
            }
        }
        let url_s = url.to_string();
        let (headers, body) = self.send(&url_s, self.req(reqwest::Method::GET, url.as_str()))?;
        #[derive(Deserialize)]
        struct Env {
            #[serde(default)]
            more: bool,
            #[serde(default)]
            next: Option<String>,
            #[serde(default)]
            objects: Vec<Box<RawValue>>,
        }
        let env: Env = parse(&url_s, &body)?;
        let h = |k: &str| {
            headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(ObjectsPage {
            objects: env.objects,
            more: env.more,
            next: env.next.filter(|n| !n.is_empty()),
            date_added_first: h("x-taxii-date-added-first"),
            date_added_last: h("x-taxii-date-added-last"),
        })
    }

    /// Read every object added after `added_after`, page by page (`next` when given, else
    /// `added_after` = the page's `X-TAXII-Date-Added-Last`), calling `each_page`. Returns
    /// the last date_added seen, to resume from next time.
    pub fn get_all_objects(
        &self,
        collection: &str,
        added_after: Option<String>,
        limit: u32,
        mut each_page: impl FnMut(&ObjectsPage) -> std::result::Result<(), String>,
    ) -> Result<Option<String>> {
        let mut q = GetQuery {
            added_after: added_after.clone(),
            limit: Some(limit),
            ..GetQuery::default()
        };
        let mut last = added_after;
        let mut guard = PageGuard::default();
        loop {
            let page = self.get_objects(collection, &q)?;
            each_page(&page).map_err(|detail| ClientError::Protocol {
                url: collection.to_string(),
                detail,
            })?;
            guard.check(&page).map_err(|detail| ClientError::Protocol {
                url: collection.to_string(),
                detail,
            })?;
            if page.date_added_last.is_some() {
                last = page.date_added_last.clone();
            }
            // Empty with more to come: the server withheld a page (a TLP clearance); its
            // `next` goes on past it.
            if !page.more || (page.objects.is_empty() && page.next.is_none()) {
                return Ok(last);
            }
            match &page.next {
                Some(n) => q.next = Some(n.clone()),
                None => {
                    q.next = None;
                    q.added_after = last.clone();
                }
            }
        }
    }

    /// `POST {collection}/objects/` with an envelope of `objects` (JSON texts).
    pub fn post_objects(&self, collection: &str, objects: &[&RawValue]) -> Result<StatusResource> {
        let url = join(collection, "objects/");
        let mut body = String::from("{\"objects\":[");
        for (i, o) in objects.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(o.get());
        }
        body.push_str("]}");
        let r = self
            .req(reqwest::Method::POST, &url)
            .header("Content-Type", TAXII_MEDIA_TYPE)
            .body(body);
        let (_, b) = self.send(&url, r)?;
        parse(&url, &b)
    }

    /// Post `objects` to the collection `name` (id, alias or title) of `api_root`, in
    /// envelopes of `envelope_objects`, waiting up to `wait` for the server to finish each
    /// before sending the next. Each object succeeds or fails on its own; the outcome adds up
    /// the statuses.
    pub fn publish(
        &self,
        api_root: &str,
        name: &str,
        objects: &[Value],
        envelope_objects: usize,
        wait: Duration,
    ) -> Result<Posted> {
        let collection = self.find_collection(api_root, name)?;
        let url = collection_url(api_root, &collection.id);
        if !collection.can_write {
            return Err(ClientError::NotWritable {
                url,
                name: name.to_string(),
            });
        }
        let raws = objects
            .iter()
            .map(|o| {
                RawValue::from_string(o.to_string()).map_err(|e| ClientError::Protocol {
                    url: url.clone(),
                    detail: format!("an object does not serialise: {e}"),
                })
            })
            .collect::<Result<Vec<Box<RawValue>>>>()?;
        let mut posted = Posted {
            url,
            success_count: 0,
            failure_count: 0,
            failures: Vec::new(),
        };
        for chunk in raws.chunks(envelope_objects.max(1)) {
            let refs: Vec<&RawValue> = chunk.iter().map(AsRef::as_ref).collect();
            let status = self.post_objects(&posted.url, &refs)?;
            let status = self.wait_status(api_root, status, wait)?;
            posted.success_count += status.success_count;
            posted.failure_count += status.failure_count;
            posted.failures.extend(status.failures);
        }
        Ok(posted)
    }

    pub fn status(&self, api_root: &str, id: &str) -> Result<StatusResource> {
        self.get_json(&join(api_root, &format!("status/{id}/")))
    }

    /// Poll a status until it is complete or `wait` has passed.
    pub fn wait_status(
        &self,
        api_root: &str,
        mut s: StatusResource,
        wait: Duration,
    ) -> Result<StatusResource> {
        let start = Instant::now();
        while s.status != "complete" {
            if start.elapsed() > wait {
                return Err(ClientError::Timeout {
                    id: s.id,
                    secs: wait.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
            s = self.status(api_root, &s.id)?;
        }
        Ok(s)
    }
}

fn parse<T: for<'de> Deserialize<'de>>(url: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| ClientError::Protocol {
        url: url.to_string(),
        detail: format!("invalid JSON: {e}"),
    })
}

fn load_ca(p: &Path) -> Result<reqwest::Certificate> {
    let err = |d: String| ClientError::Ca {
        path: p.display().to_string(),
        detail: d,
    };
    let pem = std::fs::read(p).map_err(|e| err(e.to_string()))?;
    reqwest::Certificate::from_pem(&pem).map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(objects: usize, next: Option<&str>) -> ObjectsPage {
        ObjectsPage {
            objects: (0..objects)
                .map(|_| RawValue::from_string("{}".into()).expect("json"))
                .collect(),
            more: true,
            next: next.map(str::to_owned),
            date_added_first: None,
            date_added_last: None,
        }
    }

    #[test]
    fn a_reader_follows_empty_pages_but_not_without_end() {
        let mut g = PageGuard::default();
        for n in 0..MAX_EMPTY_PAGES {
            g.check(&page(0, Some(&n.to_string())))
                .expect("empty pages may come");
        }
        let stop = g.check(&page(0, Some("last"))).expect_err("one too many");
        assert!(stop.contains("in a row"), "{stop}");
        // Objects reset the count; one token for every page is a server's choice.
        let mut g = PageGuard::default();
        for _ in 0..MAX_EMPTY_PAGES {
            g.check(&page(0, Some("a"))).expect("empty");
        }
        g.check(&page(1, Some("a"))).expect("objects");
        g.check(&page(0, Some("a"))).expect("empty again");
    }
}
