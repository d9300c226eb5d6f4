//! The source archives TFDS's builders download for the course's datasets, and their
//! preparation as TFDS does it: download once (SHA-256 checked), keep exactly the archive
//! members TFDS's builder keeps, extract them once into the data cache.
//!
//! URLs, sizes and SHA-256 come from tensorflow/datasets (`tensorflow_datasets/url_checksums/`
//! `rock_paper_scissors.txt`, `beans.txt`, `cats_vs_dogs.txt`); the member rules from the
//! builders (`rock_paper_scissors_dataset_builder.py`, `beans_dataset_builder.py`,
//! `image_classification/cats_vs_dogs.py`). Layout in the cache, per dataset:
//! `<data_dir>/<name>/downloads/<archive>.zip` and `<data_dir>/<name>/extracted/<split>/`
//! (the archive's own folders, only the kept members).

use super::tfds::{tfds_class_names, TfdsOptions};
use crate::error::{Error, Result};
use crate::utils::get_file::{download, sha256_file};
use crate::utils::zip_extract::extract_zip;
use std::path::{Path, PathBuf};

/// One split's archive, as TFDS's checksum file lists it.
pub(crate) struct Archive {
    pub split: &'static str,
    pub url: &'static str,
    pub size: u64,
    pub sha256: &'static str,
    /// The examples TFDS's builder makes of it (its catalog's split size).
    pub examples: usize,
}

impl Archive {
    /// The archive's file name, the last part of its URL (`rps.zip`).
    pub fn file(&self) -> &'static str {
        self.url.rsplit('/').next().unwrap_or(self.url)
    }
}

/// Which of TFDS's builders decides what an archive member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    RockPaperScissors,
    Beans,
    CatsVsDogs,
}

/// A dataset TFDS downloads: its builder's rule and one archive per split.
pub(crate) struct Source {
    pub name: &'static str,
    pub rule: Rule,
    pub archives: &'static [Archive],
}

const SOURCES: &[Source] = &[
    Source {
        name: "rock_paper_scissors",
        rule: Rule::RockPaperScissors,
        archives: &[
            Archive {
                split: "train",
                url: "https://storage.googleapis.com/download.tensorflow.org/data/rps.zip",
                size: 200_682_221,
                sha256: "c2403444395842ad04c53612bad54b574443eae17a0723117a2ff87b9d72194f",
                examples: 2520,
            },
            Archive {
                split: "test",
                url: "https://storage.googleapis.com/download.tensorflow.org/data/rps-test-set.zip",
                size: 29_516_758,
                sha256: "c27ab9fa43ce40b2e453de711365b477f4424586edf0388116674fd320f07503",
                examples: 372,
            },
        ],
    },
    Source {
        name: "beans",
        rule: Rule::Beans,
        archives: &[
            Archive {
                split: "train",
                url: "https://storage.googleapis.com/ibeans/train.zip",
                size: 143_812_152,
                sha256: "284fe8456ce20687f4367ae7ad94a64577e7f9fde2c2c6b1c74340ab5dc82715",
                examples: 1034,
            },
            Archive {
                split: "validation",
                url: "https://storage.googleapis.com/ibeans/validation.zip",
                size: 18_504_213,
                sha256: "90b7aa1c26d91d9afff07a30bbc67a5ea34f1f1397f068d8675be09d7d0c602d",
                examples: 133,
            },
            Archive {
                split: "test",
                url: "https://storage.googleapis.com/ibeans/test.zip",
                size: 17_708_541,
                sha256: "ca67b15d960d1e2fd9d23fd8498ce86818ead90755c630a43baf19ec4af09312",
                examples: 128,
            },
        ],
    },
    Source {
        name: "cats_vs_dogs",
        rule: Rule::CatsVsDogs,
        archives: &[Archive {
            split: "train",
            // TFDS 4.0.1's URL (the older kagglecatsanddogs_3367a.zip is gone from Microsoft).
            url: "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip",
            size: 824_887_076,
            sha256: "b7974bd00a84a99921f36ee4403f089853777b5ae8d151c76a86e64900334af9",
            // 25,000 pictures less the 1,738 that TFDS's builder drops as corrupt.
            examples: 23_262,
        }],
    },
];

/// The TFDS source of dataset `name`, when it is one of the course's.
pub(crate) fn source(name: &str) -> Option<&'static Source> {
    SOURCES.iter().find(|s| s.name == name)
}

/// TFDS's `_normpath` (download/extractor.py): the member's path parts, or `None` for what
/// iter_archive never yields (hidden files such as macOS's `._x.jpg`, absolute paths,
/// backups ending in `~`). `..` is refused too, so nothing is written outside the target.
fn normpath(member: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = member
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let last = parts.last()?;
    let refused = member.starts_with('/')
        || parts[0].starts_with('.')
        || last.starts_with('.')
        || last.ends_with('~')
        || parts.contains(&"..");
    (!refused).then_some(parts)
}

