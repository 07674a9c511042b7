//! The two body types of the data path: what goes upstream (empty, a small
//! buffered body that can be sent again on a retry, or the client's stream)
//! and what goes back to the client (the upstream's stream or a short text
//! the proxy wrote), with the request's record attached so metrics and the
//! access log are written when the response is finished. The upstream
//! connection travels with its response body and goes back to the pool as
//! soon as the body is complete.

use crate::access_log::RequestRecord;
use crate::upstream_pool::PooledConnection;
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
    Upstream {
        body: Incoming,
        /// Returned to the pool once `body` is complete; `None` after that,
        /// or when the connection cannot be reused (an upgrade).
        connection: Option<PooledConnection>,
    },
    Text(Option<Bytes>),
}

impl ProxyBody {
    pub fn upstream(
        body: Incoming,
        connection: Option<PooledConnection>,
        record: RequestRecord,
    ) -> Self {
        Self {
            content: Content::Upstream { body, connection },
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
            Content::Upstream { body, connection } => {
                let frame = Pin::new(&mut *body).poll_frame(cx);
                match &frame {
                    Poll::Ready(None) => checkin(connection),
                    Poll::Ready(Some(Ok(_))) if body.is_end_stream() => checkin(connection),
                    // A broken upstream body: its connection is not reused.
                    Poll::Ready(Some(Err(_))) => *connection = None,
                    _ => {}
                }
                frame
            }
            Content::Text(text) => Poll::Ready(text.take().map(|text| Ok(Frame::data(text)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.content {
            Content::Upstream { body, .. } => body.is_end_stream(),
            Content::Text(text) => text.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.content {
            Content::Upstream { body, .. } => body.size_hint(),
            Content::Text(text) => {
                SizeHint::with_exact(text.as_ref().map_or(0, |text| text.len() as u64))
            }
        }
    }
}

impl Drop for ProxyBody {
    fn drop(&mut self) {
        // A body that was empty from the start (HEAD, 204, 304) is never
        // polled; one the client stopped reading is not complete.
        if let Content::Upstream { body, connection } = &mut self.content
            && body.is_end_stream()
        {
            checkin(connection);
        }
    }
}

fn checkin(connection: &mut Option<PooledConnection>) {
    if let Some(connection) = connection.take() {
        connection.checkin();
    }
}
