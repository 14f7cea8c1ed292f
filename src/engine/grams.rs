//! The literal prefilter: a filter over 4-byte windows ("grams"). Each required literal is
//! represented by a run of consecutive grams (four when it is long enough), the rarest such run by a
//! background profile of how often each gram occurs in the logs of successful DevStack runs (written
//! by the build script from `samples/logs/success/`). The filter is a bitmap of gram hashes small
//! enough to stay in the first-level cache, probed at every fourth position (a literal's four grams
//! cover four consecutive positions, so one of them is probed wherever the literal is); probes do
//! not depend on each other, so the scan runs many times faster than a byte-at-a-time automaton. A
//! probe that hits is verified against the literals whose grams hash there.

pub use super::gram_hash::{gram_hash, PROFILE_BITS};

/// The background profile: one byte per hash bucket of [`PROFILE_BITS`] bits, `16 * log2(1 + n)`
/// for the `n` occurrences of the grams that hash there.
static PROFILE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/gram_profile.bin"));

/// Length of a gram.
pub const GRAM: usize = 4;

/// Bits of the filter's bitmap index (16 KiB of bitmap). The same as the profile's, so that a
/// gram's background count is the load of its filter slot: a rare gram that shares its slot with a
/// common one looks common, and is not chosen.
const FILTER_BITS: u32 = PROFILE_BITS;

/// How often `gram` (exactly these bytes) occurs in the background logs, as far as the hashed
/// profile can tell (a collision can only make it look more common). The profile stores
/// `16 * log2(1 + n)`; this turns it back into a count.
fn background(gram: [u8; GRAM]) -> u32 {
    let slot = gram_hash(u32::from_le_bytes(gram), PROFILE_BITS);
    let stored = PROFILE.get(slot).copied().unwrap_or(0);
    (f64::from(stored) / 16.0).exp2().round() as u32 - 1
}

/// Every spelling of `gram` that an ASCII case-insensitive match accepts (the gram itself when
/// `folded` is false).
fn spellings(gram: [u8; GRAM], folded: bool) -> impl Iterator<Item = [u8; GRAM]> {
    let mut letters = [0usize; GRAM];
    let mut count = 0;
    for (at, byte) in gram.iter().enumerate() {
        if folded && byte.is_ascii_alphabetic() {
            letters[count] = at;
            count += 1;
        }
    }
    (0..1u32 << count).map(move |mask| {
        let mut spelling = gram;
        for (bit, at) in letters[..count].iter().enumerate() {
            spelling[*at] = if mask & (1 << bit) != 0 {
                spelling[*at].to_ascii_uppercase()
            } else {
                spelling[*at].to_ascii_lowercase()
            };
        }
        spelling
    })
}

/// Background count of one gram of a literal (summed over its spellings when `folded`).
fn gram_count(gram: &[u8], folded: bool) -> u32 {
    let window: [u8; GRAM] = gram.try_into().unwrap_or_default();
    if folded {
        spellings(window, true).map(background).fold(0u32, u32::saturating_add)
    } else {
        background(window)
    }
}

/// The run of `count` consecutive grams of `literal` with the lowest summed background count, as
/// (offset of its first gram, sum), or `None` when the literal has fewer grams.
fn rarest_run(literal: &[u8], folded: bool, count: usize) -> Option<(usize, u32)> {
    let counts: Vec<u32> = literal.windows(GRAM).map(|gram| gram_count(gram, folded)).collect();
    counts
        .windows(count.max(1))
        .enumerate()
        .map(|(at, run)| (at, run.iter().fold(0u32, |a, b| a.saturating_add(*b))))
        .min_by_key(|(_, sum)| *sum)
}

/// Grams of a literal at consecutive offsets that the filter needs to probe one position in
/// `literal.len() - GRAM + 1`, at most [`MAX_STRIDE`].
fn stride_of(literal: &[u8]) -> usize {
    (literal.len() + 1).saturating_sub(GRAM).clamp(1, MAX_STRIDE)
}

/// Estimated cost of a literal in ordinary logs: the summed background count of the grams the
/// filter would use for it (see [`GramFilter`]); a literal shorter than a gram counts as very
/// common.
pub fn rarity(literal: &[u8], folded: bool) -> u32 {
    rarest_run(literal, folded, stride_of(literal)).map_or(u32::MAX / 1024, |(_, sum)| sum)
}

/// Most positions the filter skips between two probes. A literal of at least
/// `GRAM + MAX_STRIDE - 1` bytes is represented by that many consecutive grams, so that one of them
/// starts at a probed position wherever the literal is.
pub const MAX_STRIDE: usize = 4;

