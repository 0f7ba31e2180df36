//! [`VecMap`]: a map kept as one vector of pairs sorted by key.
//!
//! An account's state holds a handful of obligations, a few dozen payments (the hot row keeps
//! them bounded, see [`crate::ledger::ColdPart`]), a few books and, per payment, one to six
//! allocations. Every payment decodes such a state, changes it and encodes it again, so a
//! `BTreeMap`'s node per map (and the pointer chasing to walk it) was about a quarter of a
//! payment's time. A sorted vector takes one allocation per map, is walked in order by a
//! slice iterator, and takes a new largest key (a new payment, a new obligation) by a push.
//! Lookups are binary searches. Inserting in the middle moves the tail, which is cheap at
//! these sizes; a map meant to hold thousands of keys with random inserts should not use it.
//! `VecMap<K, V, N>` holds up to `N` pairs inline, with no allocation at all (a payment's
//! allocations, [`crate::ledger::Allocations`]); `N` is zero by default.
//!
//! The API is the part of `BTreeMap`'s that the engine uses, with the same meaning: iteration
//! in key order, `insert` replacing and returning the old value, `entry`, `range`.
//!
//! ```
//! use arrears_core::vec_map::VecMap;
//!
//! let mut map: VecMap<u32, &str> = VecMap::new();
//! map.insert(3, "c");
//! map.insert(1, "a");
//! assert_eq!(map.insert(3, "C"), Some("c"));
//! *map.entry(2).or_insert("b") = "B";
//! assert_eq!(map.iter().collect::<Vec<_>>(), [(&1, &"a"), (&2, &"B"), (&3, &"C")]);
//! assert_eq!(map.range(2..).count(), 2);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Bound, Index, RangeBounds};

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;

/// A map kept as a vector of `(key, value)` pairs sorted by key, no key twice, the first `N`
/// pairs inline. See the [module documentation](self).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VecMap<K, V, const N: usize = 0> {
    pairs: SmallVec<[(K, V); N]>,
}

impl<K, V, const N: usize> VecMap<K, V, N> {
    /// An empty map (no allocation).
    pub fn new() -> VecMap<K, V, N> {
        VecMap { pairs: SmallVec::new() }
    }

    /// An empty map with room for `capacity` pairs.
    pub fn with_capacity(capacity: usize) -> VecMap<K, V, N> {
        VecMap { pairs: SmallVec::with_capacity(capacity) }
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True if and only if the map has no pair.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Removes every pair, keeping the allocation.
    pub fn clear(&mut self) {
        self.pairs.clear();
    }

    /// The pairs in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter { pairs: self.pairs.iter() }
    }

    /// The pairs in key order, values mutable.
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut { pairs: self.pairs.iter_mut() }
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone {
        self.pairs.iter().map(|(key, _)| key)
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.pairs.iter().map(|(_, value)| value)
    }

    /// The values in key order, mutable.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.pairs.iter_mut().map(|(_, value)| value)
    }

    /// The values in key order, the map consumed.
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.pairs.into_iter().map(|(_, value)| value)
    }

    /// The pair of the smallest key.
    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.pairs.first().map(|(key, value)| (key, value))
    }

    /// The pair of the largest key.
    pub fn last_key_value(&self) -> Option<(&K, &V)> {
        self.pairs.last().map(|(key, value)| (key, value))
    }

    /// Keeps the pairs for which `keep` returns true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.pairs.retain_mut(|(key, value)| keep(key, value));
    }

    /// The pairs as a slice, in key order.
    pub fn as_slice(&self) -> &[(K, V)] {
        &self.pairs
    }
}

impl<K: Ord, V, const N: usize> VecMap<K, V, N> {
    /// Where `key` is (`Ok`) or would be inserted (`Err`). A key at or past the largest,
    /// which is how maps grow here, is answered without a search.
    fn search(&self, key: &K) -> Result<usize, usize> {
        match self.pairs.last() {
            None => Err(0),
            Some((last, _)) if last < key => Err(self.pairs.len()),
            Some((last, _)) if last == key => Ok(self.pairs.len() - 1),
            Some(_) => self.pairs.binary_search_by(|(probe, _)| probe.cmp(key)),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.search(key).ok().map(|at| &self.pairs[at].1)
    }

    /// The value of `key`, mutable.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.search(key).ok().map(|at| &mut self.pairs[at].1)
    }

    /// The stored key and value of `key`.
    pub fn get_key_value(&self, key: &K) -> Option<(&K, &V)> {
        self.search(key).ok().map(|at| (&self.pairs[at].0, &self.pairs[at].1))
    }

    /// True if and only if the map has `key`.
    pub fn contains_key(&self, key: &K) -> bool {
        self.search(key).is_ok()
    }

