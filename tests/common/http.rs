//! A bare HTTP/1.1 request on loopback, for the emulators' set-up calls (creating a bucket) that
//! object_store cannot make.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Sends one request and returns the response's status code and body.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// A free port on loopback (bound, read and released: a server started next takes it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `ready` says the server answers, or `child` has ended, for at most `seconds`.
pub fn wait_until(
    child: &mut std::process::Child,
    seconds: u64,
    mut ready: impl FnMut() -> bool,
) -> Result<(), String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("it exited ({status}) before it answered"));
        }
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("it did not answer within {seconds} s"))
}

/// The path of an emulator named by `variable`, or why there is none: under CI (`TRAILSCOPE_CI=1`)
/// a missing one fails the test; elsewhere the caller prints how to install it and returns.
pub fn emulator(variable: &str, name: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os(variable)
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_file());
    if found.is_none() {
        let how = format!(
            "{name} is not installed ({variable} names no file): `bash .ci/run --install-only` installs it \
             into ~/.cache/trailscope-ci and prints the variables to export (or run the whole suite with `bash .ci/run`)"
        );
        if std::env::var("TRAILSCOPE_CI").is_ok_and(|v| v == "1") {
            panic!("{how}");
        }
        eprintln!("skipped: {how}");
    }
    found
}

/// A server on loopback that answers every request with `200 OK`, these headers and this body,
/// whatever was asked (a stand-in for a server of another kind); returns its port.
pub fn answer_every_request(headers: Vec<(String, String)>, body: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let mut head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in &headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    port
}
