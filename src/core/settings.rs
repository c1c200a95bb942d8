//! [`Settings`]: what one instance of the responder is set to do, as the configuration read
//! it: plain values the runner executes and the decisions read.

use crate::core::decision::Policy;
use crate::core::letter::DeadLetterRoutes;
use crate::core::plan::Mode;

/// What the responder needs from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The decisions' settings.
    pub policy: Policy,
    /// Where each class's letters go.
    pub routes: DeadLetterRoutes,
    /// `MAX_CONCURRENCY`: Cognito calls (and dead-letter requests) in flight at once.
    pub max_concurrency: usize,
    /// `MAX_REQUESTS_PER_SECOND`; `None` for no cap.
    pub max_requests_per_second: Option<f64>,
    /// `DRY_RUN`: decide, call nothing, send nothing.
    pub mode: Mode,
}
