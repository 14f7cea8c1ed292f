//! The one place that removes secrets. Everything devstack-doctor writes for a ticket (evidence
//! lines, reports, bundles) passes through a [`Redactor`] when the evidence is captured, before any
//! renderer sees it. A redactor knows two things: the values seeded from the run's own
//! configuration ([`secrets_from_config`] reads `local.conf`, `localrc`, `.stackenv`, openrc files),
//! which are replaced wherever their bytes appear, and the shapes secrets take in DevStack logs
//! (mysql `-p`, `password =`, auth-token headers, URL credentials, key blocks, ...), which the
//! private `pattern` module finds without knowing the value.
//!
//! Boundary: this module reads nothing and writes nothing; it maps text to text and counts what it
//! replaced. Deciding which files to collect, and the `--no-redact` flag, belong to the callers.
//!
//! Order: patterns, then seeds, then (only if a seed was replaced) the patterns again. Patterns go
//! first so that a seed which is an ordinary word (`ADMIN_PASSWORD=password`) cannot eat the key
//! that shows where another secret sits; a pattern match whose value is a seed is still named after
//! the seed. The last round is there because replacing a seed can create a word boundary.
//!
//! Guarantees:
//! - a seeded value (4+ characters) never survives, whatever surrounds it, except where it is
//!   itself part of a placeholder (a password of `PASSWORD` still leaves
//!   `[REDACTED:ADMIN_PASSWORD]` readable) or straddles one's brackets;
//! - redacting twice gives the same text as redacting once;
//! - a text with no trigger word and no seeded value is returned borrowed, with no regex run;
//! - no input panics: bytes are matched as bytes, invalid UTF-8 included.
//!
//! Deliberately left alone, because they are evidence and not secrets:
//! - `-p` anywhere but in a mysql/mariadb client command (`ssh -p 22`, `mkdir -p`), and in those
//!   commands `-p` followed by a space (mysql prompts) or `-P 3306` (the port);
//! - keys that only contain a secret word (`password_policy`, `password_expires_days`,
//!   `max_token_size`, `tokens_per_second`): a key must end with it;
//! - an unquoted `token:` value that does not look like a token (under 16 characters or without a
//!   digit): `Unable to validate token: Unauthorized` is an error message;
//! - values that are already masked (`***`), empty, `None`/`null`/`true`/`false`, MySQL's
//!   `(using password: YES)`, or a `$VAR` reference;
//! - URLs without a password (`https://opendev.org/...`, `ssh://stack@host`), certificates and
//!   public keys.
//!
//! Not recognised without a seed: `.pgpass` lines (`host:port:db:user:password`), XML elements
//! (`<password>x</password>`), and the base64 lines of a key block handed to [`Redactor::redact`]
//! one at a time (stream lines through [`Redactor::redact_line`] instead).

mod config;
mod pattern;

use std::{
    borrow::Cow,
    collections::BTreeMap,
    fmt,
    ops::Range,
    sync::atomic::{AtomicU64, Ordering},
};

use aho_corasick::{AhoCorasick, MatchKind};

pub use config::secrets_from_config;
use pattern::{Edit, Kind, PATTERNS, PEM_BEGIN, PEM_END, PLACEHOLDER_PREFIX, TRIGGERS};

/// One secret value known in advance (from `local.conf` etc.), with the kind that names its
/// placeholder: `Secret { kind: "ADMIN_PASSWORD", value: "..." }` is replaced by
/// `[REDACTED:ADMIN_PASSWORD]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// The name inside the placeholder, usually the variable that defined the value. Characters
    /// other than ASCII letters, digits, `_`, `.` and `-` are replaced by `_`.
    pub kind: String,
    /// The secret itself, matched as plain bytes.
    pub value: String,
}

impl Secret {
    /// A secret named `kind` with the given value.
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Secret {
        Secret { kind: kind.into(), value: value.into() }
    }
}

/// Never prints the value, so a stray `{:?}` cannot leak it.
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("kind", &self.kind)
            .field("value", &format_args!("<{} bytes>", self.value.len()))
            .finish()
    }
}

/// Where a caller streaming lines through [`Redactor::redact_line`] stands with respect to private
/// key blocks: outside one, or between its BEGIN and END lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockState {
    in_key: bool,
    /// The BEGIN line carried no key material, so the block has not been counted yet.
    uncounted: bool,
}

