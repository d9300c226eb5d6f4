//! No two files of `layers/` and `models/` import each other (issue 22: `handle` and `node`
//! did). A circle between two files means neither can be read, tested or split alone.
//!
//! The check reads the sources: a file depends on another when it names it through
//! `super::file`, `crate::layers::file` / `crate::models::file`, or through a name the area's
//! `mod.rs` re-exports from that file. Macro bodies' `$crate::…` paths resolve where the macro
//! is used, so they are not imports of the file that defines the macro. Tests (`#[cfg(test)]`
//! onwards) and comments are left out: a test module may use anything, a doc link is no
//! import.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

const AREAS: [&str; 2] = ["layers", "models"];

/// The area's files (by module name) and the names its `mod.rs` re-exports, by file.
struct Area {
    files: BTreeMap<String, String>,
    reexports: BTreeMap<String, String>,
}

fn identifiers(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

fn read_area(src: &Path, area: &str) -> Area {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(src.join(area)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let text = fs::read_to_string(&path).unwrap();
            // Test modules may use anything; only the code proper counts. (`mod.rs` is read
            // whole: its re-exports come after a `#[cfg(test)] mod …;` line.)
            let code = if stem == "mod" {
                text.as_str()
            } else {
                text.split("#[cfg(test)]").next().unwrap()
            };
            // Comments are not imports (a doc link may name any item).
            let code: String = code
                .lines()
                .map(|l| l.split("//").next().unwrap())
                .collect::<Vec<_>>()
                .join("\n");
            files.insert(stem, code);
        }
    }
    let mut reexports = BTreeMap::new();
    for line in files["mod"].lines() {
        // `pub use self::file::{A, B};` or `pub(crate) use self::file::A;`
        let Some(rest) = line.split("use self::").nth(1) else {
            continue;
        };
        let Some((file, names)) = rest.split_once("::") else {
            continue;
        };
        for name in identifiers(names) {
            reexports.insert(name.to_string(), file.to_string());
        }
    }
    Area { files, reexports }
}

/// What `code` names after `prefix` (`super::`, `crate::layers::`): the first path segment,
/// or each name of a `{…}` group.
fn named_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let macro_path = rest[..i].ends_with('$');
        let after = &rest[i + prefix.len()..];
        rest = after;
        if macro_path {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            out.extend(identifiers(&group[..end]));
        } else if let Some(first) = identifiers(after).next() {
            out.push(first);
        }
    }
    out
}

#[test]
fn no_two_layer_or_model_files_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let areas: BTreeMap<&str, Area> = AREAS.iter().map(|a| (*a, read_area(&src, a))).collect();
    let resolve = |area: &Area, name: &str| -> Option<String> {
        if area.files.contains_key(name) && name != "mod" {
            Some(name.to_string())
        } else {
            area.reexports.get(name).cloned()
        }
    };
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (area_name, area) in &areas {
        for (file, code) in &area.files {
            if file == "mod" {
                continue;
            }
            let me = format!("{area_name}/{file}");
            let mut ds = BTreeSet::new();
            for name in named_after(code, "super::") {
                ds.extend(resolve(area, name).map(|f| format!("{area_name}/{f}")));
            }
            for (other_name, other) in &areas {
                for name in named_after(code, &format!("crate::{other_name}::")) {
                    ds.extend(resolve(other, name).map(|f| format!("{other_name}/{f}")));
                }
            }
            ds.remove(&me);
            deps.insert(me, ds);
        }
    }
    let mut circles = Vec::new();
    for (a, ds) in &deps {
        for b in ds {
            if a < b && deps.get(b).is_some_and(|back| back.contains(a)) {
                circles.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "files importing each other: {circles:?}"
    );
    // The check sees the imports it is meant to see.
    assert!(deps["layers/node"].contains("layers/kind"), "{deps:?}");
    assert!(deps["layers/dense"].contains("layers/builder"), "{deps:?}");
}
