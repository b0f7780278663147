//! Conversions to and from other crates' types, each behind the feature named after the crate:
//! `tokio-util` (`CancellationToken`), `tonic` (`Status`), `http` (`Response`), `axum`
//! (`IntoResponse`). Default features stay lean: none of these is on by default.

#[cfg(feature = "http")]
mod http;
#[cfg(feature = "tokio-util")]
pub(crate) mod token;
#[cfg(feature = "tonic")]
mod tonic;