impl BlockState {
    /// The state at the start of a file: outside any key block.
    pub fn new() -> BlockState {
        BlockState::default()
    }

    /// Whether the last line seen opened a private key block that has not ended yet.
    pub fn in_private_key(&self) -> bool {
        self.in_key
    }
}

/// Removes secrets from text. Built once per run and shared by reference (it is `Send + Sync`;
/// the replacement counts are atomics).
pub struct Redactor {
    inner: Option<Box<Inner>>,
}

struct Inner {
    /// Trigger words and seeded values, ASCII case-insensitive: which patterns may match.
    prefilter: AhoCorasick,
    /// Per prefilter pattern: the pattern bits it enables, or [`SEED`].
    masks: Vec<u32>,
    /// The seeded values, exact and leftmost-longest so that a longer secret wins.
    seeds: Option<AhoCorasick>,
    /// Per seed pattern: the index of its kind.
    seed_kinds: Vec<usize>,
    /// Seeded value to kind index, so a pattern match whose value is seeded gets the seed's name.
    seed_by_value: BTreeMap<Vec<u8>, usize>,
    /// Every placeholder this redactor writes; seeded values inside them are not replaced again.
    placeholders_ac: AhoCorasick,
    /// Kind index to placeholder name; indices below `Kind::ALL.len()` are the pattern kinds.
    kinds: Vec<String>,
    /// Kind index to placeholder text.
    placeholders: Vec<Vec<u8>>,
    /// Kind index to replacements so far.
    counts: Vec<AtomicU64>,
}

/// The prefilter bit that says a seeded value may be present.
const SEED: u32 = 1 << 31;

/// Seeded values shorter than this (in characters) are ignored: they would clobber ordinary words.
const MIN_SEED_CHARS: usize = 4;

