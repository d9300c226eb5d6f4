//! Extracting chosen members of a zip archive, atomically: everything is written into a
//! temporary folder beside the target and renamed into place only when complete, so an
//! interrupted first run never leaves half a folder that a later run takes for finished.

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// How many leading bytes of each member [`extract_zip`] shows to its `keep` function: the
/// most that Python's `ZipExtFile.peek(n)` returns for small `n` (TFDS's cats_vs_dogs builder
/// looks for `JFIF` in `peek(10)`, which is these 512 bytes, not 10).
pub(crate) const HEAD_BYTES: usize = 512;

/// Extracts into `dest` the members for which `keep(member name, first bytes)` gives a
/// relative path, and returns how many were written. `dest` appears only once every kept
/// member is written; when it already exists nothing is done. A progress bar counts members.
pub(crate) fn extract_zip(
    archive: &Path,
    dest: &Path,
    mut keep: impl FnMut(&str, &[u8]) -> Option<PathBuf>,
) -> Result<usize> {
    if dest.is_dir() {
        return Ok(0);
    }
    let corrupt = |why: String| Error::CorruptFile {
        path: archive.to_path_buf(),
        expected: format!("expected a readable zip archive: {why}"),
    };
    let file = std::fs::File::open(archive).map_err(|e| Error::io(archive, e))?;
    let mut zip =
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| corrupt(e.to_string()))?;
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    // Dropped (and deleted) on every early return, including the user's interrupt.
    let tmp = tempfile::Builder::new()
        .prefix(".extract-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    let name = archive.file_name().unwrap_or_default().to_string_lossy();
    println!("Extracting {name}");
    let mut bar = crate::runtime::ProgressBar::new(Some(zip.len() as u64));
    let mut written = 0;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    for i in 0..zip.len() {
        if crate::runtime::interrupted() {
            return Err(Error::Interrupted);
        }
        let mut member = zip.by_index(i).map_err(|e| corrupt(e.to_string()))?;
        if member.is_dir() {
            continue;
        }
        let member_name = member.name().to_string();
        head.clear();
        (&mut member)
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(|e| corrupt(format!("member {member_name}: {e}")))?;
        if let Some(rel) = keep(&member_name, &head) {
            let out = tmp.path().join(&rel);
            let dir = out.parent().unwrap_or(tmp.path());
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            let mut f = std::fs::File::create(&out).map_err(|e| Error::io(&out, e))?;
            f.write_all(&head).map_err(|e| Error::io(&out, e))?;
            // The zip reader checks each member's CRC at its end, so a damaged archive is an
            // error here rather than a silently broken image.
            std::io::copy(&mut member, &mut f)
                .map_err(|e| corrupt(format!("member {member_name}: {e}")))?;
            written += 1;
        }
        bar.update(i as u64 + 1, "");
    }
    bar.finish("");
    let tmp = tmp.keep();
    if let Err(e) = std::fs::rename(&tmp, dest) {
        // Someone else (another kernel) finished the same extraction first: use theirs.
        let _ = std::fs::remove_dir_all(&tmp);
        if !dest.is_dir() {
            return Err(Error::io(dest, e));
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts =
            zip::write::FileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in members {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn keeps_chosen_members_and_shows_their_head() {
        let d = tempfile::tempdir().unwrap();
        let archive = d.path().join("a.zip");
        let long = vec![7u8; 2000];
        std::fs::write(
            &archive,
            zip_of(&[
                ("x/a.bin", b"hello"),
                ("x/b.bin", &long),
                ("x/c.txt", b"no"),
            ]),
        )
        .unwrap();
        let dest = d.path().join("out");
        let mut heads = Vec::new();
        let n = extract_zip(&archive, &dest, |name, head| {
            heads.push((name.to_string(), head.len()));
            name.ends_with(".bin").then(|| PathBuf::from(name))
        })
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            heads,
            [
                ("x/a.bin".to_string(), 5),
                ("x/b.bin".to_string(), HEAD_BYTES),
                ("x/c.txt".to_string(), 2)
            ]
        );
        assert_eq!(std::fs::read(dest.join("x/b.bin")).unwrap(), long);
        assert!(!dest.join("x/c.txt").exists());
    }

    #[test]
    fn a_damaged_archive_leaves_no_folder_behind() {
        let d = tempfile::tempdir().unwrap();
        let archive = d.path().join("a.zip");
        let mut bytes = zip_of(&[("a.bin", &[1u8; 3000]), ("b.bin", &[2u8; 3000])]);
        // Flip bytes inside the second member's compressed data (after its local header's
        // name, the first "b.bin"): inflating it fails or its CRC check does.
        let at = bytes.windows(5).position(|w| w == b"b.bin").unwrap() + 8;
        bytes[at] ^= 0xff;
        bytes[at + 1] ^= 0xff;
        std::fs::write(&archive, bytes).unwrap();
        let dest = d.path().join("out");
        let err = extract_zip(&archive, &dest, |n, _| Some(PathBuf::from(n)));
        assert!(err.is_err(), "{err:?}");
        assert!(!dest.exists());
        let leftovers: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(
            leftovers.len(),
            1,
            "only the archive is left: {leftovers:?}"
        );
    }
}
