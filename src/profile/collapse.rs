//! Folding the lines [`super::fold`] hands out into stacks, by inferno's rules for `perf
//! script`, with each distinct stack line turned into frames once.
//!
//! inferno's perf folder rewrites every stack line of every sample (splits it, strips the
//! offset, demangles, tidies the name, allocates a string per frame) and builds a string
//! per sample to count it: on a 100 MB script that is nearly all of the time, though a
//! profile has a few thousand distinct stack lines. Here the walk over lines is the same as
//! inferno's (which line is an event, which event is folded, the process name, a frame
//! printed on the event line, a blank line ending a sample), a stack line's text after its
//! address is looked up in a table of lines already seen, and only a line not seen yet is
//! given to inferno — alone, in a one-sample script — to learn its frames, so the names are
//! inferno's by construction. A sample is counted as a list of frame ids; names are joined
//! only once per distinct stack, at the end.

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::panic::{AssertUnwindSafe, catch_unwind};

use foldhash::fast::FixedState;
use inferno::collapse::Collapse;
use inferno::collapse::perf::{Folder, Options};

use super::ProfileError;
use super::fold::{Folded, TaskSamples, sort_tasks};

/// foldhash's fast hasher with a fixed seed: keys here are short (a stack line, a list of
/// frame ids) and counted millions of times, where std's SipHash costs several times more.
type Fast = FixedState;

/// Fold `lines` (a perf script, one sample after another) with inferno's rules for the
/// events named `event`: every sample counts 1 (the caller has taken periods out).
pub(super) fn collapse(lines: impl BufRead, event: &str) -> Result<Folded, ProfileError> {
    let mut collapser = Collapser::new(event);
    unless_inferno_panics(|| collapser.read(lines))?;
    Ok(collapser.into_folded())
}

/// Run `fold`, which calls inferno; should inferno panic (on a symbol name it cannot slice),
/// the script is reported, not allowed to abort the run.
pub(super) fn unless_inferno_panics<T>(
    fold: impl FnOnce() -> Result<T, ProfileError>,
) -> Result<T, ProfileError> {
    catch_unwind(AssertUnwindSafe(fold)).unwrap_or_else(|_| {
        Err(ProfileError::Inferno(io::Error::new(
            io::ErrorKind::InvalidData,
            "inferno could not fold a symbol name of this script",
        )))
    })
}

struct Collapser<'e> {
    event: &'e str,
    /// Inside a sample: the next line is a stack line.
    in_event: bool,
    /// The sample is of another event: its stack lines are left out.
    skipping: bool,
    /// The root frame (the process name, spaces as `_`) of the sample, and whether it is a
    /// Java process (whose frames inferno tidies more). Kept from one sample to the next, as
    /// inferno keeps it.
    root: u32,
    java: bool,
    /// The sample's stack lines, leaf first, as ids into `line_frames`.
    lines: Vec<u32>,
    /// Names of frames and roots, and their ids.
    names: Vec<String>,
    name_ids: HashMap<String, u32, Fast>,
    /// Each distinct stack line (its text after the address): its id, in a Java process
    /// and in any other.
    line_ids: [HashMap<Vec<u8>, u32, Fast>; 2],
    /// Each stack line's frames, outermost first (a line of inlined Java frames holds
    /// several).
    line_frames: Vec<Box<[u32]>>,
    /// Samples per stack: the root's id, then the frames' from the outermost.
    counts: HashMap<Box<[u32]>, u64, Fast>,
    /// A stack being counted, reused.
    stack: Vec<u32>,
    /// The sample's thread (process id when printed, thread id), and samples per thread
    /// and root.
    task: (Option<u32>, u32),
    tasks: HashMap<(u32, Option<u32>, u32), u64, Fast>,
    /// inferno, for the frames of a line not seen yet.
    oracle: Folder,
    script: Vec<u8>,
    written: Vec<u8>,
}

impl<'e> Collapser<'e> {
    fn new(event: &'e str) -> Self {
        let mut options = Options::default();
        options.event_filter = Some(event.to_owned());
        options.nthreads = 1;
        // Functions named from a perf map (/tmp/perf-PID.map: Java, Node, .NET JITs) end `_[j]`.
        options.annotate_jit = true;
        Collapser {
            event,
            in_event: false,
            skipping: false,
            root: 0,
            java: false,
            lines: Vec::new(),
            names: vec![String::new()],
            name_ids: HashMap::default(),
            line_ids: [HashMap::default(), HashMap::default()],
            line_frames: Vec::new(),
            counts: HashMap::default(),
            stack: Vec::new(),
            task: (None, 0),
            tasks: HashMap::default(),
            oracle: Folder::from(options),
            script: Vec::new(),
            written: Vec::new(),
        }
    }

