#include "api/session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>

#include "api/connections.h"
#include "api/errors.h"
#include "api/json.h"

namespace netsnap::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

bool IsParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

}  // namespace

template <typename P>
Session<P>::Session(typename P::socket&& socket, Peer peer, const SessionEnv* env)
    : stream_(std::move(socket)),
      env_(env),
      peer_(std::move(peer)),
      heartbeat_(stream_.get_executor()) {}

template <typename P>
Session<P>::~Session() {
  EndPieces();
  if (counted_follower_) --*env_->followers;
  if (feed_) feed_->Close();
  if (subscription_) env_->events->Unsubscribe(subscription_);
  env_->connections->Remove(this);
}

template <typename P>
void Session<P>::Run() {
  net::dispatch(stream_.get_executor(),
                beast::bind_front_handler(&Session<P>::Read, this->shared_from_this()));
}

template <typename P>
void Session<P>::Refuse(const std::string& reply) {
  beast::error_code ec;
  net::write(stream_.socket(), net::buffer(reply), ec);
  DoClose();
}

template <typename P>
void Session<P>::DetachFeed() {
  if (feed_) feed_->Close();
}

template <typename P>
void Session<P>::Read() {
  // A fresh parser per request: the limits apply to each request.
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(env_->max_header_bytes));
  parser_->body_limit(env_->max_body_bytes);
  stream_.expires_after(env_->read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session<P>::OnRead, this->shared_from_this()));
}

template <typename P>
void Session<P>::OnRead(beast::error_code ec, size_t) {
  if (ec == http::error::end_of_stream) return DoClose();
  if (ec == http::error::body_limit) {
    ApiResponse res;
    res.Error(413, "payload_too_large",
              "the body exceeds " + std::to_string(env_->max_body_bytes) + " bytes");
    return Reply(std::move(res), false);
  }
  if (ec == http::error::header_limit) {
    ApiResponse res;
    res.Error(431, "headers_too_large",
              "the headers exceed " + std::to_string(env_->max_header_bytes) + " bytes");
    return Reply(std::move(res), false);
  }
  if (ec && IsParseError(ec)) {
    ApiResponse res;
    res.Error(400, "bad_request", "malformed HTTP request: " + ec.message());
    return Reply(std::move(res), false);
  }
  if (ec) return;  // timeout (the stream is already closed), reset, or shutdown

  http::request<http::string_body> req = parser_->release();
  http_version_ = req.version();
  bool keep_alive = req.keep_alive();
  auto call = std::make_shared<Dispatcher::Call>();
  ApiResponse res;
  if (!env_->dispatcher->Prepare(std::move(req), peer_, call.get(), &res)) {
    // A refused client gets no second try on this connection: each costs it a new handshake.
    return Reply(std::move(res), keep_alive && !res.refused);
  }
  if (call->route->runs == Runs::kWorker) return Offload(std::move(call), keep_alive);
  env_->dispatcher->Run(call.get(), &res);
  Answer(std::move(call), std::move(res), keep_alive);
}

template <typename P>
void Session<P>::Offload(std::shared_ptr<Dispatcher::Call> call, bool keep_alive) {
  auto self = this->shared_from_this();
  bool queued = env_->workers->TrySubmit([self, call, keep_alive] {
    auto res = std::make_shared<ApiResponse>();
    self->env_->dispatcher->Run(call.get(), res.get());
    net::post(self->stream_.get_executor(),
              [self, call, res, keep_alive] { self->Answer(call, std::move(*res), keep_alive); });
  });
  if (queued) return;
  ApiResponse res;
  env_->dispatcher->Overloaded(call.get(), &res);
  Reply(std::move(res), keep_alive);
}

template <typename P>
void Session<P>::Answer(std::shared_ptr<Dispatcher::Call> call, ApiResponse&& res,
                        bool keep_alive) {
  if (res.stream) return StartStream(std::move(res.stream));
  if (res.chunked) return StartPieces(std::move(call), std::move(res), keep_alive);
  Reply(std::move(res), keep_alive);
}

template <typename P>
void Session<P>::Reply(ApiResponse&& res, bool keep_alive) {
  http::response<http::string_body> msg{static_cast<http::status>(res.status), http_version_};
  msg.set(http::field::server, "netsnap");
  msg.set(http::field::content_type, res.content_type);
  msg.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : res.headers) msg.set(name, value);
  msg.keep_alive(keep_alive);
  msg.body() = std::move(res.body);
  msg.prepare_payload();
  stream_.expires_after(env_->read_timeout);
  beast::async_write(
      stream_, http::message_generator(std::move(msg)),
      beast::bind_front_handler(&Session<P>::OnWrite, this->shared_from_this(), keep_alive));
}