/// The gram filter over a set of literals, with what it needs to verify a hit. Only every
/// `stride`-th position is probed: each literal is represented by `stride` consecutive grams (the
/// rarest such run), so exactly one of them starts at a probed position wherever the literal occurs,
/// and each occurrence is reported once.
#[derive(Debug, Clone)]
pub struct GramFilter {
    /// Positions between two probes: [`MAX_STRIDE`], or less when a literal is too short for it.
    stride: usize,
    /// Bit `hash(gram)` is set for the chosen grams of every literal (every spelling of them).
    bits: Vec<u64>,
    /// Set bits before each word of `bits`: with a popcount, the rank of a set bit among all set
    /// bits, which indexes `starts`.
    ranks: Vec<u32>,
    /// For the set bit of rank `r`, its literals are `entries[starts[r]..starts[r + 1]]`.
    starts: Vec<u32>,
    /// (index into `literals`, offset of a chosen gram in the literal), grouped by set bit.
    entries: Vec<(u32, u32)>,
    /// The literals, with whether they match ASCII letters of either case.
    literals: Vec<(Vec<u8>, bool)>,
}

impl GramFilter {
    /// A filter that finds every occurrence of every literal, or `None` when a literal is shorter
    /// than a gram. Literal `i` of `literals` is reported as `i`.
    pub fn new(literals: Vec<(Vec<u8>, bool)>) -> Option<GramFilter> {
        if literals.iter().any(|(literal, _)| literal.len() < GRAM) {
            return None;
        }
        let stride = literals.iter().map(|(literal, _)| stride_of(literal)).min().unwrap_or(MAX_STRIDE);
        let mut by_slot: Vec<(usize, u32, u32)> = Vec::new();
        for (index, (literal, folded)) in literals.iter().enumerate() {
            let (first, _) = rarest_run(literal, *folded, stride)?;
            for offset in first..first + stride {
                let gram: [u8; GRAM] = literal.get(offset..offset + GRAM)?.try_into().ok()?;
                for spelling in spellings(gram, *folded) {
                    let slot = gram_hash(u32::from_le_bytes(spelling), FILTER_BITS);
                    by_slot.push((slot, u32::try_from(index).ok()?, u32::try_from(offset).ok()?));
                }
            }
        }
        by_slot.sort_unstable();
        by_slot.dedup();
        let mut bits = vec![0u64; 1 << (FILTER_BITS - 6)];
        let mut starts = Vec::new();
        let mut entries = Vec::with_capacity(by_slot.len());
        for (i, &(slot, literal, offset)) in by_slot.iter().enumerate() {
            if i == 0 || by_slot[i - 1].0 != slot {
                bits[slot >> 6] |= 1 << (slot & 63);
                starts.push(u32::try_from(entries.len()).ok()?);
            }
            entries.push((literal, offset));
        }
        starts.push(u32::try_from(entries.len()).ok()?);
        let mut ranks = Vec::with_capacity(bits.len());
        let mut seen = 0;
        for word in &bits {
            ranks.push(seen);
            seen += word.count_ones();
        }
        Some(GramFilter { stride, bits, ranks, starts, entries, literals })
    }

    /// The literals whose chosen gram hashes like `window` (which the bitmap holds).
    fn entries_of(&self, window: u32) -> &[(u32, u32)] {
        let slot = gram_hash(window, FILTER_BITS);
        let (word, bit) = (slot >> 6, slot & 63);
        let rank = self.ranks[word] + (self.bits[word] & ((1u64 << bit) - 1)).count_ones();
        let rank = rank as usize;
        &self.entries[self.starts[rank] as usize..self.starts[rank + 1] as usize]
    }

    /// Whether the bitmap holds the gram read little-endian from `window`, as 0 or 1.
    #[inline(always)]
    fn bit(&self, window: u32) -> u64 {
        let slot = gram_hash(window, FILTER_BITS);
        (self.bits[slot >> 6] >> (slot & 63)) & 1
    }

    /// The first probed position at or after `from` (`from`, `from + stride`, ...) where the
    /// bitmap says a gram may start.
    #[inline]
    fn next(&self, haystack: &[u8], from: usize) -> Option<usize> {
        let mut at = from;
        if self.stride == GRAM {
            // The usual case: two probes from each 8-byte load.
            while let Some(eight) = haystack.get(at..at + 8) {
                let word = u64::from_le_bytes(eight.try_into().ok()?);
                if self.bit(word as u32) != 0 {
                    return Some(at);
                }
                if self.bit((word >> 32) as u32) != 0 {
                    return Some(at + GRAM);
                }
                at += 8;
            }
        }
        while let Some(four) = haystack.get(at..at + GRAM) {
            if self.bit(u32::from_le_bytes(four.try_into().ok()?)) != 0 {
                return Some(at);
            }
            at += self.stride;
        }
        None
    }

