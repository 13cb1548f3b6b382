//! Notices to owners (ISPs, organisations): who owns which address ([`owners`]), what each
//! owner is told about survey findings ([`view`]) and about hosts seen attacking, with the
//! evidence against each ([`alert`]), and the HTML / plain-text / JSON rendering in Japanese
//! and English ([`render`](mod@render)).
//!
//! Architecture invariant: no I/O here; the `notify` command reads the files and writes the
//! notices. It reads survey results, their matches and telescope sources through
//! `yamori-model` only (the matching itself is `yamori-vuln`'s, the store read the binary's).

pub mod alert;
mod assign;
pub mod check;
pub mod owners;
pub mod render;
pub mod view;

pub use alert::{
    group_alerts, merge_hosts, select, telescope_hosts, AlertContext, AlertHost, AlertNotice,
    DecoyEvidence, Evidence, Selection, MAX_LISTED,
};
pub use check::{check_report, lang_of_locale, render_check, CheckReport};
pub use owners::{Owner, Owners, OwnersError};
pub use render::{render, render_alert, Format, RenderError, Rendered};
pub use view::{group, group_with, FallbackOwner, Notice};

/// A notice language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}
