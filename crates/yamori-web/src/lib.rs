//! The dashboard's static files, built from `web/` by this crate's build script and
//! embedded in the binary (the dashboard works offline and needs no files beside `yamori`).

/// One embedded file, served at `path` (e.g. `/index.html`, `/assets/index-1a2b3c.js`).
pub struct Asset {
    pub path: &'static str,
    pub body: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The file served at `path`, if any.
pub fn get(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// Whether the front-end was built into this binary (see the build script's knobs).
pub fn is_built() -> bool {
    get("/index.html").is_some()
}

/// The `Content-Type` for a file name, by extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "map" => "application/json",
        _ => "application/octet-stream",
    }
}

/// Served at `/` when the front-end was not built into this binary.
pub const NOT_BUILT_PAGE: &str = "<!doctype html><html lang=en><meta charset=utf-8>\
<title>Yamori</title><body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\
<h1>Yamori hub</h1><p>This binary was built without the dashboard (npm was not found, or \
YAMORI_SKIP_WEB=1 was set). Install Node.js and npm (or run <code>scripts/setup</code>) and \
build again. The TAXII 2.1 API at <code>/taxii2/</code> and the REST API at \
<code>/api/v1/</code> work without it.</p></body></html>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_by_extension() {
        assert_eq!(
            content_type("/assets/a.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("/x"), "application/octet-stream");
    }
}