    /// Sets the value of `key`, returning the value it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.search(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.pairs[at].1, value)),
            Err(at) => {
                self.pairs.insert(at, (key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.search(key).ok().map(|at| self.pairs.remove(at).1)
    }

    /// The entry of `key`, to read, insert or change in place.
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V, N> {
        match self.search(&key) {
            Ok(at) => Entry::Occupied(OccupiedEntry { map: self, at }),
            Err(at) => Entry::Vacant(VacantEntry { map: self, at, key }),
        }
    }

    /// The pairs whose keys are within `range`, in key order.
    pub fn range<R: RangeBounds<K>>(&self, range: R) -> Iter<'_, K, V> {
        let start = match range.start_bound() {
            Bound::Included(key) => self.pairs.partition_point(|(probe, _)| probe < key),
            Bound::Excluded(key) => self.pairs.partition_point(|(probe, _)| probe <= key),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(key) => self.pairs.partition_point(|(probe, _)| probe <= key),
            Bound::Excluded(key) => self.pairs.partition_point(|(probe, _)| probe < key),
            Bound::Unbounded => self.pairs.len(),
        };
        Iter { pairs: self.pairs[start..end.max(start)].iter() }
    }

    /// Removes and returns the pair of the smallest key.
    pub fn pop_first(&mut self) -> Option<(K, V)> {
        (!self.pairs.is_empty()).then(|| self.pairs.remove(0))
    }

    /// Removes and returns the pair of the largest key.
    pub fn pop_last(&mut self) -> Option<(K, V)> {
        self.pairs.pop()
    }

    /// Moves every pair of `other` into this map, leaving `other` empty; where both have a
    /// key, `other`'s value wins (as `BTreeMap::append`).
    pub fn append(&mut self, other: &mut VecMap<K, V, N>) {
        let theirs = std::mem::take(&mut other.pairs);
        let follows = match (self.pairs.last(), theirs.first()) {
            (Some((last, _)), Some((first, _))) => last < first,
            _ => true,
        };
        if follows {
            self.pairs.extend(theirs);
            return;
        }
        let ours = std::mem::take(&mut self.pairs);
        self.pairs.reserve(ours.len() + theirs.len());
        let mut ours = ours.into_iter().peekable();
        let mut theirs = theirs.into_iter().peekable();
        loop {
            let take_ours = match (ours.peek(), theirs.peek()) {
                (Some((a, _)), Some((b, _))) => match a.cmp(b) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Greater => false,
                    std::cmp::Ordering::Equal => {
                        ours.next();
                        false
                    }
                },
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let pair = if take_ours { ours.next() } else { theirs.next() };
            self.pairs.extend(pair);
        }
    }
}

impl<K, V, const N: usize> Default for VecMap<K, V, N> {
    fn default() -> VecMap<K, V, N> {
        VecMap::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug, const N: usize> fmt::Debug for VecMap<K, V, N> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Ord, V, const N: usize> FromIterator<(K, V)> for VecMap<K, V, N> {
    /// Collects pairs in any order; a key given twice keeps its last value, as with
    /// `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> VecMap<K, V, N> {
        let mut pairs: SmallVec<[(K, V); N]> = pairs.into_iter().collect();
        // Stable: among equal keys the last given is the last kept.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut map: SmallVec<[(K, V); N]> = SmallVec::with_capacity(pairs.len());
        for (key, value) in pairs {
            match map.last_mut() {
                Some(last) if last.0 == key => last.1 = value,
                _ => map.push((key, value)),
            }
        }
        VecMap { pairs: map }
    }
}

impl<K: Ord, V, const N: usize> Extend<(K, V)> for VecMap<K, V, N> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            self.insert(key, value);
        }
    }
}

impl<K: Ord, V, const M: usize, const N: usize> From<[(K, V); M]> for VecMap<K, V, N> {
    fn from(pairs: [(K, V); M]) -> VecMap<K, V, N> {
        pairs.into_iter().collect()
    }
}

impl<K: Ord, V, const N: usize> From<BTreeMap<K, V>> for VecMap<K, V, N> {
    fn from(map: BTreeMap<K, V>) -> VecMap<K, V, N> {
        VecMap { pairs: map.into_iter().collect() }
    }
}

impl<K: Ord, V, const N: usize> From<VecMap<K, V, N>> for BTreeMap<K, V> {
    fn from(map: VecMap<K, V, N>) -> BTreeMap<K, V> {
        map.pairs.into_iter().collect()
    }
}

impl<K: Ord, V, const N: usize> Index<&K> for VecMap<K, V, N> {
    type Output = V;

