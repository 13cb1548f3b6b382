//! How the shared steps fail in each side's own error type.

use std::time::Duration;

use crate::auth::AuthError;

/// What the shared steps ([`super::HubState::blocking`], [`super::HubState::identify`]) need
/// of a side's error type. TAXII answers with its error resource (TAXII 2.1 §3.6.1), the
/// API with `{"error": …}`; the steps are written once, for either.
pub(crate) trait HandlerError: Sized + Send + 'static {
    /// Something failed on the server's side (500). The cause is logged, never sent.
    fn internal(cause: impl std::fmt::Display) -> Self;
    /// No credentials, or wrong ones (401).
    fn bad_credentials() -> Self;
    /// Too many failed logins for this user name or from this address: 429, with
    /// `Retry-After` saying how long to wait (see [`crate::throttle`]).
    fn throttled(wait: Duration) -> Self;

    /// A failed credential check as this side answers it.
    fn from_auth(e: AuthError) -> Self {
        match e {
            AuthError::Missing | AuthError::Invalid => Self::bad_credentials(),
            AuthError::Throttled(wait) => Self::throttled(wait),
            AuthError::Task(e) => Self::internal(e),
            AuthError::Store(e) => Self::internal(e),
        }
    }
}
