//! Port conditions of RFC 8519: `{"operator": "eq", "port": 443}` (operators `eq`, `neq`,
//! `lte`, `gte`; `eq` when absent) or a range `{"lower-port": 554, "upper-port": 555}`; in
//! `tcp`/`udp` matches (final shape) or beside the addresses (draft shape).

use super::node::{err, identity, string, uint, Obj};
use super::{MudError, PortMatch};

/// A port condition: `{"operator": "eq", "port": 443}` or `{"lower-port", "upper-port"}`.
pub(super) fn read(
    obj: &mut Obj<'_>,
    names: &[&'static str],
    slot: &mut Option<PortMatch>,
) -> Result<(), MudError> {
    let Some((_, v, path)) = obj.any(names) else {
        return Ok(());
    };
    let mut p = Obj::new(v, &path)?;
    let port = |p: &mut Obj<'_>, name: &'static str| -> Result<u16, MudError> {
        let (v, vp) = p.require(&[name])?;
        Ok(uint(v, &vp, u64::from(u16::MAX))? as u16)
    };
    let found = if p.get("lower-port").is_some() {
        let (lo, hi) = (port(&mut p, "lower-port")?, port(&mut p, "upper-port")?);
        if lo > hi {
            return Err(err(
                &path,
                format!("lower-port {lo} is above upper-port {hi}"),
            ));
        }
        PortMatch::Range(lo, hi)
    } else {
        let n = port(&mut p, "port")?;
        let op = match p.get("operator") {
            Some((o, op)) => identity(string(o, &op)?).to_string(),
            None => "eq".to_string(),
        };
        match op.as_str() {
            "eq" => PortMatch::Eq(n),
            "neq" => PortMatch::Neq(n),
            "lte" => PortMatch::Lte(n),
            "gte" => PortMatch::Gte(n),
            other => {
                return Err(err(
                    &child_operator(&path),
                    format!("{other:?}: expected eq, neq, lte or gte"),
                ))
            }
        }
    };
    if let Some(u) = p.unknown().into_iter().next() {
        return Err(err(&u, "unknown member of a port condition"));
    }
    *slot = Some(found);
    Ok(())
}

fn child_operator(path: &str) -> String {
    format!("{path}/operator")
}