template <typename P>
void Session<P>::OnWrite(bool keep_alive, beast::error_code ec, size_t) {
  if (ec) return;
  if (!keep_alive) return DoClose();
  Read();
}

template <typename P>
void Session<P>::DoClose() {
  heartbeat_.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(P::socket::shutdown_send, ec);
  stream_.socket().close(ec);
}

template <typename P>
void Session<P>::RefuseStream() {
  ApiResponse res;
  res.Error(503, "too_many_followers",
            "the server already streams events to " + std::to_string(env_->max_followers) +
                " followers ([daemon] max_followers); try again later");
  res.headers.emplace_back("Retry-After", "5");
  Reply(std::move(res), false);
}

// --- a body in pieces ---------------------------------------------------------------------

template <typename P>
void Session<P>::StartPieces(std::shared_ptr<Dispatcher::Call> call, ApiResponse&& res,
                             bool keep_alive) {
  pieces_ = std::move(res.chunked);
  pieces_call_ = std::move(call);
  // HTTP/1.0 has no chunked encoding: the body runs until the server closes.
  if (http_version_ < 11) keep_alive = false;
  stream_header_.emplace(static_cast<http::status>(res.status), http_version_);
  stream_header_->set(http::field::server, "netsnap");
  stream_header_->set(http::field::content_type, res.content_type);
  stream_header_->set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : res.headers) stream_header_->set(name, value);
  stream_header_->keep_alive(keep_alive);
  if (http_version_ >= 11) stream_header_->chunked(true);
  stream_serializer_.emplace(*stream_header_);
  // The first piece renders while the header goes out.
  RenderPiece(keep_alive);
  stream_.expires_after(env_->read_timeout);
  writing_ = true;
  http::async_write_header(
      stream_, *stream_serializer_,
      beast::bind_front_handler(&Session<P>::OnPiecesHeader, this->shared_from_this(), keep_alive));
}

template <typename P>
void Session<P>::OnPiecesHeader(bool keep_alive, beast::error_code ec, size_t) {
  writing_ = false;
  if (ec) return DoClose();
  WritePiece(keep_alive);
}

template <typename P>
void Session<P>::RenderPiece(bool keep_alive) {
  auto self = this->shared_from_this();
  // Rendering a piece costs about a millisecond (chunked_body.h): a worker does it, so that the
  // I/O thread only writes. rendered_ and the body belong to the worker until it posts back.
  bool queued = env_->workers->Continue([self, keep_alive] {
    self->rendered_.clear();
    bool more = self->pieces_->Next(&self->rendered_);
    net::post(self->stream_.get_executor(), [self, more, keep_alive] {
      self->rendered_ready_ = true;
      self->rendered_more_ = more;
      self->WritePiece(keep_alive);
    });
  });
  if (!queued) DoClose();  // the server stops
}

template <typename P>
void Session<P>::WritePiece(bool keep_alive) {
  if (writing_ || !rendered_ready_ || !stream_.socket().is_open()) return;
  rendered_ready_ = false;
  if (!rendered_more_) {
    piece_ = std::string();
    rendered_ = std::string();
    stream_header_.reset();
    stream_serializer_.reset();
    if (http_version_ < 11) {
      EndPieces();
      return DoClose();
    }
    writing_ = true;
    return net::async_write(
        stream_, http::make_chunk_last(),
        beast::bind_front_handler(&Session<P>::OnLastChunk, this->shared_from_this(), keep_alive));
  }
  piece_.swap(rendered_);
  RenderPiece(keep_alive);
  writing_ = true;
  stream_.expires_after(env_->read_timeout);  // a client that stops reading is dropped
  auto done =
      beast::bind_front_handler(&Session<P>::OnPieceWritten, this->shared_from_this(), keep_alive);
  if (http_version_ < 11) return net::async_write(stream_, net::buffer(piece_), std::move(done));
  net::async_write(stream_, http::make_chunk(net::buffer(piece_)), std::move(done));
}

template <typename P>
void Session<P>::OnPieceWritten(bool keep_alive, beast::error_code ec, size_t) {
  writing_ = false;
  if (ec) return DoClose();
  WritePiece(keep_alive);
}

template <typename P>
void Session<P>::OnLastChunk(bool keep_alive, beast::error_code ec, size_t bytes) {
  writing_ = false;
  EndPieces();
  OnWrite(keep_alive, ec, bytes);
}

template <typename P>
void Session<P>::EndPieces() {
  if (pieces_call_) env_->dispatcher->Finish(*pieces_call_);
  pieces_call_.reset();
  pieces_.reset();
}

// --- server-sent events -------------------------------------------------------------------