    /// The literals, in the order they were given, with whether each matches either case.
    pub fn literals(&self) -> &[(Vec<u8>, bool)] {
        &self.literals
    }

    /// Calls `found(start, literal)` once for every occurrence of every literal in `haystack`,
    /// overlapping ones included, in order of the position of the gram that found them.
    pub fn each(&self, haystack: &[u8], found: &mut dyn FnMut(usize, usize)) {
        let mut at = 0;
        while let Some(hit) = self.next(haystack, at) {
            // Probes stay `stride` apart, so that no literal slips between two of them.
            at = hit + self.stride;
            let Some(window) = haystack.get(hit..hit + GRAM) else { break };
            let word = u32::from_le_bytes(window.try_into().unwrap_or_default());
            for &(index, offset) in self.entries_of(word) {
                let Some(start) = hit.checked_sub(offset as usize) else { continue };
                let (literal, folded) = &self.literals[index as usize];
                let Some(text) = haystack.get(start..start + literal.len()) else { continue };
                if if *folded { text.eq_ignore_ascii_case(literal) } else { text == literal.as_slice() } {
                    found(start, index as usize);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_of_every_literal_is_reported() {
        let filter = GramFilter::new(vec![
            (b"certificate verification failed".to_vec(), false),
            (b"Boot ".to_vec(), false),
            (b"no space left".to_vec(), true),
            (b"Boot 4".to_vec(), false),
        ])
        .expect("all literals are long enough");
        let text = b"ok\nxx server certificate verification failed. CAfile\n-- Boot 42 --\nNO SPACE LEFT, No Space Left\n";
        let mut found = Vec::new();
        filter.each(text, &mut |start, literal| found.push((start, literal)));
        found.sort_unstable();
        let at = |needle: &[u8]| memchr::memmem::find(text, needle).expect("needle in text");
        assert_eq!(
            found,
            vec![
                (at(b"certificate"), 0),
                (at(b"Boot"), 1),
                (at(b"Boot"), 3),
                (at(b"NO SPACE"), 2),
                (at(b"No Space"), 2)
            ]
        );
    }

    #[test]
    fn a_literal_is_found_once_at_every_alignment_with_the_full_stride() {
        let filter =
            GramFilter::new(vec![(b"Killed process".to_vec(), false), (b"out of memory".to_vec(), true)])
                .expect("long enough");
        assert_eq!(filter.stride, MAX_STRIDE);
        for pad in 0..2 * MAX_STRIDE {
            let text = format!("{}Out Of Memory: Killed process 42\n", "x".repeat(pad));
            let mut found = Vec::new();
            filter.each(text.as_bytes(), &mut |start, literal| found.push((start, literal)));
            found.sort_unstable();
            assert_eq!(found, vec![(pad, 1), (pad + 15, 0)], "padding {pad}");
        }
    }

    #[test]
    fn a_literal_shorter_than_a_gram_means_no_filter() {
        assert!(GramFilter::new(vec![(b"abc".to_vec(), false)]).is_none());
    }

    #[test]
    fn ordinary_text_is_rarely_looked_at() {
        let filter = GramFilter::new(vec![(b"Traceback (most recent call last)".to_vec(), false)])
            .expect("long enough");
        let noise =
            b"2026-01-02 10:00:00.000 | + functions-common:git_clone:600 : git clone https://opendev.org/x\n";
        let looked_at = (0..noise.len()).filter(|at| filter.next(noise, *at) == Some(*at)).count();
        assert!(looked_at <= 2, "{looked_at} positions looked at in a line without the literal");
        let mut found = 0;
        filter.each(noise, &mut |_, _| found += 1);
        assert_eq!(found, 0);
    }

    #[test]
    fn the_profile_knows_common_grams_from_rare_ones() {
        // Built from samples/logs/success: xtrace lines are everywhere, this error text nowhere.
        assert!(
            background(*b"func") > background(*b"Trac"),
            "{} {}",
            background(*b"func"),
            background(*b"Trac")
        );
        assert!(rarity(b"functions-common:", false) > rarity(b" creation failed", false));
    }
}
