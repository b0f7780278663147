//! placeholder (facade docs come with the runtime)
pub use cancellable_macros::cancellable;
pub use cancellable_runtime::*;
#[doc(hidden)]
pub use cancellable_runtime::__private;