impl Redactor {
    /// A redactor that replaces the given values and every built-in pattern. Seeds that are empty,
    /// shorter than 4 characters or a bare `$VAR` reference are ignored; when several seeds share
    /// a value, the first one names it.
    ///
    /// # Panics
    ///
    /// Only if the automaton over the seeds cannot be built, which needs billions of states: no
    /// seed list that fits in memory comes near it.
    pub fn new(seeds: Vec<Secret>) -> Redactor {
        let mut kinds: Vec<String> = Kind::ALL.iter().map(|k| k.name().to_string()).collect();
        let mut seed_values: Vec<Vec<u8>> = Vec::new();
        let mut seed_kinds = Vec::new();
        let mut seed_by_value = BTreeMap::new();
        for seed in seeds {
            if !usable_seed(&seed.value) || seed_by_value.contains_key(seed.value.as_bytes()) {
                continue;
            }
            let name = sanitize_kind(&seed.kind);
            let index = match kinds.iter().position(|k| *k == name) {
                Some(i) => i,
                None => {
                    kinds.push(name);
                    kinds.len() - 1
                }
            };
            seed_by_value.insert(seed.value.as_bytes().to_vec(), index);
            seed_values.push(seed.value.into_bytes());
            seed_kinds.push(index);
        }

        let mut words: Vec<&[u8]> = TRIGGERS.iter().map(|(w, _)| w.as_bytes()).collect();
        let mut masks: Vec<u32> = TRIGGERS.iter().map(|(_, m)| *m).collect();
        words.extend(seed_values.iter().map(Vec::as_slice));
        masks.extend(seed_values.iter().map(|_| SEED));
        // Standard match semantics: the overlapping search that collects the masks needs them.
        let prefilter = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&words)
            .expect("prefilter automaton: trigger words plus seeds stay far below the state limit");
        let seeds = (!seed_values.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&seed_values)
                .expect("seed automaton: seeds stay far below the state limit")
        });
        let placeholders: Vec<Vec<u8>> =
            kinds.iter().map(|k| format!("[REDACTED:{k}]").into_bytes()).collect();
        let placeholders_ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&placeholders)
            .expect("placeholder automaton: one short pattern per kind");
        let counts = kinds.iter().map(|_| AtomicU64::new(0)).collect();
        Redactor {
            inner: Some(Box::new(Inner {
                prefilter,
                masks,
                seeds,
                seed_kinds,
                seed_by_value,
                placeholders_ac,
                kinds,
                placeholders,
                counts,
            })),
        }
    }

    /// A redactor that changes nothing (`--no-redact`).
    pub fn disabled() -> Redactor {
        Redactor { inner: None }
    }

    /// Whether this redactor replaces anything at all.
    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// `text` with every secret replaced by its placeholder. Borrowed when nothing was replaced.
    /// Text that is not valid UTF-8 after replacement cannot arise from valid input; should it, the
    /// invalid bytes become U+FFFD rather than a panic.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// [`Redactor::redact`] on bytes, which need not be UTF-8.
    pub fn redact_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        match &self.inner {
            Some(inner) => inner.redact(bytes),
            None => Cow::Borrowed(bytes),
        }
    }

    /// Redacts one line of a stream, dropping the lines inside a multi-line private key block.
    /// Returns `None` for a line to leave out; the BEGIN line keeps its marker, the END line keeps
    /// its marker and what follows it. Start each file with a fresh [`BlockState`].
    pub fn redact_line<'a>(&self, line: &'a str, state: &mut BlockState) -> Option<Cow<'a, str>> {
        Some(match self.redact_line_bytes(line.as_bytes(), state)? {
            Cow::Borrowed(b) => {
                // The borrowed bytes are `line` or a suffix of it starting at an ASCII marker.
                let start = line.len() - b.len();
                Cow::Borrowed(line.get(start..).unwrap_or_default())
            }
            Cow::Owned(bytes) => Cow::Owned(
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        })
    }

    /// [`Redactor::redact_line`] on bytes.
    pub fn redact_line_bytes<'a>(&self, line: &'a [u8], state: &mut BlockState) -> Option<Cow<'a, [u8]>> {
        let Some(inner) = &self.inner else { return Some(Cow::Borrowed(line)) };
        if state.in_key {
            let Some(end) = PEM_END.find(line) else {
                inner.count_block(state);
                return None;
            };
            if line[..end.start()].iter().any(|b| !b.is_ascii_whitespace()) {
                inner.count_block(state);
            }
            *state = BlockState::default();
            // What follows the END marker is ordinary text, which may even open another block.
            return self.redact_line_bytes(&line[end.start()..], state);
        }
        let out = inner.redact(line);
        if let Some(begin) = PEM_BEGIN.find_iter(line).last() {
            let after = &line[begin.end()..];
            if PEM_END.find(after).is_none() {
                // Key material on the BEGIN line itself was replaced (and counted) above.
                state.in_key = true;
                state.uncounted = after.iter().all(u8::is_ascii_whitespace);
            }
        }
        Some(out)
    }

    /// Replacements made so far, per placeholder kind; kinds never used are absent.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let Some(inner) = &self.inner else { return BTreeMap::new() };
        inner
            .kinds
            .iter()
            .zip(&inner.counts)
            .map(|(k, c)| (k.clone(), c.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// Shows how the redactor is set up, never the seeded values.
impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Redactor");
        d.field("enabled", &self.is_enabled());
        if let Some(inner) = &self.inner {
            d.field("seeds", &inner.seed_kinds.len());
        }
        d.finish()
    }
}

