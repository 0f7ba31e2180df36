use std::collections::BTreeMap;
use std::ops::Bound;

use proptest::prelude::*;

use super::VecMap;

/// An operation on both maps.
#[derive(Debug, Clone)]
enum Op {
    Insert(u8, i32),
    Remove(u8),
    AddToEntry(u8, i32),
    RemoveEntry(u8),
    Retain(u8),
    PopFirst,
    PopLast,
    Clear,
    Append(Vec<(u8, i32)>),
}

fn op() -> impl Strategy<Value = Op> {
    // Keys from a small range so that operations meet existing keys often.
    prop_oneof![
        6 => (0_u8..40, any::<i32>()).prop_map(|(key, value)| Op::Insert(key, value)),
        2 => (0_u8..40).prop_map(Op::Remove),
        3 => (0_u8..40, -100_i32..100).prop_map(|(key, value)| Op::AddToEntry(key, value)),
        1 => (0_u8..40).prop_map(Op::RemoveEntry),
        1 => (0_u8..40).prop_map(Op::Retain),
        1 => Just(Op::PopFirst),
        1 => Just(Op::PopLast),
        1 => Just(Op::Clear),
        2 => prop::collection::vec((0_u8..40, any::<i32>()), 0..10).prop_map(Op::Append),
    ]
}

fn bound() -> impl Strategy<Value = Bound<u8>> {
    prop_oneof![
        (0_u8..42).prop_map(Bound::Included),
        (0_u8..42).prop_map(Bound::Excluded),
        Just(Bound::Unbounded),
    ]
}

/// Every operation leaves the map as `BTreeMap` leaves it, with the same answers, whether its
/// pairs are inline (up to `N`) or not.
fn behaves_as_a_btree_map<const N: usize>(
    ops: Vec<Op>,
    probes: Vec<(Bound<u8>, Bound<u8>)>,
) -> Result<(), TestCaseError> {
    let mut model = BTreeMap::new();
    let mut map = VecMap::<u8, i32, N>::new();
    for op in ops {
        match op {
            Op::Insert(key, value) => {
                prop_assert_eq!(map.insert(key, value), model.insert(key, value))
            }
            Op::Remove(key) => prop_assert_eq!(map.remove(&key), model.remove(&key)),
            Op::AddToEntry(key, value) => {
                *map.entry(key).or_insert(0) += value;
                *model.entry(key).or_insert(0) += value;
            }
            Op::RemoveEntry(key) => {
                let ours = match map.entry(key) {
                    super::Entry::Occupied(entry) => Some(entry.remove()),
                    super::Entry::Vacant(_) => None,
                };
                prop_assert_eq!(ours, model.remove(&key));
            }
            Op::Retain(above) => {
                map.retain(|key, _| *key > above);
                model.retain(|key, _| *key > above);
            }
            Op::PopFirst => prop_assert_eq!(map.pop_first(), model.pop_first()),
            Op::PopLast => prop_assert_eq!(map.pop_last(), model.pop_last()),
            Op::Clear => {
                map.clear();
                model.clear();
            }
            Op::Append(pairs) => {
                let mut other: VecMap<u8, i32, N> = pairs.iter().copied().collect();
                let mut model_other: BTreeMap<u8, i32> = pairs.into_iter().collect();
                map.append(&mut other);
                model.append(&mut model_other);
                prop_assert!(other.is_empty());
            }
        }
        prop_assert!(map.iter().eq(model.iter()));
        prop_assert_eq!(map.len(), model.len());
    }
    for key in 0..42 {
        prop_assert_eq!(map.get(&key), model.get(&key));
        prop_assert_eq!(map.contains_key(&key), model.contains_key(&key));
    }
    prop_assert_eq!(map.first_key_value(), model.first_key_value());
    prop_assert_eq!(map.last_key_value(), model.last_key_value());
    for (start, end) in probes {
        // BTreeMap panics on a range that ends before it starts, or is empty and
        // excluded at both ends on one key; the model is asked only ranges it accepts.
        let valid = match (start, end) {
            (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b))
                if a > b =>
            {
                false
            }
            (Bound::Excluded(a), Bound::Excluded(b)) if a == b => false,
            _ => true,
        };
        if valid {
            prop_assert!(map.range((start, end)).eq(model.range((start, end))));
            prop_assert!(map.range((start, end)).rev().eq(model.range((start, end)).rev()));
        }
    }
    let collected: VecMap<u8, i32, N> = model.clone().into_iter().rev().collect();
    prop_assert_eq!(&collected, &map);
    Ok(())
}

proptest! {
    #[test]
    fn behaves_as_a_btree_map_on_the_heap(ops in prop::collection::vec(op(), 0..120), probes in prop::collection::vec((bound(), bound()), 0..8)) {
        behaves_as_a_btree_map::<0>(ops, probes)?;
    }

    #[test]
    fn behaves_as_a_btree_map_inline_up_to_three(ops in prop::collection::vec(op(), 0..120), probes in prop::collection::vec((bound(), bound()), 0..8)) {
        behaves_as_a_btree_map::<3>(ops, probes)?;
    }

    /// Serialized as the `BTreeMap` of the same pairs is, byte for byte, and read back.
    #[test]
    fn serializes_as_a_btree_map(pairs in prop::collection::vec((any::<u16>(), any::<i64>()), 0..50)) {
        let model: BTreeMap<u16, i64> = pairs.iter().copied().collect();
        let map: VecMap<u16, i64> = pairs.iter().copied().collect();
        let inline: VecMap<u16, i64, 3> = pairs.into_iter().collect();
        let config = bincode::config::standard();
        let bytes = bincode::serde::encode_to_vec(&map, config).unwrap();
        prop_assert_eq!(&bytes, &bincode::serde::encode_to_vec(&model, config).unwrap());
        prop_assert_eq!(&bytes, &bincode::serde::encode_to_vec(&inline, config).unwrap());
        let (back, _): (VecMap<u16, i64>, usize) = bincode::serde::decode_from_slice(&bytes, config).unwrap();
        prop_assert_eq!(&back, &map);
        prop_assert_eq!(serde_json::to_string(&map).unwrap(), serde_json::to_string(&model).unwrap());
    }
}

#[test]
fn collecting_keeps_the_last_value_of_a_key_given_twice() {
    let map: VecMap<u8, &str, 1> = [(2, "a"), (1, "b"), (2, "c")].into_iter().collect();
    assert_eq!(map.iter().collect::<Vec<_>>(), [(&1, &"b"), (&2, &"c")]);
}

#[test]
#[should_panic(expected = "no entry found for key")]
fn indexing_a_missing_key_panics() {
    let map: VecMap<u8, u8> = VecMap::new();
    let _ = map[&1];
}
