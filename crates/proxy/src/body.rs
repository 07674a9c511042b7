//! The two body types of the data path: what goes upstream (empty, a small
//! buffered body that can be sent again on a retry, or the client's stream)
//! and what goes back to the client (the upstream's stream or a short text
//! the proxy wrote), with the request's record attached so metrics and the
//! access log are written when the response is finished.

use crate::access_log::RequestRecord;
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A request body on its way upstream.
#[derive(Debug)]
pub enum UpstreamBody {
    Empty,
    /// Fully read; can be sent again to another upstream.
    Buffered(Option<Bytes>),
    /// Streamed from the client; can be sent only once.
    Streaming(Incoming),
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            Self::Empty => Poll::Ready(None),
            Self::Buffered(data) => Poll::Ready(data.take().map(|data| Ok(Frame::data(data)))),
            Self::Streaming(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Buffered(data) => data.is_none(),
            Self::Streaming(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Empty => SizeHint::with_exact(0),
            Self::Buffered(data) => {
                SizeHint::with_exact(data.as_ref().map_or(0, |data| data.len() as u64))
            }
            Self::Streaming(body) => body.size_hint(),
        }
    }
}

/// A response body on its way to the client. Dropping it (after the last
/// frame, or when the client goes away) completes the request's record.
#[derive(Debug)]
pub struct ProxyBody {
    content: Content,
    _record: Option<RequestRecord>,
}

#[derive(Debug)]
enum Content {
    Upstream(Incoming),
    Text(Option<Bytes>),
}

impl ProxyBody {
    pub fn upstream(body: Incoming, record: RequestRecord) -> Self {
        Self {
            content: Content::Upstream(body),
            _record: Some(record),
        }
    }

    pub fn text(text: impl Into<Bytes>, record: Option<RequestRecord>) -> Self {
        Self {
            content: Content::Text(Some(text.into())),
            _record: record,
        }
    }
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match &mut self.get_mut().content {
            Content::Upstream(body) => Pin::new(body).poll_frame(cx),
            Content::Text(text) => Poll::Ready(text.take().map(|text| Ok(Frame::data(text)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.content {
            Content::Upstream(body) => body.is_end_stream(),
            Content::Text(text) => text.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.content {
            Content::Upstream(body) => body.size_hint(),
            Content::Text(text) => {
                SizeHint::with_exact(text.as_ref().map_or(0, |text| text.len() as u64))
            }
        }
    }
}