    fn read(&mut self, mut lines: impl BufRead) -> Result<(), ProfileError> {
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            if lines.read_until(b'\n', &mut buffer)? == 0 {
                self.end_sample();
                return Ok(());
            }
            if buffer.first() == Some(&b'#') {
                continue;
            }
            let line = buffer.trim_ascii_end();
            if line.is_empty() {
                self.end_sample();
            } else if self.in_event {
                self.stack_line(line)?;
            } else {
                self.event_line(line)?;
                // A frame printed on the event line is the whole sample.
                if !self.lines.is_empty() {
                    self.end_sample();
                }
            }
        }
    }

    /// `comm  pid/tid  [cpu] time: period event: [ip sym (dso)]`.
    fn event_line(&mut self, line: &[u8]) -> Result<(), ProfileError> {
        self.in_event = true;
        let Some((comm, task, after_task)) = task_parts(line) else {
            // Not an event line: inferno reads the next line as an event line again.
            self.in_event = false;
            return Ok(());
        };
        let rest = &line[after_task..];
        let mut by_colons = rest.splitn(3, |&byte| byte == b':').skip(1);
        if let Some(period_and_event) = by_colons.next() {
            let event = period_and_event
                .rsplit(|&byte| byte == b' ')
                .next()
                .unwrap_or_default();
            if event != self.event.as_bytes() {
                self.skipping = true;
                return Ok(());
            }
        }
        let inline_frame = by_colons.next().and_then(|after_event| {
            let start = after_event
                .iter()
                .position(|&byte| byte == b':' || byte == b' ')
                .map_or(0, |at| at + 1);
            let frame = after_event[start..].trim_ascii();
            (!frame.is_empty()).then_some(frame)
        });
        self.task = task_ids(task);
        let root = text(comm).replace(' ', "_");
        self.java = root.starts_with("java");
        self.root = self.name_id(root);
        if let Some(frame) = inline_frame {
            self.stack_line(frame)?;
            self.in_event = false;
        }
        Ok(())
    }

    /// `ip sym+off (dso)`: its frames, looked up by the text after the address.
    fn stack_line(&mut self, line: &[u8]) -> Result<(), ProfileError> {
        if self.skipping {
            return Ok(());
        }
        let line = line.trim_ascii_start();
        let Some(space) = line.iter().position(|&byte| byte == b' ') else {
            return Ok(());
        };
        let after_address = &line[space + 1..];
        // The same function at another offset is the same frame: looked up without it, so
        // a script with `sym+off` (perf script's default) has a line per function, not per
        // instruction.
        let without_offset = offset_stripped(after_address);
        let after_address = without_offset.as_deref().unwrap_or(after_address);
        let java = usize::from(self.java);
        let id = match self.line_ids[java].get(after_address) {
            Some(&id) => id,
            None => {
                let frames = self.frames_of(after_address)?;
                let id = u32::try_from(self.line_frames.len()).unwrap_or(u32::MAX);
                self.line_frames.push(frames);
                self.line_ids[java].insert(after_address.to_vec(), id);
                id
            }
        };
        self.lines.push(id);
        Ok(())
    }

    /// The frames inferno makes of a stack line (its text after the address), from a
    /// script of one sample with that line: none for a line inferno leaves out.
    fn frames_of(&mut self, after_address: &[u8]) -> Result<Box<[u32]>, ProfileError> {
        let root = if self.java { "java" } else { "x" };
        self.script.clear();
        self.script
            .extend_from_slice(format!("{root} 1 1.0: {}:\n\t0 ", self.event).as_bytes());
        self.script.extend_from_slice(after_address);
        self.script.extend_from_slice(b"\n\n");
        self.written.clear();
        self.oracle
            .collapse(self.script.as_slice(), &mut self.written)?;
        let written = String::from_utf8_lossy(&self.written).into_owned();
        let Some((stack, _count)) = written.trim_end().rsplit_once(' ') else {
            return Ok(Box::default());
        };
        let mut frames = stack.split(';');
        frames.next();
        Ok(frames.map(|frame| self.name_id(frame.to_owned())).collect())
    }

    fn name_id(&mut self, name: String) -> u32 {
        if let Some(&id) = self.name_ids.get(&name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.clone());
        self.name_ids.insert(name, id);
        id
    }

    /// A blank line or the end: count the sample's stack, if it has a frame.
    fn end_sample(&mut self) {
        self.stack.clear();
        self.stack.push(self.root);
        for &line in self.lines.iter().rev() {
            self.stack
                .extend_from_slice(&self.line_frames[line as usize]);
        }
        if self.stack.len() > 1 {
            match self.counts.get_mut(self.stack.as_slice()) {
                Some(count) => *count += 1,
                None => {
                    self.counts.insert(self.stack.as_slice().into(), 1);
                }
            }
            *self
                .tasks
                .entry((self.root, self.task.0, self.task.1))
                .or_default() += 1;
        }
        self.in_event = false;
        self.skipping = false;
        self.lines.clear();
    }

    fn into_folded(self) -> Folded {
        let mut lines: Vec<(String, u64)> = self
            .counts
            .into_iter()
            .map(|(stack, count)| {
                let names: Vec<&str> = stack
                    .iter()
                    .map(|&id| self.names[id as usize].as_str())
                    .collect();
                (names.join(";"), count)
            })
            .collect();
        lines.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        let mut tasks: Vec<TaskSamples> = self
            .tasks
            .into_iter()
            .map(|((root, pid, tid), samples)| TaskSamples {
                comm: self.names[root as usize].clone(),
                pid,
                tid,
                samples,
            })
            .collect();
        sort_tasks(&mut tasks);
        Folded {
            total_samples: lines.iter().map(|(_, count)| count).sum(),
            lines,
            tasks,
        }
    }
}

