//! `perf script` text → folded stacks, through inferno's perf collapser.
//!
//! inferno does the folding; this module decides what inferno is given. It reads the
//! script in place (a `BufRead` over the caller's bytes: stack lines are lent to inferno as
//! they are, only event lines that carry a period are copied, without it), so folding a
//! large script costs no copy of it. A large script is cut into chunks at sample boundaries
//! and folded on rayon's threads, as inferno's own `inferno-collapse-perf` uses every CPU;
//! a script in a file is read a chunk at a time rather than whole, as inferno reads it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, BufRead, Read};
use std::ops::Range;
use std::sync::Mutex;

#[cfg(test)]
use inferno::collapse::Collapse;
#[cfg(test)]
use inferno::collapse::perf::{Folder, Options};
use rayon::prelude::*;
use serde::Serialize;

use super::ProfileError;

/// Folded stacks: `comm;outermost;...;leaf` with the number of samples that ended in it.
///
/// Lines are sorted by stack, as inferno writes them, so the same script always folds to
/// the same text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Folded {
    pub lines: Vec<(String, u64)>,
    pub total_samples: u64,
    /// The samples of each thread, when they were folded from a perf script (a folded file
    /// does not say): most samples first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskSamples>,
}

/// The samples of one thread of a perf script: its name (the root of its stacks), its
/// process and thread ids (perf prints the process id only with `-F pid` or `--show-task-events`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskSamples {
    pub comm: String,
    pub pid: Option<u32>,
    pub tid: u32,
    pub samples: u64,
}

/// Sort threads most samples first, then by name and id, so a script always gives one order.
pub(super) fn sort_tasks(tasks: &mut [TaskSamples]) {
    tasks.sort_by(|a, b| {
        (b.samples, &a.comm, a.pid, a.tid).cmp(&(a.samples, &b.comm, b.pid, b.tid))
    });
}

impl Folded {
    /// The folded text that inferno's tools and Brendan Gregg's flamegraph.pl read:
    /// one `stack count` line per stack.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for (stack, samples) in &self.lines {
            text.push_str(stack);
            text.push(' ');
            text.push_str(&samples.to_string());
            text.push('\n');
        }
        text
    }

    /// Read folded text back (a `perf.folded` kept in an investigation, or any collapsed
    /// profile). Blank lines are skipped; any other line must end in ` count`.
    pub(crate) fn from_text(text: &str) -> Result<Folded, ProfileError> {
        let mut folded = Folded::default();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            let parsed = line
                .rsplit_once(' ')
                .filter(|(stack, _)| !stack.trim().is_empty())
                .and_then(|(stack, count)| Some((stack, count.parse::<u64>().ok()?)));
            let Some((stack, samples)) = parsed else {
                return Err(ProfileError::NotFolded {
                    line: index + 1,
                    found: excerpt(line),
                });
            };
            folded.total_samples = folded.total_samples.saturating_add(samples);
            folded.lines.push((stack.to_owned(), samples));
        }
        Ok(folded)
    }
}

/// Fold `perf script` output into stacks rooted at the process name (comm).
///
/// - Every sample counts 1. perf script prints each sample's period (10101010 ns for
///   cpu-clock at 99 Hz) unless `-F` leaves it out, and inferno would add periods up; the
///   period is dropped on the way in so counts and percentages are samples whatever the
///   `-F` fields were.
/// - Only the first event type in the script is folded (mixing cpu-clock with page-faults
///   would add unlike things), as inferno and stackcollapse-perf.pl do.
/// - The root frame is the comm with spaces as `_`, without pid or tid, so all threads of
///   one program fold together. Unresolved frames become `[module]` (e.g. `[stress-ng]`
///   for a stripped binary); symbol offsets (`+0x1f`) are dropped.
/// - A sample perf printed without a callchain folds to `comm;[unknown]` (inferno alone
///   would drop it), so `total_samples` matches perf's count. inferno does skip frames whose
///   name starts with `(` (stackcollapse-perf.pl's rule, which also hits C++'s
///   `(anonymous namespace)::f`): a sample whose every frame is such is lost.
/// - Input with no event line at all (empty, only blank lines or `#` comments) is an empty
///   profile: perf recorded nothing, which is a result. Input whose first event line is not
///   perf script's is [`ProfileError::NotPerfScript`]. Later lines inferno cannot read are
///   skipped by inferno.
/// - Timestamps must be in the script (perf script prints them by default): inferno finds
///   the event name after the time's colon.
/// - A script of more than [`CHUNK_BYTES`] is folded in chunks on rayon's threads (the
///   current pool: a one-thread pool folds on one thread); the result is the same.
pub fn fold_perf_script(text: &[u8]) -> Result<Folded, ProfileError> {
    fold_in_memory(text, CHUNK_BYTES)
}

/// [`fold_perf_script`] in chunks of about `chunk_bytes`, lent from `text`.
fn fold_in_memory(text: &[u8], chunk_bytes: usize) -> Result<Folded, ProfileError> {
    let Some(event) = first_event(text)? else {
        return Ok(Folded::default());
    };
    if text.len() <= chunk_bytes {
        return collapse(SamplesOnly::new(&ascii_only(text)), &event);
    }
    let rest = Mutex::new(text);
    let next = |_spent| {
        let mut rest = rest.lock().ok()?;
        let cut = chunk_end(&rest, chunk_bytes)?;
        let (chunk, after) = rest.split_at(cut);
        *rest = after;
        Some(ascii_only(chunk))
    };
    fold_on_threads(&next, &event)
}

/// Fold the chunks `next` gives with one inferno per rayon thread, each folding the chunks
/// its thread takes, one after another, until there are none left. Chunks are taken as they
/// are needed, so a thread slowed by other work folds fewer of them; one inferno per thread
/// rather than per chunk, because each sorts and writes its stacks, which are parsed back.
fn fold_on_threads(next: NextChunk<'_>, event: &str) -> Result<Folded, ProfileError> {
    let folded = (0..rayon::current_num_threads().max(1))
        .into_par_iter()
        .map(|_| collapse(SamplesOnly::chunked(next), event))
        .collect::<Result<Vec<Folded>, ProfileError>>()?;
    Ok(merge(folded))
}

