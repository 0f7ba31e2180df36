//! What the import remembers per key, on disk: the memory of an import does not grow with the
//! file.
//!
//! Two [`ScratchMap`]s (unnamed files in the store's directory, see `arrears::scratch`) hold,
//! under a one-byte namespace:
//!
//! - the planner's, renewed for each pass: the first line of each external id or key
//!   ([`Keys::first_line`]), each posting row by key ([`Keys::earlier`]), and the payments
//!   reversed ([`Keys::reverse`]);
//! - the links, kept from the first pass to the second: the keys later rows refer to
//!   ([`Links::refer`]), and what those rows recorded when executed ([`Links::posted`]).

use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;

use arrears::ids::{AccountId, EventSeq, ObligationId};
use arrears::scratch::ScratchMap;

use super::postings::{EarlierRow, PostingType};

const FIRST_LINE: u8 = b'l';
const EARLIER: u8 = b'e';
const REVERSED: u8 = b'r';
const REFERRED: u8 = b'f';
const POSTED: u8 = b'p';

fn key(namespace: u8, text: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + text.len());
    key.push(namespace);
    key.extend_from_slice(text.as_bytes());
    key
}

fn create(dir: &Path) -> Result<ScratchMap> {
    ScratchMap::create_in(dir)
        .with_context(|| format!("cannot keep the import's keys in {}", dir.display()))
}

/// The planner's memory of the rows read in one pass.
pub(super) struct Keys {
    map: ScratchMap,
}

impl Keys {
    pub(super) fn create(dir: &Path) -> Result<Keys> {
        Ok(Keys { map: create(dir)? })
    }

    /// The line `id` was first seen on, recording `line` if it is new.
    pub(super) fn first_line(&mut self, id: &str, line: u64) -> Result<Option<u64>> {
        let key = key(FIRST_LINE, id);
        if let Some(bytes) = self.map.get(&key)? {
            return Ok(Some(u64::from_le_bytes(fixed(&bytes)?)));
        }
        self.map.insert(&key, &line.to_le_bytes())?;
        Ok(None)
    }

