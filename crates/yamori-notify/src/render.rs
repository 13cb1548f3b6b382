//! Rendering notices with minijinja.
//!
//! Why minijinja: templates are data a translator can edit without touching Rust; it
//! auto-escapes HTML for templates named `*.html` (every `{{ }}` value, so a banner holding
//! `<script>` arrives as text); its only dependency is serde (askama would add a proc-macro
//! tree and, in its current release, a newer MSRV than the workspace's 1.85); and strict
//! undefined-variable checking turns a typo into a test failure instead of an empty string.
//! The templates are compiled into the binary (`include_str!`).

use minijinja::{context, Environment, UndefinedBehavior};

use super::view::Notice;
use super::Lang;

const HTML: &str = include_str!("templates/notice.html");
const TEXT: &str = include_str!("templates/notice.txt");

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Html,
    Text,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Text => "txt",
        }
    }
    fn template(self) -> &'static str {
        match self {
            Format::Html => "notice.html",
            Format::Text => "notice.txt",
        }
    }
}

/// A template failed to render (a bug in a template, not in the input).
#[derive(Debug, thiserror::Error)]
#[error("rendering {template} for {notice}: {source}")]
pub struct RenderError {
    pub template: &'static str,
    pub notice: String,
    #[source]
    pub source: minijinja::Error,
}

/// One rendered file: `<key>.<lang>.<ext>` and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub file_name: String,
    pub lang: Lang,
    pub format: Format,
    pub body: String,
}

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // The default callback escapes HTML for names ending in .html: exactly our HTML template.
    env.set_auto_escape_callback(minijinja::default_auto_escape_callback);
    env.set_keep_trailing_newline(true);
    env.add_template("notice.html", HTML)?;
    env.add_template("notice.txt", TEXT)?;
    Ok(env)
}

/// Render `notice` in each of `langs` and `formats`.
pub fn render(
    notice: &Notice,
    langs: &[Lang],
    formats: &[Format],
) -> Result<Vec<Rendered>, RenderError> {
    let err = |template: &'static str| {
        move |source| RenderError {
            template,
            notice: notice.key.clone(),
            source,
        }
    };
    let env = environment().map_err(err("templates"))?;
    let mut out = Vec::new();
    for &lang in langs {
        for &format in formats {
            let name = format.template();
            let body = env
                .get_template(name)
                .and_then(|t| t.render(context! { n => notice, lang => lang.code() }))
                .map_err(err(name))?;
            out.push(Rendered {
                file_name: format!("{}.{}.{}", notice.key, lang.code(), format.extension()),
                lang,
                format,
                body,
            });
        }
    }
    Ok(out)
}
