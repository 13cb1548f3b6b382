//! Waits learned from an earlier survey (`yamori survey --adapt-from EARLIER.json`).
//!
//! Each login check records how the device behaved: `login_prompt_seconds` (until its first
//! prompt), `login_refusal_seconds` (the longest it took to refuse a password) and, when a
//! wait ran out, a `login_note` / `login_stopped` saying so. A later run of the same service
//! waits accordingly:
//! * a wait that ran out is doubled (up to [`MAX_ADAPTED_WAIT`]): the device was slower than
//!   the wait, and the next run should see its answer;
//! * a measured time `t` gives a wait of `2·t + 2 s` (at least [`MIN_ADAPTED_WAIT`], at most
//!   [`MAX_ADAPTED_WAIT`]): room for a device twice as slow as last time, no more, so a
//!   device that stops answering is noticed sooner than with the general default.
//!
//! Services the earlier run did not see keep the configured waits.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use crate::model::SurveyResult;

/// The shortest wait an adaptation sets: below this, scheduling noise on a busy surveyor
/// would cut off a device that answered in time before.
pub const MIN_ADAPTED_WAIT: Duration = Duration::from_secs(2);
/// The longest wait an adaptation sets (the host budget still bounds every wait).
pub const MAX_ADAPTED_WAIT: Duration = Duration::from_secs(60);
/// Head room added to twice a measured time.
const MARGIN: Duration = Duration::from_secs(2);

/// What an earlier run saw of one service.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Observed {
    prompt: Option<Duration>,
    refusal: Option<Duration>,
    prompt_ran_out: bool,
    reply_ran_out: bool,
}

/// The waits of one service in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waits {
    pub prompt: Duration,
    pub reply: Duration,
}

/// Per-service timing from an earlier survey.
#[derive(Debug, Clone, Default)]
pub struct Learned {
    services: HashMap<SocketAddr, Observed>,
}

fn seconds_field(v: Option<&String>) -> Option<Duration> {
    v.and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

impl Learned {
    /// Reads the timing every login check of `earlier` recorded.
    pub fn from_result(earlier: &SurveyResult) -> Learned {
        let mut services = HashMap::new();
        for h in &earlier.hosts {
            for s in &h.services {
                let note = |k: &str| s.fields.get(k).map(String::as_str).unwrap_or("");
                let o = Observed {
                    prompt: seconds_field(s.fields.get("login_prompt_seconds")),
                    refusal: seconds_field(s.fields.get("login_refusal_seconds")),
                    prompt_ran_out: note("login_note").contains("within the prompt wait"),
                    reply_ran_out: note("login_stopped")
                        .contains("no recognisable reply to the password within"),
                };
                if o != Observed::default() {
                    services.insert(SocketAddr::new(h.address, s.port), o);
                }
            }
        }
        Learned { services }
    }

    /// Number of services with learned timing.
    pub fn len(&self) -> usize {
        self.services.len()
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// The waits for `addr`, from the configured ones; `None` when nothing was learned.
    pub fn waits(&self, addr: SocketAddr, configured: Waits) -> Option<Waits> {
        let o = self.services.get(&addr)?;
        let adapt = |ran_out: bool, measured: Option<Duration>, wait: Duration| {
            if ran_out {
                (wait * 2).min(MAX_ADAPTED_WAIT).max(wait)
            } else if let Some(t) = measured {
                (t * 2 + MARGIN).clamp(MIN_ADAPTED_WAIT, MAX_ADAPTED_WAIT)
            } else {
                wait
            }
        };
        Some(Waits {
            prompt: adapt(o.prompt_ran_out, o.prompt, configured.prompt),
            reply: adapt(o.reply_ran_out, o.refusal, configured.reply),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(fields: &[(&str, &str)]) -> SurveyResult {
        let fields: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        serde_json::from_value(serde_json::json!({
            "schema": crate::model::SCHEMA_ID,
            "scope": ["192.0.2.0/24"],
            "started": "2026-01-01T00:00:00Z",
            "finished": "2026-01-01T00:01:00Z",
            "targets": 256,
            "hosts": [{"address": "192.0.2.7", "services": [
                {"port": 23, "transport": "tcp", "protocol": "telnet", "fields": fields}
            ]}]
        }))
        .expect("a survey result")
    }

    const CONFIGURED: Waits = Waits {
        prompt: Duration::from_secs(20),
        reply: Duration::from_secs(10),
    };

    fn addr() -> SocketAddr {
        "192.0.2.7:23".parse().expect("literal")
    }

    #[test]
    fn measured_times_give_twice_plus_a_margin() {
        let l = Learned::from_result(&result(&[
            ("login_prompt_seconds", "0.1"),
            ("login_refusal_seconds", "3.2"),
        ]));
        let w = l.waits(addr(), CONFIGURED).expect("learned");
        assert_eq!(w.prompt, Duration::from_millis(2200));
        assert_eq!(w.reply, Duration::from_millis(8400));
        assert_eq!(
            l.waits("192.0.2.8:23".parse().expect("x"), CONFIGURED),
            None
        );
    }

    #[test]
    fn a_wait_that_ran_out_is_doubled_up_to_the_cap() {
        let l = Learned::from_result(&result(&[
            ("login_note", "no login prompt within the prompt wait"),
            (
                "login_stopped",
                "no recognisable reply to the password within 10.0 s",
            ),
        ]));
        let w = l.waits(addr(), CONFIGURED).expect("learned");
        assert_eq!(w.prompt, Duration::from_secs(40));
        assert_eq!(w.reply, Duration::from_secs(20));
        let long = Waits {
            prompt: Duration::from_secs(50),
            reply: Duration::from_secs(90),
        };
        let w = l.waits(addr(), long).expect("learned");
        assert_eq!(w.prompt, MAX_ADAPTED_WAIT);
        // A configured wait above the cap is kept: a wait that ran out is never shortened.
        assert_eq!(w.reply, Duration::from_secs(90));
    }

    #[test]
    fn a_fast_device_gets_no_less_than_the_floor() {
        let l = Learned::from_result(&result(&[("login_refusal_seconds", "0.0")]));
        let w = l.waits(addr(), CONFIGURED).expect("learned");
        assert_eq!(w.reply, MIN_ADAPTED_WAIT);
        assert_eq!(
            w.prompt, CONFIGURED.prompt,
            "nothing learned about the prompt"
        );
    }

    #[test]
    fn nonsense_timing_is_ignored() {
        let l = Learned::from_result(&result(&[
            ("login_refusal_seconds", "-3"),
            ("login_prompt_seconds", "NaN"),
        ]));
        assert!(l.is_empty());
    }
}