template <typename P>
void Session<P>::StartStream(std::shared_ptr<EventStream> spec) {
  if (++*env_->followers > env_->max_followers) {
    --*env_->followers;
    return RefuseStream();
  }
  counted_follower_ = true;
  spec_ = std::move(spec);
  std::weak_ptr<Session> weak = this->weak_from_this();
  auto executor = stream_.get_executor();
  feed_ = std::make_shared<EventFeed>(spec_->filter, [weak, executor] {
    net::post(executor, [weak] {
      if (auto self = weak.lock()) self->Pump();
    });
  });
  // Subscribe before reading the backlog so that nothing published in between is lost; events
  // seen in both are sent once (by id).
  subscription_ = env_->events->Subscribe([feed = feed_](const StoredEvent& e) { feed->Push(e); });

  stream_header_.emplace(http::status::ok, http_version_);
  stream_header_->set(http::field::server, "netsnap");
  stream_header_->set(http::field::content_type, "text/event-stream");
  stream_header_->set(http::field::cache_control, "no-store");
  // No length: the body runs until either side closes.
  stream_header_->keep_alive(false);
  stream_serializer_.emplace(*stream_header_);
  stream_.expires_after(env_->read_timeout);
  backlog_done_ = !spec_->backlog;
  writing_ = true;  // frames wait for the header
  http::async_write_header(
      stream_, *stream_serializer_,
      beast::bind_front_handler(&Session<P>::OnStreamHeader, this->shared_from_this()));
}

template <typename P>
void Session<P>::OnStreamHeader(beast::error_code ec, size_t) {
  writing_ = false;
  if (ec) return DoClose();
  ArmHeartbeat();
  Pump();
}

template <typename P>
void Session<P>::ReadBacklog() {
  reading_backlog_ = true;
  auto self = this->shared_from_this();
  bool queued = env_->workers->Continue([self] {
    auto batch = std::make_shared<std::vector<StoredEvent>>();
    bool done = false;
    Status s = self->spec_->backlog(batch.get(), &done);
    net::post(self->stream_.get_executor(),
              [self, batch, done, s] { self->OnBacklog(*batch, done, s); });
  });
  if (!queued) DoClose();  // the server stops
}

template <typename P>
void Session<P>::OnBacklog(const std::vector<StoredEvent>& batch, bool done, const Status& s) {
  reading_backlog_ = false;
  if (!s.ok()) {
    spdlog::warn("api: event backlog: {}", s.ToString());
    pending_ += ": backlog unavailable: " + s.message() + "\n\n";
    done = true;
  }
  for (const StoredEvent& e : batch) AppendFrame(e);
  backlog_done_ = done;
  Pump();
}

template <typename P>
void Session<P>::AppendFrame(const StoredEvent& e) {
  if (e.id <= last_sent_id_) return;
  last_sent_id_ = e.id;
  pending_ += "id: " + std::to_string(e.id) + "\nevent: " + e.type + "\ndata: ";
  pending_ += boost::json::serialize(EventJson(e));
  pending_ += "\n\n";
}

template <typename P>
void Session<P>::Pump() {
  if (writing_ || !feed_ || !stream_.socket().is_open()) return;
  if (backlog_done_) {
    bool overflowed = false;
    for (const StoredEvent& e : feed_->Take(&overflowed)) AppendFrame(e);
    if (overflowed) {
      spdlog::warn("api: dropping an event follower that fell {} events behind",
                   EventFeed::kMaxQueued);
      return DoClose();
    }
  }
  if (pending_.empty()) {
    if (!backlog_done_ && !reading_backlog_) ReadBacklog();
    return;
  }
  inflight_.swap(pending_);
  pending_.clear();
  writing_ = true;
  stream_.expires_after(env_->read_timeout);  // a follower that stops reading is dropped
  net::async_write(stream_, net::buffer(inflight_),
                   beast::bind_front_handler(&Session<P>::OnStreamWrite, this->shared_from_this()));
}

template <typename P>
void Session<P>::OnStreamWrite(beast::error_code ec, size_t) {
  writing_ = false;
  if (ec) return DoClose();
  stream_.expires_never();
  inflight_.clear();
  Pump();
}

template <typename P>
void Session<P>::ArmHeartbeat() {
  heartbeat_.expires_after(env_->heartbeat);
  // The timer holds the session while it streams; DoClose cancels it.
  heartbeat_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (ec) return;
    self->pending_ += ": keep-alive\n\n";
    self->Pump();
    self->ArmHeartbeat();
  });
}

template class Session<net::ip::tcp>;
template class Session<net::local::stream_protocol>;

}  // namespace netsnap::api
