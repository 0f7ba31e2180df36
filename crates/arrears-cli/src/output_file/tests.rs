//! Unit tests of the output checks: what counts as the store, and what a store file is.

use std::path::Path;

use super::{check, is_store_file, same_file, write, STORE_MAGIC};

#[test]
fn the_store_magic_is_the_header_of_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("books.redb");
    drop(arrears::Arrears::create(&store).unwrap());
    let bytes = std::fs::read(&store).unwrap();
    assert_eq!(bytes[..STORE_MAGIC.len()], STORE_MAGIC);
    assert!(is_store_file(&store).unwrap());
    let short = dir.path().join("short");
    std::fs::write(&short, &STORE_MAGIC[..4]).unwrap();
    assert!(!is_store_file(&short).unwrap());
}

#[test]
fn the_store_under_other_names_is_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("books.redb");
    // Not created yet: the paths alone decide.
    assert!(!same_file(&dir.path().join("sub/../books.redb"), &store));
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    assert!(same_file(&dir.path().join("sub/../books.redb"), &store));
    assert!(same_file(&dir.path().join("./books.redb"), &store));
    std::fs::write(&store, "x").unwrap();
    let link = dir.path().join("hard-link");
    std::fs::hard_link(&store, &link).unwrap();
    assert!(same_file(&link, &store));
    assert!(!same_file(&dir.path().join("other"), &store));
    let error = check(&link, &store, "the report").unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "refusing to write the report to {}: it is the Arrears store --db names",
            link.display()
        )),
        "{error}"
    );
}

#[test]
fn a_relative_target_is_resolved_against_the_working_directory() {
    let here = std::env::current_dir().unwrap();
    assert!(same_file(Path::new("x.redb"), &here.join("x.redb")));
    assert!(same_file(Path::new("./x.redb"), Path::new("x.redb")));
}

#[test]
fn a_directory_is_refused_and_an_ordinary_file_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("books.redb");
    let error = check(dir.path(), &store, "the report").unwrap_err();
    assert!(error.to_string().ends_with("it is a directory"), "{error}");
    let target = dir.path().join("report.html");
    std::fs::write(&target, "old").unwrap();
    write(&target, &store, "the report", b"new").unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    let names: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["report.html"]);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_followed_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("books.redb");
    drop(arrears::Arrears::create(&store).unwrap());
    let to_store = dir.path().join("to-store.html");
    std::os::unix::fs::symlink("books.redb", &to_store).unwrap();
    let error = write(&to_store, &store, "the report", b"page").unwrap_err();
    assert!(error.to_string().contains("it is the Arrears store --db names"), "{error}");
    assert!(is_store_file(&store).unwrap());

    // A link to a file not written yet: the file is written, the link stays a link.
    let link = dir.path().join("latest.html");
    std::os::unix::fs::symlink("report-1.html", &link).unwrap();
    write(&link, &store, "the report", b"page").unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(dir.path().join("report-1.html")).unwrap(), "page");
}
