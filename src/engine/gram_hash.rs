//! The hash of a 4-byte window ("gram"), shared by the build script (which writes the background
//! frequency profile) and the scanner (which reads it), so that both index the same table.

/// Bits of the background profile's index.
pub const PROFILE_BITS: u32 = 17;

/// The gram `window` (four bytes read little-endian) as an index of `bits` bits.
#[inline(always)]
pub fn gram_hash(window: u32, bits: u32) -> usize {
    (window.wrapping_mul(0x9E37_79B1) >> (32 - bits)) as usize
}
