//! Notices to owners (ISPs, organisations) from survey results.
