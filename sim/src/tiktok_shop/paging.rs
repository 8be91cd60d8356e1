//! Cursor paging: `page_size` + `page_token` in, `next_page_token` +
//! `total_count` out.
//!
//! A token names the last item served (its sort key and id) and the order it
//! was served in, so the next page starts right after it even when items
//! arrive or move meanwhile. Tokens are standard base64 and always begin with
//! `+/`: a client that forgets to percent-encode them breaks at once, not one
//! page in a hundred.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::envelope::TtsError;
use crate::params::Params;

/// Bytes whose base64 is `+/`.
const MAGIC: [u8; 2] = [0xfb, 0xff];
const MAX_PAGE_SIZE: usize = 100;

/// Where the previous page ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// What the list is sorted by and in which direction (the caller's tag).
    pub order: u8,
    /// Sort key of the last item served.
    pub key: i64,
    /// Id of the last item served (ties on `key` are broken by id).
    pub id: u64,
}

impl Cursor {
    pub fn encode(self) -> String {
        let mut bytes = MAGIC.to_vec();
        bytes.push(self.order);
        bytes.extend_from_slice(&self.key.to_be_bytes());
        bytes.extend_from_slice(&self.id.to_be_bytes());
        STANDARD.encode(bytes)
    }

    fn decode(token: &str) -> Option<Self> {
        let bytes = STANDARD.decode(token).ok()?;
        let rest = bytes.strip_prefix(&MAGIC[..])?;
        let (&order, rest) = rest.split_first()?;
        let (key, id) = rest.split_at_checked(8)?;
        Some(Self {
            order,
            key: i64::from_be_bytes(key.try_into().ok()?),
            id: u64::from_be_bytes(id.try_into().ok()?),
        })
    }
}

/// A page request: its size and where to resume.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRequest {
    pub size: usize,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Reads `page_size` (1..=100, required) and `page_token` (absent or
    /// empty: the first page). A token made for another sort order is refused.
    pub fn parse(params: &Params, order: u8) -> Result<Self, TtsError> {
        let size = params
            .get("page_size")
            .and_then(|n| n.parse().ok())
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(TtsError::invalid_param)?;
        let after = match params.get("page_token") {
            None => None,
            Some(token) => Some(
                Cursor::decode(token)
                    .filter(|c| c.order == order)
                    .ok_or_else(TtsError::invalid_param)?,
            ),
        };
        Ok(Self { size, after })
    }
}

/// One page of `items`, which are sorted by `(key, id)` in the cursor's
/// direction: the index where the page starts and its length, plus the
/// next token ("" on the last page).
pub(crate) fn page<T>(
    items: &[T],
    request: PageRequest,
    order: u8,
    position: impl Fn(&T) -> (i64, u64),
    descending: bool,
) -> (usize, usize, String) {
    let start = match request.after {
        None => 0,
        Some(after) => items.partition_point(|item| {
            let at = position(item);
            let last = (after.key, after.id);
            if descending { at >= last } else { at <= last }
        }),
    };
    let len = request.size.min(items.len() - start);
    let next = if start + len < items.len() && len > 0 {
        let (key, id) = position(&items[start + len - 1]);
        Cursor { order, key, id }.encode()
    } else {
        String::new()
    };
    (start, len, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_start_with_plus_slash() {
        let cursor = Cursor {
            order: 3,
            key: 1_736_467_200,
            id: 576_000_000_067_890_001,
        };
        let token = cursor.encode();
        assert!(token.starts_with("+/"), "{token}");
        assert_eq!(Cursor::decode(&token), Some(cursor));
        assert_eq!(Cursor::decode("b2Zmc2V0PTAK"), None);
        assert_eq!(Cursor::decode(&token.replace('+', " ")), None);
    }

    #[test]
    fn pages_resume_after_the_last_item_in_either_direction() {
        let items: Vec<(i64, u64)> = vec![(1, 1), (1, 2), (2, 3), (3, 4), (3, 5)];
        for descending in [false, true] {
            let mut sorted = items.clone();
            if descending {
                sorted.reverse();
            }
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let request = PageRequest { size: 2, after };
                let (start, len, next) = page(&sorted, request, 1, |&(k, i)| (k, i), descending);
                seen.extend_from_slice(&sorted[start..start + len]);
                if next.is_empty() {
                    break;
                }
                after = Cursor::decode(&next);
            }
            assert_eq!(seen, sorted);
        }
    }
}