/// Where the first chunk of `text` ends: just after the first blank line at or after
/// `chunk_bytes`, or at the end. `None` when `text` is empty. A blank line ends a sample,
/// and after one inferno and [`SamplesOnly`] are in the state they start in, so chunks
/// fold apart to what the whole folds to, once their counts are added up (a stack's
/// samples may fall in several chunks).
fn chunk_end(text: &[u8], chunk_bytes: usize) -> Option<usize> {
    if text.is_empty() {
        return None;
    }
    let aim = chunk_bytes.max(1).min(text.len());
    let from = aim - 1;
    Some(
        text.get(from..)
            .and_then(|rest| rest.windows(2).position(|pair| pair == b"\n\n"))
            .map_or(text.len(), |blank| from + blank + 2),
    )
}

/// [`fold_perf_script`] of a script read from `reader` (a file), without holding all of it.
///
/// The script is read in chunks of about [`CHUNK_BYTES`], each cut at a blank line as
/// [`chunk_end`] cuts, and folded on rayon's threads as [`fold_perf_script`] folds; a folded
/// chunk's buffer takes a later chunk.
/// Reading a large file whole into a fresh buffer costs more than folding a quarter of it
/// (the kernel zeroes and maps every page of the buffer, then copies into it), while chunks
/// in reused buffers are only copied, which is also how `inferno-collapse-perf` reads. Folds
/// to what [`fold_perf_script`] folds the same bytes to.
///
/// A read error ends the script where it broke: what was read before it is folded all the
/// same (data already collected is never lost), and the error comes back beside the fold.
pub fn fold_perf_script_from(
    reader: impl Read + Send,
) -> (Result<Folded, ProfileError>, io::Result<()>) {
    fold_chunks(reader, CHUNK_BYTES)
}

/// [`fold_perf_script_from`] in chunks of about `chunk_bytes`.
fn fold_chunks(
    reader: impl Read + Send,
    chunk_bytes: usize,
) -> (Result<Folded, ProfileError>, io::Result<()>) {
    let spare = Mutex::new(Vec::new());
    let mut chunks = Chunks {
        reader,
        chunk_bytes,
        carry: Vec::new(),
        end: false,
        error: None,
        first: None,
        spare: &spare,
    };
    let folded = fold_read_chunks(&mut chunks);
    let read = chunks.error.take().map_or(Ok(()), Err);
    (folded, read)
}

/// Fold every chunk of `chunks` (the first read here, to find the event name).
fn fold_read_chunks<R: Read + Send>(chunks: &mut Chunks<'_, R>) -> Result<Folded, ProfileError> {
    // Lines of the chunks read before the first event line, to name a line of the script.
    let mut lines_before = 0;
    let event = loop {
        if chunks.at_end() {
            return Ok(Folded::default());
        }
        let chunk = chunks.read_chunk();
        match first_event(&chunk) {
            Ok(Some(event)) => {
                chunks.first = Some(chunk);
                break event;
            }
            // Only comments and blank lines so far: nothing to fold in them.
            Ok(None) => lines_before += chunk.iter().filter(|&&byte| byte == b'\n').count(),
            Err(ProfileError::NotPerfScript { line, found }) => {
                return Err(ProfileError::NotPerfScript {
                    line: line + lines_before,
                    found,
                });
            }
            Err(other) => return Err(other),
        }
    };
    let chunks = Mutex::new(chunks);
    let next = |spent: Cow<'_, [u8]>| {
        let mut chunks = chunks.lock().ok()?;
        if let Cow::Owned(spent) = spent
            && spent.capacity() > 0
            && let Ok(mut spare) = chunks.spare.lock()
        {
            spare.push(spent);
        }
        let mut chunk = chunks.next()?;
        make_ascii(&mut chunk);
        Some(Cow::Owned(chunk))
    };
    fold_on_threads(&next, &event)
}

/// About how many bytes of a script are folded at a time on one thread. Small enough that
/// a thread slowed by other work makes the rest wait little at the end, large enough that
/// taking a chunk (a lock, a read into a reused buffer) costs next to nothing.
const CHUNK_BYTES: usize = 1 << 20;

/// A script read from a stream in chunks that end at sample boundaries.
struct Chunks<'a, R> {
    reader: R,
    chunk_bytes: usize,
    /// What was read after the last cut, which starts the next chunk.
    carry: Vec<u8>,
    /// The stream has ended (or failed).
    end: bool,
    /// Why the stream failed, if it did: it ends there, and what was read is folded.
    error: Option<io::Error>,
    /// A chunk read already, handed out first.
    first: Option<Vec<u8>>,
    /// Buffers of chunks folded already, for the next chunks.
    spare: &'a Mutex<Vec<Vec<u8>>>,
}

impl<R: Read> Chunks<'_, R> {
    /// The whole stream is in the chunks handed out.
    fn at_end(&self) -> bool {
        self.end && self.carry.is_empty()
    }

    /// The next chunk: at least `chunk_bytes` unless the stream ends, up to just after the
    /// last blank line read (the rest waits for the next chunk); a stream without blank lines
    /// is one chunk.
    fn read_chunk(&mut self) -> Vec<u8> {
        let mut buffer = self
            .spare
            .lock()
            .ok()
            .and_then(|mut spare| spare.pop())
            .unwrap_or_default();
        buffer.clear();
        buffer.reserve(self.chunk_bytes.saturating_add(self.carry.len()));
        buffer.append(&mut self.carry);
        let mut searched: usize = 0;
        loop {
            if !self.end {
                let want = (self.chunk_bytes.saturating_sub(buffer.len()))
                    .max(self.chunk_bytes / 4)
                    .max(1);
                let read = (&mut self.reader)
                    .take(want as u64)
                    .read_to_end(&mut buffer);
                match read {
                    Ok(got) => self.end = got < want,
                    Err(error) => {
                        self.end = true;
                        self.error = Some(error);
                    }
                }
            }
            if self.end {
                return buffer;
            }
            let from = searched.saturating_sub(1);
            if let Some(blank) = buffer
                .get(from..)
                .and_then(|rest| rest.windows(2).rposition(|pair| pair == b"\n\n"))
            {
                let cut = from + blank + 2;
                self.carry
                    .extend_from_slice(buffer.get(cut..).unwrap_or_default());
                buffer.truncate(cut);
                return buffer;
            }
            searched = buffer.len();
        }
    }
}

