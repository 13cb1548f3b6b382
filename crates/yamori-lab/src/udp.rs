//! CoAP and SSDP responders.

use std::net::SocketAddr;

use tokio::net::UdpSocket;

pub(super) async fn spawn_coap(addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let sock = UdpSocket::bind(addr).await?;
    let local = sock.local_addr()?;
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, peer)) = sock.recv_from(&mut buf).await {
            let req = &buf[..n];
            if n < 4 {
                continue;
            }
            let tkl = usize::from(req[0] & 0x0f).min(8);
            let Some(token) = req.get(4..4 + tkl) else {
                continue;
            };
            // ACK 2.05 Content, same message id and token, content-format 40 (link-format).
            let mut r = vec![0x60 | tkl as u8, 0x45, req[2], req[3]];
            r.extend_from_slice(token);
            r.extend_from_slice(&[0xc1, 40, 0xff]);
            r.extend_from_slice(
                b"</sensors/temp>;rt=\"temperature\";if=\"sensor\",</.well-known/core>",
            );
            let _ = sock.send_to(&r, peer).await;
        }
    });
    Ok(local)
}

pub(super) async fn spawn_ssdp(addr: SocketAddr, server: String) -> std::io::Result<SocketAddr> {
    let sock = UdpSocket::bind(addr).await?;
    let local = sock.local_addr()?;
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, peer)) = sock.recv_from(&mut buf).await {
            if !buf[..n].starts_with(b"M-SEARCH") {
                continue;
            }
            let r = format!(
                "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://{}:49152/rootDesc.xml\r\nSERVER: {server}\r\nST: upnp:rootdevice\r\nUSN: uuid:2f402f80-da50-11e1-9b23-001788255acc::upnp:rootdevice\r\n\r\n",
                local.ip()
            );
            let _ = sock.send_to(r.as_bytes(), peer).await;
        }
    });
    Ok(local)
}