impl Rule {
    /// The path (parts) and class index TFDS's builder gives archive member `member`, or
    /// `None` when the builder skips it (by name; see [`Rule::keeps_content`]).
    pub fn example<'a>(self, dataset: &str, member: &'a str) -> Option<(Vec<&'a str>, i64)> {
        let classes = tfds_class_names(dataset)?;
        let class = |name: &str| classes.iter().position(|c| *c == name).map(|i| i as i64);
        let parts = normpath(member)?;
        let label = match self {
            // `^(rps|rps-test-set)[/\\](rock|paper|scissors)[/\\][\w-]*\.png$`
            Rule::RockPaperScissors => {
                let p = split_backslashes(&parts);
                let stem = p.get(2)?.strip_suffix(".png")?;
                let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
                if p.len() != 3
                    || !["rps", "rps-test-set"].contains(&p[0])
                    || !stem.chars().all(word)
                {
                    return None;
                }
                return Some((p.clone(), class(p[1])?));
            }
            // Every `.jpg`, labelled by its folder (`train/healthy/x.jpg` → healthy); a folder
            // that is no class would stop TFDS's ClassLabel, so it is skipped here.
            Rule::Beans => {
                if !member.ends_with(".jpg") || parts.len() < 2 {
                    return None;
                }
                class(parts[parts.len() - 2])?
            }
            // `^PetImages[/\\](Cat|Dog)[/\\]\d+\.jpg$`, label lower-cased.
            Rule::CatsVsDogs => {
                let p = split_backslashes(&parts);
                let stem = p.get(2)?.strip_suffix(".jpg")?;
                if p.len() != 3 || p[0] != "PetImages" || stem.is_empty() {
                    return None;
                }
                if !stem.chars().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                return Some((p.clone(), class(&p[1].to_lowercase())?));
            }
        };
        Some((parts, label))
    }

    /// Whether TFDS's builder keeps a member whose name it accepted, seeing its first bytes:
    /// cats_vs_dogs drops pictures without `JFIF` in `fobj.peek(10)`, and Python's
    /// `ZipExtFile.peek` returns the first 512 bytes ([`HEAD_BYTES`](crate::utils::zip_extract::HEAD_BYTES)),
    /// so that is where the marker is looked for.
    pub fn keeps_content(self, head: &[u8]) -> bool {
        match self {
            Rule::CatsVsDogs => head.windows(4).any(|w| w == b"JFIF"),
            Rule::RockPaperScissors | Rule::Beans => true,
        }
    }
}

/// TFDS's regular expressions take `\` as a separator too (archives made on Windows).
fn split_backslashes<'a>(parts: &[&'a str]) -> Vec<&'a str> {
    parts.iter().flat_map(|p| p.split('\\')).collect()
}

/// What [`prepare`] did to make a split's folder.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Prepared {
    /// Whether the archive was downloaded (it was not in the cache).
    pub downloaded: bool,
    /// Members extracted (0 when the folder was there already).
    pub extracted: usize,
    /// Members dropped by content (cats_vs_dogs's pictures without JFIF).
    pub skipped_corrupt: usize,
}

/// `<data_dir>/<name>/extracted/<split>/`: where a split's kept members are.
pub(crate) fn split_dir(options: &TfdsOptions, name: &str, split: &str) -> PathBuf {
    options.data_dir.join(name).join("extracted").join(split)
}

/// The archive's place in the cache, `<data_dir>/<name>/downloads/<file>`.
pub(crate) fn archive_path(options: &TfdsOptions, name: &str, archive: &Archive) -> PathBuf {
    options
        .data_dir
        .join(name)
        .join("downloads")
        .join(archive.file())
}

