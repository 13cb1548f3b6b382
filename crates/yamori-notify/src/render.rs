//! Rendering notices with minijinja.
//!
//! Why minijinja: templates are data a translator can edit without touching Rust; it
//! auto-escapes HTML for templates named `*.html` (every `{{ }}` value, so a banner holding
//! `<script>` arrives as text); its only dependency is serde (askama would add a proc-macro
//! tree and, in its current release, a newer MSRV than the workspace's 1.85); and strict
//! undefined-variable checking turns a typo into a test failure instead of an empty string.
//! The templates are compiled into the binary (`include_str!`). JSON is serde's, not a
//! template's.

use minijinja::{context, Environment, UndefinedBehavior};
use serde::Serialize;

use super::alert::AlertNotice;
use super::view::Notice;
use super::Lang;

const TEMPLATES: [(&str, &str); 6] = [
    ("notice.html", include_str!("templates/notice.html")),
    ("notice.txt", include_str!("templates/notice.txt")),
    ("alert.html", include_str!("templates/alert.html")),
    ("alert.txt", include_str!("templates/alert.txt")),
    // Pieces both alert formats include (they hold no input, so need no escaping): a
    // telescope verdict in words,
    ("alert_class.txt", include_str!("templates/alert_class.txt")),
    // The quiet period in words.
    ("alert_quiet.txt", include_str!("templates/alert_quiet.txt")),
];

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Html,
    Text,
    /// The notice's data as JSON, for ticketing systems and scripts: one file per notice,
    /// whatever the languages.
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Text => "txt",
            Format::Json => "json",
        }
    }
}

/// What kind of notice is rendered: it picks the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Survey,
    Alert,
}

fn template(kind: Kind, format: Format) -> &'static str {
    match (kind, format) {
        (Kind::Survey, Format::Html) => "notice.html",
        (Kind::Survey, _) => "notice.txt",
        (Kind::Alert, Format::Html) => "alert.html",
        (Kind::Alert, _) => "alert.txt",
    }
}

/// A notice failed to render (a bug in a template, not in the input).
#[derive(Debug, thiserror::Error)]
#[error("rendering {template} for {notice}: {source}")]
pub struct RenderError {
    pub template: &'static str,
    pub notice: String,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// One rendered file: `<key>.<lang>.<ext>` and its text (`<key>.json` for JSON, which has no
/// language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub file_name: String,
    pub lang: Option<Lang>,
    pub format: Format,
    pub body: String,
}

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // The default callback escapes HTML for names ending in .html: exactly our HTML templates.
    env.set_auto_escape_callback(minijinja::default_auto_escape_callback);
    env.set_keep_trailing_newline(true);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// Render a survey notice in each of `langs` and `formats`.
pub fn render(
    notice: &Notice,
    langs: &[Lang],
    formats: &[Format],
) -> Result<Vec<Rendered>, RenderError> {
    render_kind(Kind::Survey, &notice.key, notice, langs, formats)
}

/// Render an alert notice in each of `langs` and `formats`.
pub fn render_alert(
    notice: &AlertNotice,
    langs: &[Lang],
    formats: &[Format],
) -> Result<Vec<Rendered>, RenderError> {
    render_kind(Kind::Alert, &notice.key, notice, langs, formats)
}

fn render_kind<N: Serialize>(
    kind: Kind,
    key: &str,
    notice: &N,
    langs: &[Lang],
    formats: &[Format],
) -> Result<Vec<Rendered>, RenderError> {
    let err = |template: &'static str| {
        move |source: minijinja::Error| RenderError {
            template,
            notice: key.to_string(),
            source: Box::new(source),
        }
    };
    let env = environment().map_err(err("templates"))?;
    let mut out = Vec::new();
    if formats.contains(&Format::Json) {
        let body = serde_json::to_string_pretty(notice).map_err(|e| RenderError {
            template: "json",
            notice: key.to_string(),
            source: Box::new(e),
        })?;
        out.push(Rendered {
            file_name: format!("{key}.json"),
            lang: None,
            format: Format::Json,
            body: body + "\n",
        });
    }
    for &lang in langs {
        for &format in formats.iter().filter(|&&f| f != Format::Json) {
            let name = template(kind, format);
            let body = env
                .get_template(name)
                .and_then(|t| t.render(context! { n => notice, lang => lang.code() }))
                .map_err(err(name))?;
            out.push(Rendered {
                file_name: format!("{key}.{}.{}", lang.code(), format.extension()),
                lang: Some(lang),
                format,
                body,
            });
        }
    }
    Ok(out)
}