    /// # Panics
    ///
    /// If the map has no `key`, as `BTreeMap`'s index does.
    fn index(&self, key: &K) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

impl<'a, K, V, const N: usize> IntoIterator for &'a VecMap<K, V, N> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K, V, const N: usize> IntoIterator for &'a mut VecMap<K, V, N> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}

impl<K, V, const N: usize> IntoIterator for VecMap<K, V, N> {
    type Item = (K, V);
    type IntoIter = smallvec::IntoIter<[(K, V); N]>;

    fn into_iter(self) -> smallvec::IntoIter<[(K, V); N]> {
        self.pairs.into_iter()
    }
}

/// The pairs of a [`VecMap`] in key order, borrowed.
#[derive(Clone, Debug)]
pub struct Iter<'a, K, V> {
    pairs: std::slice::Iter<'a, (K, V)>,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<(&'a K, &'a V)> {
        self.pairs.next().map(|(key, value)| (key, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pairs.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.pairs.next_back().map(|(key, value)| (key, value))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

/// The pairs of a [`VecMap`] in key order, values mutable.
#[derive(Debug)]
pub struct IterMut<'a, K, V> {
    pairs: std::slice::IterMut<'a, (K, V)>,
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<(&'a K, &'a mut V)> {
        self.pairs.next().map(|(key, value)| (&*key, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pairs.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for IterMut<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.pairs.next_back().map(|(key, value)| (&*key, value))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}

/// A key's place in a [`VecMap`], from [`VecMap::entry`].
pub enum Entry<'a, K, V, const N: usize = 0> {
    /// The key is there.
    Occupied(OccupiedEntry<'a, K, V, N>),
    /// The key is not there.
    Vacant(VacantEntry<'a, K, V, N>),
}

/// A key that is in the map.
pub struct OccupiedEntry<'a, K, V, const N: usize = 0> {
    map: &'a mut VecMap<K, V, N>,
    at: usize,
}

/// A key that is not in the map, and where it would go.
pub struct VacantEntry<'a, K, V, const N: usize = 0> {
    map: &'a mut VecMap<K, V, N>,
    at: usize,
    key: K,
}

impl<'a, K, V, const N: usize> Entry<'a, K, V, N> {
    /// The value, inserting `default` first if the key is not there.
    pub fn or_insert(self, default: V) -> &'a mut V {
        self.or_insert_with(|| default)
    }

    /// The value, inserting `default()` first if the key is not there.
    pub fn or_insert_with(self, default: impl FnOnce() -> V) -> &'a mut V {
        match self {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(default()),
        }
    }

    /// The value, inserting `V::default()` first if the key is not there.
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }

    /// Changes the value in place if the key is there.
    pub fn and_modify(mut self, change: impl FnOnce(&mut V)) -> Self {
        if let Entry::Occupied(entry) = &mut self {
            change(entry.get_mut());
        }
        self
    }
}

impl<'a, K, V, const N: usize> OccupiedEntry<'a, K, V, N> {
    /// The key.
    pub fn key(&self) -> &K {
        &self.map.pairs[self.at].0
    }

    /// The value.
    pub fn get(&self) -> &V {
        &self.map.pairs[self.at].1
    }

    /// The value, mutable.
    pub fn get_mut(&mut self) -> &mut V {
        &mut self.map.pairs[self.at].1
    }

    /// The value, mutable for as long as the map was borrowed.
    pub fn into_mut(self) -> &'a mut V {
        &mut self.map.pairs[self.at].1
    }

    /// Replaces the value, returning the old one.
    pub fn insert(&mut self, value: V) -> V {
        std::mem::replace(self.get_mut(), value)
    }

    /// Removes the pair, returning its value.
    pub fn remove(self) -> V {
        self.map.pairs.remove(self.at).1
    }
}

impl<'a, K, V, const N: usize> VacantEntry<'a, K, V, N> {
    /// The key.
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Inserts the value, returning it mutable.
    pub fn insert(self, value: V) -> &'a mut V {
        self.map.pairs.insert(self.at, (self.key, value));
        &mut self.map.pairs[self.at].1
    }
}

/// Serialized as a map, as `BTreeMap` is: a format that stored a `BTreeMap` reads the same
/// bytes into a `VecMap`.
impl<K: Serialize, V: Serialize, const N: usize> Serialize for VecMap<K, V, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.pairs.len()))?;
        for (key, value) in &self.pairs {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>, const N: usize> Deserialize<'de>
    for VecMap<K, V, N>
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V, const N: usize>(std::marker::PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>, const N: usize> Visitor<'de>
            for MapVisitor<K, V, N>
        {
            type Value = VecMap<K, V, N>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = VecMap::with_capacity(access.size_hint().unwrap_or(0).min(4096));
                while let Some((key, value)) = access.next_entry()? {
                    map.insert(key, value);
                }
                Ok(map)
            }
        }

        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests;
