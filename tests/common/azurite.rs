//! Azurite's blob service (the npm package `azurite`, which `.ci/run` installs and names in
//! `TRAILSCOPE_AZURITE`) on a free loopback port, in memory, for the life of the value.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use object_store::ClientOptions;
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};

use super::http;

/// The emulator's well-known account and key (public, the same in every Azurite).
pub const ACCOUNT: &str = "devstoreaccount1";
pub const KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const API_VERSION: &str = "2021-08-06";

pub struct Azurite {
    pub addr: SocketAddr,
    child: Child,
    _workspace: tempfile::TempDir,
}

impl Azurite {
    /// Starts the blob service with these containers, or `None` (after saying what to install)
    /// when it is not installed outside CI.
    pub fn start(containers: &[&str]) -> Option<Azurite> {
        let binary = http::emulator("TRAILSCOPE_AZURITE", "Azurite")?;
        let port = http::free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let workspace = tempfile::tempdir().unwrap();
        let child = Command::new(&binary)
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .args([
                "--inMemoryPersistence",
                "--silent",
                "--skipApiVersionCheck",
                "--disableTelemetry",
            ])
            .current_dir(workspace.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut server = Azurite {
            addr,
            child,
            _workspace: workspace,
        };
        // Any HTTP answer (an unsigned request is refused) means it listens.
        http::wait_until(&mut server.child, 30, || {
            http::request(addr, "GET", &format!("/{ACCOUNT}?comp=list"), &[], b"").is_ok_and(|(s, _)| s > 0)
        })
        .unwrap_or_else(|e| panic!("Azurite at {addr}: {e}"));
        for c in containers {
            let (status, text) = server.signed("PUT", c, "restype:container", "restype=container");
            assert_eq!(status, 201, "creating container {c}: {text}");
        }
        Some(server)
    }

    /// A request signed with the account key (SharedKey), as the Azure SDKs sign it.
    fn signed(&self, method: &str, container: &str, canonical_query: &str, query: &str) -> (u16, String) {
        use base64::Engine;
        let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let to_sign = format!(
            "{method}\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{API_VERSION}\n/{ACCOUNT}/{ACCOUNT}/{container}\n{}",
            canonical_query.replace('=', ":")
        );
        let key = base64::engine::general_purpose::STANDARD.decode(KEY).unwrap();
        let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key), to_sign.as_bytes());
        let signature = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
        http::request(
            self.addr,
            method,
            &format!("/{ACCOUNT}/{container}?{query}"),
            &[
                ("x-ms-date", date),
                ("x-ms-version", API_VERSION.into()),
                ("Authorization", format!("SharedKey {ACCOUNT}:{signature}")),
            ],
            b"",
        )
        .unwrap()
    }

    /// The environment a user sets to reach Azurite: object_store's emulator convention.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AZURE_STORAGE_USE_EMULATOR", "true".into()),
            ("AZURITE_BLOB_STORAGE_URL", format!("http://{}", self.addr)),
        ]
    }

    /// A client of one container, to lay out or alter blobs as the test needs.
    pub fn container(&self, name: &str) -> MicrosoftAzure {
        MicrosoftAzureBuilder::new()
            .with_account(ACCOUNT)
            .with_access_key(KEY)
            .with_container_name(name)
            .with_endpoint(format!("http://{}/{ACCOUNT}", self.addr))
            .with_client_options(ClientOptions::new().with_allow_http(true))
            .build()
            .unwrap()
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
