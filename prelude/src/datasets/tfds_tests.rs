//! `tfds_load_with` against small archives in TFDS's real source layout (the zip names and
//! inner folders of rps.zip, beans' zips and kagglecatsanddogs_5340.zip, real PNG/JPEG
//! pictures), served by a loopback HTTP server started here: downloads, extraction, splits,
//! labels, slices, the cache, TFDS's corrupt-picture rule and the errors.

use super::tfds::{tfds_load_with, TfdsMirror, TfdsOptions};
use super::tfds_sources::{prepare, source};
use super::Dataset;
use crate::error::Error;
use std::io::{Cursor, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// An HTTP/1.1 server of fixed files on 127.0.0.1: one request per connection, stopped when
/// dropped and in any case after a minute, so a failing test never leaves it running.
struct Server {
    base: String,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(files: Vec<(String, Vec<u8>)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        r.fetch_add(1, Ordering::SeqCst);
                        let _ = respond(&mut stream, &files);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => break,
                }
            }
        });
        Server {
            base,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn respond(stream: &mut TcpStream, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        stream.read_exact(&mut byte)?;
        head.push(byte[0]);
    }
    let request = String::from_utf8_lossy(&head);
    let path = request.split_whitespace().nth(1).unwrap_or("");
    match files.iter().find(|(name, _)| path == format!("/{name}")) {
        Some((_, body)) => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(body)?;
        }
        None => stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?,
    }
    stream.flush()
}

fn encode(rgb: [u8; 3], format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(6 + rgb[1] as u32 % 5, 5, image::Rgb(rgb));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn png(rgb: [u8; 3]) -> Vec<u8> {
    encode(rgb, image::ImageFormat::Png)
}

/// A JPEG as the `image` crate writes it: SOI, then a JFIF APP0 segment (`JFIF` at byte 6).
fn jpeg(rgb: [u8; 3]) -> Vec<u8> {
    let bytes = encode(rgb, image::ImageFormat::Jpeg);
    assert_eq!(
        &bytes[6..10],
        b"JFIF",
        "the encoder writes a JFIF segment first"
    );
    bytes
}

/// `jpeg` with an APP1 segment of `len` bytes before its JFIF segment: still a valid JPEG,
/// its `JFIF` at byte `len + 10`.
fn jpeg_with_app1_first(rgb: [u8; 3], len: usize) -> Vec<u8> {
    let j = jpeg(rgb);
    let mut out = j[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&((len + 2) as u16).to_be_bytes());
    out.extend(std::iter::repeat_n(b'x', len));
    out.extend_from_slice(&j[2..]);
    out
}

fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The red level that marks class `i` in the generated pictures.
fn red(class: usize) -> u8 {
    [40, 120, 200][class]
}

/// rps.zip (`rps/<class>/*.png`, 4 a class) and rps-test-set.zip (2 a class), classes in
/// the archive in another order than TFDS's labels, plus members TFDS's rule leaves out.
fn rps_archives() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (file, top, n) in [
        ("rps.zip", "rps", 4u8),
        ("rps-test-set.zip", "rps-test-set", 2),
    ] {
        let mut members = Vec::new();
        for (c, class) in [(2, "scissors"), (0, "rock"), (1, "paper")] {
            for i in 0..n {
                let name = format!("{top}/{class}/{class}{i:02}-{i}.png");
                members.push((name, png([red(c), 20 * i + 1, 0])));
            }
        }
        members.push((format!("__MACOSX/{top}/rock/._rock00-0.png"), vec![0; 9]));
        members.push((format!("{top}/rock/not a word.png"), png([1, 1, 1])));
        members.push((format!("{top}/README.txt"), b"hands".to_vec()));
        out.push((file.to_string(), zip_of(&members)));
    }
    out
}

/// `(green level, label)` of each element, checking the picture's red level marks its label.
fn elements(ds: &Dataset, tolerance: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for e in ds {
        let e = e.unwrap();
        assert_eq!(e.x().kind(), tch::Kind::Uint8);
        let label = e.y().unwrap().int64_value(&[]);
        let r = e.x().int64_value(&[0, 0, 0]);
        assert!(
            (r - red(label as usize) as i64).abs() <= tolerance,
            "label {label} on a picture of red {r}: label ↔ folder mismatch"
        );
        out.push((e.x().int64_value(&[0, 0, 1]), label));
    }
    out
}

fn options(dir: &Path, mirror: Option<TfdsMirror>) -> TfdsOptions {
    TfdsOptions {
        data_dir: dir.to_path_buf(),
        download: true,
        mirror,
        sample_limit: None,
    }
}

fn mirror_of(server: &Server, archives: &[(String, Vec<u8>)]) -> TfdsMirror {
    archives
        .iter()
        .fold(TfdsMirror::new(&server.base), |m, (f, bytes)| {
            m.sha256(f, &sha256(bytes))
        })
}