impl<R: Read> Iterator for Chunks<'_, R> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        (!self.at_end()).then(|| self.read_chunk())
    }
}

/// The profiles of a script's chunks as one: each stack's samples added up, sorted by
/// stack.
fn merge(mut parts: Vec<Folded>) -> Folded {
    // A thread that found every chunk taken folded nothing.
    parts.retain(|part| !part.lines.is_empty());
    if parts.len() <= 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut merged: HashMap<String, u64> = HashMap::new();
    let mut tasks: HashMap<(String, Option<u32>, u32), u64> = HashMap::new();
    for part in parts {
        for (stack, samples) in part.lines {
            let total = merged.entry(stack).or_default();
            *total = total.saturating_add(samples);
        }
        for task in part.tasks {
            *tasks.entry((task.comm, task.pid, task.tid)).or_default() += task.samples;
        }
    }
    let mut tasks: Vec<TaskSamples> = tasks
        .into_iter()
        .map(|((comm, pid, tid), samples)| TaskSamples {
            comm,
            pid,
            tid,
            samples,
        })
        .collect();
    sort_tasks(&mut tasks);
    let mut lines: Vec<(String, u64)> = merged.into_iter().collect();
    lines.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    Folded {
        total_samples: lines
            .iter()
            .fold(0, |total: u64, (_, samples)| total.saturating_add(*samples)),
        lines,
        tasks,
    }
}

/// Fold a script, or the chunks of one, by inferno's rules, on this thread
/// ([`super::collapse`]).
fn collapse(samples: SamplesOnly<'_>, event: &str) -> Result<Folded, ProfileError> {
    super::collapse::collapse(samples, event)
}

/// Fold with inferno's own folder, every line of every sample: what [`collapse`] must give.
#[cfg(test)]
fn collapse_with_inferno(samples: SamplesOnly<'_>, event: &str) -> Result<Folded, ProfileError> {
    let mut options = Options::default();
    // Named up front so inferno need not guess it from the first stack, which it asserts on.
    options.event_filter = Some(event.to_owned());
    options.nthreads = 1;
    // Functions named from a perf map (/tmp/perf-PID.map: Java, Node, .NET JITs) end `_[j]`.
    options.annotate_jit = true;
    let mut folder = Folder::from(options);
    let mut collapsed = Vec::new();
    super::collapse::unless_inferno_panics(|| Ok(folder.collapse(samples, &mut collapsed)?))?;
    // inferno writes its stacks from `String`s: the check that it is UTF-8 always passes.
    match String::from_utf8(collapsed) {
        Ok(text) => Folded::from_text(&text),
        Err(error) => Folded::from_text(&String::from_utf8_lossy(error.as_bytes())),
    }
}

/// [`ascii_only`] in place.
fn make_ascii(text: &mut [u8]) {
    if !text.is_ascii() {
        for byte in text.iter_mut().filter(|byte| !byte.is_ascii()) {
            *byte = b'?';
        }
    }
}

/// `text` with every non-ASCII byte replaced by `?`, copied only when there is one.
fn ascii_only(text: &[u8]) -> Cow<'_, [u8]> {
    if text.is_ascii() {
        Cow::Borrowed(text)
    } else {
        let mut owned = text.to_vec();
        make_ascii(&mut owned);
        Cow::Owned(owned)
    }
}

/// The event name of the first event line, `None` when there is no event line at all.
fn first_event(text: &[u8]) -> Result<Option<String>, ProfileError> {
    for (index, line) in text.split(|&byte| byte == b'\n').enumerate() {
        if line.first() == Some(&b'#') || line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line = String::from_utf8_lossy(line);
        return match split_event_line(&line) {
            Some(parts) if !parts.event.is_empty() => Ok(Some(parts.event.to_owned())),
            _ => Err(ProfileError::NotPerfScript {
                line: index + 1,
                found: excerpt(&line),
            }),
        };
    }
    Ok(None)
}

/// The event of a perf script's first sample (`cpu-clock`, `major-faults`), which is the one
/// [`fold_perf_script`] folds; `None` for text that is not a perf script or has no sample.
/// A tracepoint keeps its system (`sched:sched_switch`), an event its modifiers (`cycles:ppp`).
pub fn script_event(text: &[u8]) -> Option<String> {
    // Side-band lines (`PERF_RECORD_SWITCH IN`) are not samples.
    let line = text
        .split(|&byte| byte == b'\n')
        .map(String::from_utf8_lossy)
        .find(|line| {
            !line.starts_with(['#', ' ', '\t'])
                && !line.is_empty()
                && !line.contains("PERF_RECORD_")
        })?;
    let after_task_id = task_id_end(&line)?;
    let time_colon = after_task_id + line.get(after_task_id..)?.find(':')?;
    line.get(time_colon + 1..)?
        .split_ascii_whitespace()
        .find_map(|word| word.strip_suffix(':'))
        .map(str::to_owned)
}

/// The start of a line, enough to recognize it in an error message.
fn excerpt(line: &str) -> String {
    const LIMIT: usize = 80;
    let line = line.trim_end();
    match line.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_owned(),
    }
}

/// What an event line says that folding needs.
#[derive(Debug, PartialEq, Eq)]
struct EventLine<'a> {
    event: &'a str,
    /// Byte range of the period, when the line has one.
    period: Option<Range<usize>>,
    /// The sample's only frame follows the event on the same line (perf script without a
    /// callchain prints `ip sym (dso)` there).
    inline_stack: bool,
}