impl Inner {
    fn redact<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let mask = self.mask(bytes);
        if mask == 0 {
            return Cow::Borrowed(bytes);
        }
        // Patterns first: they keep the syntax around a secret (`password=`, `-p`) intact, so a
        // seed that happens to be an ordinary word (`password`) cannot hide the key from them.
        let cur = self.patterns(mask, Cow::Borrowed(bytes));
        if mask & SEED == 0 {
            return cur;
        }
        match self.replace_seeds(&cur) {
            // Replacing a seed can create a word boundary (`<seed>mysql -pX` becomes
            // `[REDACTED:..]mysql -pX`), so the patterns run once more; without this a second
            // redaction could find more than the first.
            Some(next) => self.patterns(mask, Cow::Owned(next)),
            None => cur,
        }
    }

    /// Runs the patterns whose bit is in `mask`, in order, each on the previous one's output.
    fn patterns<'a>(&self, mask: u32, mut cur: Cow<'a, [u8]>) -> Cow<'a, [u8]> {
        let mut edits = Vec::new();
        for p in PATTERNS.iter().filter(|p| mask & p.bit != 0) {
            edits.clear();
            p.find(&cur, &mut edits);
            if !edits.is_empty() {
                let next = self.apply(&cur, edits.iter().map(|e| (e.range.clone(), self.kind_of(&cur, e))));
                cur = Cow::Owned(next);
            }
        }
        cur
    }

    /// The pattern bits (and [`SEED`]) whose trigger words occur in `bytes`.
    fn mask(&self, bytes: &[u8]) -> u32 {
        // Most lines hold no trigger at all; a plain search answers that several times faster
        // than setting up the overlapping one.
        if !self.prefilter.is_match(bytes) {
            return 0;
        }
        let all = PATTERNS.iter().fold(SEED, |m, p| m | p.bit);
        let Ok(iter) = self.prefilter.try_find_overlapping_iter(bytes) else { return all };
        let mut mask = 0;
        for m in iter {
            mask |= self.masks[m.pattern().as_usize()];
            if mask == all {
                break;
            }
        }
        mask
    }

    /// The kind index for a pattern edit: a seeded value keeps its seed's name.
    fn kind_of(&self, text: &[u8], edit: &Edit) -> usize {
        text.get(edit.range.clone())
            .and_then(|value| self.seed_by_value.get(value).copied())
            .unwrap_or(edit.kind as usize)
    }

    /// Every seeded value outside an existing placeholder, replaced; `None` if there was none.
    fn replace_seeds(&self, text: &[u8]) -> Option<Vec<u8>> {
        let seeds = self.seeds.as_ref()?;
        let protected: Vec<Range<usize>> = if memchr::memmem::find(text, PLACEHOLDER_PREFIX).is_some() {
            self.placeholders_ac.find_iter(text).map(|m| m.range()).collect()
        } else {
            Vec::new()
        };
        let mut next_protected = 0;
        let mut edits = Vec::new();
        for m in seeds.find_iter(text) {
            while protected.get(next_protected).is_some_and(|r| r.end <= m.start()) {
                next_protected += 1;
            }
            if protected.get(next_protected).is_some_and(|r| r.start < m.end()) {
                continue;
            }
            edits.push((m.range(), self.seed_kinds[m.pattern().as_usize()]));
        }
        (!edits.is_empty()).then(|| self.apply(text, edits.into_iter()))
    }

    /// `text` with each range replaced by its kind's placeholder, counting each replacement.
    fn apply(&self, text: &[u8], edits: impl Iterator<Item = (Range<usize>, usize)>) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() + 32);
        let mut last = 0;
        for (range, kind) in edits {
            out.extend_from_slice(&text[last..range.start]);
            out.extend_from_slice(&self.placeholders[kind]);
            self.counts[kind].fetch_add(1, Ordering::Relaxed);
            last = range.end;
        }
        out.extend_from_slice(&text[last..]);
        out
    }

    fn count_block(&self, state: &mut BlockState) {
        if state.uncounted {
            self.counts[Kind::PrivateKey as usize].fetch_add(1, Ordering::Relaxed);
            state.uncounted = false;
        }
    }
}

/// Whether a seeded value is worth matching: long enough not to clobber ordinary words, and not a
/// shell reference (`$VAR`, `${VAR}`) whose expansion is what appears in logs.
fn usable_seed(value: &str) -> bool {
    if value.chars().count() < MIN_SEED_CHARS {
        return false;
    }
    let name = match value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        Some(name) => name,
        None => match value.strip_prefix('$') {
            Some(name) => name,
            None => return true,
        },
    };
    !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A kind restricted to the placeholder alphabet, so every placeholder is recognised again.
