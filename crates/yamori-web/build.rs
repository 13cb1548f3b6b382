//! Builds the dashboard front-end in `web/` with npm + Vite into `OUT_DIR/web` and writes
//! `OUT_DIR/assets.rs`, a table of every output file embedded with `include_bytes!`.
//!
//! Why a build script: the README promises that `cargo run --release -- demo` does all the
//! set-up, so the front-end must be built by the normal build. Knobs:
//! - `YAMORI_WEB_DIST=<dir>`: embed an already built front-end instead of running npm;
//! - `YAMORI_SKIP_WEB=1`: embed only a page saying the dashboard was not built (for builds
//!   that do not need it, e.g. fuzzing);
//! - without npm on the machine the same placeholder is embedded, with a cargo warning.
//!   When npm is there but the build fails, the Rust build fails too: a silently missing
//!   dashboard would be worse.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let web = manifest.join("../../web");
    // Only paths that exist: cargo counts a missing one as changed on every build, which
    // re-ran npm and rebuilt this crate, the hub and the binary each time (and every fuzz
    // target).
    for p in [
        "src",
        "public",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "tsconfig.node.json",
    ] {
        let path = web.join(p);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rerun-if-env-changed=YAMORI_WEB_DIST");
    println!("cargo:rerun-if-env-changed=YAMORI_SKIP_WEB");

    let dist = if let Ok(d) = std::env::var("YAMORI_WEB_DIST") {
        Some(PathBuf::from(d))
    } else if std::env::var("YAMORI_SKIP_WEB").is_ok_and(|v| v == "1") {
        None
    } else if !web.join("package.json").exists() {
        println!("cargo:warning=web/package.json not found; the dashboard is not embedded");
        None
    } else if Command::new("npm").arg("--version").output().is_err() {
        println!(
            "cargo:warning=npm not found: the dashboard is not embedded (install Node.js and npm, \
             or run scripts/setup, then build again)"
        );
        None
    } else {
        let target = out.join("web");
        npm_build(&web, &target);
        Some(target)
    };
    let mut files = Vec::new();
    if let Some(d) = &dist {
        collect(d, d, &mut files);
        assert!(
            files.iter().any(|(p, _)| p == "/index.html"),
            "{}: no index.html in the built front-end",
            d.display()
        );
    }
    files.sort();
    let mut code =
        String::from("/// Every file of the built front-end.\npub static ASSETS: &[Asset] = &[\n");
    for (url, path) in &files {
        code.push_str(&format!(
            "    Asset {{ path: {url:?}, body: include_bytes!({:?}) }},\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    std::fs::write(out.join("assets.rs"), code).expect("write assets.rs");
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        status.success(),
        "{what} failed ({status}); see its output above"
    );
}

fn npm_build(web: &Path, target: &Path) {
    // `npm ci` only when node_modules is missing or older than the lock file.
    let lock = web.join("package-lock.json");
    let stamp = web.join("node_modules/.package-lock.json");
    let stale = match (std::fs::metadata(&lock), std::fs::metadata(&stamp)) {
        (Ok(l), Ok(s)) => match (l.modified(), s.modified()) {
            (Ok(l), Ok(s)) => l > s,
            _ => true,
        },
        _ => true,
    };
    if stale {
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(web),
            "npm ci (in web/)",
        );
    }
    let _ = std::fs::remove_dir_all(target);
    run(
        Command::new("npm")
            .args(["run", "build", "--silent"])
            .env("YAMORI_WEB_OUT", target)
            .current_dir(web),
        "npm run build (in web/)",
    );
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, files);
        } else if let Ok(rel) = p.strip_prefix(root) {
            let url = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
            files.push((url, p));
        }
    }
}
