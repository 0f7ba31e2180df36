//! Integration tests of arrears-bank: statements written by hand from each format's published
//! layout (tests/data), and bad files for every check.

mod bad_files;
mod charges;
mod conformance;
mod formats;
mod matching;
mod review;

use arrears_bank::{parse, CsvMapping, FormatChoice, Statement, StatementError};

fn data(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn read(name: &str) -> Vec<Statement> {
    read_with(name, None).unwrap_or_else(|error| panic!("{error}"))
}

fn read_with(name: &str, mapping: Option<&CsvMapping>) -> Result<Vec<Statement>, StatementError> {
    parse(name, &data(name), FormatChoice::Auto, mapping)
}

fn es_mapping() -> CsvMapping {
    let text = String::from_utf8(data("csv_mapping_es.toml")).unwrap();
    CsvMapping::from_toml(&text, "csv_mapping_es.toml").unwrap()
}
