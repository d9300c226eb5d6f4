//! `get_file` downloads against a local HTTP server on 127.0.0.1 (no network): the file is
//! verified and renamed into place; a bad checksum or a cut connection leaves nothing behind;
//! `FERROKERAS_OFFLINE=1` never connects.

use ferrokeras::prelude::*;
use ferrokeras::runtime::{set_settings, settings, Settings};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Serves `body` (announcing `announced` bytes) to every connection; counts connections.
fn serve(body: &'static [u8], announced: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/data/file.bin", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            h.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n"
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body);
        }
    });
    (url, hits)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

const HELLO_SHA: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

#[test]
fn download_verify_rename_and_failures_leave_nothing() {
    let d = tempfile::tempdir().unwrap();
    set_settings(Settings {
        data_dir: Some(d.path().to_path_buf()),
        offline: false,
        ..settings()
    });

    // good download
    let (url, _) = serve(b"hello", 5);
    let p = get_file("hello.txt", &url, Some(HELLO_SHA)).unwrap();
    assert_eq!(p, d.path().join("hello.txt"));
    assert_eq!(std::fs::read(&p).unwrap(), b"hello");
    assert_eq!(files_in(d.path()), vec!["hello.txt"]);
    assert_eq!(sha256_file(&p).unwrap(), HELLO_SHA);

    // checksum mismatch: an error naming both hashes, no file
    let (url, _) = serve(b"hellO", 5);
    let err = get_file("other.txt", &url, Some(HELLO_SHA))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "download of {url} failed: checksum mismatch: expected SHA-256 {HELLO_SHA}, got "
        )),
        "{err}"
    );
    assert_eq!(files_in(d.path()), vec!["hello.txt"]);

    // connection cut short: no partial file
    let (url, _) = serve(b"hel", 5);
    let err = get_file("cut.txt", &url, None).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("download of {url} failed: ")),
        "{err}"
    );
    assert_eq!(files_in(d.path()), vec!["hello.txt"]);

    // offline: never connects
    set_settings(Settings {
        offline: true,
        ..settings()
    });
    let (url, hits) = serve(b"hello", 5);
    let err = get_file("offline.txt", &url, None).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "offline.txt: file not found (looked for {}); download it from {url}",
            d.path().join("offline.txt").display()
        )),
        "{err}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);

    // a cached file is found without the network
    assert_eq!(
        get_file("hello.txt", &url, None).unwrap(),
        d.path().join("hello.txt")
    );
    set_settings(Settings {
        data_dir: None,
        ..settings()
    });
}

#[test]
fn read_csv_of_a_known_url_finds_the_shared_copy_offline() {
    let root = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/datasets"
    ));
    if !root.join("car_evaluation").is_dir() {
        eprintln!("skipping: shared datasets not found at {}", root.display());
        return;
    }
    set_settings(Settings {
        data_dir: Some(root.clone()),
        offline: true,
        ..settings()
    });
    let url = "https://archive.ics.uci.edu/ml/machine-learning-databases/car/car.data";
    let columns = [
        "buying", "maint", "doors", "persons", "lug_boot", "safety", "class",
    ];
    let cars = read_csv(url, CsvOptions::names(&columns)).unwrap();
    assert_eq!(cars.len(), 1728);
    let text = std::fs::read_to_string(
        get_file(
            "shakespeare.txt",
            "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt",
            None,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(text.len(), 1115394);
    set_settings(Settings {
        data_dir: None,
        ..settings()
    });
}
