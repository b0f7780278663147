//! What several test files share.

use autocancel_runtime::Cancelled;

/// An application error that can carry a cancellation, as users' error types do.
#[derive(Debug)]
pub enum AppError {
    Failed(&'static str),
    Cancelled(Cancelled),
}

impl From<Cancelled> for AppError {
    fn from(c: Cancelled) -> Self {
        AppError::Cancelled(c)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Failed(what) => write!(f, "failed: {what}"),
            AppError::Cancelled(c) => write!(f, "{c}"),
        }
    }
}
