//! Unit tests of the manifest, the stable hash, portfolio ids and the rewriting of ids.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::json;

use crate::ids::map_ids;
use crate::{portfolio_id, split_id, stable_hash, Assignment, Manifest, ShardEntry, LOCAL_ID_MAX};

#[test]
fn the_stable_hash_is_fnv_1a_64() {
    // The published FNV-1a test vectors (http://www.isthe.com/chongo/tech/comp/fnv/).
    assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(stable_hash("foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn a_manifest_round_trips_through_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portfolio.toml");
    let manifest = Manifest {
        assignment: Assignment::Hash,
        shards: vec![
            ShardEntry { name: "east".into(), path: "east.redb".into() },
            ShardEntry { name: "west".into(), path: "/srv/west.redb".into() },
        ],
        debtors: BTreeMap::from([("D-1".to_owned(), "west".to_owned())]),
        moving: BTreeMap::new(),
    };
    manifest.write(&path).unwrap();
    assert_eq!(Manifest::read(&path).unwrap(), manifest);
    assert!(!path.with_extension("toml.tmp").exists(), "the temporary file was renamed");
    assert_eq!(manifest.shard_index("west"), Some(1));
    assert_eq!(manifest.shard_index("north"), None);
}

/// A manifest that cannot be used says the file, the line and the field, as the policy and
/// the bank's files do (it printed the TOML reader's caret diagram, and its own checks named
/// no line).
#[test]
fn a_bad_manifest_names_the_line_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portfolio.toml");
    let read = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        Manifest::read(&path).map(|_| ()).map_err(|error| {
            let text = error.to_string();
            text.strip_prefix(&format!("{}:", path.display())).unwrap_or(&text).to_owned()
        })
    };
    let good = "assignment = \"hash\"\n[[shards]]\nname = \"a\"\npath = \"a.redb\"\n";
    assert_eq!(read(good.as_bytes()), Ok(()));
    assert_eq!(read(format!("\u{feff}{good}").as_bytes()), Ok(()), "a byte-order mark is skipped");
    let refused = |text: &str, expected: &str| {
        assert_eq!(read(text.as_bytes()), Err(expected.to_owned()), "{text}");
    };
    refused(
        "assignment = \"hash\"\nshard = []\n",
        "2: shard: unknown field `shard`, expected one of `assignment`, `shards`, `debtors`, \
         `moving`",
    );
    refused(
        &good.replace("assignment = \"hash\"\n", ""),
        "1: assignment: missing field `assignment`",
    );
    refused(
        &good.replace("\"hash\"", "\"hsh\""),
        "1: assignment: unknown variant `hsh`, expected `hash` or `map`",
    );
    refused(&good.replace("path = \"a.redb\"\n", ""), "2: shards[0].path: missing field `path`");
    refused(
        &good.replace("name = \"a\"", "name = \"a"),
        "3: shards[0].name: invalid toml: invalid basic string, expected `\"`",
    );
    refused(
        &format!("{good}[[shards]]\nname = \"a\"\npath = \"b.redb\"\n"),
        "6: shards[1].name: shard name \"a\" is listed twice",
    );
    refused(
        &format!("{good}[debtors]\n\"D-1\" = \"zz\"\n"),
        "6: debtors.D-1: names shard \"zz\", not listed in [[shards]]",
    );
    refused(
        &format!("{good}[moving.\"D-1\"]\nfrom = \"a\"\nto = \"q\"\non = \"2026-11-30\"\n"),
        "7: moving.D-1.to: names shard \"q\", not listed in [[shards]]",
    );
    refused("assignment = \"map\"\n", "1: shards: 0 shards: a portfolio has 1 to 65536");
    assert_eq!(
        read(b"# caf\xe9\nassignment = \"hash\"\n"),
        Err(
            "1: (document): not valid UTF-8 at byte 5 (from the start of the file); save the file \
             as UTF-8 (it may be Latin-1 or Windows-1252)"
                .to_owned()
        )
    );
}

#[test]
fn ids_under_id_keys_are_mapped_and_nothing_else() {
    let mut value = json!({
        "payment": {"account": 5, "effective_on": "2026-01-01", "amount": {"amount": "5", "currency": "USD"},
                    "directed_to": 9},
        "cases": [{"account": 6, "disputed": [7, 8], "event": 3, "entry": 4}],
        "dispute": {"disputed": true, "obligation": 2},
    });
    map_ids(&mut value, &mut |_key: &str, id: u64| Ok::<u64, ()>(id + 100)).unwrap();
    assert_eq!(
        value,
        json!({
            "payment": {"account": 105, "effective_on": "2026-01-01", "amount": {"amount": "5", "currency": "USD"},
                        "directed_to": 109},
            "cases": [{"account": 106, "disputed": [107, 108], "event": 3, "entry": 4}],
            "dispute": {"disputed": true, "obligation": 102},
        })
    );
}

proptest! {
    #[test]
    fn a_portfolio_id_splits_into_its_shard_and_id(shard in 0_usize..(1 << 16), local in 0..=LOCAL_ID_MAX) {
        let id = portfolio_id(shard, local).unwrap();
        prop_assert_eq!(split_id(id), (shard, local));
    }

    #[test]
    fn an_id_or_a_shard_too_large_has_no_portfolio_id(shard in (1_usize << 16)..usize::MAX, local in (LOCAL_ID_MAX + 1)..) {
        prop_assert_eq!(portfolio_id(shard, 1), None);
        prop_assert_eq!(portfolio_id(0, local), None);
    }
}
