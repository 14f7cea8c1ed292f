//! Required literals of a signature: a set of byte strings such that every line the regex matches
//! contains at least one of them. The scanner looks for these literals in whole buffers with
//! the gram filter ([`super::grams`]) and runs a signature's regex only on the lines where one of its literals occurs.
//!
//! The extraction walks the regex's HIR: a concatenation must match each of its parts, so any part's
//! required set will do, and a run of consecutive literal characters is one long literal; an
//! alternation needs a set for every branch; a repetition with a minimum of one needs its body's.
//! Case-insensitive letters (`(?i)`) are kept as ASCII case-insensitive literals. The rarest choice
//! in ordinary logs wins (see `score`).

use regex_syntax::hir::{Class, Hir, HirKind};

use super::grams;

/// Literals shorter than this are too common to be worth a prefilter, and shorter than the gram
/// filter's window.
pub const MIN_LITERAL: usize = grams::GRAM;
/// More alternatives than this and the set is not worth it either.
const MAX_LITERALS: usize = 64;

/// One required literal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Literal {
    /// The bytes (lowercase ASCII letters where `case_insensitive`).
    pub bytes: Vec<u8>,
    /// Whether ASCII letters match either case.
    pub case_insensitive: bool,
}

/// The required literals of `pattern` (a bytes regex), or `None` when it has no usable set.
pub fn required(pattern: &str) -> Option<Vec<Literal>> {
    let hir = regex_syntax::ParserBuilder::new().utf8(false).build().parse(pattern).ok()?;
    let set = of(&hir)?;
    usable(&set).then_some(set)
}

fn usable(set: &[Literal]) -> bool {
    !set.is_empty() && set.len() <= MAX_LITERALS && set.iter().all(|l| l.bytes.len() >= MIN_LITERAL)
}

/// Quality of a set: literals long enough for the gram filter's full stride first (one shorter
/// literal makes the filter probe more positions, see [`grams::MAX_STRIDE`]), then case-sensitive
/// ones (a case-insensitive literal is looked for in every spelling), then the rarest set by the
/// background profile of ordinary logs, then its shortest literal, then fewer alternatives.
fn score(set: &[Literal]) -> (bool, bool, std::cmp::Reverse<u32>, usize, std::cmp::Reverse<usize>) {
    let shortest = set.iter().map(|l| l.bytes.len()).min().unwrap_or(0);
    let full_stride = shortest >= grams::GRAM + grams::MAX_STRIDE - 1;
    let exact = set.iter().all(|l| !l.case_insensitive) && shortest >= grams::GRAM;
    let frequency =
        set.iter().map(|l| grams::rarity(&l.bytes, l.case_insensitive)).fold(0u32, u32::saturating_add);
    (full_stride, exact, std::cmp::Reverse(frequency), shortest, std::cmp::Reverse(set.len()))
}

fn better(a: Option<Vec<Literal>>, b: Option<Vec<Literal>>) -> Option<Vec<Literal>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if score(&b) > score(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn of(hir: &Hir) -> Option<Vec<Literal>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![Literal { bytes: lit.0.to_vec(), case_insensitive: false }]),
        HirKind::Class(class) => {
            one_char(class).map(|(b, ci)| vec![Literal { bytes: vec![b], case_insensitive: ci }])
        }
        HirKind::Capture(cap) => of(&cap.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => of(&rep.sub),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(of(branch)?);
            }
            all.sort();
            all.dedup();
            (all.len() <= MAX_LITERALS).then_some(all)
        }
        HirKind::Concat(items) => {
            let mut best: Option<Vec<Literal>> = None;
            // Runs of single characters form one literal.
            let mut run = Literal { bytes: Vec::new(), case_insensitive: false };
            for item in items {
                match single(item) {
                    Some((bytes, ci)) => {
                        // A letter of the other case sensitivity ends the run, so that the
                        // case-sensitive parts of a partly `(?i)` pattern stay usable on their own;
                        // characters that have no case join either kind.
                        let has_letters = bytes.iter().any(u8::is_ascii_alphabetic);
                        let run_has_letters = run.bytes.iter().any(u8::is_ascii_alphabetic);
                        if has_letters && run_has_letters && ci != run.case_insensitive {
                            let done = std::mem::replace(
                                &mut run,
                                Literal { bytes: Vec::new(), case_insensitive: ci },
                            );
                            best = better(best, Some(vec![done]));
                        }
                        if has_letters {
                            run.case_insensitive = ci;
                        }
                        run.bytes.extend(bytes);
                    }
                    None => {
                        if !run.bytes.is_empty() {
                            best = better(
                                best,
                                Some(vec![std::mem::replace(
                                    &mut run,
                                    Literal { bytes: Vec::new(), case_insensitive: false },
                                )]),
                            );
                        }
                        best = better(best, of(item).filter(|s| usable(s)));
                    }
                }
            }
            if !run.bytes.is_empty() {
                best = better(best, Some(vec![run]));
            }
            best.map(normalise)
        }
        _ => None,
    }
}

