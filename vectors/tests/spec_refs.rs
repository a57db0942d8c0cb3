//! Spec identifiers (CONV-4): every citation, in vectors and in code, names a paragraph the
//! spec defines; paragraphs nothing cites are listed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use saltrelay_vectors::KatFile;
use saltrelay_vectors::case::Case;
use saltrelay_vectors::registry::FILES;
use saltrelay_vectors::spec_ids::{citations, defined_ids};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() && name != "target" && name != "saltrelay" {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn citations_name_defined_paragraphs() {
    let defined = defined_ids(&root().join("spec")).expect("spec folder readable");
    assert!(defined.contains_key("PRIM-5") && defined.contains_key("ID-3"));
    let prefixes: BTreeSet<&str> = defined
        .keys()
        .filter_map(|id| id.split('-').next())
        .collect();
    let prefixes: Vec<&str> = prefixes.into_iter().collect();

    let mut cited = BTreeSet::new();
    let mut unknown = Vec::new();
    for file in FILES {
        let text =
            std::fs::read_to_string(root().join("vectors/saltrelay").join(file.name)).unwrap();
        let kat = KatFile::from_json(&text).unwrap();
        for case in &kat.tests {
            for id in Case(case).spec_refs() {
                if defined.contains_key(id) {
                    cited.insert(id.to_owned());
                } else {
                    unknown.push(format!("{} tcId {}: {id}", file.name, Case(case).tc_id()));
                }
            }
        }
    }
    let mut sources = Vec::new();
    for crate_dir in [
        "protocol",
        "relay",
        "simulator",
        "vectors",
        "cli",
        "bench",
        "measure",
        "loadtest",
    ] {
        rust_files(&root().join(crate_dir), &mut sources);
    }
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for id in citations(&text, &prefixes) {
            if defined.contains_key(id) {
                cited.insert(id.to_owned());
            } else {
                unknown.push(format!("{}: {id}", path.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "citations of undefined spec IDs:\n{}",
        unknown.join("\n")
    );
    let uncited: Vec<&String> = defined.keys().filter(|id| !cited.contains(*id)).collect();
    println!(
        "{} spec paragraphs, {} cited; not cited anywhere: {uncited:?}",
        defined.len(),
        cited.len()
    );
}

#[test]
fn ids_are_unique_within_the_spec() {
    let spec = root().join("spec");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&spec).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for line in text.lines() {
            if let Some(id) = line.strip_prefix("**").and_then(|r| r.split("**").next())
                && saltrelay_vectors::spec_ids::is_id(id)
            {
                assert!(seen.insert(id.to_owned()), "{id} is defined twice");
            }
        }
    }
}
