//! yamori-bus without a server: the checks a hub applies to every message, and the outbox.
mod message;
mod outbox;