/// Split an event line (`stress-ng-cpu 11923 [000] 681.788644: 10101010 cpu-clock:`) the
/// way inferno does, so that the event name and the period found here are the ones inferno
/// would use: the task id is the first all-digit word after the comm (the comm may hold
/// spaces, digits and colons), the event is the last word between the next two colons.
fn split_event_line(line: &str) -> Option<EventLine<'_>> {
    let after_task_id = task_id_end(line)?;
    let time_colon = after_task_id + line.get(after_task_id..)?.find(':')?;
    let segment_start = time_colon + 1;
    let tail = line.get(segment_start..)?;
    let event_colon = tail.find(':').unwrap_or(tail.len());
    let segment = tail.get(..event_colon)?;
    let after_event = tail.get(event_colon + 1..).unwrap_or_default();
    let inline_stack = after_event
        .find([':', ' '])
        .and_then(|cut| after_event.get(cut + 1..))
        .is_some_and(|frame| !frame.trim().is_empty());
    let event_start = segment.rfind(' ').map_or(0, |space| space + 1);
    let event = segment.get(event_start..)?;
    let before_event = segment.get(..event_start.saturating_sub(1))?;
    let period_start = before_event.rfind(' ').map_or(0, |space| space + 1);
    let period = before_event.get(period_start..)?;
    let period = (period.parse::<u64>().is_ok())
        .then(|| segment_start + period_start..segment_start + period_start + period.len());
    Some(EventLine {
        event,
        period,
        inline_stack,
    })
}

/// The byte after the space that ends the task id (`1234` or `1234/1235`), which is the
/// first word of digits and slashes other than the line's first word.
fn task_id_end(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut word_start = None;
    for (index, &byte) in bytes.iter().enumerate() {
        if byte != b' ' {
            continue;
        }
        if let Some(start) = word_start {
            let word = bytes.get(start..index).unwrap_or_default();
            if !word.is_empty() && word.iter().all(|&b| b.is_ascii_digit() || b == b'/') {
                return Some(index + 1);
            }
        }
        word_start = Some(index + 1);
    }
    None
}

/// The script as inferno reads it: one line per `fill_buf`, lent from the caller's bytes,
/// except event lines with a period, which are copied into `rewritten` without it, and a
/// stand-in frame for samples without a callchain.
///
/// Which line is an event line is decided as inferno decides it, by position (the first
/// line that is not a comment after a blank line), not by indentation: perf right-aligns
/// short comms, so an event line can start with a space.
struct SamplesOnly<'a> {
    /// The part of the script being read, from `pos`.
    text: Cow<'a, [u8]>,
    pos: usize,
    /// Where the next chunk of the script comes from once `text` is read, when the script
    /// is read in chunks: it takes the spent buffer back.
    next: Option<NextChunk<'a>>,
    rewritten: Vec<u8>,
    current: Current,
    /// Inside a sample: after its event line, before the blank line that ends it.
    in_sample: bool,
    /// An event line was handed out and no stack line has followed it yet.
    awaiting_stack: bool,
}

/// Gives the next chunk of a script (`None` at its end), taking a spent one back (whose
/// buffer a chunk read from a stream reuses).
type NextChunk<'a> = &'a (dyn Fn(Cow<'a, [u8]>) -> Option<Cow<'a, [u8]>> + Sync);

/// The line `fill_buf` is handing out.
enum Current {
    /// None yet: the next `fill_buf` takes one from the text.
    Nothing,
    /// The next `len` bytes of the text.
    Lent { len: usize },
    /// `rewritten[pos..]`; the line has already left the text.
    Rewritten { pos: usize },
    /// All the rest of the text, until a line inferno has read is followed by a blank one: the stack
    /// lines of a sample, found as inferno reads them rather than looked for beforehand.
    Sample,
}

/// What a line is to the folding.
enum LineKind {
    /// A blank line, which ends a sample, or the end of the input (an empty line).
    End,
    Event {
        period: Option<Range<usize>>,
        inline_stack: bool,
    },
    Stack,
    /// A comment, or a line that is neither event nor stack; inferno skips it.
    Other,
}

impl From<EventLine<'_>> for LineKind {
    fn from(parts: EventLine<'_>) -> Self {
        LineKind::Event {
            period: parts.period,
            inline_stack: parts.inline_stack,
        }
    }
}

/// The frame given to a sample perf printed without a callchain, which inferno would
/// otherwise drop: folded as `comm;[unknown]`, it still counts.
const NO_STACK_FRAME: &[u8] = b"\t0 [unknown] ([unknown])\n";

impl<'a> SamplesOnly<'a> {
    fn new(text: &'a [u8]) -> Self {
        SamplesOnly {
            text: Cow::Borrowed(text),
            pos: 0,
            next: None,
            rewritten: Vec::new(),
            current: Current::Nothing,
            in_sample: false,
            awaiting_stack: false,
        }
    }

    /// Chunks of a script from `next`, one after another, as one text. Each chunk but the
    /// last ends with a blank line, so the state after it is the state a text starts in.
    fn chunked(next: NextChunk<'a>) -> Self {
        SamplesOnly {
            next: Some(next),
            ..SamplesOnly::new(&[])
        }
    }