    /// The posting row read earlier under `key`.
    pub(super) fn earlier(&self, key_text: &str) -> Result<Option<EarlierRow>> {
        match self.map.get(&key(EARLIER, key_text))? {
            Some(bytes) => Ok(Some(decode_earlier(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Records a posting row under `key`, unless one was recorded before.
    pub(super) fn keep_earlier(&mut self, key_text: &str, row: &EarlierRow) -> Result<()> {
        let key = key(EARLIER, key_text);
        if !self.map.contains(&key)? {
            self.map.insert(&key, &encode_earlier(row))?;
        }
        Ok(())
    }

    /// Records that the payment `identity` is reversed: false if it already was.
    pub(super) fn reverse(&mut self, identity: &str) -> Result<bool> {
        let key = key(REVERSED, identity);
        if self.map.contains(&key)? {
            return Ok(false);
        }
        self.map.insert(&key, &[])?;
        Ok(true)
    }
}

/// What a row referred to by a later row recorded: the event and the obligation it created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PostedRef {
    pub(super) event: EventSeq,
    pub(super) obligation: Option<ObligationId>,
}

/// The keys later rows refer to, and what their rows recorded.
pub(super) struct Links {
    map: ScratchMap,
}

impl Links {
    pub(super) fn create(dir: &Path) -> Result<Links> {
        Ok(Links { map: create(dir)? })
    }

    pub(super) fn refer(&mut self, key_text: &str) -> Result<()> {
        let key = key(REFERRED, key_text);
        if !self.map.contains(&key)? {
            self.map.insert(&key, &[])?;
        }
        Ok(())
    }

    pub(super) fn is_referred(&self, key_text: &str) -> Result<bool> {
        Ok(self.map.contains(&key(REFERRED, key_text))?)
    }

    pub(super) fn keep_posted(&mut self, key_text: &str, posted: PostedRef) -> Result<()> {
        let mut bytes = posted.event.0.to_le_bytes().to_vec();
        match posted.obligation {
            Some(obligation) => {
                bytes.push(1);
                bytes.extend_from_slice(&obligation.get().to_le_bytes());
            }
            None => bytes.push(0),
        }
        Ok(self.map.insert(&key(POSTED, key_text), &bytes)?)
    }

    pub(super) fn posted(&self, key_text: &str) -> Result<Option<PostedRef>> {
        let Some(bytes) = self.map.get(&key(POSTED, key_text))? else { return Ok(None) };
        let event = EventSeq(u32::from_le_bytes(fixed(bytes.get(..4).unwrap_or(&[]))?));
        let obligation = match bytes.get(4..) {
            Some([0]) => None,
            Some([1, rest @ ..]) => Some(ObligationId(u64::from_le_bytes(fixed(rest)?))),
            _ => anyhow::bail!("the import's scratch file holds a malformed posted row"),
        };
        Ok(Some(PostedRef { event, obligation }))
    }
}

fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N]> {
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the import's scratch file holds a malformed value"))
}

/// `line (8) | account tag (1) account (8) | posting (1: 0 none, else 1 + index) | date tag (1)
/// days from CE (4)`, little-endian.
fn encode_earlier(row: &EarlierRow) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(23);
    bytes.extend_from_slice(&row.line.to_le_bytes());
    bytes.push(u8::from(row.account.is_some()));
    bytes.extend_from_slice(&row.account.map_or(0, AccountId::get).to_le_bytes());
    bytes.push(row.posting.map_or(0, |posting| posting.code() + 1));
    bytes.push(u8::from(row.effective_on.is_some()));
    let days = row.effective_on.map_or(0, |date| chrono::Datelike::num_days_from_ce(&date));
    bytes.extend_from_slice(&days.to_le_bytes());
    bytes
}

fn decode_earlier(bytes: &[u8]) -> Result<EarlierRow> {
    let malformed = || anyhow::anyhow!("the import's scratch file holds a malformed row");
    if bytes.len() != 23 {
        return Err(malformed());
    }
    let line = u64::from_le_bytes(fixed(&bytes[0..8])?);
    let account = if bytes[8] == 1 {
        Some(AccountId(u64::from_le_bytes(fixed(&bytes[9..17])?)))
    } else {
        None
    };
    let posting = match bytes[17] {
        0 => None,
        code => Some(PostingType::from_code(code - 1).ok_or_else(malformed)?),
    };
    let effective_on = if bytes[18] == 1 {
        let days = i32::from_le_bytes(fixed(&bytes[19..23])?);
        Some(NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(malformed)?)
    } else {
        None
    };
    Ok(EarlierRow { line, account, posting, effective_on })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_links_remember_across_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let mut keys = Keys::create(dir.path()).unwrap();
        let mut links = Links::create(dir.path()).unwrap();
        let n = ScratchMap::BUFFER_LEN as u64 + 10;
        for line in 2..n {
            assert_eq!(keys.first_line(&format!("id-{line}"), line).unwrap(), None);
        }
        assert_eq!(keys.first_line("id-7", 99).unwrap(), Some(7), "the first line stays");
        let row = EarlierRow {
            line: 12,
            account: Some(AccountId(40)),
            posting: Some(PostingType::Reversal),
            effective_on: NaiveDate::from_ymd_opt(2026, 2, 28),
        };
        keys.keep_earlier("k", &row).unwrap();
        keys.keep_earlier("k", &EarlierRow { line: 13, ..row }).unwrap();
        assert_eq!(keys.earlier("k").unwrap(), Some(row), "the first row stays");
        let empty = EarlierRow { line: 1, account: None, posting: None, effective_on: None };
        keys.keep_earlier("e", &empty).unwrap();
        assert_eq!(keys.earlier("e").unwrap(), Some(empty));
        assert_eq!(keys.earlier("absent").unwrap(), None);
        assert!(keys.reverse("row:p1").unwrap());
        assert!(!keys.reverse("row:p1").unwrap());
        links.refer("p1").unwrap();
        assert!(links.is_referred("p1").unwrap() && !links.is_referred("p2").unwrap());
        let posted = PostedRef { event: EventSeq(3), obligation: Some(ObligationId(9)) };
        links.keep_posted("p1", posted).unwrap();
        links.keep_posted("p2", PostedRef { obligation: None, ..posted }).unwrap();
        assert_eq!(links.posted("p1").unwrap(), Some(posted));
        assert_eq!(links.posted("p2").unwrap().unwrap().obligation, None);
        assert_eq!(links.posted("p3").unwrap(), None);
    }
}