/// The process name of an event line, its task id and where that ends, as inferno finds
/// them: the task id is the first word, after the first, of digits and `/` (`1234`,
/// `1234/1235`) that a space ends; the name is all before it, trimmed.
fn task_parts(line: &[u8]) -> Option<(&[u8], &[u8], usize)> {
    let mut word_start: usize = 0;
    let mut digits = false;
    let mut after_space = false;
    for (at, &byte) in line.iter().enumerate() {
        match byte {
            b' ' => {
                if digits && !after_space {
                    let comm = line.get(..word_start.checked_sub(1)?)?.trim_ascii();
                    return Some((comm, &line[word_start..at], at + 1));
                }
                word_start = at + 1;
                digits = true;
            }
            b'/' | b'0'..=b'9' => {}
            _ => digits = false,
        }
        after_space = byte == b' ';
    }
    None
}

/// A stack line's text after its address (`sym+0x1f (dso)`) without the symbol's offset,
/// where inferno would strip it and the line without it folds to the same frames: the
/// offset is the last `+0x` of the symbol with only hex digits after it, and what is left
/// before it is a name that neither ends in a space (which inferno would keep) nor has an
/// offset of its own (which inferno would then strip too). `None` when nothing is removed.
fn offset_stripped(after_address: &[u8]) -> Option<Vec<u8>> {
    let space = after_address.iter().rposition(|&byte| byte == b' ')?;
    let (symbol, module) = after_address.split_at(space);
    let symbol = symbol.trim_ascii();
    let plus = symbol.windows(3).rposition(|three| three == b"+0x")?;
    let (name, offset) = symbol.split_at(plus);
    let hex = |digits: &[u8]| digits.iter().all(u8::is_ascii_hexdigit);
    let keeps = |name: &[u8]| {
        !name.is_empty()
            && !name.ends_with(b" ")
            && !name.ends_with(b"\t")
            && name
                .windows(3)
                .rposition(|three| three == b"+0x")
                .is_none_or(|at| !hex(&name[at + 3..]))
    };
    if !hex(&offset[3..]) || !keeps(name) {
        return None;
    }
    let mut line = Vec::with_capacity(name.len() + module.len());
    line.extend_from_slice(name);
    line.extend_from_slice(module);
    Some(line)
}

/// `pid/tid` or `tid` as numbers (0 for what is not one).
fn task_ids(task: &[u8]) -> (Option<u32>, u32) {
    let number = |digits: &[u8]| text(digits).parse::<u32>().unwrap_or(0);
    match task.iter().position(|&byte| byte == b'/') {
        Some(slash) => (Some(number(&task[..slash])), number(&task[slash + 1..])),
        None => (None, number(task)),
    }
}

fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}