    fn take_line(&mut self) -> Current {
        if self.pos >= self.text.len()
            && let Some(next) = self.next
        {
            match next(std::mem::take(&mut self.text)) {
                Some(chunk) => self.text = chunk,
                None => self.next = None,
            }
            self.pos = 0;
        }
        let rest = self.text.get(self.pos..).unwrap_or_default();
        // A sample's first stack line, which `line_kind` would call one: no need to find
        // its end, inferno reads it with the rest of the sample.
        if self.in_sample && rest.first() == Some(&b'\t') && !starts_blank(rest) {
            self.awaiting_stack = false;
            return Current::Sample;
        }
        // `skip_until` on a byte slice finds the newline with std's word-at-a-time search.
        let mut probe = rest;
        let len = probe.skip_until(b'\n').unwrap_or_default();
        let line = rest.get(..len).unwrap_or_default();
        let kind = self.line_kind(line);
        if self.awaiting_stack && matches!(kind, LineKind::End | LineKind::Event { .. }) {
            self.awaiting_stack = false;
            // Before another event line the sample also needs the blank line that ends it.
            let end_of_sample: &[u8] = match kind {
                LineKind::Event { .. } => {
                    self.in_sample = false;
                    b"\n"
                }
                _ => b"",
            };
            return hand_out(&mut self.rewritten, &[NO_STACK_FRAME, end_of_sample]);
        }
        // inferno reads up to a newline, so a last line without one would run into
        // whatever is handed out after it.
        let newline: &[u8] = if line.ends_with(b"\n") { b"" } else { b"\n" };
        let (head, tail): (&[u8], &[u8]) = match kind {
            LineKind::End if line.is_empty() => return Current::Nothing,
            LineKind::End => {
                self.in_sample = false;
                (line, b"")
            }
            LineKind::Event {
                period,
                inline_stack,
            } => {
                self.in_sample = !inline_stack;
                self.awaiting_stack = !inline_stack;
                match period {
                    Some(period) => (
                        line.get(..period.start).unwrap_or_default(),
                        line.get(period.end..).unwrap_or_default(),
                    ),
                    None => (line, b""),
                }
            }
            // The rest of the sample is lent with this line: inside a sample after its first
            // stack line, every line up to the blank one is given to inferno as it is.
            LineKind::Stack => {
                self.awaiting_stack = false;
                return Current::Sample;
            }
            LineKind::Other => (line, b""),
        };
        if head.len() == len && newline.is_empty() {
            return Current::Lent { len };
        }
        self.pos += len;
        hand_out(&mut self.rewritten, &[head, tail, newline])
    }

    fn line_kind(&self, line: &[u8]) -> LineKind {
        if line.first() == Some(&b'#') {
            return LineKind::Other;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            return LineKind::End;
        }
        let as_event = || std::str::from_utf8(line).ok().and_then(split_event_line);
        if !self.in_sample {
            return as_event().map_or(LineKind::Other, LineKind::from);
        }
        // A sample with no stack line yet, followed at once by a line that reads as an
        // event (perf printed neither callchain nor blank line): end the sample there
        // rather than fold the event line as a frame. Stack lines start with a tab.
        if self.awaiting_stack
            && line.first() != Some(&b'\t')
            && let Some(parts) = as_event().filter(|parts| !parts.event.is_empty())
        {
            return LineKind::from(parts);
        }
        LineKind::Stack
    }
}

/// Hand out a line that is not in the text as it is, from `rewritten`.
fn hand_out(rewritten: &mut Vec<u8>, pieces: &[&[u8]]) -> Current {
    rewritten.clear();
    for piece in pieces {
        rewritten.extend_from_slice(piece);
    }
    Current::Rewritten { pos: 0 }
}

/// Whether the line `text` starts with is blank (only whitespace), or `text` is empty.
fn starts_blank(text: &[u8]) -> bool {
    text.iter()
        .find(|&&byte| byte == b'\n' || !byte.is_ascii_whitespace())
        .is_none_or(|&byte| byte == b'\n')
}

impl Read for SamplesOnly<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let amount = available.len().min(buf.len());
        buf[..amount].copy_from_slice(&available[..amount]);
        self.consume(amount);
        Ok(amount)
    }
}