#[test]
fn rock_paper_scissors_is_downloaded_and_extracted_once() {
    let d = tempfile::tempdir().unwrap();
    let archives = rps_archives();
    let server = Server::start(archives.clone());
    let opts = options(d.path(), Some(mirror_of(&server, &archives)));
    let train = tfds_load_with("rock_paper_scissors", "train", &opts).unwrap();
    assert_eq!(train.class_names(), ["rock", "paper", "scissors"]);
    assert_eq!(train.len(), Some(12));
    let all = elements(&train, 0);
    let mut per_class = [0; 3];
    all.iter().for_each(|&(_, l)| per_class[l as usize] += 1);
    assert_eq!(per_class, [4, 4, 4]);
    let test = tfds_load_with("rock_paper_scissors", "test", &opts).unwrap();
    assert_eq!(elements(&test, 0).len(), 6);
    assert_eq!(server.requests(), 2, "one download per archive");

    let first = tfds_load_with("rock_paper_scissors", "train[:50%]", &opts).unwrap();
    let rest = tfds_load_with("rock_paper_scissors", "train[50%:]", &opts).unwrap();
    assert_eq!((first.len(), rest.len()), (Some(6), Some(6)));
    let (a, b) = (elements(&first, 0), elements(&rest, 0));
    assert!(
        a.iter().all(|e| !b.contains(e)),
        "slices overlap: {a:?} {b:?}"
    );
    let mut both: Vec<_> = a.into_iter().chain(b).collect();
    let mut whole = all.clone();
    both.sort();
    whole.sort();
    assert_eq!(both, whole, "the two slices make the split");

    // The cache alone serves later loads: the server is gone.
    drop(server);
    let again = tfds_load_with("rock_paper_scissors", "train", &opts).unwrap();
    assert_eq!(elements(&again, 0), all, "same examples in the same order");
    let root = d.path().join("rock_paper_scissors");
    assert!(root.join("downloads/rps.zip").is_file());
    assert!(root.join("extracted/train/rps/paper").is_dir());
    let names = |p: &Path| -> Vec<String> {
        std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let mut extracted = names(&root.join("extracted"));
    extracted.sort();
    assert_eq!(extracted, ["test", "train"], "no temporary folders left");
    assert_eq!(names(&root.join("downloads")).len(), 2);
}

#[test]
fn beans_has_three_splits_labelled_by_folder() {
    let d = tempfile::tempdir().unwrap();
    let classes = ["angular_leaf_spot", "bean_rust", "healthy"];
    let archives: Vec<_> = [("train", 3u8), ("validation", 2), ("test", 1)]
        .iter()
        .map(|&(split, n)| {
            let mut members = Vec::new();
            for (c, class) in classes.iter().enumerate().rev() {
                for i in 0..n {
                    let name = format!("{split}/{class}/{class}_{split}.{i}.jpg");
                    members.push((name, jpeg([red(c), 30 * i + 10, 90])));
                }
            }
            members.push((format!("{split}/healthy/notes.txt"), b"x".to_vec()));
            members.push((format!("{split}/healthy/._hidden.jpg"), vec![0; 4]));
            (format!("{split}.zip"), zip_of(&members))
        })
        .collect();
    let server = Server::start(archives.clone());
    let opts = options(d.path(), Some(mirror_of(&server, &archives)));
    for (split, n) in [("train", 9), ("validation", 6), ("test", 3)] {
        let ds = tfds_load_with("beans", split, &opts).unwrap();
        assert_eq!(ds.class_names(), classes);
        let e = elements(&ds, 8);
        assert_eq!(e.len(), n, "{split}");
        for c in 0..3 {
            assert_eq!(e.iter().filter(|x| x.1 == c).count(), n / 3, "{split}");
        }
    }
    let err = tfds_load_with("beans", "validation[:20]", &opts).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[test]
fn cats_vs_dogs_skips_pictures_without_jfif_as_tfds_does() {
    let d = tempfile::tempdir().unwrap();
    let mut members = vec![("readme[1].txt".to_string(), b"read me".to_vec())];
    for (c, class) in ["Cat", "Dog"].iter().enumerate() {
        for i in 0..4u8 {
            let name = format!("PetImages/{class}/{i}.jpg");
            members.push((name, jpeg([red(c), 40 * i + 20, 60])));
        }
        members.push((format!("PetImages/{class}/Thumbs.db"), vec![0; 64]));
    }
    // JFIF at byte 50: kept, since TFDS's `peek(10)` sees 512 bytes.
    members.push((
        "PetImages/Cat/10.jpg".into(),
        jpeg_with_app1_first([40, 200, 60], 40),
    ));
    // No JFIF in the first 512 bytes (at 610): dropped.
    members.push((
        "PetImages/Dog/11.jpg".into(),
        jpeg_with_app1_first([120, 1, 1], 600),
    ));
    // No JFIF at all, though a decodable JPEG: dropped.
    let mut no_jfif = jpeg([40, 1, 1]);
    no_jfif[6..10].copy_from_slice(b"ABCD");
    assert!(image::load_from_memory(&no_jfif).is_ok());
    members.push(("PetImages/Cat/12.jpg".into(), no_jfif));
    let archives = vec![("kagglecatsanddogs_5340.zip".to_string(), zip_of(&members))];
    let server = Server::start(archives.clone());
    let opts = options(d.path(), Some(mirror_of(&server, &archives)));

    let src = source("cats_vs_dogs").unwrap();
    let done = prepare(&opts, src, &src.archives[0]).unwrap();
    assert!(done.downloaded);
    assert_eq!((done.extracted, done.skipped_corrupt), (9, 2));
    let ds = tfds_load_with("cats_vs_dogs", "train", &opts).unwrap();
    assert_eq!(ds.class_names(), ["cat", "dog"]);
    let e = elements(&ds, 8);
    assert_eq!(e.len(), 9, "every kept picture decodes");
    assert_eq!(e.iter().filter(|x| x.1 == 0).count(), 5);
    let err = tfds_load_with("cats_vs_dogs", "test", &opts).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid argument: cats_vs_dogs has no split 'test'; its splits are: train"
    );
    // Prepared once: a second preparation neither downloads nor extracts.
    assert_eq!(
        prepare(&opts, src, &src.archives[0]).unwrap(),
        Default::default()
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn checksum_mismatch_is_an_error_naming_the_url() {
    let d = tempfile::tempdir().unwrap();
    let archives = rps_archives();
    let server = Server::start(archives.clone());
    let mirror = mirror_of(&server, &archives).sha256("rps.zip", &"0".repeat(64));
    let opts = options(d.path(), Some(mirror));
    let err = tfds_load_with("rock_paper_scissors", "train[:50%]", &opts).unwrap_err();
    let url = format!("{}/rps.zip", server.base);
    assert!(
        matches!(&err, Error::Download { url: u, .. } if *u == url),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("checksum mismatch"), "{text}");
    let downloads = d.path().join("rock_paper_scissors/downloads");
    assert!(text.contains(&downloads.display().to_string()), "{text}");
    assert_eq!(
        std::fs::read_dir(&downloads).unwrap().count(),
        0,
        "nothing kept"
    );
    assert!(!d.path().join("rock_paper_scissors/extracted").exists());
}

#[test]
fn offline_error_names_the_url_and_both_folders() {
    let d = tempfile::tempdir().unwrap();
    let opts = TfdsOptions {
        download: false,
        ..options(d.path(), None)
    };
    let err = tfds_load_with("rock_paper_scissors", "test", &opts).unwrap_err();
    let Error::MissingFile { name, path, hint } = &err else {
        panic!("{err}");
    };
    assert_eq!(name, "rock_paper_scissors test split");
    let root = d.path().join("rock_paper_scissors");
    assert_eq!(*path, root.join("downloads/rps-test-set.zip"));
    let hint = hint.as_deref().unwrap_or("");
    for needed in [
        "https://storage.googleapis.com/download.tensorflow.org/data/rps-test-set.zip",
        root.join("downloads").display().to_string().as_str(),
        format!("{}/<class>/<images>", root.join("test").display()).as_str(),
        "classes: rock, paper, scissors",
    ] {
        assert!(hint.contains(needed), "{needed} missing from: {err}");
    }
}

#[test]
fn folder_export_and_copied_archives_need_no_server() {
    let d = tempfile::tempdir().unwrap();
    let archives = rps_archives();
    // A server that is never asked: its address is the mirror's.
    let server = Server::start(Vec::new());
    let opts = options(d.path(), Some(mirror_of(&server, &archives)));
    let export = d.path().join("rock_paper_scissors/test");
    for (c, class) in ["rock", "paper", "scissors"].iter().enumerate() {
        std::fs::create_dir_all(export.join(class)).unwrap();
        std::fs::write(export.join(class).join("a.png"), png([red(c), 5, 5])).unwrap();
    }
    let test = tfds_load_with("rock_paper_scissors", "test", &opts).unwrap();
    assert_eq!(elements(&test, 0).len(), 3);
    // An archive copied in by hand, beside the leftover of an extraction that was killed.
    let root = d.path().join("rock_paper_scissors");
    std::fs::create_dir_all(root.join("downloads")).unwrap();
    std::fs::write(root.join("downloads/rps.zip"), &archives[0].1).unwrap();
    std::fs::create_dir_all(root.join("extracted/.extract-killed/rps/rock")).unwrap();
    let train = tfds_load_with("rock_paper_scissors", "train", &opts).unwrap();
    assert_eq!(elements(&train, 0).len(), 12);
    assert_eq!(server.requests(), 0);
    // A copied archive that is not the expected one is refused before extraction.
    std::fs::write(root.join("downloads/rps-test-set.zip"), b"not it").unwrap();
    std::fs::remove_dir_all(&export).unwrap();
    let err = tfds_load_with("rock_paper_scissors", "test", &opts).unwrap_err();
    assert!(matches!(err, Error::CorruptFile { .. }), "{err}");
    assert!(
        err.to_string().contains("delete it to download it again"),
        "{err}"
    );
}