/// Makes [`split_dir`] when it is missing: the archive from the cache or downloaded (when
/// `options.download`), then its kept members extracted. Says once how many TFDS's rule
/// dropped, as TFDS's builder logs it.
pub(crate) fn prepare(
    options: &TfdsOptions,
    source: &Source,
    archive: &Archive,
) -> Result<Prepared> {
    let mut done = Prepared::default();
    let dest = split_dir(options, source.name, archive.split);
    if dest.is_dir() {
        return Ok(done);
    }
    let path = archive_path(options, source.name, archive);
    let (url, sha256) = match &options.mirror {
        Some(m) => (
            m.url_of(archive.file()),
            m.sha256_of(archive.file(), archive.sha256),
        ),
        None => (archive.url.to_string(), archive.sha256.to_string()),
    };
    let export = options.data_dir.join(source.name).join(archive.split);
    let elsewhere = || {
        format!(
            "put {} ({} MB, from {url}) into {}, or a folder export into \
             {}/<class>/<images> (classes: {})",
            archive.file(),
            archive.size.div_ceil(1_000_000),
            path.parent().unwrap_or(&path).display(),
            export.display(),
            tfds_class_names(source.name).unwrap_or_default().join(", ")
        )
    };
    if !path.is_file() {
        if !options.download {
            let hint = format!(
                "downloads are off (FERROKERAS_OFFLINE=1 or TfdsOptions::download false); {}",
                elsewhere()
            );
            return Err(Error::MissingFile {
                name: format!("{} {} split", source.name, archive.split),
                path,
                hint: Some(hint),
            });
        }
        download(&url, &path, Some(&sha256)).map_err(|e| match e {
            Error::Download { url, reason } => Error::Download {
                url,
                reason: format!("{reason}; retry, {}", elsewhere()),
            },
            other => other,
        })?;
        done.downloaded = true;
    } else {
        // An archive copied in by hand is checked once, before it is extracted.
        let got = sha256_file(&path)?;
        if !got.eq_ignore_ascii_case(&sha256) {
            return Err(Error::CorruptFile {
                path,
                expected: format!(
                    "expected the archive of {url} (SHA-256 {sha256}), found SHA-256 {got}; \
                     delete it to download it again"
                ),
            });
        }
    }
    let rule = source.rule;
    let mut skipped = 0;
    done.extracted = extract_zip(&path, &dest, |member, head| {
        let (parts, _) = rule.example(source.name, member)?;
        if !rule.keeps_content(head) {
            skipped += 1;
            return None;
        }
        Some(parts.iter().collect())
    })?;
    done.skipped_corrupt = skipped;
    if skipped > 0 {
        eprintln!(
            "Warning: {skipped} images were corrupted and were skipped \
             ({} {}: no JFIF marker, TFDS's rule)",
            source.name, archive.split
        );
    }
    if sha256.eq_ignore_ascii_case(archive.sha256) && done.extracted != archive.examples {
        eprintln!(
            "Warning: {} {} has {} examples, TFDS makes {} of the same archive",
            source.name, archive.split, done.extracted, archive.examples
        );
    }
    Ok(done)
}

/// The examples of a prepared split: every file under `dir` that the rule accepts, with its
/// class index, sorted by path.
pub(crate) fn list_examples(dir: &Path, source: &Source) -> Result<Vec<(PathBuf, i64)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let path = entry.map_err(|e| Error::io(&d, e))?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(rel) = path.strip_prefix(dir) else {
                continue;
            };
            // Joined with `/` as in the archive, whatever the platform's separator.
            let member = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if let Some((_, label)) = source.rule.example(source.name, &member) {
                out.push((path, label));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(rule: Rule, name: &str, member: &str) -> Option<i64> {
        rule.example(name, member).map(|(_, l)| l)
    }

    #[test]
    fn member_rules_are_tfds_builders() {
        let rps = |m| label(Rule::RockPaperScissors, "rock_paper_scissors", m);
        assert_eq!(rps("rps/paper/paper01-000.png"), Some(1));
        assert_eq!(rps("rps-test-set/scissors/x_1.png"), Some(2));
        assert_eq!(rps("rps\\rock\\a.png"), Some(0));
        assert_eq!(rps("rps/rock/a.jpg"), None);
        assert_eq!(rps("rps/rock/a b.png"), None);
        assert_eq!(rps("other/rock/a.png"), None);
        assert_eq!(rps("__MACOSX/rps/rock/._a.png"), None);
        let beans = |m| label(Rule::Beans, "beans", m);
        assert_eq!(beans("train/bean_rust/bean_rust_train.0.jpg"), Some(1));
        assert_eq!(beans("validation/healthy/a.jpg"), Some(2));
        assert_eq!(beans("train/healthy/a.png"), None);
        assert_eq!(beans("train/healthy/._a.jpg"), None);
        let cats = |m| label(Rule::CatsVsDogs, "cats_vs_dogs", m);
        assert_eq!(cats("PetImages/Cat/0.jpg"), Some(0));
        assert_eq!(cats("PetImages/Dog/12499.jpg"), Some(1));
        assert_eq!(cats("PetImages/Dog/Thumbs.db"), None);
        assert_eq!(cats("PetImages/Cat/x.jpg"), None);
        assert_eq!(cats("readme[1].txt"), None);
        assert_eq!(normpath("./a//b/../c"), None);
        assert_eq!(normpath("./a//b/c"), Some(vec!["a", "b", "c"]));
    }

    #[test]
    fn jfif_is_looked_for_where_tfds_looks() {
        let rule = Rule::CatsVsDogs;
        let mut head = vec![0xff, 0xd8, 0xff, 0xe0, 0, 16];
        head.extend_from_slice(b"JFIF\0");
        assert!(rule.keeps_content(&head));
        assert!(!rule.keeps_content(&[0xff, 0xd8, 0xff, 0xe1, 0, 16, b'E', b'x']));
        assert!(Rule::Beans.keeps_content(b"anything"));
    }

    #[test]
    fn archive_file_names_are_tfds_urls_last_parts() {
        let files: Vec<_> = SOURCES
            .iter()
            .flat_map(|s| s.archives.iter().map(|a| a.file()))
            .collect();
        assert_eq!(
            files,
            [
                "rps.zip",
                "rps-test-set.zip",
                "train.zip",
                "validation.zip",
                "test.zip",
                "kagglecatsanddogs_5340.zip"
            ]
        );
    }
}
