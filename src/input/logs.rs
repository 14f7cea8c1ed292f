//! Reading one source as a stream of chunks that hold only complete lines, in bounded memory:
//! gzip is recognised by its magic bytes, a line longer than [`MAX_LINE`] is cut (the rest of it is
//! skipped), and a file whose first block holds a NUL byte is reported as binary and not scanned.

use std::{
    fs::File,
    io::{self, BufRead, BufReader, Read},
};

use flate2::read::MultiGzDecoder;

use super::{io_reason, Origin, Source};

/// The longest line scanned; the rest of a longer line is skipped.
pub const MAX_LINE: usize = 1 << 20;
/// Bytes read at a time. Equal to [`MAX_LINE`], so that a line that does not fit in the buffer is
/// exactly a line that must be cut.
const CHUNK: usize = MAX_LINE;
/// How much of the start is checked for NUL bytes.
const BINARY_PROBE: usize = 8 << 10;

/// What reading a source found besides its lines.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadOutcome {
    /// Bytes read (decompressed).
    pub bytes: u64,
    /// Lines longer than [`MAX_LINE`] that were cut.
    pub long_lines: u64,
    /// Whether some bytes were not valid UTF-8 (they are shown lossily).
    pub invalid_utf8: bool,
    /// Whether the source was gzip-compressed.
    pub gzip: bool,
    /// Why reading stopped early, if it did (what was read before is still scanned).
    pub error: Option<String>,
    /// Set when the source was not scanned at all (binary).
    pub skipped: Option<String>,
}

fn open(source: &Source) -> io::Result<Box<dyn Read + Send>> {
    match &source.origin {
        Origin::File(path) => Ok(Box::new(File::open(path)?)),
        Origin::Stdin => Ok(Box::new(io::stdin())),
    }
}

/// Reads `source` and hands `on_chunk` buffers of complete lines (each ends with `\n`, except possibly
/// the very last). Never fails: problems are described in the outcome.
pub fn read_chunks(source: &Source, on_chunk: &mut dyn FnMut(&[u8])) -> ReadOutcome {
    let mut outcome = ReadOutcome::default();
    let raw = match open(source) {
        Ok(raw) => raw,
        Err(err) => {
            outcome.skipped = Some(io_reason(&err));
            return outcome;
        }
    };
    let mut buffered = BufReader::with_capacity(64 << 10, raw);
    let gzip = match buffered.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(err) => {
            outcome.skipped = Some(io_reason(&err));
            return outcome;
        }
    };
    outcome.gzip = gzip;
    let mut reader: Box<dyn Read> =
        if gzip { Box::new(MultiGzDecoder::new(buffered)) } else { Box::new(buffered) };
    split_lines(&mut reader, &mut outcome, on_chunk);
    outcome
}

fn split_lines(reader: &mut dyn Read, outcome: &mut ReadOutcome, on_chunk: &mut dyn FnMut(&[u8])) {
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0;
    let mut first = true;
    let mut skipping_long_line = false;
    loop {
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                outcome.error = Some(read_error(&err, outcome.gzip));
                break;
            }
        };
        if n == 0 {
            break;
        }
        if first && filled + n < BINARY_PROBE.min(CHUNK) && n > 0 {
            // Keep reading until the probe window is full or the input ends.
            filled += n;
            outcome.bytes += n as u64;
            continue;
        }
        filled += n;
        outcome.bytes += n as u64;
        if first {
            first = false;
            if let Some(at) = memchr::memchr(0, &buf[..filled.min(BINARY_PROBE)]) {
                outcome.skipped = Some(format!("binary file (NUL byte at offset {at}), skipped"));
                return;
            }
        }
        let mut start = 0;
        if skipping_long_line {
            match memchr::memchr(b'\n', &buf[..filled]) {
                Some(pos) => {
                    skipping_long_line = false;
                    start = pos + 1;
                }
                None => {
                    filled = 0;
                    continue;
                }
            }
        }
        match memchr::memrchr(b'\n', &buf[start..filled]) {
            Some(pos) => {
                let end = start + pos + 1;
                emit(&buf[start..end], outcome, on_chunk);
                buf.copy_within(end..filled, 0);
                filled -= end;
            }
            None if start > 0 => {
                buf.copy_within(start..filled, 0);
                filled -= start;
            }
            None if filled == buf.len() => {
                // A line longer than the buffer: scan its first MAX_LINE bytes, skip the rest.
                emit(&buf[..MAX_LINE], outcome, on_chunk);
                outcome.long_lines += 1;
                skipping_long_line = true;
                filled = 0;
            }
            None => {}
        }
    }
    if first && filled > 0 {
        if let Some(at) = memchr::memchr(0, &buf[..filled.min(BINARY_PROBE)]) {
            outcome.skipped = Some(format!("binary file (NUL byte at offset {at}), skipped"));
            return;
        }
    }
    if filled > 0 && !skipping_long_line {
        if filled > MAX_LINE {
            outcome.long_lines += 1;
            filled = MAX_LINE;
        }
        emit(&buf[..filled], outcome, on_chunk);
    }
}

fn emit(chunk: &[u8], outcome: &mut ReadOutcome, on_chunk: &mut dyn FnMut(&[u8])) {
    // Most logs are ASCII, which is much cheaper to confirm than UTF-8.
    if !outcome.invalid_utf8 && !chunk.is_ascii() && std::str::from_utf8(chunk).is_err() {
        outcome.invalid_utf8 = true;
    }
    on_chunk(chunk);
}

fn read_error(err: &io::Error, gzip: bool) -> String {
    if gzip && err.kind() == io::ErrorKind::UnexpectedEof {
        "truncated gzip stream; the lines before the cut were scanned".into()
    } else if gzip {
        format!("corrupt gzip stream ({}); the lines before it were scanned", io_reason(err))
    } else {
        format!("read error ({}); the lines before it were scanned", io_reason(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8]) -> (Vec<Vec<u8>>, ReadOutcome) {
        let mut chunks = Vec::new();
        let mut outcome = ReadOutcome::default();
        split_lines(&mut &data[..], &mut outcome, &mut |c| chunks.push(c.to_vec()));
        (chunks, outcome)
    }

    #[test]
    fn chunks_hold_complete_lines() {
        let (chunks, outcome) = split(b"a\nb\nc");
        assert_eq!(chunks.concat(), b"a\nb\nc");
        assert_eq!(outcome.bytes, 5);
        assert!(chunks[..chunks.len() - 1].iter().all(|c| c.ends_with(b"\n")));
    }

    #[test]
    fn a_huge_line_is_cut_and_the_next_line_survives() {
        let mut data = vec![b'x'; 3 * CHUNK + 17];
        data.extend_from_slice(b"\nafter\n");
        let (chunks, outcome) = split(&data);
        let all = chunks.concat();
        assert_eq!(outcome.long_lines, 1);
        assert!(all.ends_with(b"after\n"));
        assert!(all.len() <= MAX_LINE + 10);
    }

    #[test]
    fn nul_bytes_at_the_start_mean_binary() {
        let (chunks, outcome) = split(b"\0\0\0\0abc\n");
        assert!(chunks.is_empty());
        assert!(outcome.skipped.as_deref().is_some_and(|s| s.starts_with("binary file")));
    }

    #[test]
    fn invalid_utf8_is_noticed_not_fatal() {
        let (chunks, outcome) = split(b"ok\n\xff\xfe bad\n");
        assert_eq!(chunks.concat(), b"ok\n\xff\xfe bad\n");
        assert!(outcome.invalid_utf8);
    }
}