impl BufRead for SamplesOnly<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if matches!(self.current, Current::Nothing) {
            self.current = self.take_line();
        }
        Ok(match self.current {
            Current::Nothing => &[],
            Current::Lent { len } => self
                .text
                .get(self.pos..self.pos.saturating_add(len))
                .unwrap_or_default(),
            Current::Rewritten { pos } => self.rewritten.get(pos..).unwrap_or_default(),
            Current::Sample => self.text.get(self.pos..).unwrap_or_default(),
        })
    }

    fn consume(&mut self, amount: usize) {
        match &mut self.current {
            Current::Nothing => {}
            Current::Lent { len } => {
                let amount = amount.min(*len);
                self.pos += amount;
                *len -= amount;
                if *len == 0 {
                    self.current = Current::Nothing;
                }
            }
            Current::Rewritten { pos } => {
                *pos = pos.saturating_add(amount);
                if *pos >= self.rewritten.len() {
                    self.current = Current::Nothing;
                }
            }
            Current::Sample => {
                let rest = self.text.get(self.pos..).unwrap_or_default();
                let (read, rest) = rest.split_at(amount.min(rest.len()));
                self.pos += read.len();
                // inferno reads a line at a time: the blank line that ends the sample goes
                // through `take_line`, as does the event line after it.
                if read.ends_with(b"\n") && starts_blank(rest) {
                    self.current = Current::Nothing;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scripts_event_is_named_whole() {
        for (script, event) in [
            (
                "# captured on : x\napp 12 [000]   681.788644:   10101010 cpu-clock: \n",
                "cpu-clock",
            ),
            (
                "bash 10090 [001] 23409.027391: sched:sched_switch: prev_comm=bash prev_pid=1\n",
                "sched:sched_switch",
            ),
            ("cat 7/7 15.2: 1 major-faults: \n", "major-faults"),
        ] {
            assert_eq!(script_event(script.as_bytes()).as_deref(), Some(event));
        }
        assert_eq!(script_event(b"not a script\n"), None);
    }

    #[test]
    fn event_lines_split_like_inferno_reads_them() {
        let line = "stress-ng-cpu 11923 [000]   681.788644:   10101010 cpu-clock: ";
        let parts = split_event_line(line).unwrap();
        assert_eq!(parts.event, "cpu-clock");
        assert_eq!(&line[parts.period.unwrap()], "10101010");

        let no_period = "stress-ng-cpu  7458/7458    415.989428: cpu-clock: ";
        assert_eq!(
            split_event_line(no_period),
            Some(EventLine {
                event: "cpu-clock",
                period: None,
                inline_stack: false,
            })
        );

        let spaced_comm = "opt 0tunt3oq5pi 11934 [001]   681.791747:   10101010 cpu-clock: ";
        assert_eq!(split_event_line(spaced_comm).unwrap().event, "cpu-clock");

        let colon_comm = "kworker/0:1-ev 42 [001] 1.5: 1 cycles:uppp: ";
        assert_eq!(split_event_line(colon_comm).unwrap().event, "cycles");

        assert_eq!(split_event_line("hello world"), None);
        assert_eq!(split_event_line(""), None);
    }

    #[test]
    fn periods_are_dropped_so_each_sample_counts_once() {
        let script = b"app 10 [000] 1.0: 10101010 cpu-clock: \n\
            \t 1 leaf+0x1 (/bin/app)\n\t 2 main+0x2 (/bin/app)\n\n\
            app 10 [000] 1.1: 10101010 cpu-clock: \n\
            \t 1 leaf+0x3 (/bin/app)\n\t 2 main+0x2 (/bin/app)\n";
        let folded = fold_perf_script(script).unwrap();
        assert_eq!(folded.lines, vec![("app;main;leaf".to_owned(), 2)]);
        assert_eq!(folded.total_samples, 2);
    }

    #[test]
    fn chunks_cut_at_blank_lines_fold_to_what_the_whole_folds_to() {
        let script = b"app 10 1.0: cpu-clock: \n\t 1 leaf (/bin/app)\n\t 2 main (/bin/app)\n\n\
            app 10 1.1: cpu-clock: \n\n\
            db 11 1.2: cpu-clock: \n\t 3 scan (/bin/db)\n\n\n\
            app 10 1.3: cpu-clock: \n\t 1 leaf (/bin/app)\n\t 2 main (/bin/app)\n\n\
            db 11 1.4: cpu-clock: \n\t 3 scan (/bin/db)\n\n"
            .repeat(5);
        let whole = collapse(SamplesOnly::new(&script), "cpu-clock").unwrap();
        assert_eq!(whole.total_samples, 25);
        for chunk_bytes in [1, 2, 10, 50, 100, 400] {
            let mut rest = &script[..];
            let mut chunks = Vec::new();
            while let Some(cut) = chunk_end(rest, chunk_bytes) {
                let (chunk, after) = rest.split_at(cut);
                assert!(chunk.ends_with(b"\n\n") || after.is_empty());
                chunks.push(chunk);
                rest = after;
            }
            assert!(chunks.len() > 1);
            assert_eq!(chunks.concat(), script);
            let folded = fold_in_memory(&script, chunk_bytes).unwrap();
            assert_eq!(folded, whole, "chunks of {chunk_bytes}");
        }
    }

    /// Hands out what it reads a few bytes at a time, as a pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let amount = buf.len().min(self.0.len()).min(7);
            buf[..amount].copy_from_slice(&self.0[..amount]);
            self.0 = &self.0[amount..];
            Ok(amount)
        }
    }

    #[test]
    fn a_script_read_in_chunks_folds_to_what_it_folds_to_in_memory() {
        let script = b"# captured on: x\n#\n\n\n\
            app 10 1.0: 9 cpu-clock: \n\t 1 leaf (/bin/app)\n\t 2 main (/bin/app)\n\n\
            app 10 1.1: cpu-clock: \n\n\
            db 11 1.2: cpu-clock: \n\t 3 scan (/bin/db)\n\t\n\n\
            app 10 1.3: cpu-clock:  ffff work (/bin/app)\n\
            app 10 1.4: page-faults: \n\t 1 fault (/bin/app)\n\n\
            db 11 1.5: cpu-clock: \n\t 3 sc\xc3\xa9n (/bin/db)"
            .repeat(7);
        let whole = fold_perf_script(&script).unwrap();
        // Five samples of cpu-clock a copy, but the last one's frame runs into the next copy's
        // comment, where inferno finds no frame: it counts only at the end of the script.
        assert_eq!(whole.total_samples, 29);
        for chunk_bytes in [1, 2, 5, 16, 40, 100, 333, 1 << 20] {
            let folded = fold_chunks(&script[..], chunk_bytes).0.unwrap();
            assert_eq!(folded, whole, "chunks of {chunk_bytes}");
        }
        assert_eq!(fold_chunks(Trickle(&script), 50).0.unwrap(), whole);
        assert_eq!(fold_perf_script_from(&script[..]).0.unwrap(), whole);
    }

    #[test]
    fn scripts_of_random_lines_fold_alike_whole_and_in_chunks_read_or_lent() {
        let pieces: [&[u8]; 14] = [
            b"app 10 [000] 1.0: 7 cpu-clock: \n",
            b"db 11/12 1.5: cpu-clock: \n",
            b"app 10 1.3: cpu-clock:  ffff work (/bin/app)\n",
            b"app 10 1.4: page-faults: \n",
            b"\t 1 leaf+0x1 (/bin/app)\n",
            b"\t 2 main (/bin/app)\n",
            b"\t ffff [unknown] (/lib/x.so)\n",
            b"\n",
            b"\t \n",
            b"# comment\n",
            b"garbage \xc3\xa9 line\n",
            b"\t 3 caf\xc3\xa9 (/bin/app)\n",
            b"   app 10 [001] 2.0:   10101010 cpu-clock: \n",
            b"\t 4 half",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..200 {
            let mut script = b"app 1 0.5: cpu-clock: \n\t 1 start (/bin/app)\n\n".to_vec();
            for _ in 0..(round % 60) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                script.extend_from_slice(pieces[(state % pieces.len() as u64) as usize]);
            }
            let whole = fold_perf_script(&script).unwrap();
            for chunk_bytes in [1, 7, 64] {
                let read = fold_chunks(&script[..], chunk_bytes).0.unwrap();
                assert_eq!(read, whole, "{:?}", String::from_utf8_lossy(&script));
                assert_eq!(fold_in_memory(&script, chunk_bytes).unwrap(), whole);
            }
        }
    }

    /// The folder that turns each distinct stack line once folds every script as inferno's
    /// own folder does: the committed scripts (perf 6.1 with DWARF, frame pointers, inlined
    /// frames, no call graph; a fuzzed one; sched_switch scripts) and random scripts of lines
    /// that try inferno's rules (Java and its inlined frames, perf maps, Rust hashes, C++
    /// and Go names, frames left out, other events, weird lines).
    #[test]
    fn the_folder_folds_as_inferno_does() {
        let both = |script: &[u8], name: &str| {
            let Ok(Some(event)) = first_event(script) else {
                return;
            };
            let text = ascii_only(script);
            let ours = collapse(SamplesOnly::new(&text), &event).unwrap();
            let inferno = collapse_with_inferno(SamplesOnly::new(&text), &event).unwrap();
            assert_eq!(ours.lines, inferno.lines, "{name}");
            assert_eq!(ours.total_samples, inferno.total_samples, "{name}");
            // Every sample counted is some thread's.
            let by_task: u64 = ours.tasks.iter().map(|task| task.samples).sum();
            assert_eq!(by_task, ours.total_samples, "{name}");
        };
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
        for file in [
            "perf/6.1/dwarf/perf.script",
            "perf/6.1/dwarf-inline/perf.script",
            "perf/6.1/fp/perf.script",
            "perf/6.1/no-callgraph/perf.script",
            "perf/fuzz/non-ascii-symbol.script",
            "perf_sched/6.1/contended-lock/switches.txt",
            "perf_sched/6.1/system-wide/switches.txt",
            "scenarios/cpu-and-disk/offcpu/switches.txt",
        ] {
            let script = std::fs::read(format!("{data}/{file}")).unwrap();
            let folded = collapse(SamplesOnly::new(&ascii_only(&script)), "cpu-clock");
            assert!(folded.is_ok(), "{file}");
            both(&script, file);
        }
        let pieces: [&[u8]; 30] = [
            b"app 10 [000] 1.0: 7 cpu-clock: \n",
            b"java 21/22 [001] 1.1: cpu-clock: \n",
            b"V8 WorkerThread 25607 4794564.109216: cpu-clock: \n",
            b"app 10 1.3: cpu-clock:  ffff work (/bin/app)\n",
            b"app 10 1.4: page-faults: \n",
            b"app 10 1.4: cpu-clock:  ffff (anon) (/bin/app)\n",
            b"\t 1 leaf+0x1 (/bin/app)\n",
            b"\t 2 main (/bin/app)\n",
            b"\t ffff [unknown] (/lib/x.so)\n",
            b"\t ffff [unknown] ([unknown])\n",
            b"\t 7f Ljava/lang/Thread;::run (/tmp/perf-22.map)\n",
            b"\t 7f Lorg/a/B;.call(I)V->Lorg/a/C;.inner()V (/tmp/perf-22.map)\n",
            b"\t 7f stub (/tmp/jitted-22-1.so)\n",
            b"\t 55 _ZN3std2rt10lang_start17h0123456789abcdefE (/bin/r)\n",
            b"\t 55 std::rt::lang_start::h0123456789abcdef (/bin/r)\n",
            b"\t 55 core..ptr..drop_in_place$LT$a$GT$::h0123456789abcdef (/bin/r)\n",
            b"\t 55 (anonymous namespace)::f(int) (/bin/c)\n",
            b"\t 55 net/http.(*Client).Do (/bin/go)\n",
            b"\t 55 ns::f<int>(std::vector<int>) const (/bin/c)\n",
            b"\t 55 (skipped) (/bin/c)\n",
            b"\t 55  (/lib/libc.so)\n",
            b"\t 55 a;b (/bin/c)\n",
            b"\t 55 foo+0x1+0x2 (/bin/c)\n",
            b"\t 55 +0x1f (/bin/c)\n",
            b"\t 55 foo +0x1f (/bin/c)\n",
            b"\t 55 foo+0xzz (/bin/c)\n",
            b"\t 55 foo+0x (/bin/c)\n",
            b"\t 55 _ZN1a1b17h0123456789abcdefE+0x10 (/bin/r)\n",
            b"\n",
            b"weird line\n",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for round in 0..400 {
            let mut script = b"app 1 0.5: cpu-clock: \n\t 1 start (/bin/app)\n\n".to_vec();
            for _ in 0..(round % 80) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                script.extend_from_slice(pieces[(state % pieces.len() as u64) as usize]);
            }
            both(&script, &String::from_utf8_lossy(&script));
        }
    }

    /// perf 6.1's scripts: `-F comm,pid,tid` prints `pid/tid`, the default only the thread
    /// id; a thread name with a space (rustc's `opt 72dhzlv9bt3`) keeps it as `_`.
    #[test]
    fn each_thread_is_counted_with_its_ids() {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/perf/6.1");
        let fp = fold_perf_script(&std::fs::read(format!("{data}/fp/perf.script")).unwrap());
        let fp = fp.unwrap();
        let first = &fp.tasks[0];
        assert_eq!(
            (first.comm.as_str(), first.pid, first.tid, first.samples),
            ("rustc", Some(11947), 11949, 164)
        );
        assert!(fp.tasks.iter().any(|task| task.comm == "opt_72dhzlv9bt3"
            && task.pid == Some(11893)
            && task.tid == 12115));
        let counted: u64 = fp.tasks.iter().map(|task| task.samples).sum();
        assert_eq!(counted, fp.total_samples);
        let dwarf = std::fs::read(format!("{data}/dwarf/perf.script")).unwrap();
        let dwarf = fold_perf_script(&dwarf).unwrap();
        let stress = dwarf.tasks.iter().find(|task| task.tid == 11923).unwrap();
        assert_eq!(
            (stress.comm.as_str(), stress.pid, stress.samples),
            ("stress-ng-cpu", None, 27)
        );
        // Read in chunks on several threads, the same threads and counts.
        let script = std::fs::read(format!("{data}/fp/perf.script")).unwrap();
        assert_eq!(fold_in_memory(&script, 512).unwrap(), fp);
    }

    #[test]
    fn a_script_read_in_chunks_names_the_line_that_is_not_a_script() {
        let script = b"# header\n\n\n# more\n\nPERFILE2\x00\x01\n\nmore\n";
        for chunk_bytes in [1, 3, 8, 1 << 20] {
            match fold_chunks(&script[..], chunk_bytes).0 {
                Err(ProfileError::NotPerfScript { line, .. }) => assert_eq!(line, 6),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(
            fold_chunks(&b"# only\n\n\n# comments\n"[..], 2).0.unwrap(),
            Folded::default()
        );
    }

    #[test]
    fn a_read_error_keeps_what_was_read_and_is_reported() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let script = &b"app 10 1.0: cpu-clock: \n\t 1 work (/bin/app)\n\n"[..];
        let (folded, read) = fold_perf_script_from(script.chain(Broken));
        assert_eq!(read.unwrap_err().to_string(), "disk on fire");
        // What was read before the error is kept.
        assert_eq!(folded.unwrap().lines, vec![("app;work".to_owned(), 1)]);
    }

    #[test]
    fn a_sample_without_a_callchain_still_counts() {
        let script = b"app 10 1.0: cpu-clock: \n\napp 10 1.1: 3 cpu-clock: \n\t 1 work (/bin/app)\n\n\
            app 10 1.2: cpu-clock: \napp 10 1.3: cpu-clock:  ffff work (/bin/app)\n\napp 10 1.4: cpu-clock:";
        let folded = fold_perf_script(script).unwrap();
        assert_eq!(
            folded.lines,
            vec![("app;[unknown]".to_owned(), 3), ("app;work".to_owned(), 2)]
        );
    }

    #[test]
    fn right_aligned_comms_and_one_line_samples_fold() {
        let script =
            b"   app 10 [000] 1.0:   10101010 cpu-clock:      7f _int_free+0xd (/lib/libc.so.6)\n\
            \x20  app 10 [001] 1.1:   10101010 cpu-clock:      7f _int_free+0x9 (/lib/libc.so.6)\n";
        let folded = fold_perf_script(script).unwrap();
        assert_eq!(folded.lines, vec![("app;_int_free".to_owned(), 2)]);
    }

    #[test]
    fn only_the_first_event_type_is_folded() {
        let script = b"app 10 1.0: cpu-clock: \n\t 1 work (/bin/app)\n\n\
            app 10 1.1: page-faults: \n\t 1 fault (/bin/app)\n\n";
        let folded = fold_perf_script(script).unwrap();
        assert_eq!(folded.lines, vec![("app;work".to_owned(), 1)]);
    }

    #[test]
    fn no_event_line_is_an_empty_profile() {
        for script in [&b""[..], b"\n\n", b"# ========\n# captured on: x\n\n"] {
            assert_eq!(fold_perf_script(script).unwrap(), Folded::default());
        }
    }

    #[test]
    fn input_that_is_not_a_script_is_refused_with_its_line() {
        let error = fold_perf_script(b"# header\n\nPERFILE2\x00\x01\n\nmore\n").unwrap_err();
        match error {
            ProfileError::NotPerfScript { line, found } => {
                assert_eq!(line, 3);
                assert!(found.starts_with("PERFILE2"), "{found}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            fold_perf_script(b"hello world 12 x\n\n"),
            Err(ProfileError::NotPerfScript { line: 1, .. })
        ));
    }

    #[test]
    fn garbled_lines_after_a_good_start_never_panic() {
        let mut script = b"app 10 [000] 1.0: 5 cpu-clock: \n\t 1 main (/bin/app)\n\n".to_vec();
        let garbage: [&[u8]; 7] = [
            b"\xff\xfe\x00garbage\n",
            b"\t\n",
            b"x 1 2:\n\t (\n\t a b )\n\n",
            b"app 12 1.2: 99999999999999999999999 cpu-clock:\n\t 1 f (m)\n\n",
            b"\t 7 orphan (/bin/app)\n",
            b"app 13 [000] 1.3: cpu-clock:  ffff main (/bin/app)\n",
            b"app 14",
        ];
        for piece in garbage {
            script.extend_from_slice(piece);
            let _ = fold_perf_script(&script);
        }
    }

    #[test]
    fn a_name_inferno_cannot_slice_still_folds_with_a_placeholder() {
        // 17 bytes from the end falls inside the `é`, where inferno looks for a Rust hash and
        // would panic: the non-ASCII bytes become `?` and the sample is kept.
        let script =
            b"app 11 [000] 1.1: 5 cpu-clock: \n\t 1 \xc3\xa9aaaaaaaaaaaaaaaa (/bin/app)\n\n";
        let folded = fold_perf_script(script).unwrap();
        assert_eq!(folded.total_samples, 1);
        assert_eq!(folded.lines[0].0, "app;??aaaaaaaaaaaaaaaa");
    }

    #[test]
    fn the_input_fuzzing_found_folds_without_a_panic() {
        // A panic inside inferno would come back as `Err(ProfileError::Inferno)`.
        let script = include_bytes!("../../tests/data/perf/fuzz/non-ascii-symbol.script");
        let folded = fold_perf_script(script).unwrap();
        assert!(folded.total_samples > 0);
    }

    #[test]
    fn folded_text_round_trips() {
        let folded = Folded {
            lines: vec![
                ("a;<b as c>::d".to_owned(), 3),
                ("a;e".to_owned(), u64::MAX - 3),
            ],
            total_samples: u64::MAX,
            tasks: Vec::new(),
        };
        assert_eq!(Folded::from_text(&folded.to_text()).unwrap(), folded);
        assert!(matches!(
            Folded::from_text("a;b 1\nnot folded\n"),
            Err(ProfileError::NotFolded { line: 2, .. })
        ));
        assert!(Folded::from_text(" 5\n").is_err());
    }
}
