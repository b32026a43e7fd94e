//! A `tracing` subscriber that records events, so a test can assert on what was logged.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One recorded `tracing` event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CapturedEvent {
    /// Its level.
    pub level: Level,
    /// Its target (the module path unless the call set one), e.g.
    /// `cognito_verify::http_auth::refusal`.
    pub target: String,
    /// Its message (the `message` field).
    pub message: String,
    /// Its other fields: strings as they are, everything else as `Debug` (so a `%value` field
    /// reads as its `Display`).
    pub fields: BTreeMap<String, String>,
}

impl CapturedEvent {
    /// The field `name`, if the event has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A `tracing` [`Subscriber`] that keeps every event in memory; clones share the record.
///
/// Install it for one thread with [`tracing::subscriber::set_default`], or for the whole process
/// with [`LogCapture::global`] when the events come from tasks on other threads (a key fetch
/// runs in its own task). Spans are accepted and not recorded.
///
/// ```
/// use cognito_verify::testing::LogCapture;
///
/// let capture = LogCapture::new();
/// tracing::subscriber::with_default(capture.clone(), || {
///     tracing::warn!(kind = "expired", status = 401, "request refused");
/// });
/// let events = capture.events();
/// assert_eq!(events[0].message, "request refused");
/// assert_eq!(events[0].field("kind"), Some("expired"));
/// assert_eq!(events[0].field("status"), Some("401"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LogCapture {
    events: Arc<Mutex<Vec<CapturedEvent>>>,
    next_span: Arc<AtomicU64>,
}

impl LogCapture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// The capture installed as the process's global default subscriber, installed by the first
    /// call. Its record holds the events of every test of the process: pick yours by a field
    /// only your test's events carry (a [`JwksServer`](super::JwksServer)'s URL is one).
    ///
    /// Panics if another global default subscriber was installed before.
    pub fn global() -> &'static LogCapture {
        static GLOBAL: OnceLock<LogCapture> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            let capture = LogCapture::new();
            tracing::subscriber::set_global_default(capture.clone())
                .expect("no other global default subscriber");
            capture
        })
    }

    /// Every event recorded so far, oldest first.
    pub fn events(&self) -> Vec<CapturedEvent> {
        self.lock().clone()
    }

    /// The events recorded so far whose `field` is `value`, oldest first.
    pub fn events_with(&self, field: &str, value: &str) -> Vec<CapturedEvent> {
        self.lock()
            .iter()
            .filter(|e| e.field(field) == Some(value))
            .cloned()
            .collect()
    }

    /// Forgets every event recorded so far.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<CapturedEvent>> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    fields: BTreeMap<String, String>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = value;
        } else {
            self.fields.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.put(field, format!("{value:?}"));
    }
}

impl Subscriber for LogCapture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let metadata = event.metadata();
        self.lock().push(CapturedEvent {
            level: *metadata.level(),
            target: metadata.target().to_owned(),
            message: fields.message,
            fields: fields.fields,
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
