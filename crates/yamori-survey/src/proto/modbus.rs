//! Modbus/TCP: Read Device Identification (function 43 / MEI type 14, basic objects), from
//! the Modbus Application Protocol Specification v1.1b3 §6.21.

/// Request: transaction 1, unit 0xff, read device id code 1 (basic), object 0.
pub fn read_device_id() -> Vec<u8> {
    vec![
        0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0xff, 0x2b, 0x0e, 0x01, 0x00,
    ]
}

/// Outcome of parsing a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Objects (id, value): 0 vendor, 1 product code, 2 revision.
    Objects(Vec<(u8, String)>),
    /// Exception code (e.g. 1 illegal function: the device is Modbus but hides its identity).
    Exception(u8),
    Incomplete,
}

/// Largest MBAP length accepted (the spec caps an ADU at 260 bytes).
pub const MAX_ADU: usize = 260;

/// Parses an MBAP frame carrying a function-43 reply.
pub fn parse(buf: &[u8]) -> Result<Reply, String> {
    if buf.len() < 7 {
        return Ok(Reply::Incomplete);
    }
    if buf[2..4] != [0, 0] {
        return Err("protocol id is not 0 (not Modbus/TCP)".into());
    }
    let len = usize::from(u16::from_be_bytes([buf[4], buf[5]]));
    if !(2..=MAX_ADU).contains(&len) {
        return Err(format!("MBAP length {len} out of range"));
    }
    let Some(pdu) = buf.get(7..6 + len) else {
        return Ok(Reply::Incomplete);
    };
    match pdu.first() {
        Some(0xab) => return Ok(Reply::Exception(pdu.get(1).copied().unwrap_or(0))),
        Some(0x2b) => {}
        Some(f) => return Err(format!("function {f:#x} is not 0x2b")),
        None => return Err("empty PDU".into()),
    }
    if pdu.len() < 7 || pdu[1] != 0x0e {
        return Err("not a MEI 14 reply".into());
    }
    let count = usize::from(pdu[6]);
    let mut objects = Vec::new();
    let mut i = 7;
    for _ in 0..count {
        let (Some(&id), Some(&n)) = (pdu.get(i), pdu.get(i + 1)) else {
            return Err("object header past the end".into());
        };
        let v = pdu
            .get(i + 2..i + 2 + usize::from(n))
            .ok_or("object value past the end")?;
        objects.push((id, String::from_utf8_lossy(v).into_owned()));
        i += 2 + usize::from(n);
    }
    Ok(Reply::Objects(objects))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identification_reply() {
        let mut pdu = vec![0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 0x03];
        for (id, v) in [
            (0u8, "Schneider Electric"),
            (1, "BMX P34 2020"),
            (2, "v2.7"),
        ] {
            pdu.push(id);
            pdu.push(v.len() as u8);
            pdu.extend_from_slice(v.as_bytes());
        }
        let mut f = vec![0, 1, 0, 0];
        f.extend_from_slice(&((pdu.len() + 1) as u16).to_be_bytes());
        f.push(0xff);
        f.extend_from_slice(&pdu);
        let r = parse(&f).expect("valid reply");
        assert_eq!(
            r,
            Reply::Objects(vec![
                (0, "Schneider Electric".into()),
                (1, "BMX P34 2020".into()),
                (2, "v2.7".into())
            ])
        );
        assert_eq!(parse(&f[..f.len() - 3]), Ok(Reply::Incomplete));
    }

    #[test]
    fn exceptions_and_junk() {
        assert_eq!(
            parse(&[0, 1, 0, 0, 0, 3, 0xff, 0xab, 0x01]),
            Ok(Reply::Exception(1))
        );
        assert!(parse(b"HTTP/1.1 400 Bad").is_err());
        assert!(parse(&[0, 1, 0, 0, 0xff, 0xff, 0xff]).is_err());
        assert!(parse(&[0, 1, 0, 0, 0, 4, 0xff, 0x2b, 0x0e, 1]).is_err());
    }
}
