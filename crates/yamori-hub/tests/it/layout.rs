//! The hub's module layout (ARCHITECTURE.md, hub invariants): `taxii/`, `api/` and `feeds/`
//! depend on `app/` and not on each other; in `app/` only the router names them (and the
//! state holds the feed cache); the API builds its
//! responses from the types of `api/types.rs`, never with ad-hoc `json!`.

use std::path::{Path, PathBuf};

/// The `.rs` files under `src/<dir>`, with their text.
fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&root).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source file");
            out.push((path, text));
        }
    }
    assert!(!out.is_empty(), "no sources under {}", root.display());
    out
}

/// Lines of `text` that name one of `needles` outside comments.
fn naming(text: &str, needles: &[&str]) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .filter(|l| needles.iter().any(|n| l.contains(n)))
        .map(str::to_owned)
        .collect()
}

/// Lines of `text` that use the crate's module `name` (`crate::name`, `crate::{…, name`).
fn using(text: &str, name: &str) -> Vec<String> {
    let mut out = naming(text, &[&format!("crate::{name}")]);
    out.extend(
        naming(text, &["crate::{", "super::super"])
            .into_iter()
            .filter(|l| l.contains(name)),
    );
    out
}

#[test]
fn taxii_api_and_feeds_depend_on_app_not_on_each_other() {
    let mut wrong = Vec::new();
    for (dir, other) in [
        ("api", "taxii"),
        ("taxii", "api"),
        ("feeds", "taxii"),
        ("feeds", "api"),
        ("taxii", "feeds"),
        ("api", "feeds"),
    ] {
        for (path, text) in sources(dir) {
            for l in using(&text, other) {
                wrong.push(format!("{}: {l}", path.display()));
            }
        }
    }
    for (path, text) in sources("app") {
        if path.ends_with("router.rs") {
            continue;
        }
        let mut names = [using(&text, "taxii"), using(&text, "api")].concat();
        if !path.ends_with("state.rs") {
            names.extend(using(&text, "feeds"));
        }
        for l in names {
            wrong.push(format!("{}: {l}", path.display()));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn api_responses_are_typed() {
    let mut wrong = Vec::new();
    for (path, text) in sources("api") {
        for l in naming(&text, &["json!"]) {
            wrong.push(format!("{}: {l}", path.display()));
        }
    }
    assert!(
        wrong.is_empty(),
        "build an api/types.rs type instead: {wrong:#?}"
    );
}