fn sanitize_kind(kind: &str) -> String {
    let clean: String = kind
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') { c } else { '_' })
        .collect();
    if clean.is_empty() {
        "secret".to_string()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LOCAL_CONF: &str = include_str!("../tests/data/redact/local.conf");

    fn seeded() -> Redactor {
        Redactor::new(secrets_from_config(LOCAL_CONF))
    }

    /// One redactor for the property tests whose seed does not vary (building one per case
    /// dominates their run time).
    static FIXED: std::sync::LazyLock<Redactor> =
        std::sync::LazyLock::new(|| Redactor::new(vec![Secret::new("TEST_PASSWORD", "Sup3rS3cret")]));

    #[test]
    fn kind_indices_match_all() {
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
    }

    #[test]
    fn redactor_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Redactor>();
    }

    #[test]
    fn disabled_changes_nothing() {
        let r = Redactor::disabled();
        assert!(!r.is_enabled());
        let line = "mysql -uroot -psecretdb";
        assert!(matches!(r.redact(line), Cow::Borrowed(_)));
        assert_eq!(r.redact_line(line, &mut BlockState::new()).as_deref(), Some(line));
        assert!(r.counts().is_empty());
        assert_eq!(format!("{r:?}"), "Redactor { enabled: false }");
    }

    #[test]
    fn no_trigger_is_borrowed_and_uncounted() {
        let r = seeded();
        for line in [
            "2024-05-01 10:00:00.000 | + ./stack.sh:main:790 : install_infra",
            "Jun 01 10:00:00 host devstack@n-api.service[123]: INFO nova.api started",
            "",
        ] {
            assert!(matches!(r.redact(line), Cow::Borrowed(_)), "{line}");
        }
        // A trigger word without a secret runs the regexes but still allocates nothing.
        assert!(matches!(r.redact("password_policy = strict"), Cow::Borrowed(_)));
        assert!(r.counts().is_empty());
    }

    #[test]
    fn debug_never_shows_values() {
        let s = Secret::new("ADMIN_PASSWORD", "secretadmin");
        assert!(!format!("{s:?}").contains("secretadmin"));
        let r = Redactor::new(vec![s]);
        assert_eq!(format!("{r:?}"), "Redactor { enabled: true, seeds: 1 }");
    }

    #[test]
    fn seeds_are_filtered_and_first_name_wins() {
        let r = Redactor::new(vec![
            Secret::new("SHORT", "abc"),
            Secret::new("EMPTY", ""),
            Secret::new("REF", "$ADMIN_PASSWORD"),
            Secret::new("REF2", "${SERVICE_PASSWORD}"),
            Secret::new("ADMIN_PASSWORD", "samevalue"),
            Secret::new("SERVICE_PASSWORD", "samevalue"),
            Secret::new("weird kind!", "w3irdvalue"),
        ]);
        assert_eq!(r.redact("echo abc samevalue"), "echo abc [REDACTED:ADMIN_PASSWORD]");
        assert_eq!(r.redact("x w3irdvalue"), "x [REDACTED:weird_kind_]");
        assert_eq!(r.redact("$ADMIN_PASSWORD ${SERVICE_PASSWORD}"), "$ADMIN_PASSWORD ${SERVICE_PASSWORD}");
    }

    #[test]
    fn longer_seed_wins() {
        let r =
            Redactor::new(vec![Secret::new("A_PASSWORD", "secret"), Secret::new("B_PASSWORD", "secretdb")]);
        assert_eq!(r.redact("x secretdb y secret"), "x [REDACTED:B_PASSWORD] y [REDACTED:A_PASSWORD]");
    }

    #[test]
    fn pattern_value_takes_the_seed_name() {
        let r = Redactor::new(vec![Secret::new("DATABASE_PASSWORD", "secretdb")]);
        assert_eq!(
            r.redact("mysql -uroot -psecretdb -h127.0.0.1 -e 'show databases;'"),
            "mysql -uroot -p[REDACTED:DATABASE_PASSWORD] -h127.0.0.1 -e 'show databases;'"
        );
        assert_eq!(r.redact("mysql -uroot -pother"), "mysql -uroot -p[REDACTED:mysql-password]");
        let counts = r.counts();
        assert_eq!(counts.get("DATABASE_PASSWORD"), Some(&1));
        assert_eq!(counts.get("mysql-password"), Some(&1));
    }

    #[test]
    fn dictionary_word_seed_keeps_key_patterns_working() {
        // DevStack's docs use ADMIN_PASSWORD=secret; the word is everywhere in config keys.
        let r = Redactor::new(vec![Secret::new("ADMIN_PASSWORD", "secret")]);
        // The key survives long enough for the pattern to hide the unseeded value next to it; then
        // the seed goes too. Only the pattern's own placeholder still spells the word.
        let out = r.redact("metadata_proxy_shared_secret = othervalue");
        assert_eq!(out, "metadata_proxy_shared_[REDACTED:ADMIN_PASSWORD] = [REDACTED:secret]");
        assert_eq!(r.redact(&out), out);
        let out =
            r.redact("+ iniset /etc/neutron/metadata_agent.ini DEFAULT metadata_proxy_shared_secret secret");
        assert_eq!(
            out,
            "+ iniset /etc/neutron/metadata_agent.ini DEFAULT metadata_proxy_shared_[REDACTED:ADMIN_PASSWORD] \
             [REDACTED:ADMIN_PASSWORD]"
        );
        assert_eq!(r.counts().get("ADMIN_PASSWORD"), Some(&3));
    }

    #[test]
    fn seeded_local_conf_leaves_no_secret_bytes() {
        let secrets = secrets_from_config(LOCAL_CONF);
        let r = Redactor::new(secrets.clone());
        let lines = [
            // xtrace
            "2024-05-01 10:00:01.000 | + lib/databases/mysql:configure_database_mysql:110 : sudo mysqladmin -u root password Db-Pa55word",
            "2024-05-01 10:00:02.000 | + lib/rpc_backend:restart_rpc_backend:97 : sudo rabbitmqctl change_password stackrabbit Rabbit4Ever",
            "2024-05-01 10:00:03.000 | + lib/keystone:bootstrap_keystone:541 : keystone-manage bootstrap --bootstrap-password \"Adm1nSecret\"",
            "2024-05-01 10:00:04.000 | + lib/swift:configure_swift:390 : iniset /etc/swift/swift.conf swift-hash swift_hash_path_suffix 66a3d6b56c1f479c8b4e70ab5c2000f5",
            "2024-05-01 10:00:05.000 | + stack.sh:main:1277 : FIXED_KEY=bae3516cc1c0eb18b05440eba8012a4a880a2ee04d584a9c1579445e675b12defdc716ec",
            "2024-05-01 10:00:06.000 | + echo Svc_pw_1234 hidden in plain text",
            // URL
            "transport_url = rabbit://stackrabbit:Rabbit4Ever@10.0.0.5:5672/",
            "connection = mysql+pymysql://root:Db-Pa55word@127.0.0.1/nova?charset=utf8",
            // JSON
            r#"{"auth": {"identity": {"password": {"user": {"name": "nova", "password": "Svc_pw_1234"}}}}}"#,
            r#"{"tempurl_key": "Temp-URL-key-42"}"#,
            // journal
            "May 01 10:00:07 devstack devstack@keystone.service[4242]: WARNING passwords Adm1nSecretAdm1nSecret and Svc_pw_1234",
            // the banner
            "The password: Adm1nSecret",
        ];
        let all = lines.join("\n");
        let out = r.redact(&all);
        for s in &secrets {
            assert!(!out.contains(&s.value), "{} survived in:\n{out}", s.kind);
        }
        let counts = r.counts();
        let expected: BTreeMap<String, u64> = [
            ("ADMIN_PASSWORD", 4),
            ("DATABASE_PASSWORD", 2),
            ("FIXED_KEY", 1),
            ("RABBIT_PASSWORD", 2),
            ("SERVICE_PASSWORD", 3),
            ("SWIFT_HASH", 1),
            ("SWIFT_TEMPURL_KEY", 1),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(counts, expected, "{out}");
        // Line by line gives the same text and doubles the counts.
        let by_line: Vec<String> = lines.iter().map(|l| r.redact(l).into_owned()).collect();
        assert_eq!(by_line.join("\n"), out);
        assert_eq!(r.counts().values().sum::<u64>(), 2 * expected.values().sum::<u64>());
        // Idempotent, and a second pass counts nothing.
        assert_eq!(r.redact(&out), out);
        assert_eq!(r.counts().values().sum::<u64>(), 2 * expected.values().sum::<u64>());
    }

    #[test]
    fn local_conf_itself_is_redacted() {
        let secrets = secrets_from_config(LOCAL_CONF);
        let r = Redactor::new(secrets.clone());
        let out = r.redact(LOCAL_CONF);
        for s in &secrets {
            assert!(!out.contains(&s.value), "{}:\n{out}", s.kind);
        }
        assert!(out.contains("ADMIN_PASSWORD=[REDACTED:ADMIN_PASSWORD]"), "{out}");
        // Without seeds, the patterns alone still catch every assignment in it.
        let plain = Redactor::new(Vec::new()).redact(LOCAL_CONF).into_owned();
        for s in &secrets {
            assert!(!plain.contains(&s.value), "{} without seeds:\n{plain}", s.kind);
        }
    }

    #[test]
    fn stream_drops_key_block_lines() {
        let r = Redactor::new(Vec::new());
        let mut state = BlockState::new();
        let input = [
            "Generating key for the CA",
            "-----BEGIN RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEAq2Wl3b9x",
            "Zm9vYmFyYmF6cXV4",
            "-----END RSA PRIVATE KEY----- written",
            "password=after",
        ];
        let out: Vec<Option<String>> =
            input.iter().map(|l| r.redact_line(l, &mut state).map(Cow::into_owned)).collect();
        assert_eq!(
            out,
            [
                Some("Generating key for the CA".to_string()),
                Some("-----BEGIN RSA PRIVATE KEY-----".to_string()),
                None,
                None,
                Some("-----END RSA PRIVATE KEY----- written".to_string()),
                Some("password=[REDACTED:password]".to_string()),
            ]
        );
        assert!(!state.in_private_key());
        assert_eq!(r.counts().get("private-key"), Some(&1));
        assert_eq!(r.counts().get("password"), Some(&1));
    }

    #[test]
    fn stream_lines_with_their_newlines() {
        // `split_inclusive` callers hand over each line with its `\n`.
        let r = Redactor::new(Vec::new());
        let mut state = BlockState::new();
        let text =
            "a\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1r\n-----END OPENSSH PRIVATE KEY-----\nb\n";
        let kept: String = text
            .split_inclusive('\n')
            .filter_map(|l| r.redact_line(l, &mut state).map(Cow::into_owned))
            .collect();
        assert_eq!(kept, "a\n-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----\nb\n");
        assert_eq!(r.counts().get("private-key"), Some(&1));
    }

    #[test]
    fn stream_key_material_on_begin_and_end_lines() {
        let r = Redactor::new(Vec::new());
        let mut state = BlockState::new();
        let a = r.redact_line("key: -----BEGIN EC PRIVATE KEY-----MHcCAQEEI", &mut state);
        assert_eq!(a.as_deref(), Some("key: -----BEGIN EC PRIVATE KEY-----[REDACTED:private-key]"));
        assert!(state.in_private_key());
        assert_eq!(r.redact_line("AwEHoUQDQgAE", &mut state), None);
        let end = r.redact_line("Zz09-----END EC PRIVATE KEY-----", &mut state);
        assert_eq!(end.as_deref(), Some("-----END EC PRIVATE KEY-----"));
        assert_eq!(r.counts().get("private-key"), Some(&1));
        // An END followed by another BEGIN on the same line opens the next block.
        let both = "-----END EC PRIVATE KEY----------BEGIN EC PRIVATE KEY-----";
        let lines = ["-----BEGIN EC PRIVATE KEY-----", "abc", both, "def", "-----END EC PRIVATE KEY-----"];
        let kept: Vec<_> = lines.iter().filter_map(|l| r.redact_line(l, &mut state)).collect();
        assert_eq!(kept, [lines[0], both, lines[4]]);
        assert_eq!(r.counts().get("private-key"), Some(&3));
        // A whole block on one line does not leave the stream inside a block.
        let one = r.redact_line("-----BEGIN PRIVATE KEY-----abc-----END PRIVATE KEY-----", &mut state);
        assert_eq!(
            one.as_deref(),
            Some("-----BEGIN PRIVATE KEY-----[REDACTED:private-key]-----END PRIVATE KEY-----")
        );
        assert!(!state.in_private_key());
    }

    #[test]
    fn invalid_utf8_is_redacted_as_bytes() {
        let r = Redactor::new(vec![Secret::new("ADMIN_PASSWORD", "secretadmin")]);
        let input = b"\xff\xfe password=\xc3\xffbad secretadmin\x80";
        let out = r.redact_bytes(input);
        assert_eq!(&out[..], &b"\xff\xfe password=[REDACTED:password] [REDACTED:ADMIN_PASSWORD]\x80"[..]);
    }

    #[test]
    fn shared_across_threads() {
        let r = seeded();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..25 {
                        assert_eq!(r.redact("x Rabbit4Ever"), "x [REDACTED:RABBIT_PASSWORD]");
                    }
                });
            }
        });
        assert_eq!(r.counts().get("RABBIT_PASSWORD"), Some(&100));
    }

    /// Placeholder texts an alphanumeric secret could be part of; such a secret cannot be removed
    /// from the placeholder that names it (see the module docs).
    fn inside_placeholder(secret: &str) -> bool {
        Kind::ALL.iter().map(|k| k.name()).chain(["REDACTED", "TEST_PASSWORD"]).any(|k| k.contains(secret))
    }

    /// Text fragments that exercise the triggers and the syntax around values.
    fn fragment() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..8),
            Just(b"password=".to_vec()),
            Just(b"password: ".to_vec()),
            Just(b" -p".to_vec()),
            Just(b"mysql ".to_vec()),
            Just(b"mysqladmin password ".to_vec()),
            Just(b"rabbitmqctl add_user u ".to_vec()),
            Just(b"--os-password ".to_vec()),
            Just(b"X-Auth-Token: ".to_vec()),
            Just(b"token: ".to_vec()),
            Just(b"The password: ".to_vec()),
            Just(b"iniset f s password ".to_vec()),
            Just(b"rabbit://u:".to_vec()),
            Just(b"@h/".to_vec()),
            Just(b"-----BEGIN RSA PRIVATE KEY-----".to_vec()),
            Just(b"-----END RSA PRIVATE KEY-----".to_vec()),
            Just(b"[REDACTED:password]".to_vec()),
            Just(b"[REDACTED:".to_vec()),
            Just(b"${X:-".to_vec()),
            Just(b"}".to_vec()),
            Just(b"\"".to_vec()),
            Just(b"'".to_vec()),
            Just(b"\\\"".to_vec()),
            Just(b" ".to_vec()),
            Just(b"\n".to_vec()),
            Just(b";".to_vec()),
            Just(b"gAAAAA".to_vec()),
            Just(b"Sup3rS3cret".to_vec()),
            Just(b"--password=".to_vec()),
            Just(b"{SHA256}".to_vec()),
            Just(b"|".to_vec()),
            Just(b"&".to_vec()),
            Just(b"=".to_vec()),
            Just(b":".to_vec()),
            Just(b",".to_vec()),
            Just(b"@".to_vec()),
            Just(b"$".to_vec()),
            Just(b"[REDACTED:TEST_PASSWORD]".to_vec()),
            Just(b"secret_key = ".to_vec()),
            Just(b"\\/\\/".to_vec()),
            Just(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-".to_vec()),
        ]
    }

    fn text() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(fragment(), 0..12).prop_map(|parts| parts.concat())
    }

    proptest! {
        // Failures are reported, not written to a proptest-regressions/ file in the tree.
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn seeded_secret_never_survives(
            secret in "[A-Za-z0-9]{8,20}",
            prefix in proptest::collection::vec(any::<u8>(), 0..64),
            suffix in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            prop_assume!(!inside_placeholder(&secret));
            let r = Redactor::new(vec![Secret::new("TEST_PASSWORD", secret.clone())]);
            let input = [prefix, secret.clone().into_bytes(), suffix].concat();
            let out = r.redact_bytes(&input);
            prop_assert!(memchr::memmem::find(&out, secret.as_bytes()).is_none());
            let again = r.redact_bytes(&out);
            prop_assert_eq!(again.as_ref(), out.as_ref());
        }

        #[test]
        fn seeded_secret_never_survives_trigger_rich_text(
            secret in "[A-Za-z0-9]{8,20}",
            prefix in text(),
            suffix in text(),
        ) {
            prop_assume!(!inside_placeholder(&secret));
            let r = Redactor::new(vec![Secret::new("TEST_PASSWORD", secret.clone())]);
            let input = [prefix, secret.clone().into_bytes(), suffix].concat();
            let out = r.redact_bytes(&input);
            prop_assert!(memchr::memmem::find(&out, secret.as_bytes()).is_none());
        }

        #[test]
        fn redaction_is_idempotent(input in text()) {
            let r = &*FIXED;
            let once = r.redact_bytes(&input).into_owned();
            let twice = r.redact_bytes(&once);
            prop_assert_eq!(
                String::from_utf8_lossy(&twice),
                String::from_utf8_lossy(&once),
                "input {:?}",
                String::from_utf8_lossy(&input)
            );
            prop_assert!(matches!(twice, Cow::Borrowed(_)));
        }

        #[test]
        fn text_without_trigger_is_borrowed(input in "[a-z0-9A-Z .,|+=:/_-]{0,200}") {
            let r = &*FIXED;
            let lower = input.to_ascii_lowercase();
            prop_assume!(TRIGGERS.iter().all(|(w, _)| !lower.contains(w)) && !lower.contains("sup3rs3cret"));
            prop_assert!(matches!(r.redact(&input), Cow::Borrowed(_)));
        }

        #[test]
        fn never_panics(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            let r = &*FIXED;
            let _ = r.redact_bytes(&input);
            let mut state = BlockState::new();
            for line in input.split(|b| *b == b'\n') {
                let _ = r.redact_line_bytes(line, &mut state);
            }
        }
    }
}