/// A case-insensitive literal is stored lowercase.
fn normalise(set: Vec<Literal>) -> Vec<Literal> {
    set.into_iter()
        .map(|mut l| {
            if l.case_insensitive {
                l.bytes.make_ascii_lowercase();
            }
            l
        })
        .collect()
}

/// An item that is a fixed byte string (a literal, or one character of either case).
fn single(hir: &Hir) -> Option<(Vec<u8>, bool)> {
    match hir.kind() {
        HirKind::Literal(lit) => Some((lit.0.to_vec(), false)),
        HirKind::Class(class) => one_char(class).map(|(b, ci)| (vec![b], ci)),
        HirKind::Capture(cap) => single(&cap.sub),
        _ => None,
    }
}

/// A class that is one ASCII byte, or one ASCII letter in both cases (with the Unicode case-folding
/// extras such as KELVIN SIGN, which a DevStack log does not contain in place of `k`).
fn one_char(class: &Class) -> Option<(u8, bool)> {
    let chars: Vec<u32> = match class {
        Class::Unicode(c) => {
            let mut out = Vec::new();
            for r in c.ranges() {
                let (start, end) = (r.start() as u32, r.end() as u32);
                if end - start > 2 {
                    return None;
                }
                out.extend(start..=end);
            }
            out
        }
        Class::Bytes(c) => {
            let mut out = Vec::new();
            for r in c.ranges() {
                if r.end() - r.start() > 2 {
                    return None;
                }
                out.extend((r.start()..=r.end()).map(u32::from));
            }
            out
        }
    };
    let ascii: Vec<u8> = chars.iter().filter_map(|c| u8::try_from(*c).ok()).filter(u8::is_ascii).collect();
    match ascii.as_slice() {
        [b] if chars.len() == 1 => Some((*b, false)),
        [a, b] if a.eq_ignore_ascii_case(b) && a != b => {
            // Non-ASCII extras are only the Unicode folds of this letter (K/k/KELVIN, S/s/LONG S).
            (chars.len() <= 3).then_some((a.to_ascii_lowercase(), true))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(pattern: &str) -> Option<Vec<(String, bool)>> {
        required(pattern).map(|set| {
            set.into_iter()
                .map(|l| (String::from_utf8_lossy(&l.bytes).into_owned(), l.case_insensitive))
                .collect()
        })
    }

    #[test]
    fn plain_text_is_one_literal() {
        assert_eq!(
            lits(r"server certificate verification failed\. CAfile: (?P<f>\S+)"),
            Some(vec![("server certificate verification failed. CAfile: ".into(), false)])
        );
    }

    #[test]
    fn the_rarest_required_part_wins() {
        assert_eq!(lits(r"\S+ did not start\b"), Some(vec![(" did not start".into(), false)]));
        // Every xtrace line names functions-common; a failure message is rare in a successful run.
        assert_eq!(
            lits(r"\S*functions-common:\d+ (?P<bridge>\S+) creation failed\s*$"),
            Some(vec![(" creation failed".into(), false)])
        );
        assert_eq!(
            lits(r"^\[ERROR\] \S+:\d+ Failed to set rabbitmq password"),
            Some(vec![(" Failed to set rabbitmq password".into(), false)])
        );
    }

    #[test]
    fn alternations_need_every_branch() {
        assert_eq!(
            lits(r"(?:early EOF|RPC failed; curl)"),
            Some(vec![("RPC failed; curl".into(), false), ("early EOF".into(), false)])
        );
        assert_eq!(lits(r"(?:early EOF|\d+)"), None);
    }

    #[test]
    fn case_insensitive_letters_become_a_folded_literal() {
        assert_eq!(
            lits(r"(?i)no space left on device"),
            Some(vec![("no space left on device".into(), true)])
        );
    }

    #[test]
    fn case_sensitive_parts_of_a_partly_folded_pattern_win() {
        // Either case-sensitive part will do (the rarer is chosen); the folded `kvm` never.
        let chosen = lits(r"failed to initialize (?i:kvm) here").expect("has literals");
        assert_eq!(chosen, vec![("failed to initialize ".into(), false)]);
        assert_eq!(
            lits(r"[Tt]he remote end hung up unexpectedly"),
            Some(vec![("he remote end hung up unexpectedly".into(), false)])
        );
        // A case-sensitive literal long enough for the filter's stride beats a case-insensitive one;
        // a shorter one does not.
        assert_eq!(lits(r"(?i:out of memory): Killed"), Some(vec![(": Killed".into(), false)]));
        assert_eq!(lits(r"(?i:out of memory): Kill"), Some(vec![("out of memory".into(), true)]));
    }

    #[test]
    fn nothing_required_means_no_prefilter() {
        assert_eq!(lits(r"\d+ a"), None);
        assert_eq!(lits(r"(?:foo)?\w+"), None);
    }
}
